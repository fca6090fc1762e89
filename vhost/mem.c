// SPDX-License-Identifier: GPL-2.0
/*
 * lwvhost core: the memory table (guest-physical ranges -> owner virtual
 * addresses) and translation of guest buffers through it.
 *
 * A table is validated as a whole, sorted, and never modified after it is
 * published; VHOST_SET_MEM_TABLE swaps in a new one. Each vq holds the
 * pointer it uses under its own mutex, so the old table can be freed once
 * every vq mutex has been taken once after the swap.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include "vhost.h"

static ushort max_mem_regions = 64;
module_param(max_mem_regions, ushort, 0444);
MODULE_PARM_DESC(max_mem_regions,
		 "Maximum number of memory regions in a memory table (default 64)");

static struct vhost_umem *vhost_umem_alloc(unsigned int nregions)
{
	struct vhost_umem *umem;

	umem = kvzalloc(struct_size(umem, regions, nregions),
			GFP_KERNEL_ACCOUNT);
	if (umem)
		umem->nregions = nregions;
	return umem;
}

struct vhost_umem *vhost_umem_empty(void)
{
	return vhost_umem_alloc(0);
}
EXPORT_SYMBOL_GPL(vhost_umem_empty);

void vhost_umem_free(struct vhost_umem *umem)
{
	kvfree(umem);
}
EXPORT_SYMBOL_GPL(vhost_umem_free);

static int vhost_region_cmp(const void *a, const void *b)
{
	const struct vhost_umem_region *ra = a, *rb = b;

	if (ra->gpa < rb->gpa)
		return -1;
	return ra->gpa > rb->gpa;
}

/*
 * Every region lies in user space and, when logging, has a log bitmap that
 * lies in user space too.
 */
bool vhost_umem_access_ok(struct vhost_umem *umem, void __user *log_base,
			  bool log_all)
{
	unsigned int i;

	if (!umem)
		return true;
	for (i = 0; i < umem->nregions; i++) {
		const struct vhost_umem_region *r = &umem->regions[i];
		u64 size = r->last - r->gpa + 1;

		if (!access_ok((void __user *)(unsigned long)r->uaddr, size))
			return false;
		if (log_all && !vhost_log_access_ok(log_base, r->gpa, size))
			return false;
	}
	return true;
}
EXPORT_SYMBOL_GPL(vhost_umem_access_ok);

/*
 * The new table must also be acceptable to every running vq's dirty log.
 * Caller must hold dev->mutex.
 */
static bool vhost_umem_ok_for_vqs(struct vhost_dev *dev,
				  struct vhost_umem *umem)
{
	bool ok = true;
	int i;

	for (i = 0; i < dev->nvqs && ok; i++) {
		struct vhost_virtqueue *vq = dev->vqs[i];

		mutex_lock(&vq->mutex);
		if (vq->private_data)
			ok = vhost_umem_access_ok(umem, vq->log_base,
						  vhost_has_feature(vq, VHOST_F_LOG_ALL));
		mutex_unlock(&vq->mutex);
	}
	return ok;
}

