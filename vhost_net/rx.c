// SPDX-License-Identifier: GPL-2.0
/*
 * lwvhost net backend: receive (tap socket -> guest RX ring).
 *
 * A frame goes into one buffer, or with VIRTIO_NET_F_MRG_RXBUF into as many
 * as it needs; num_buffers in its header tells the guest how many. The tap
 * writes the vnet header (GSO/checksum info) unless we provide it
 * ourselves (VHOST_NET_F_VIRTIO_NET_HDR).
 *
 * Batching: tap and macvtap queue received frames in a ptr_ring. Instead
 * of one ring lock round trip per frame (peek, then dequeue), up to
 * VHOST_NET_BATCH frames are taken at once into nvq->rxq, measured there,
 * and handed back to the socket one by one with recvmsg (msg_control),
 * which copies and frees them.
 */
#include <linux/if_tap.h>
#include <linux/if_tun.h>
#include <linux/ptr_ring.h>
#include <linux/skb_array.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <linux/virtio_net.h>
#include <net/xdp.h>

#include "net.h"

void vhost_net_rx_batch_attach(struct vhost_net_virtqueue *nvq,
			       struct socket *sock)
{
	struct ptr_ring *ring;

	vhost_net_rx_batch_detach(nvq);
	if (!sock)
		return;
	ring = tun_get_tx_ring(sock->file);
	if (IS_ERR(ring))
		ring = tap_get_ptr_ring(sock->file);
	nvq->rx_ring = IS_ERR(ring) ? NULL : ring;
}

/* Give the frames taken but not delivered back to the tap's ring, in order. */
void vhost_net_rx_batch_detach(struct vhost_net_virtqueue *nvq)
{
	if (nvq->rx_ring && nvq->rxq_head != nvq->rxq_tail)
		ptr_ring_unconsume(nvq->rx_ring, nvq->rxq + nvq->rxq_head,
				   nvq->rxq_tail - nvq->rxq_head, tun_ptr_free);
	nvq->rxq_head = 0;
	nvq->rxq_tail = 0;
	nvq->rx_ring = NULL;
}

/* The next frame taken from the ring, taking a batch if none is left. */
static void *vhost_net_rxq_peek(struct vhost_net_virtqueue *nvq)
{
	if (nvq->rxq_head == nvq->rxq_tail) {
		nvq->rxq_head = 0;
		nvq->rxq_tail = ptr_ring_consume_batched(nvq->rx_ring, nvq->rxq,
							 VHOST_NET_BATCH);
		if (!nvq->rxq_tail)
			return NULL;
	}
	return nvq->rxq[nvq->rxq_head];
}

/* Length of the next frame (0: none). */
static int vhost_net_rx_peek(struct vhost_net_virtqueue *nvq,
			     struct socket *sock)
{
	void *ptr;

	if (!nvq->rx_ring)
		return sock->ops->peek_len ? sock->ops->peek_len(sock) : 0;
	ptr = vhost_net_rxq_peek(nvq);
	if (!ptr)
		return 0;
	if (tun_is_xdp_frame(ptr))
		return tun_ptr_to_xdp(ptr)->len;
	return __skb_array_len_with_tag(ptr);
}

/*
 * What recvmsg is to read: the frame just peeked, now ours to hand over
 * (recvmsg frees it whatever happens), or NULL: the socket dequeues.
 */
static void *vhost_net_rxq_take(struct vhost_net_virtqueue *nvq)
{
	if (!nvq->rx_ring || nvq->rxq_head == nvq->rxq_tail)
		return NULL;
	return nvq->rxq[nvq->rxq_head++];
}

static bool vhost_net_rx_ready(struct vhost_net *n)
{
	struct vhost_net_virtqueue *nvq = &n->vqs[VHOST_NET_VQ_RX];

	return vhost_net_rx_peek(nvq, nvq->vq.private_data) > 0;
}

/*
 * Take enough buffers for datalen bytes (at most quota of them) and map
 * them into vq->iov. Returns the number of buffers with their ids and
 * lengths (the last one trimmed) in heads; 0 if the guest has not posted
 * enough; UIO_MAXIOV + 1 if the frame cannot fit within quota (the caller
 * drops it); negative on a ring error or an IOTLB miss (-EAGAIN). Buffers
 * are given back unless a positive count <= UIO_MAXIOV is returned.
 */
