// SPDX-License-Identifier: GPL-2.0
/*
 * lwvhost core: split virtqueue access.
 *
 * The ring itself (descriptor table, avail and used rings) lives at owner
 * virtual addresses given by VHOST_SET_VRING_ADDR; buffers named by
 * descriptors are guest-physical and go through the memory table. With
 * VIRTIO_F_ACCESS_PLATFORM both are IOVAs instead, and every access goes
 * through the device IOTLB (iotlb.c). Every value read from the ring is
 * treated as hostile: indices are bounded, chains are bounded by the table
 * size, and any violation stops the vq (vq_err) instead of being trusted.
 *
 * Every function here must be called with vq->mutex held, from the worker
 * or from an ioctl running as the owner.
 */
#include <linux/module.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "vhost.h"

/* How many indirect entries are walked between two cond_resched(). */
#define VHOST_INDIRECT_RESCHED_EVERY 4096

/* Avail/used event fields exist only with VIRTIO_RING_F_EVENT_IDX. */
static size_t vhost_vq_event_size(struct vhost_virtqueue *vq)
{
	return vhost_has_feature(vq, VIRTIO_RING_F_EVENT_IDX) ? sizeof(u16) : 0;
}

size_t vhost_vq_desc_size(unsigned int num)
{
	return sizeof(struct vring_desc) * num;
}
EXPORT_SYMBOL_GPL(vhost_vq_desc_size);

size_t vhost_vq_avail_size(struct vhost_virtqueue *vq, unsigned int num)
{
	return sizeof(struct vring_avail) + sizeof(__virtio16) * num +
	       vhost_vq_event_size(vq);
}
EXPORT_SYMBOL_GPL(vhost_vq_avail_size);

size_t vhost_vq_used_size(struct vhost_virtqueue *vq, unsigned int num)
{
	return sizeof(struct vring_used) +
	       sizeof(struct vring_used_elem) * num + vhost_vq_event_size(vq);
}
EXPORT_SYMBOL_GPL(vhost_vq_used_size);

/*
 * Report a guest (or setup) error: the vq stops processing until it is
 * reconfigured, and its error eventfd is signalled.
 */
void vq_err(struct vhost_virtqueue *vq, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_debug("vq %p: %pV", vq, &vaf);
	va_end(args);

	vq->broken = true;
	vq->stats.errors++;
	if (vq->error_ctx)
		compat_eventfd_signal(vq->error_ctx);
}
EXPORT_SYMBOL_GPL(vq_err);

/*
 * Ring accesses. Without ACCESS_PLATFORM, plain user accesses at the
 * owner's addresses. With it, copies through the IOTLB: a miss is -EAGAIN
 * (and a MISS for the owner), which a handler pass never meets, as it
 * starts with vhost_vq_iotlb_prefetch().
 */
static int vhost_ring_read(struct vhost_virtqueue *vq, void *dst,
			   const void __user *src, size_t len)
{
	if (likely(!vhost_vq_iotlb(vq)))
		return copy_from_user(dst, src, len) ? -EFAULT : 0;
	return vhost_iotlb_copy_from(vq, dst, (unsigned long)src, len);
}

static int vhost_ring_write(struct vhost_virtqueue *vq, void __user *dst,
			    const void *src, size_t len)
{
	if (likely(!vhost_vq_iotlb(vq)))
		return copy_to_user(dst, src, len) ? -EFAULT : 0;
	return vhost_iotlb_copy_to(vq, (unsigned long)dst, src, len);
}

static int vhost_ring_get16(struct vhost_virtqueue *vq, __virtio16 *v,
			    __virtio16 __user *p)
{
	if (likely(!vhost_vq_iotlb(vq)))
		return get_user(*v, p);
	return vhost_iotlb_copy_from(vq, v, (unsigned long)p, sizeof(*v));
}

static int vhost_ring_put16(struct vhost_virtqueue *vq, __virtio16 v,
			    __virtio16 __user *p)
{
	if (likely(!vhost_vq_iotlb(vq)))
		return put_user(v, p);
	return vhost_iotlb_copy_to(vq, (unsigned long)p, &v, sizeof(v));
}

