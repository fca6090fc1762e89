// SPDX-License-Identifier: GPL-2.0
/*
 * lwvhost net backend: transmit (guest TX ring -> tap socket).
 *
 * Each available buffer is one frame, its vnet header first (unless we
 * provide the header ourselves, VHOST_NET_F_VIRTIO_NET_HDR). The frame is
 * handed to the tap with its header, so GSO and checksum offload requests
 * pass through untouched.
 *
 * Batching: when the tap's send buffer is unlimited (sk_sndbuf INT_MAX,
 * what QEMU sets), frames that fit a page with their skb overhead are
 * copied into page fragments laid out as tun builds skbs from them (a
 * struct tun_xdp_hdr, room for XDP and the skb, then the frame) and given
 * to the tap up to VHOST_NET_BATCH at a time in one sendmsg (TUN_MSG_PTR):
 * one socket call and one tap lock round trip per batch, not per frame.
 * A frame that does not fit, or a send buffer that is limited, takes the
 * one-frame path, after the frames batched before it (order is kept).
 */
#include <linux/gfp.h>
#include <linux/if_tun.h>
#include <linux/skbuff.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <linux/virtio_net.h>
#include <net/sock.h>
#include <net/xdp.h>

#include "net.h"

/* Room before the frame: tun's header, then what an skb wants in front. */
#define VHOST_NET_TX_PAD (NET_SKB_PAD + NET_IP_ALIGN)

int vhost_net_tx_batch_init(struct vhost_net_virtqueue *nvq)
{
	nvq->xdp = kmalloc_array(VHOST_NET_BATCH, sizeof(*nvq->xdp),
				 GFP_KERNEL_ACCOUNT);
	nvq->batched = 0;
	return nvq->xdp ? 0 : -ENOMEM;
}

void vhost_net_tx_batch_free(struct vhost_net_virtqueue *nvq)
{
	struct page_frag_cache *nc = &nvq->frag;

	WARN_ON_ONCE(nvq->batched);
	if (nc->va)
		__page_frag_cache_drain(virt_to_head_page(nc->va),
					nc->pagecnt_bias);
	nc->va = NULL;
	kfree(nvq->xdp);
	nvq->xdp = NULL;
}

/* Batching pays only where tun takes pointers: an unlimited send buffer. */
static bool vhost_net_tx_can_batch(struct socket *sock)
{
	return READ_ONCE(sock->sk->sk_sndbuf) == INT_MAX;
}

/*
 * Hand the batched frames to the tap, then publish their used entries.
 * The tap owns the fragments from then on; only if it takes none (its
 * device went away) are they freed here.
 */
static void vhost_net_tx_send_batch(struct vhost_net_virtqueue *nvq,
				    struct socket *sock)
{
	struct tun_msg_ctl ctl = {
		.type = TUN_MSG_PTR,
		.num = nvq->batched,
		.ptr = nvq->xdp,
	};
	struct msghdr msg = {
		.msg_control = &ctl,
		.msg_controllen = sizeof(ctl),
		.msg_flags = MSG_DONTWAIT,
	};
	unsigned int i;
	int err;

	if (!nvq->batched)
		return;
	err = sock->ops->sendmsg(sock, &msg, 0);
	if (unlikely(err < 0)) {
		pr_debug("TX batch of %u dropped: %d\n", nvq->batched, err);
		for (i = 0; i < nvq->batched; i++)
			page_frag_free(nvq->xdp[i].data_hard_start);
	}
	nvq->batched = 0;
	vhost_net_flush_used(nvq);
}

/*
 * Copy one frame (its vnet header, if the tap has one, then len bytes)
 * from iter into a page fragment and add it to the batch. -ENOSPC: not
 * for the batch (it does not fit a page, or is too short to be a frame:
 * the one-frame path decides), iter untouched; -ENOMEM; -EFAULT: the
 * guest's buffer could not be read. Nothing is batched on error.
 */
static int vhost_net_tx_batch_frame(struct vhost_net_virtqueue *nvq,
				    struct socket *sock, struct iov_iter *iter,
				    size_t len)
{
	size_t hlen = nvq->sock_hlen;
	size_t headroom = sock_flag(sock->sk, SOCK_XDP) ? XDP_PACKET_HEADROOM : 0;
	size_t pad = SKB_DATA_ALIGN(VHOST_NET_TX_PAD + headroom);
	struct virtio_net_hdr_mrg_rxbuf vh = {};
	struct tun_xdp_hdr *th;
	struct xdp_buff *xdp;
	size_t frame, buflen;
	void *buf;

	BUILD_BUG_ON(sizeof(struct tun_xdp_hdr) > VHOST_NET_TX_PAD);
	if (len < hlen || len - hlen < ETH_HLEN)
		return -ENOSPC;
	frame = len - hlen;
	buflen = SKB_DATA_ALIGN(pad + frame) +
		 SKB_DATA_ALIGN(sizeof(struct skb_shared_info));
	if (buflen > PAGE_SIZE)
		return -ENOSPC;
	if (hlen && copy_from_iter(&vh, min(hlen, sizeof(vh)), iter) !=
		    min(hlen, sizeof(vh)))
		return -EFAULT;
	if (hlen > sizeof(vh))
		iov_iter_advance(iter, hlen - sizeof(vh));
	buf = page_frag_alloc(&nvq->frag, buflen, GFP_KERNEL | __GFP_NOWARN);
	if (unlikely(!buf))
		return -ENOMEM;
	if (copy_from_iter(buf + pad, frame, iter) != frame) {
		page_frag_free(buf);
		return -EFAULT;
	}
	th = buf;
	th->buflen = buflen;
	th->gso = vh.hdr;
	xdp = &nvq->xdp[nvq->batched++];
	xdp_init_buff(xdp, buflen, NULL);
	xdp_prepare_buff(xdp, buf, pad, frame, true);
	return 0;
}