static int vhost_net_get_rx_bufs(struct vhost_virtqueue *vq,
				 struct vring_used_elem *heads, s64 datalen,
				 unsigned int *iovcount, struct vhost_log *log,
				 unsigned int *log_num, unsigned int quota)
{
	unsigned int seg = 0, headcount = 0, out, in, nlog = 0, n = 0;
	u64 len = 0;
	int r;

	while (datalen > 0 && headcount < quota) {
		if (unlikely(seg >= UIO_MAXIOV)) {
			r = UIO_MAXIOV + 1;
			goto err;
		}
		r = vhost_vq_get_desc(vq, vq->iov + seg, UIO_MAXIOV - seg, &out,
				      &in, log ? log + nlog : NULL, &n);
		if (unlikely(r < 0))
			goto err;
		if (r == vq->num) {
			r = 0;
			goto err;
		}
		if (unlikely(out || !in)) {
			vq_err(vq, "RX buffer %d has %u readable and %u writable parts\n",
			       r, out, in);
			r = -EINVAL;
			goto err;
		}
		if (log)
			nlog += n;
		len = iov_length(vq->iov + seg, in);
		heads[headcount].id = cpu_to_vhost32(vq, r);
		heads[headcount].len = cpu_to_vhost32(vq, len);
		datalen -= len;
		headcount++;
		seg += in;
	}
	if (datalen > 0) {
		r = UIO_MAXIOV + 1;
		goto err;
	}
	heads[headcount - 1].len = cpu_to_vhost32(vq, len + datalen);
	*iovcount = seg;
	if (log)
		*log_num = nlog;
	return headcount;
err:
	vhost_vq_discard_desc(vq, headcount);
	return r;
}

/* Drop the frame at the head of the socket: it does not fit the guest's buffers. */
static void vhost_net_rx_drop(struct vhost_net_virtqueue *nvq,
			      struct socket *sock, size_t len)
{
	struct msghdr msg = {
		.msg_flags = MSG_DONTWAIT,
		.msg_control = vhost_net_rxq_take(nvq),
	};

	iov_iter_discard(&msg.msg_iter, ITER_DEST, len);
	sock->ops->recvmsg(sock, &msg, len, MSG_DONTWAIT | MSG_TRUNC);
	pr_debug("RX frame of %zu bytes dropped: too large\n", len);
}

