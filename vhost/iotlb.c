// SPDX-License-Identifier: GPL-2.0
/*
 * lwvhost core: the device IOTLB (VIRTIO_F_ACCESS_PLATFORM).
 *
 * With ACCESS_PLATFORM acked, the guest's addresses (ring addresses and
 * descriptor buffers) are I/O virtual addresses behind the VMM's IOMMU.
 * The owner translates them for us: write() on the device file takes
 * VHOST_IOTLB_UPDATE / INVALIDATE (and BATCH_BEGIN / END) messages, read()
 * hands out a VHOST_IOTLB_MISS for an IOVA a handler could not translate.
 *
 * The table is a red-black tree of disjoint entries, bounded by
 * max_iotlb_entries. An UPDATE replaces whatever part of older entries it
 * overlaps (the newest mapping of an IOVA wins, as in an IOMMU), so a
 * lookup never has to choose. The table changes only with dev->mutex and
 * every vq mutex held: a handler pass, which holds its vq mutex, sees one
 * table throughout, and no pass still uses a translation once an
 * INVALIDATE has returned (nothing keeps an owner address past its pass).
 *
 * A miss never blocks the worker: the handler queues a MISS and ends its
 * pass with nothing consumed; the UPDATE that covers the IOVA requeues it.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/vhost.h>

#include "vhost.h"

static int max_iotlb_entries = 2048;
module_param(max_iotlb_entries, int, 0444);
MODULE_PARM_DESC(max_iotlb_entries,
		 "Maximum number of device IOTLB entries per device (default 2048)");

/* Both message formats are this size; read() needs room for one. */
#define VHOST_IOTLB_MSG_SIZE	sizeof(struct vhost_msg)

static_assert(sizeof(struct vhost_msg) == sizeof(struct vhost_msg_v2));

/*
 * Lock every vq of dev, in index order, under dev->mutex. The nesting
 * subclass keeps lockdep from taking the second vq mutex for recursion.
 */
static void vhost_iotlb_lock_vqs(struct vhost_dev *dev)
{
	int i;

	lockdep_assert_held(&dev->mutex);
	for (i = 0; i < dev->nvqs; i++)
		mutex_lock_nested(&dev->vqs[i]->mutex, i);
}

static void vhost_iotlb_unlock_vqs(struct vhost_dev *dev)
{
	int i;

	for (i = dev->nvqs - 1; i >= 0; i--)
		mutex_unlock(&dev->vqs[i]->mutex);
}

void vhost_iotlb_init(struct vhost_dev *dev)
{
	struct vhost_iotlb *tlb = &dev->iotlb;
	int i;

	tlb->root = RB_ROOT;
	tlb->nentries = 0;
	tlb->enabled = false;
	tlb->msg_v2 = false;
	tlb->batch = false;
	tlb->in_batch = false;
	spin_lock_init(&tlb->lock);
	INIT_LIST_HEAD(&tlb->unread);
	init_waitqueue_head(&tlb->wait);
	for (i = 0; i < dev->nvqs; i++) {
		struct vhost_iotlb_miss *m = &dev->vqs[i]->miss;

		INIT_LIST_HEAD(&m->node);
		m->waiting = false;
		m->requeue = false;
	}
}

/* ---- the table ---------------------------------------------------------- */