/* VHOST_SET_MEM_TABLE. Caller must hold dev->mutex. */
long vhost_set_memory(struct vhost_dev *dev, struct vhost_memory __user *m)
{
	struct vhost_memory hdr;
	struct vhost_memory_region *regions;
	struct vhost_umem *umem, *old;
	unsigned int i, n;
	long r;

	lockdep_assert_held(&dev->mutex);
	if (copy_from_user(&hdr, m, sizeof(hdr)))
		return -EFAULT;
	if (hdr.padding)
		return -EOPNOTSUPP;
	if (hdr.nregions > max_mem_regions)
		return -E2BIG;
	n = hdr.nregions;

	regions = kvcalloc(n ? n : 1, sizeof(*regions), GFP_KERNEL);
	if (!regions)
		return -ENOMEM;
	if (copy_from_user(regions, m->regions, array_size(n, sizeof(*regions)))) {
		r = -EFAULT;
		goto out;
	}
	umem = vhost_umem_alloc(n);
	if (!umem) {
		r = -ENOMEM;
		goto out;
	}

	r = -EINVAL;
	for (i = 0; i < n; i++) {
		struct vhost_memory_region *src = &regions[i];
		struct vhost_umem_region *dst = &umem->regions[i];
		u64 gpa_last, uaddr_last;

		/* Empty regions and ranges that wrap around are malformed. */
		if (!src->memory_size)
			goto bad;
		if (check_add_overflow(src->guest_phys_addr,
				       src->memory_size - 1, &gpa_last) ||
		    check_add_overflow(src->userspace_addr,
				       src->memory_size - 1, &uaddr_last))
			goto bad;
		if ((u64)(unsigned long)uaddr_last != uaddr_last)
			goto bad;
		dst->gpa = src->guest_phys_addr;
		dst->last = gpa_last;
		dst->uaddr = src->userspace_addr;
	}
	sort(umem->regions, n, sizeof(umem->regions[0]), vhost_region_cmp,
	     NULL);
	/* Sorted by start: overlapping means a start at or before the last end. */
	for (i = 1; i < n; i++)
		if (umem->regions[i].gpa <= umem->regions[i - 1].last)
			goto bad;

	/* Like stock: memory the owner cannot address is a fault. */
	r = -EFAULT;
	if (!vhost_umem_access_ok(umem, NULL, false) ||
	    !vhost_umem_ok_for_vqs(dev, umem))
		goto bad;

	old = dev->umem;
	dev->umem = umem;
	for (i = 0; i < dev->nvqs; i++) {
		struct vhost_virtqueue *vq = dev->vqs[i];

		mutex_lock(&vq->mutex);
		vq->umem = umem;
		mutex_unlock(&vq->mutex);
	}
	vhost_umem_free(old);
	r = 0;
	goto out;
bad:
	vhost_umem_free(umem);
out:
	kvfree(regions);
	return r;
}
EXPORT_SYMBOL_GPL(vhost_set_memory);

static const struct vhost_umem_region *
vhost_umem_find(const struct vhost_umem *umem, u64 addr)
{
	unsigned int lo = 0, hi = umem->nregions;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct vhost_umem_region *r = &umem->regions[mid];

		if (addr < r->gpa)
			hi = mid;
		else if (addr > r->last)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

/*
 * Translate the guest range [addr, addr + len) into owner iovecs, one per
 * region (or IOTLB entry) it crosses. addr is guest-physical, or with
 * ACCESS_PLATFORM an IOVA that must allow access (VHOST_ACCESS_RO for
 * device reads, _WO for writes). Returns the number of iovecs, -EFAULT if
 * any byte is outside the table, -ENOBUFS if more than iov_size are
 * needed; with the IOTLB also -EAGAIN (a miss, the owner was asked) and
 * -EPERM. Caller must hold vq->mutex.
 */
int vhost_translate(struct vhost_virtqueue *vq, u64 addr, u64 len, u8 access,
		    struct iovec *iov, int iov_size)
{
	const struct vhost_umem *umem = vq->umem;
	u64 end;
	int n = 0;

	if (!len)
		return 0;
	if (vhost_vq_iotlb(vq))
		return vhost_iotlb_translate(vq, addr, len, access, iov,
					     iov_size);
	if (!umem || check_add_overflow(addr, len - 1, &end))
		return -EFAULT;
	while (len) {
		const struct vhost_umem_region *r = vhost_umem_find(umem, addr);
		u64 chunk;

		if (!r)
			return -EFAULT;
		if (n >= iov_size)
			return -ENOBUFS;
		chunk = min_t(u64, len, r->last - addr + 1);
		if (chunk > MAX_RW_COUNT)
			return -EFAULT;
		iov[n].iov_base = (void __user *)(unsigned long)
				  (r->uaddr + (addr - r->gpa));
		iov[n].iov_len = chunk;
		n++;
		len -= chunk;
		addr += chunk;
	}
	return n;
}
EXPORT_SYMBOL_GPL(vhost_translate);