/* used_event lives after the avail ring, avail_event after the used ring. */
static __virtio16 __user *vhost_used_event(struct vhost_virtqueue *vq)
{
	return &vq->avail->ring[vq->num];
}

static __virtio16 __user *vhost_avail_event(struct vhost_virtqueue *vq)
{
	return (__virtio16 __user *)&vq->used->ring[vq->num];
}

/*
 * Read avail->idx and check it: the guest may have made at most num
 * entries available beyond the next one we consume. Every path that
 * caches the index goes through here, so a jump past the ring marks the vq
 * broken wherever it is seen. Returns 0, -EFAULT or -EINVAL (broken).
 */
static int vhost_vq_fetch_avail_idx(struct vhost_virtqueue *vq, u16 *idx)
{
	__virtio16 v;
	u16 i;

	if (unlikely(vhost_ring_get16(vq, &v, &vq->avail->idx))) {
		vq_err(vq, "cannot read avail idx\n");
		return -EFAULT;
	}
	i = vhost16_to_cpu(vq, v);
	if (unlikely((u16)(i - vq->last_avail_idx) > vq->num)) {
		vq_err(vq, "avail idx moved from %u to %u (ring %u)\n",
		       vq->last_avail_idx, i, vq->num);
		return -EINVAL;
	}
	*idx = i;
	return 0;
}

int vhost_vq_write_used_flags(struct vhost_virtqueue *vq)
{
	int r = vhost_ring_put16(vq, cpu_to_vhost16(vq, vq->used_flags),
				 &vq->used->flags);

	if (r)
		return r;
	if (unlikely(vq->log_used)) {
		/* The flag must be visible before the log says so. */
		smp_wmb();
		vhost_log_used(vq, offsetof(struct vring_used, flags),
			       sizeof(vq->used->flags));
		if (vq->log_ctx)
			compat_eventfd_signal(vq->log_ctx);
	}
	return 0;
}
EXPORT_SYMBOL_GPL(vhost_vq_write_used_flags);

static int vhost_vq_write_avail_event(struct vhost_virtqueue *vq)
{
	if (vhost_ring_put16(vq, cpu_to_vhost16(vq, vq->avail_idx),
			     vhost_avail_event(vq)))
		return -EFAULT;
	if (unlikely(vq->log_used)) {
		/* The event must be visible before the log says so. */
		smp_wmb();
		vhost_log_used(vq, (void __user *)vhost_avail_event(vq) -
				   (void __user *)vq->used,
			       sizeof(__virtio16));
		if (vq->log_ctx)
			compat_eventfd_signal(vq->log_ctx);
	}
	return 0;
}

/* Read one 16-byte descriptor from guest memory (a GPA or an IOVA). */
static int vhost_vq_read_guest(struct vhost_virtqueue *vq, void *dst,
			       u64 gpa, size_t len)
{
	struct iovec iov[4];
	int i, n;

	n = vhost_translate(vq, gpa, len, VHOST_ACCESS_RO, iov, ARRAY_SIZE(iov));
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (copy_from_user(dst, iov[i].iov_base, iov[i].iov_len))
			return -EFAULT;
		dst += iov[i].iov_len;
	}
	return 0;
}

/*
 * Map one descriptor's buffer into iov and account it as readable (out) or
 * writable (in). Out buffers must all precede in buffers.
 */
static int vhost_vq_map_desc(struct vhost_virtqueue *vq,
			     const struct vring_desc *desc,
			     struct iovec *iov, unsigned int iov_size,
			     unsigned int *out_num, unsigned int *in_num,
			     struct vhost_log *log, unsigned int *log_num)
{
	unsigned int used = *out_num + *in_num;
	u64 addr = vhost64_to_cpu(vq, desc->addr);
	u32 len = vhost32_to_cpu(vq, desc->len);
	bool write = !!(desc->flags & cpu_to_vhost16(vq, VRING_DESC_F_WRITE));
	int n;