bool vhost_net_handle_rx(struct vhost_net *n)
{
	struct vhost_net_virtqueue *nvq = &n->vqs[VHOST_NET_VQ_RX];
	struct vhost_virtqueue *vq = &nvq->vq;
	struct virtio_net_hdr hdr = {
		.flags = 0,
		.gso_type = VIRTIO_NET_HDR_GSO_NONE,
	};
	struct msghdr msg = {
		.msg_flags = MSG_DONTWAIT,
	};
	size_t vhost_hlen, sock_hlen, vhost_len, sock_len, total = 0;
	bool mergeable, set_num_buffers, found = false, sock_empty = false;
	unsigned int in, log_num = 0, quota;
	struct vhost_log *log;
	struct socket *sock;
	struct iov_iter fixup;
	int headcount, pkts = 0, peek, err;
	u64 start;

	mutex_lock(&vq->mutex);
	sock = vhost_vq_get_backend(vq);
	if (!sock || vq->broken)
		goto out;
	/*
	 * IOTLB: a ring not (yet) mapped ends the pass untouched, in event
	 * or poll mode alike, and the socket stops waking us meanwhile; the
	 * UPDATE for it requeues this handler.
	 */
	if (vhost_vq_iotlb_prefetch(vq)) {
		vhost_net_disable_vq(n, vq);
		goto out;
	}

	start = vhost_pace_pass_begin(vq);
	vhost_vq_disable_notify(vq);
	vhost_net_disable_vq(n, vq);

	vhost_hlen = nvq->vhost_hlen;
	sock_hlen = nvq->sock_hlen;
	mergeable = vhost_has_feature(vq, VIRTIO_NET_F_MRG_RXBUF);
	/* num_buffers exists in every VERSION_1 header and must be right. */
	set_num_buffers = mergeable || vhost_has_feature(vq, VIRTIO_F_VERSION_1);
	log = unlikely(vhost_has_feature(vq, VHOST_F_LOG_ALL)) ? vq->log : NULL;

	for (;;) {
		peek = vhost_net_rx_peek(nvq, sock);
		if (peek <= 0 && vq->busyloop_timeout &&
		    !vhost_pace_polling(vq)) {
			vhost_net_flush_used(nvq);
			if (vhost_net_busy_poll(n, vq, vhost_net_rx_ready))
				peek = vhost_net_rx_peek(nvq, sock);
		}
		if (peek <= 0) {
			sock_empty = true;
			break;
		}
		sock_len = peek + sock_hlen;
		vhost_len = sock_len + vhost_hlen;

		/* Leave room in heads for a full frame after the batch. */
		if (nvq->done_idx >= VHOST_NET_BATCH)
			vhost_net_flush_used(nvq);
		quota = mergeable ? UIO_MAXIOV - nvq->done_idx : 1;
		headcount = vhost_net_get_rx_bufs(vq, vq->heads + nvq->done_idx,
						  vhost_len, &in, log, &log_num,
						  quota);
		/*
		 * A ring error, or an IOTLB miss (-EAGAIN) with the buffers
		 * given back: the socket stays unwatched and no poll timer is
		 * armed; the owner's UPDATE requeues us.
		 */
		if (unlikely(headcount < 0))
			break;
		if (!headcount) {
			/* Poll mode: the timer looks for new buffers. */
			if (vhost_pace_keep_polling(vq, found))
				break;
			/* Out of guest buffers: wait for a kick. */
			if (unlikely(vhost_vq_enable_notify(vq))) {
				vhost_vq_disable_notify(vq);
				/*
				 * The retry re-walks every buffer collected so
				 * far: it counts towards the pass's weight.
				 */
				if (vhost_exceeds_weight(vq, ++pkts, total))
					break;
				continue;
			}
			break;
		}
		found = true;
		if (unlikely(headcount > UIO_MAXIOV)) {
			vhost_net_rx_drop(nvq, sock, sock_len);
			vq->stats.errors++;
			/* Drops count towards the pass, or a flood could pin us. */
			if (vhost_exceeds_weight(vq, ++pkts, total))
				break;
			continue;
		}

		iov_iter_init(&msg.msg_iter, ITER_DEST, vq->iov, in, vhost_len);
		fixup = msg.msg_iter;
		if (unlikely(vhost_hlen))
			iov_iter_advance(&msg.msg_iter, vhost_hlen);
		msg.msg_control = vhost_net_rxq_take(nvq);
		err = sock->ops->recvmsg(sock, &msg, sock_len,
					 MSG_DONTWAIT | MSG_TRUNC);
		if (unlikely(err != sock_len)) {
			/* Raced with the tap, or a frame of another size. */
			pr_debug("RX frame: got %d, expected %zu\n", err,
				 sock_len);
			vhost_vq_discard_desc(vq, headcount);
			if (vhost_exceeds_weight(vq, ++pkts, total))
				break;
			continue;
		}

		if (unlikely(vhost_hlen)) {
			if (copy_to_iter(&hdr, sizeof(hdr), &fixup) !=
			    sizeof(hdr)) {
				vq_err(vq, "cannot write RX header\n");
				break;
			}
		} else {
			iov_iter_advance(&fixup, sizeof(hdr));
		}
		if (set_num_buffers) {
			__virtio16 num = cpu_to_vhost16(vq, headcount);

			if (copy_to_iter(&num, sizeof(num), &fixup) !=
			    sizeof(num)) {
				vq_err(vq, "cannot write num_buffers\n");
				break;
			}
		}

		nvq->done_idx += headcount;
		if (unlikely(log))
			vhost_log_write(vq, log, log_num, vhost_len);
		vq->stats.packets++;
		vq->stats.bytes += vhost_len;
		total += vhost_len;
		if (vhost_exceeds_weight(vq, ++pkts, total))
			break;
	}
	vhost_net_flush_used(nvq);
	/*
	 * Sleep on the socket again only once it is drained. While polling,
	 * the timer drains it, and the tap's wakeups only cut the interval
	 * short when a burst would otherwise overflow the tap's queue.
	 */
	if (sock_empty) {
		if (vhost_pace_keep_polling(vq, found))
			vhost_net_enable_vq_batched(n, vq,
						    VHOST_NET_RX_POLL_WAKE_BATCH);
		else
			vhost_net_enable_vq(n, vq);
	}
	vhost_pace_pass_end(vq, start, found);
out:
	mutex_unlock(&vq->mutex);
	return found;
}
