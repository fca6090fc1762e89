// SPDX-License-Identifier: GPL-2.0
/*
 * lwvhost net backend: transmit (guest TX ring -> tap socket).
 *
 * Each available buffer is one frame, its vnet header first (unless we
 * provide the header ourselves, VHOST_NET_F_VIRTIO_NET_HDR). The frame is
 * handed to the tap with its header, so GSO and checksum offload requests
 * pass through untouched.
 */
#include <linux/socket.h>
#include <linux/uio.h>

#include "net.h"

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

		err = sock->ops->sendmsg(sock, &msg, len);
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
		if (++nvq->done_idx >= VHOST_NET_BATCH)
			vhost_net_flush_used(nvq);

		vq->stats.packets++;
		vq->stats.bytes += len;
		total += len;
		if (vhost_exceeds_weight(vq, ++pkts, total))
			break;
	}
	vhost_net_flush_used(nvq);
	vhost_pace_pass_end(vq, start, found);
out:
	mutex_unlock(&vq->mutex);
	return found;
}