	n = vhost_translate(vq, addr, len,
			    write ? VHOST_ACCESS_WO : VHOST_ACCESS_RO,
			    iov + used, iov_size - used);
	if (unlikely(n < 0)) {
		/* An IOTLB miss: the owner was asked; try again later. */
		if (n == -EAGAIN)
			return n;
		vq_err(vq, "cannot map descriptor buffer %#llx+%u: %d\n",
		       addr, len, n);
		return n;
	}
	if (write) {
		*in_num += n;
		if (unlikely(log) && n) {
			log[*log_num].addr = addr;
			log[*log_num].len = len;
			(*log_num)++;
		}
	} else {
		if (unlikely(*in_num)) {
			vq_err(vq, "readable descriptor after a writable one\n");
			return -EINVAL;
		}
		*out_num += n;
	}
	return 0;
}

/* Walk the chain in an indirect table described by desc. */
static int vhost_vq_walk_indirect(struct vhost_virtqueue *vq,
				  const struct vring_desc *ind,
				  struct iovec *iov, unsigned int iov_size,
				  unsigned int *out_num, unsigned int *in_num,
				  struct vhost_log *log, unsigned int *log_num)
{
	u64 table = vhost64_to_cpu(vq, ind->addr);
	u32 len = vhost32_to_cpu(vq, ind->len);
	unsigned int count, i = 0, seen = 0;
	struct vring_desc desc;
	int r;

	if (unlikely(!len || len % sizeof(desc))) {
		vq_err(vq, "indirect table length %u is not a multiple of %zu\n",
		       len, sizeof(desc));
		return -EINVAL;
	}
	count = len / sizeof(desc);
	/* next is 16 bits, so a longer table cannot be walked entirely. */
	if (unlikely(count > USHRT_MAX + 1)) {
		vq_err(vq, "indirect table of %u entries\n", count);
		return -E2BIG;
	}

	for (;;) {
		if (unlikely(++seen > count)) {
			vq_err(vq, "loop in indirect table at %u\n", i);
			return -EINVAL;
		}
		/*
		 * Zero-length entries take no iovec slot, so only count
		 * bounds this walk: let others run during a long table.
		 */
		if (!(seen % VHOST_INDIRECT_RESCHED_EVERY))
			cond_resched();
		r = vhost_vq_read_guest(vq, &desc, table + i * sizeof(desc),
					sizeof(desc));
		if (unlikely(r)) {
			if (r != -EAGAIN)
				vq_err(vq, "cannot read indirect descriptor %u: %d\n",
				       i, r);
			return r;
		}
		if (unlikely(desc.flags &
			     cpu_to_vhost16(vq, VRING_DESC_F_INDIRECT))) {
			vq_err(vq, "nested indirect descriptor at %u\n", i);
			return -EINVAL;
		}
		r = vhost_vq_map_desc(vq, &desc, iov, iov_size, out_num,
				      in_num, log, log_num);
		if (r)
			return r;
		if (!(desc.flags & cpu_to_vhost16(vq, VRING_DESC_F_NEXT)))
			return 0;
		i = vhost16_to_cpu(vq, desc.next);
		if (unlikely(i >= count)) {
			vq_err(vq, "indirect next %u out of %u\n", i, count);
			return -EINVAL;
		}
	}
}

/*
 * Take the next available buffer and map it into iov (out buffers first,
 * then in buffers). Returns its head index, vq->num if the ring is empty,
 * -EAGAIN if a buffer missed in the IOTLB (nothing is consumed, the owner
 * was asked, the vq is not broken), or another negative error (the vq is
 * then broken and its err eventfd was signalled). log, if not NULL,
 * receives the guest ranges (GPAs, or IOVAs with the IOTLB) of the
 * writable descriptors.
 */