/* The first entry that ends at or after iova (entries are disjoint). */
static struct vhost_iotlb_entry *vhost_iotlb_first(struct vhost_iotlb *tlb,
						   u64 iova)
{
	struct rb_node *n = tlb->root.rb_node;
	struct vhost_iotlb_entry *best = NULL;

	while (n) {
		struct vhost_iotlb_entry *e =
			rb_entry(n, struct vhost_iotlb_entry, node);

		if (e->last >= iova) {
			best = e;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return best;
}

static struct vhost_iotlb_entry *vhost_iotlb_next(struct vhost_iotlb_entry *e)
{
	struct rb_node *n = rb_next(&e->node);

	return n ? rb_entry(n, struct vhost_iotlb_entry, node) : NULL;
}

static void vhost_iotlb_link(struct vhost_iotlb *tlb,
			     struct vhost_iotlb_entry *new)
{
	struct rb_node **link = &tlb->root.rb_node, *parent = NULL;

	while (*link) {
		struct vhost_iotlb_entry *e =
			rb_entry(*link, struct vhost_iotlb_entry, node);

		parent = *link;
		link = new->start < e->start ? &parent->rb_left :
					       &parent->rb_right;
	}
	rb_link_node(&new->node, parent, link);
	rb_insert_color(&new->node, &tlb->root);
	tlb->nentries++;
}

static void vhost_iotlb_unlink(struct vhost_iotlb *tlb,
			       struct vhost_iotlb_entry *e)
{
	rb_erase(&e->node, &tlb->root);
	tlb->nentries--;
	kfree(e);
}

/* Keep only the part of e from start on. */
static void vhost_iotlb_trim_front(struct vhost_iotlb_entry *e, u64 start)
{
	e->uaddr += start - e->start;
	e->start = start;
}

/*
 * Remove [start, last] from the table. An entry sticking out on both sides
 * is split in two, using *spare if it is not NULL; without a spare it is
 * dropped whole, which only costs the owner a later miss. Sets *spare to
 * NULL if it used it. Caller holds dev->mutex and every vq mutex.
 */
static void vhost_iotlb_remove(struct vhost_iotlb *tlb, u64 start, u64 last,
			       struct vhost_iotlb_entry **spare)
{
	struct vhost_iotlb_entry *e = vhost_iotlb_first(tlb, start), *next;

	for (; e && e->start <= last; e = next) {
		next = vhost_iotlb_next(e);
		if (e->start < start && e->last > last && spare && *spare) {
			struct vhost_iotlb_entry *tail = *spare;

			*spare = NULL;
			*tail = *e;
			vhost_iotlb_trim_front(tail, last + 1);
			e->last = start - 1;
			vhost_iotlb_link(tlb, tail);
			return;
		}
		if (e->start < start && e->last > last) {
			vhost_iotlb_unlink(tlb, e);
		} else if (e->start < start) {
			e->last = start - 1;
		} else if (e->last > last) {
			/* Still first in order: its new start is above last. */
			vhost_iotlb_trim_front(e, last + 1);
		} else {
			vhost_iotlb_unlink(tlb, e);
		}
	}
}

/* How many entries the table holds after replacing [start, last]. */
static unsigned int vhost_iotlb_count_after(struct vhost_iotlb *tlb, u64 start,
					    u64 last)
{
	struct vhost_iotlb_entry *e = vhost_iotlb_first(tlb, start);
	unsigned int n = tlb->nentries + 1;

	for (; e && e->start <= last; e = vhost_iotlb_next(e)) {
		if (e->start < start && e->last > last)
			n++;	/* split in two */
		else if (e->start >= start && e->last <= last)
			n--;	/* covered whole */
	}
	return n;
}

/* VHOST_IOTLB_UPDATE. Caller holds dev->mutex and every vq mutex. */
static int vhost_iotlb_insert(struct vhost_iotlb *tlb, u64 start, u64 last,
			      u64 uaddr, u8 perm)
{
	struct vhost_iotlb_entry *new, *spare;

	if (vhost_iotlb_count_after(tlb, start, last) >
	    (unsigned int)max_iotlb_entries)
		return -ENOSPC;
	/* Allocate first, so that a failure changes nothing. */
	new = kmalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	spare = kmalloc(sizeof(*spare), GFP_KERNEL_ACCOUNT);
	if (!new || !spare) {
		kfree(new);
		kfree(spare);
		return -ENOMEM;
	}
	vhost_iotlb_remove(tlb, start, last, &spare);
	kfree(spare);
	new->start = start;
	new->last = last;
	new->uaddr = uaddr;
	new->perm = perm;
	vhost_iotlb_link(tlb, new);
	return 0;
}

/*
 * VHOST_IOTLB_INVALIDATE. Never fails: when splitting an entry would pass
 * the limit (or memory is short), the entry goes whole instead, which is
 * safe, as a missing translation only costs a miss. Caller holds
 * dev->mutex and every vq mutex.
 */
static void vhost_iotlb_invalidate(struct vhost_iotlb *tlb, u64 start, u64 last)
{
	struct vhost_iotlb_entry *spare = NULL;

	if (tlb->nentries < (unsigned int)max_iotlb_entries)
		spare = kmalloc(sizeof(*spare), GFP_KERNEL_ACCOUNT);
	vhost_iotlb_remove(tlb, start, last, &spare);
	kfree(spare);
}

static void vhost_iotlb_clear(struct vhost_iotlb *tlb)
{
	struct vhost_iotlb_entry *e, *n;

	rbtree_postorder_for_each_entry_safe(e, n, &tlb->root, node)
		kfree(e);
	tlb->root = RB_ROOT;
	tlb->nentries = 0;
}

/* ---- misses ------------------------------------------------------------- */

/*
 * Ask the owner to translate iova. One unread message per vq: asking again
 * for the same IOVA before the owner has read it queues nothing. Once it
 * is read, a later pass that still misses asks again, so that an UPDATE
 * the owner could not make (ENOSPC) is retried at the next kick or
 * INVALIDATE. Caller holds vq->mutex.
 */
static void vhost_iotlb_ask(struct vhost_virtqueue *vq, u64 iova, u8 access)
{
	struct vhost_iotlb *tlb = &vq->dev->iotlb;
	struct vhost_iotlb_miss *m = &vq->miss;
	bool queued;

	spin_lock(&tlb->lock);
	m->waiting = true;
	queued = !list_empty(&m->node);
	if (queued && m->iova == iova) {
		m->perm |= access;
		spin_unlock(&tlb->lock);
		return;
	}
	m->iova = iova;
	m->perm = access;
	if (!queued)
		list_add_tail(&m->node, &tlb->unread);
	spin_unlock(&tlb->lock);
	vq->stats.iotlb_misses++;
	wake_up_interruptible_poll(&tlb->wait, EPOLLIN | EPOLLRDNORM);
}

/*
 * Run again, now or (inside a batch) at BATCH_END, every waiting vq whose
 * IOVA lies in [start, last], or with read_only every waiting vq whose
 * MISS the owner has read. A MISS the owner has not read yet is answered
 * already and withdrawn. Caller holds dev->mutex.
 */
static void vhost_iotlb_wake_vqs(struct vhost_dev *dev, u64 start, u64 last,
				 bool read_only)
{
	struct vhost_iotlb *tlb = &dev->iotlb;
	int i;

	for (i = 0; i < dev->nvqs; i++) {
		struct vhost_virtqueue *vq = dev->vqs[i];
		struct vhost_iotlb_miss *m = &vq->miss;
		bool run = false, hit;

		spin_lock(&tlb->lock);
		if (read_only)
			hit = list_empty(&m->node);
		else
			hit = m->iova >= start && m->iova <= last;
		if (m->waiting && hit) {
			m->waiting = false;
			list_del_init(&m->node);
			if (tlb->in_batch)
				m->requeue = true;
			else
				run = true;
		}
		spin_unlock(&tlb->lock);
		if (run && vq->handle_kick)
			vhost_poll_queue(&vq->poll);
	}
}

/* BATCH_END: run the vqs whose misses the batch covered. dev->mutex held. */
static void vhost_iotlb_batch_end(struct vhost_dev *dev)
{
	struct vhost_iotlb *tlb = &dev->iotlb;
	int i;

	tlb->in_batch = false;
	for (i = 0; i < dev->nvqs; i++) {
		struct vhost_virtqueue *vq = dev->vqs[i];
		bool run;

		spin_lock(&tlb->lock);
		run = vq->miss.requeue;
		vq->miss.requeue = false;
		spin_unlock(&tlb->lock);
		if (run && vq->handle_kick)
			vhost_poll_queue(&vq->poll);
	}
}

/* Forget every miss and wake readers (the IOTLB goes away). */
static void vhost_iotlb_drop_misses(struct vhost_dev *dev)
{
	struct vhost_iotlb *tlb = &dev->iotlb;
	int i;

	spin_lock(&tlb->lock);
	for (i = 0; i < dev->nvqs; i++) {
		struct vhost_iotlb_miss *m = &dev->vqs[i]->miss;

		list_del_init(&m->node);
		m->waiting = false;
		m->requeue = false;
	}
	spin_unlock(&tlb->lock);
	wake_up_interruptible_poll(&tlb->wait, EPOLLIN | EPOLLRDNORM);
}

/* ---- translation -------------------------------------------------------- */

/*
 * The owner address of iova and how many of the len bytes from there one
 * entry maps (*chunk). Returns 0; -EAGAIN after asking the owner for an
 * untranslated iova; -EPERM if the entry lacks access (VHOST_ACCESS_RO
 * for device reads, _WO for writes); -EFAULT for a range that wraps.
 * Caller holds vq->mutex.
 */
int vhost_iotlb_piece(struct vhost_virtqueue *vq, u64 iova, u64 len, u8 access,
		      u64 *hva, u64 *chunk)
{
	struct vhost_iotlb_entry *e;
	u64 end;

	if (!len || check_add_overflow(iova, len - 1, &end))
		return -EFAULT;
	e = vhost_iotlb_first(&vq->dev->iotlb, iova);
	if (!e || e->start > iova) {
		vhost_iotlb_ask(vq, iova, access);
		return -EAGAIN;
	}
	if ((e->perm & access) != access)
		return -EPERM;
	*hva = e->uaddr + (iova - e->start);
	*chunk = min(len, e->last - iova + 1);
	return 0;
}

/*
 * vhost_translate() for IOVAs: map [iova, iova + len) into at most
 * iov_size owner iovecs. Returns their number or a vhost_iotlb_piece()
 * error, -ENOBUFS if more iovecs are needed. Caller holds vq->mutex.
 */
int vhost_iotlb_translate(struct vhost_virtqueue *vq, u64 iova, u64 len,
			  u8 access, struct iovec *iov, int iov_size)
{
	int n = 0, r;

	while (len) {
		u64 hva, chunk;

		r = vhost_iotlb_piece(vq, iova, len, access, &hva, &chunk);
		if (r)
			return r;
		if (n >= iov_size)
			return -ENOBUFS;
		if (chunk > MAX_RW_COUNT ||
		    (u64)(unsigned long)hva != hva)
			return -EFAULT;
		iov[n].iov_base = (void __user *)(unsigned long)hva;
		iov[n].iov_len = chunk;
		n++;
		len -= chunk;
		iova += chunk;
	}
	return n;
}

/* Read len bytes of the ring at iova. Caller holds vq->mutex. */
int vhost_iotlb_copy_from(struct vhost_virtqueue *vq, void *dst, u64 iova,
			  size_t len)
{
	while (len) {
		u64 hva, chunk;
		int r = vhost_iotlb_piece(vq, iova, len, VHOST_ACCESS_RO, &hva,
					  &chunk);

		if (r)
			return r;
		if (copy_from_user(dst, (void __user *)(unsigned long)hva, chunk))
			return -EFAULT;
		dst += chunk;
		iova += chunk;
		len -= chunk;
	}
	return 0;
}

/* Write len bytes to the ring at iova. Caller holds vq->mutex. */
int vhost_iotlb_copy_to(struct vhost_virtqueue *vq, u64 iova, const void *src,
			size_t len)
{
	while (len) {
		u64 hva, chunk;
		int r = vhost_iotlb_piece(vq, iova, len, VHOST_ACCESS_WO, &hva,
					  &chunk);

		if (r)
			return r;
		if (copy_to_user((void __user *)(unsigned long)hva, src, chunk))
			return -EFAULT;
		src += chunk;
		iova += chunk;
		len -= chunk;
	}
	return 0;
}

/* Is all of [iova, iova + len) mapped with access? As vhost_iotlb_piece(). */
static int vhost_iotlb_covered(struct vhost_virtqueue *vq, u64 iova, u64 len,
			       u8 access)
{
	while (len) {
		u64 hva, chunk;
		int r = vhost_iotlb_piece(vq, iova, len, access, &hva, &chunk);

		if (r)
			return r;
		iova += chunk;
		len -= chunk;
	}
	return 0;
}

/*
 * Called by a handler before it touches the ring. In IOTLB mode, every
 * byte of the descriptor table and avail ring must be readable and of the
 * used ring writable: as the table cannot change during the pass, no ring
 * access of the pass can then miss. Returns 0 (go on), -EAGAIN (a MISS is
 * queued; end the pass, the UPDATE requeues it) or another error (the vq
 * is broken). Caller holds vq->mutex.
 */
int vhost_vq_iotlb_prefetch(struct vhost_virtqueue *vq)
{
	unsigned int num = vq->num;
	int r;

	if (!vhost_vq_iotlb(vq))
		return 0;
	r = vhost_iotlb_covered(vq, (unsigned long)vq->desc,
				vhost_vq_desc_size(num), VHOST_ACCESS_RO);
	if (!r)
		r = vhost_iotlb_covered(vq, (unsigned long)vq->avail,
					vhost_vq_avail_size(vq, num),
					VHOST_ACCESS_RO);
	if (!r)
		r = vhost_iotlb_covered(vq, (unsigned long)vq->used,
					vhost_vq_used_size(vq, num),
					VHOST_ACCESS_WO);
	if (r && r != -EAGAIN)
		vq_err(vq, "ring not accessible through the IOTLB: %d\n", r);
	return r;
}
EXPORT_SYMBOL_GPL(vhost_vq_iotlb_prefetch);

/* ---- device state ------------------------------------------------------- */

/*
 * ACCESS_PLATFORM acked (enable) or not. Turning it off drops the table
 * and every miss, as nothing translates through it any more; acking it
 * again keeps the table. Returns -EFAULT when max_iotlb_entries leaves no
 * room for an IOTLB, as stock does. Caller holds dev->mutex, no vq mutex.
 */
int vhost_iotlb_set_enabled(struct vhost_dev *dev, bool enable)
{
	struct vhost_iotlb *tlb = &dev->iotlb;

	lockdep_assert_held(&dev->mutex);
	if (enable && max_iotlb_entries <= 0)
		return -EFAULT;
	if (enable == tlb->enabled)
		return 0;
	vhost_iotlb_lock_vqs(dev);
	WRITE_ONCE(tlb->enabled, enable);
	if (!enable)
		vhost_iotlb_clear(tlb);
	vhost_iotlb_unlock_vqs(dev);
	if (!enable) {
		tlb->in_batch = false;
		vhost_iotlb_drop_misses(dev);
	}
	return 0;
}

/* VHOST_SET_BACKEND_FEATURES. Caller holds dev->mutex. */
void vhost_iotlb_set_backend_features(struct vhost_dev *dev, u64 features)
{
	struct vhost_iotlb *tlb = &dev->iotlb;

	lockdep_assert_held(&dev->mutex);
	tlb->msg_v2 = features & BIT_ULL(VHOST_BACKEND_F_IOTLB_MSG_V2);
	tlb->batch = features & BIT_ULL(VHOST_BACKEND_F_IOTLB_BATCH);
	if (!tlb->batch && tlb->in_batch)
		vhost_iotlb_batch_end(dev);
}

/*
 * Free everything: RESET_OWNER and release. No handler runs any more (the
 * worker is gone). Caller holds dev->mutex or is the last user.
 */
void vhost_iotlb_cleanup(struct vhost_dev *dev)
{
	struct vhost_iotlb *tlb = &dev->iotlb;

	vhost_iotlb_clear(tlb);
	WRITE_ONCE(tlb->enabled, false);
	tlb->msg_v2 = false;
	tlb->batch = false;
	tlb->in_batch = false;
	vhost_iotlb_drop_misses(dev);
}

/* ---- the device file ---------------------------------------------------- */

static bool vhost_iotlb_readable(struct vhost_iotlb *tlb)
{
	bool r;

	spin_lock(&tlb->lock);
	r = !list_empty(&tlb->unread);
	spin_unlock(&tlb->lock);
	return r;
}

/* Take the oldest unread miss into msg (the vq keeps waiting for it). */
static bool vhost_iotlb_take(struct vhost_dev *dev, struct vhost_iotlb_msg *msg,
			     struct vhost_iotlb_miss **slot)
{
	struct vhost_iotlb *tlb = &dev->iotlb;
	struct vhost_iotlb_miss *m;

	spin_lock(&tlb->lock);
	m = list_first_entry_or_null(&tlb->unread, struct vhost_iotlb_miss,
				     node);
	if (m) {
		list_del_init(&m->node);
		memset(msg, 0, sizeof(*msg));
		msg->type = VHOST_IOTLB_MISS;
		msg->iova = m->iova;
		msg->perm = m->perm;
	}
	spin_unlock(&tlb->lock);
	*slot = m;
	return m;
}

/* The copy to the reader failed: the message goes back to the front. */
static void vhost_iotlb_untake(struct vhost_dev *dev,
			       struct vhost_iotlb_miss *m)
{
	struct vhost_iotlb *tlb = &dev->iotlb;

	spin_lock(&tlb->lock);
	if (m->waiting && list_empty(&m->node))
		list_add(&m->node, &tlb->unread);
	spin_unlock(&tlb->lock);
}

/*
 * read(): one VHOST_IOTLB_MISS, as struct vhost_msg_v2 if the owner acked
 * VHOST_BACKEND_F_IOTLB_MSG_V2, else struct vhost_msg. As stock: a buffer
 * too small for a message reads 0 bytes; without a pending miss,
 * O_NONBLOCK gives -EAGAIN, and a blocking read waits, or gives -EBADFD
 * while there is no IOTLB. Takes no device mutex.
 */
ssize_t vhost_iotlb_read(struct vhost_dev *dev, struct iov_iter *to,
			 bool nonblock)
{
	struct vhost_iotlb *tlb = &dev->iotlb;
	struct vhost_iotlb_miss *m;
	struct vhost_iotlb_msg msg;
	union {
		struct vhost_msg v1;
		struct vhost_msg_v2 v2;
	} out;
	int r;

	if (iov_iter_count(to) < VHOST_IOTLB_MSG_SIZE)
		return 0;
	while (!vhost_iotlb_take(dev, &msg, &m)) {
		if (nonblock)
			return -EAGAIN;
		if (!READ_ONCE(tlb->enabled))
			return -EBADFD;
		r = wait_event_interruptible(tlb->wait,
					     vhost_iotlb_readable(tlb) ||
					     !READ_ONCE(tlb->enabled));
		if (r)
			return r;
	}

	memset(&out, 0, sizeof(out));
	if (READ_ONCE(tlb->msg_v2)) {
		out.v2.type = VHOST_IOTLB_MSG_V2;
		out.v2.iotlb = msg;
	} else {
		out.v1.type = VHOST_IOTLB_MSG;
		out.v1.iotlb = msg;
	}
	if (copy_to_iter(&out, VHOST_IOTLB_MSG_SIZE, to) !=
	    VHOST_IOTLB_MSG_SIZE) {
		vhost_iotlb_untake(dev, m);
		return -EFAULT;
	}
	return VHOST_IOTLB_MSG_SIZE;
}
EXPORT_SYMBOL_GPL(vhost_iotlb_read);

/* poll(): readable while a MISS is waiting to be read. */
__poll_t vhost_iotlb_poll(struct vhost_dev *dev, struct file *file,
			  poll_table *wait)
{
	struct vhost_iotlb *tlb = &dev->iotlb;

	poll_wait(file, &tlb->wait, wait);
	return vhost_iotlb_readable(tlb) ? EPOLLIN | EPOLLRDNORM : 0;
}
EXPORT_SYMBOL_GPL(vhost_iotlb_poll);

/*
 * The last IOVA of a message. An INVALIDATE of size 0 reaches the end of
 * the IOVA space: QEMU sends that when a guest flushes a whole device-TLB
 * (its address mask ~0 plus one wraps to 0), and stock, whose range then
 * wraps too, drops everything for it. Dropping more than asked is safe;
 * refusing it would leave translations the guest has revoked.
 */
static u64 vhost_iotlb_last(const struct vhost_iotlb_msg *msg)
{
	return msg->size ? msg->iova + msg->size - 1 : U64_MAX;
}

/* The checks of one message that need no lock. */
static int vhost_iotlb_check_msg(const struct vhost_iotlb_msg *msg, bool batch)
{
	u64 last;

	switch (msg->type) {
	case VHOST_IOTLB_UPDATE:
		if (msg->perm != VHOST_ACCESS_RO &&
		    msg->perm != VHOST_ACCESS_WO &&
		    msg->perm != VHOST_ACCESS_RW)
			return -EINVAL;
		if (!msg->size ||
		    check_add_overflow(msg->uaddr, msg->size - 1, &last) ||
		    check_add_overflow(msg->iova, msg->size - 1, &last))
			return -EINVAL;
		return 0;
	case VHOST_IOTLB_INVALIDATE:
		/* Size 0 is the whole rest of the space: vhost_iotlb_last(). */
		if (msg->size &&
		    check_add_overflow(msg->iova, msg->size - 1, &last))
			return -EINVAL;
		return 0;
	case VHOST_IOTLB_BATCH_BEGIN:
	case VHOST_IOTLB_BATCH_END:
		return batch ? 0 : -EINVAL;
	default:
		/* MISS and ACCESS_FAIL go to the owner, not from it. */
		return -EINVAL;
	}
}

static int vhost_iotlb_apply(struct vhost_dev *dev,
			     const struct vhost_iotlb_msg *msg)
{
	struct vhost_iotlb *tlb = &dev->iotlb;
	u64 last = vhost_iotlb_last(msg);
	int i, r;

	mutex_lock(&dev->mutex);
	r = vhost_iotlb_check_msg(msg, tlb->batch);
	if (r)
		goto out;
	if (msg->type == VHOST_IOTLB_BATCH_BEGIN) {
		tlb->in_batch = true;
		goto out;
	}
	if (msg->type == VHOST_IOTLB_BATCH_END) {
		vhost_iotlb_batch_end(dev);
		goto out;
	}
	/* As stock: without ACCESS_PLATFORM there is no table to change. */
	if (!tlb->enabled) {
		r = -EFAULT;
		goto out;
	}
	if (msg->type == VHOST_IOTLB_UPDATE &&
	    !access_ok((void __user *)(unsigned long)msg->uaddr, msg->size)) {
		r = -EFAULT;
		goto out;
	}

	vhost_iotlb_lock_vqs(dev);
	if (msg->type == VHOST_IOTLB_UPDATE) {
		r = vhost_iotlb_insert(tlb, msg->iova, last, msg->uaddr,
				       msg->perm);
	} else {
		vhost_iotlb_invalidate(tlb, msg->iova, last);
	}
	for (i = 0; !r && i < dev->nvqs; i++) {
		struct vhost_vq_stats *st = &dev->vqs[i]->stats;

		if (msg->type == VHOST_IOTLB_UPDATE)
			WRITE_ONCE(st->iotlb_updates, st->iotlb_updates + 1);
		else
			WRITE_ONCE(st->iotlb_invalidations,
				   st->iotlb_invalidations + 1);
	}
	vhost_iotlb_unlock_vqs(dev);
	if (r)
		goto out;
	/*
	 * An UPDATE runs the vqs waiting for it. An INVALIDATE freed room: a
	 * vq whose MISS the owner read but could not answer (ENOSPC) asks
	 * again, or it would wait, with guest notifications off, for an
	 * UPDATE the owner will not retry.
	 */
	if (msg->type == VHOST_IOTLB_UPDATE)
		vhost_iotlb_wake_vqs(dev, msg->iova, last, false);
	else
		vhost_iotlb_wake_vqs(dev, 0, 0, true);
out:
	mutex_unlock(&dev->mutex);
	return r;
}

/*
 * write(): one struct vhost_msg or vhost_msg_v2 (either format, whatever
 * was acked, as stock; the v2 asid is ignored, as stock does without
 * VHOST_BACKEND_F_IOTLB_ASID). Anyone holding the file may write, as in
 * stock: the file is the capability. Returns the bytes taken (at most one
 * message), -EINVAL for a short or malformed message, -EFAULT for a bad
 * buffer, or the error of applying it.
 */
ssize_t vhost_iotlb_write(struct vhost_dev *dev, struct iov_iter *from)
{
	size_t count = iov_iter_count(from);
	struct vhost_iotlb_msg msg;
	size_t size, offset;
	u32 type;
	int r;

	/* Both formats put the payload at the same offset. */
	offset = offsetof(struct vhost_msg, iotlb);
	static_assert(offsetof(struct vhost_msg, iotlb) ==
		      offsetof(struct vhost_msg_v2, iotlb));
	if (count < offset + sizeof(msg))
		return -EINVAL;
	if (copy_from_iter(&type, sizeof(type), from) != sizeof(type))
		return -EFAULT;
	if (type != VHOST_IOTLB_MSG && type != VHOST_IOTLB_MSG_V2)
		return -EINVAL;
	iov_iter_advance(from, offset - sizeof(type));
	if (copy_from_iter(&msg, sizeof(msg), from) != sizeof(msg))
		return -EFAULT;

	r = vhost_iotlb_apply(dev, &msg);
	if (r)
		return r;
	size = type == VHOST_IOTLB_MSG ? sizeof(struct vhost_msg) :
					 sizeof(struct vhost_msg_v2);
	return min(count, size);
}
EXPORT_SYMBOL_GPL(vhost_iotlb_write);
