/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lwvhost net backend: shared between net.c (device, ioctls, backend
 * attach), tx.c (guest -> tap) and rx.c (tap -> guest).
 */
#ifndef _LWVHOST_NET_H
#define _LWVHOST_NET_H

#include <linux/completion.h>
#include <linux/if.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/net.h>
#include <linux/proc_fs.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>

#include "vhost.h"

struct xdp_buff;

enum {
	VHOST_NET_VQ_RX = 0,
	VHOST_NET_VQ_TX = 1,
	VHOST_NET_VQ_MAX = 2,
};

/*
 * A handler pass ends after this many packets or bytes and requeues itself,
 * so that one direction or one device cannot starve the others.
 */
#define VHOST_NET_PKT_WEIGHT	256
#define VHOST_NET_BYTE_WEIGHT	0x80000

/* Used entries are published (and the guest signalled) in batches of this. */
#define VHOST_NET_BATCH		64

/*
 * RX in poll mode: the tap's wakeups stay armed but wake the handler only
 * every this many frames, well below tun's 500-frame queue, so a burst
 * between two timer passes is taken early instead of dropped at the tap.
 */
#define VHOST_NET_RX_POLL_WAKE_BATCH	64

struct vhost_net_virtqueue {
	struct vhost_virtqueue vq;
	/* Header bytes we add/strip (VHOST_NET_F_VIRTIO_NET_HDR). vq->mutex. */
	size_t vhost_hlen;
	/* Header bytes the tap socket adds/strips. vq->mutex. */
	size_t sock_hlen;
	/* Used entries in vq->heads not yet published. vq->mutex. */
	unsigned int done_idx;
	/*
	 * TX batching (tx.c), under vq->mutex: frames copied into xdp
	 * (VHOST_NET_BATCH entries, allocated at open; NULL for RX) and
	 * not yet handed to the tap, and the pages those copies live in.
	 * batched is 0 whenever no pass runs.
	 */
	struct xdp_buff *xdp;
	unsigned int batched;
	struct page_frag_cache frag;
	/*
	 * RX batching (rx.c), under vq->mutex: the tap's ring of received
	 * frames (NULL: the socket has none, or no backend), and up to
	 * VHOST_NET_BATCH frames taken from it in one go, rxq[rxq_head]
	 * to rxq[rxq_tail - 1] still to be delivered. They go back to the
	 * ring whenever the backend is detached or replaced.
	 */
	struct ptr_ring *rx_ring;
	void *rxq[VHOST_NET_BATCH];
	unsigned int rxq_head, rxq_tail;
	/*
	 * Backend interface name for the control surfaces ("-": none).
	 * Protected by the device's ifname_lock, not vq->mutex, so that
	 * readers never wait for the owner.
	 */
	char ifname[IFNAMSIZ];
};

/* tx.c: TX batching state, from open to release. */
int vhost_net_tx_batch_init(struct vhost_net_virtqueue *nvq);
void vhost_net_tx_batch_free(struct vhost_net_virtqueue *nvq);
/* rx.c: RX batching follows the backend; caller holds vq->mutex. */
void vhost_net_rx_batch_attach(struct vhost_net_virtqueue *nvq,
			       struct socket *sock);
void vhost_net_rx_batch_detach(struct vhost_net_virtqueue *nvq);

/* Publish the batched used entries and signal the guest if it wants it. */
static inline void vhost_net_flush_used(struct vhost_net_virtqueue *nvq)
{
	if (!nvq->done_idx)
		return;
	vhost_vq_add_used_and_signal_n(&nvq->vq, nvq->vq.heads, nvq->done_idx);
	nvq->done_idx = 0;
}

struct vhost_net {
	struct vhost_dev dev;
	struct vhost_net_virtqueue vqs[VHOST_NET_VQ_MAX];
	struct vhost_virtqueue *vq_ptrs[VHOST_NET_VQ_MAX];
	/* Backend socket polls: EPOLLOUT for TX, EPOLLIN for RX. */
	struct vhost_poll poll[VHOST_NET_VQ_MAX];

	/* Control surfaces (control.c). Fixed from open to release. */
	u32 id;
	/* On the device list; protected by vhost_net_devs_lock. */
	struct list_head node;
	/*
	 * References held by control-plane operations (vhost_net_get()),
	 * plus one for being on the list. Release drops the list's and
	 * waits on ctl_done for the others; operations holding one never
	 * wait for the device's own mutexes, so that wait is short.
	 */
	refcount_t ctl_refs;
	struct completion ctl_done;
	struct proc_dir_entry *proc;
	/*
	 * Serialises read-modify-write of the pacing knobs. Held only by
	 * control operations, never while waiting for a device mutex.
	 */
	struct mutex ctl_mutex;
	/* Protects vqs[].ifname. */
	spinlock_t ifname_lock;
};

static inline struct vhost_net *vhost_net_from_vq(struct vhost_virtqueue *vq)
{
	return container_of(vq->dev, struct vhost_net, dev);
}

/* net.c */
int vhost_net_enable_vq(struct vhost_net *n, struct vhost_virtqueue *vq);
int vhost_net_enable_vq_batched(struct vhost_net *n, struct vhost_virtqueue *vq,
				unsigned int batch);
void vhost_net_disable_vq(struct vhost_net *n, struct vhost_virtqueue *vq);
bool vhost_net_busy_poll(struct vhost_net *n, struct vhost_virtqueue *vq,
			 bool (*ready)(struct vhost_net *n));

/*
 * One pass of each direction. They take the vq mutex, return true if they
 * found work (packets moved or attempted), false on an empty pass.
 */
bool vhost_net_handle_tx(struct vhost_net *n);
bool vhost_net_handle_rx(struct vhost_net *n);

#endif /* _LWVHOST_NET_H */