int vhost_vq_get_desc(struct vhost_virtqueue *vq, struct iovec *iov,
		      unsigned int iov_size, unsigned int *out_num,
		      unsigned int *in_num, struct vhost_log *log,
		      unsigned int *log_num)
{
	u16 last = vq->last_avail_idx;
	unsigned int head, i, seen = 0;
	struct vring_desc desc;
	__virtio16 ring_head;
	int r;

	if (unlikely(vq->broken))
		return -EIO;

	if (vq->avail_idx == last) {
		u16 idx;

		r = vhost_vq_fetch_avail_idx(vq, &idx);
		if (unlikely(r))
			return r;
		vq->avail_idx = idx;
		if (idx == last)
			return vq->num;
		/* Read ring entries only after seeing the index that covers them. */
		smp_rmb();
	}

	if (unlikely(vhost_ring_get16(vq, &ring_head,
				      &vq->avail->ring[last & (vq->num - 1)]))) {
		vq_err(vq, "cannot read avail ring entry %u\n", last);
		return -EFAULT;
	}
	head = vhost16_to_cpu(vq, ring_head);
	if (unlikely(head >= vq->num)) {
		vq_err(vq, "avail head %u out of %u\n", head, vq->num);
		return -EINVAL;
	}

	*out_num = 0;
	*in_num = 0;
	if (unlikely(log))
		*log_num = 0;

	i = head;
	for (;;) {
		if (unlikely(++seen > vq->num)) {
			vq_err(vq, "descriptor loop from head %u\n", head);
			return -EINVAL;
		}
		if (unlikely(vhost_ring_read(vq, &desc, vq->desc + i,
					     sizeof(desc)))) {
			vq_err(vq, "cannot read descriptor %u\n", i);
			return -EFAULT;
		}
		if (desc.flags & cpu_to_vhost16(vq, VRING_DESC_F_INDIRECT)) {
			/*
			 * The spec forbids chaining past an indirect table
			 * (stock follows next anyway). Refusing it bounds a
			 * buffer to one table, so a guest cannot make us walk
			 * ring size x 64Ki zero-length entries per buffer.
			 */
			if (unlikely(desc.flags &
				     cpu_to_vhost16(vq, VRING_DESC_F_NEXT))) {
				vq_err(vq, "indirect descriptor %u also has NEXT\n",
				       i);
				return -EINVAL;
			}
			r = vhost_vq_walk_indirect(vq, &desc, iov, iov_size,
						   out_num, in_num, log,
						   log_num);
		} else {
			r = vhost_vq_map_desc(vq, &desc, iov, iov_size, out_num,
					      in_num, log, log_num);
		}
		if (unlikely(r))
			return r;
		if (!(desc.flags & cpu_to_vhost16(vq, VRING_DESC_F_NEXT)))
			break;
		i = vhost16_to_cpu(vq, desc.next);
		if (unlikely(i >= vq->num)) {
			vq_err(vq, "next %u out of %u (head %u)\n", i, vq->num,
			       head);
			return -EINVAL;
		}
	}

	vq->last_avail_idx++;
	return head;
}
EXPORT_SYMBOL_GPL(vhost_vq_get_desc);

/* Give back the last n buffers taken with vhost_vq_get_desc(). */
void vhost_vq_discard_desc(struct vhost_virtqueue *vq, int n)
{
	vq->last_avail_idx -= n;
}
EXPORT_SYMBOL_GPL(vhost_vq_discard_desc);

static int vhost_vq_write_used_elems(struct vhost_virtqueue *vq,
				     struct vring_used_elem *heads,
				     unsigned int count, u16 at)
{
	unsigned int start = at & (vq->num - 1);
	struct vring_used_elem __user *dst = &vq->used->ring[start];
	size_t bytes = sizeof(*heads) * count;

	if (vhost_ring_write(vq, dst, heads, bytes))
		return -EFAULT;
	if (unlikely(vq->log_used)) {
		/* The entries must be visible before the log says so. */
		smp_wmb();
		vhost_log_used(vq, (void __user *)dst - (void __user *)vq->used,
			       bytes);
	}
	return 0;
}

/* Publish count used entries. Does not signal the guest. */
int vhost_vq_add_used_n(struct vhost_virtqueue *vq,
			struct vring_used_elem *heads, unsigned int count)
{
	u16 old = vq->last_used_idx, new;
	unsigned int done = 0;

	/*
	 * Also on a broken vq: buffers completed in the pass that found the
	 * error must still reach the guest, as in stock. The used ring was
	 * checked when the vring was set up.
	 */
	while (done < count) {
		u16 at = old + done;
		unsigned int room = vq->num - (at & (vq->num - 1));
		unsigned int n = min(count - done, room);

		if (vhost_vq_write_used_elems(vq, heads + done, n, at)) {
			vq_err(vq, "cannot write used ring\n");
			return -EFAULT;
		}
		done += n;
	}
	new = old + count;