static bool vhost_net_tx_ready(struct vhost_net *n)
{
	return !vhost_vq_avail_empty(&n->vqs[VHOST_NET_VQ_TX].vq);
}

bool vhost_net_handle_tx(struct vhost_net *n)
{
	struct vhost_net_virtqueue *nvq = &n->vqs[VHOST_NET_VQ_TX];
	struct vhost_virtqueue *vq = &nvq->vq;
	struct msghdr msg = {
		.msg_flags = MSG_DONTWAIT,
	};
	unsigned int out, in;
	size_t total = 0, len;
	struct socket *sock;
	bool found = false;
	bool batch;
	int pkts = 0;
	int head, err;
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
	batch = nvq->xdp && vhost_net_tx_can_batch(sock);

	for (;;) {
		head = vhost_vq_get_desc(vq, vq->iov, UIO_MAXIOV, &out, &in,
					 NULL, NULL);
		/*
		 * A ring error, or an IOTLB miss (-EAGAIN): the buffer stays
		 * on the ring, notifications stay off, no poll timer is armed;
		 * the owner's UPDATE requeues us.
		 */
		if (unlikely(head < 0))
			break;
		if (head == vq->num) {
			/* What is batched goes before the pass may sleep. */
			vhost_net_tx_send_batch(nvq, sock);
			/* Poll mode: the timer, not a kick, brings us back. */
			if (vhost_pace_keep_polling(vq, found))
				break;
			if (vq->busyloop_timeout) {
				vhost_net_flush_used(nvq);
				if (vhost_net_busy_poll(n, vq, vhost_net_tx_ready))
					goto retry;
			}
			if (unlikely(vhost_vq_enable_notify(vq))) {
				vhost_vq_disable_notify(vq);
				goto retry;
			}
			break;
retry:
			/*
			 * A retry is a unit of the pass's weight too, or a
			 * guest moving the index could keep the pass going.
			 */
			if (vhost_exceeds_weight(vq, ++pkts, total))
				break;
			continue;
		}
		found = true;
		if (unlikely(in)) {
			vq_err(vq, "TX buffer %d has %u writable parts\n", head,
			       in);
			break;
		}

		len = iov_length(vq->iov, out);
		iov_iter_init(&msg.msg_iter, ITER_SOURCE, vq->iov, out, len);
		if (nvq->vhost_hlen) {
			if (unlikely(len <= nvq->vhost_hlen)) {
				vq_err(vq, "TX buffer %d of %zu bytes has no frame\n",
				       head, len);
				break;
			}
			iov_iter_advance(&msg.msg_iter, nvq->vhost_hlen);
			len -= nvq->vhost_hlen;
		}

		err = batch ? vhost_net_tx_batch_frame(nvq, sock, &msg.msg_iter,
						       len) : -ENOSPC;
		if (err == -ENOSPC) {
			/* The one-frame path, after the frames batched before. */
			vhost_net_tx_send_batch(nvq, sock);
			err = sock->ops->sendmsg(sock, &msg, len);
		}
		if (unlikely(err < 0)) {
			if (err == -EAGAIN || err == -ENOMEM || err == -ENOBUFS) {
				/* Retry this buffer when the socket is writable. */
				vhost_vq_discard_desc(vq, 1);
				vhost_net_enable_vq(n, vq);
				break;
			}
			/* The tap dropped it (e.g. link down): complete it. */
			pr_debug("TX frame dropped: %d\n", err);
		}

		vq->heads[nvq->done_idx].id = cpu_to_vhost32(vq, head);
		vq->heads[nvq->done_idx].len = 0;
		if (++nvq->done_idx >= VHOST_NET_BATCH) {
			vhost_net_tx_send_batch(nvq, sock);
			vhost_net_flush_used(nvq);
		}

		vq->stats.packets++;
		vq->stats.bytes += len;
		total += len;
		if (vhost_exceeds_weight(vq, ++pkts, total))
			break;
	}
	vhost_net_tx_send_batch(nvq, sock);
	vhost_net_flush_used(nvq);
	vhost_pace_pass_end(vq, start, found);
out:
	mutex_unlock(&vq->mutex);
	return found;
}