	/* Entries before the index that exposes them. */
	smp_wmb();
	if (vhost_ring_put16(vq, cpu_to_vhost16(vq, new), &vq->used->idx)) {
		vq_err(vq, "cannot write used idx\n");
		return -EFAULT;
	}
	if (unlikely(vq->log_used)) {
		/* The index must be visible before the log says so. */
		smp_wmb();
		vhost_log_used(vq, offsetof(struct vring_used, idx),
			       sizeof(vq->used->idx));
		if (vq->log_ctx)
			compat_eventfd_signal(vq->log_ctx);
	}
	vq->last_used_idx = new;
	/*
	 * If the used index ran past the last signalled value by 2^16, the
	 * event-idx comparison would be ambiguous: signal unconditionally.
	 */
	if (unlikely((u16)(new - vq->signalled_used) < (u16)(new - old)))
		vq->signalled_used_valid = false;
	return 0;
}
EXPORT_SYMBOL_GPL(vhost_vq_add_used_n);

/*
 * Does the guest want an interrupt for what was just used? Also runs
 * outside a handler pass (a held signal released later), where the ring
 * may have been invalidated in the IOTLB since: a miss is no guest error,
 * and the guest is signalled.
 */
static bool vhost_vq_need_signal(struct vhost_virtqueue *vq)
{
	__virtio16 flags, event;
	u16 old, new;
	bool valid;
	int r;

	/* Used idx must be visible before we read the guest's wishes. */
	smp_mb();

	if (vhost_has_feature(vq, VIRTIO_F_NOTIFY_ON_EMPTY) &&
	    unlikely(vq->avail_idx == vq->last_avail_idx))
		return true;

	if (!vhost_has_feature(vq, VIRTIO_RING_F_EVENT_IDX)) {
		r = vhost_ring_get16(vq, &flags, &vq->avail->flags);
		if (r) {
			if (r != -EAGAIN)
				vq_err(vq, "cannot read avail flags\n");
			return true;
		}
		return !(flags & cpu_to_vhost16(vq, VRING_AVAIL_F_NO_INTERRUPT));
	}

	old = vq->signalled_used;
	valid = vq->signalled_used_valid;
	new = vq->last_used_idx;
	vq->signalled_used = new;
	vq->signalled_used_valid = true;
	if (unlikely(!valid))
		return true;
	r = vhost_ring_get16(vq, &event, vhost_used_event(vq));
	if (r) {
		if (r != -EAGAIN)
			vq_err(vq, "cannot read used event\n");
		return true;
	}
	return vring_need_event(vhost16_to_cpu(vq, event), new, old);
}

/* Signal the guest now if it wants it, releasing anything held back. */
void vhost_vq_signal_now(struct vhost_virtqueue *vq)
{
	vhost_pace_signal_released(vq);
	if (vq->call_ctx && vhost_vq_need_signal(vq)) {
		compat_eventfd_signal(vq->call_ctx);
		vq->stats.signals++;
	}
}

/* Completions were published: signal, unless coalescing holds it back. */
void vhost_vq_signal(struct vhost_virtqueue *vq)
{
	if (!vq->call_ctx || vhost_pace_hold_signal(vq))
		return;
	vhost_vq_signal_now(vq);
}
EXPORT_SYMBOL_GPL(vhost_vq_signal);

int vhost_vq_add_used_and_signal_n(struct vhost_virtqueue *vq,
				   struct vring_used_elem *heads,
				   unsigned int count)
{
	int r = vhost_vq_add_used_n(vq, heads, count);

	vhost_vq_signal(vq);
	return r;
}
EXPORT_SYMBOL_GPL(vhost_vq_add_used_and_signal_n);

/*
 * True if the guest has made buffers available that we have not taken.
 * A bad index reads as "not empty": the caller's next descriptor fetch
 * then finds the vq broken.
 */
bool vhost_vq_avail_empty(struct vhost_virtqueue *vq)
{
	u16 idx;

	if (vq->avail_idx != vq->last_avail_idx)
		return false;
	if (unlikely(vhost_vq_fetch_avail_idx(vq, &idx)))
		return false;
	vq->avail_idx = idx;
	if (idx == vq->last_avail_idx)
		return true;
	/* The caller may read the new entries next: order them after idx. */
	smp_rmb();
	return false;
}
EXPORT_SYMBOL_GPL(vhost_vq_avail_empty);

/*
 * Ask the guest to stop kicking. With EVENT_IDX nothing is written: the
 * guest kicks at most once more, when it passes the avail_event we left.
 */
void vhost_vq_disable_notify(struct vhost_virtqueue *vq)
{
	if (vq->used_flags & VRING_USED_F_NO_NOTIFY)
		return;
	vq->used_flags |= VRING_USED_F_NO_NOTIFY;
	if (!vhost_has_feature(vq, VIRTIO_RING_F_EVENT_IDX) &&
	    vhost_vq_write_used_flags(vq))
		vq_err(vq, "cannot write used flags\n");
}
EXPORT_SYMBOL_GPL(vhost_vq_disable_notify);

/*
 * Ask the guest to kick again, then look at the avail index once more: a
 * buffer added after our last look but before the guest saw the request
 * would otherwise never be kicked. Returns true if the guest added buffers
 * since our last look; the caller should then disable notification and
 * process them. Buffers seen before but not consumed (RX: too few for a
 * frame) do not count, or such a caller would spin on them.
 */
bool vhost_vq_enable_notify(struct vhost_virtqueue *vq)
{
	u16 idx;

	if (!(vq->used_flags & VRING_USED_F_NO_NOTIFY))
		return false;
	vq->used_flags &= ~VRING_USED_F_NO_NOTIFY;
	if (!vhost_has_feature(vq, VIRTIO_RING_F_EVENT_IDX)) {
		if (vhost_vq_write_used_flags(vq)) {
			vq_err(vq, "cannot write used flags\n");
			return false;
		}
	} else if (vhost_vq_write_avail_event(vq)) {
		vq_err(vq, "cannot write avail event\n");
		return false;
	}
	/* Our request must be visible before we re-read the index. */
	smp_mb();
	if (vhost_vq_fetch_avail_idx(vq, &idx))
		return false;
	if (idx == vq->avail_idx)
		return false;
	vq->avail_idx = idx;
	/* As in vhost_vq_avail_empty(): entries after the index. */
	smp_rmb();
	return true;
}
EXPORT_SYMBOL_GPL(vhost_vq_enable_notify);

/*
 * The used index the guest left, for attaching a backend. With the IOTLB
 * the used ring must be mapped already (QEMU maps it before attaching);
 * otherwise the owner is asked and this fails.
 */
int vhost_vq_read_used_idx(struct vhost_virtqueue *vq, u16 *idx)
{
	__virtio16 v;
	int r = vhost_ring_get16(vq, &v, &vq->used->idx);

	if (r)
		return r;
	*idx = vhost16_to_cpu(vq, v);
	return 0;
}

/* Back to the state of a freshly opened device, ring-wise. */
void vhost_vq_reset(struct vhost_virtqueue *vq)
{
	vq->num = 1;
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	vq->last_avail_idx = 0;
	vq->avail_idx = 0;
	vq->last_used_idx = 0;
	vq->used_flags = 0;
	vq->signalled_used = 0;
	vq->signalled_used_valid = false;
	vq->is_le = virtio_legacy_is_little_endian();
	vq->broken = false;
	vq->log_used = false;
	vq->log_addr = -1ULL;
	vq->log_base = NULL;
	vq->acked_features = 0;
	vq->acked_backend_features = 0;
	vq->private_data = NULL;
	vq->busyloop_timeout = 0;
	vq->kick = NULL;
	vq->call_ctx = NULL;
	vq->error_ctx = NULL;
	vq->log_ctx = NULL;
	vq->umem = NULL;
	vhost_pace_reset(vq);
}
EXPORT_SYMBOL_GPL(vhost_vq_reset);
