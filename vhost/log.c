// SPDX-License-Identifier: GPL-2.0
/*
 * lwvhost core: dirty logging for live migration.
 *
 * The owner gives a bitmap in its own memory (VHOST_SET_LOG_BASE) with one
 * bit per VHOST_PAGE_SIZE page of guest-physical memory: bit (p % 8) of
 * byte (p / 8) for page p. With VHOST_F_LOG_ALL acked, every guest page
 * the device writes (RX buffers) gets its bit set; with VHOST_VRING_F_LOG
 * on a vq, so do the used-ring pages, at log_guest_addr. The owner clears
 * bits with atomic exchanges while we run, and several devices may share
 * one bitmap, so bits are set atomically on the pinned page.
 *
 * With VIRTIO_F_ACCESS_PLATFORM the device writes at IOVAs, which the
 * bitmap does not know: the written IOVA range is translated through the
 * device IOTLB to owner addresses, and those back to every guest-physical
 * range the memory table maps there (VHOST_SET_MEM_TABLE). log_guest_addr
 * is not used then.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/uaccess.h>

#include "vhost.h"

#define VHOST_LOG_PAGES_PER_BYTE 8

/* The part of the bitmap covering [addr, addr + size) is addressable. */
bool vhost_log_access_ok(void __user *log_base, u64 addr, u64 size)
{
	u64 first, last, base = (unsigned long)log_base;

	if (!size)
		return true;
	if (addr + size - 1 < addr)
		return false;
	first = addr / VHOST_PAGE_SIZE / VHOST_LOG_PAGES_PER_BYTE;
	last = (addr + size - 1) / VHOST_PAGE_SIZE / VHOST_LOG_PAGES_PER_BYTE;
	if (base + first < base || base + last < base + first)
		return false;
	return access_ok((void __user *)(unsigned long)(base + first),
			 last - first + 1);
}
EXPORT_SYMBOL_GPL(vhost_log_access_ok);

/*
 * Can every running vq log writes to every region? Used before acking
 * VHOST_F_LOG_ALL. Caller must hold dev->mutex.
 */
bool vhost_dev_log_access_ok(struct vhost_dev *dev)
{
	bool ok = true;
	int i;

	lockdep_assert_held(&dev->mutex);
	for (i = 0; i < dev->nvqs && ok; i++) {
		struct vhost_virtqueue *vq = dev->vqs[i];

		mutex_lock(&vq->mutex);
		if (vq->private_data)
			ok = vhost_umem_access_ok(dev->umem, vq->log_base, true);
		mutex_unlock(&vq->mutex);
	}
	return ok;
}
EXPORT_SYMBOL_GPL(vhost_dev_log_access_ok);

/* Set bits [first, last] of the bitmap at log_base, one pinned page at a time. */
static int vhost_log_set_bits(void __user *log_base, u64 first, u64 last)
{
	u64 base = (unsigned long)log_base;

	while (first <= last) {
		u64 byte = base + first / VHOST_LOG_PAGES_PER_BYTE;
		unsigned long page_addr = byte & PAGE_MASK;
		unsigned int bit = (byte - page_addr) * BITS_PER_BYTE +
				   first % VHOST_LOG_PAGES_PER_BYTE;
		/* Bits of this bitmap page, starting at 'bit'. */
		u64 span = min_t(u64, last - first + 1,
				 PAGE_SIZE * BITS_PER_BYTE - bit);
		struct page *page;
		unsigned long *map;
		u64 i;
		int r;

		if ((u64)(unsigned long)byte != byte || byte < base)
			return -EFAULT;
		r = pin_user_pages_fast(page_addr, 1, FOLL_WRITE, &page);
		if (r != 1)
			return r < 0 ? r : -EFAULT;
		map = kmap_local_page(page);
		for (i = 0; i < span; i++)
			set_bit(bit + i, map);
		kunmap_local(map);
		unpin_user_pages_dirty_lock(&page, 1, true);
		first += span;
	}
	return 0;
}

/* Mark the guest pages covering [gpa, gpa + len) dirty. */
static int vhost_log_range(void __user *log_base, u64 gpa, u64 len)
{
	u64 end;

	if (!len)
		return 0;
	if (check_add_overflow(gpa, len - 1, &end))
		return -EFAULT;
	return vhost_log_set_bits(log_base, gpa / VHOST_PAGE_SIZE,
				  end / VHOST_PAGE_SIZE);
}

/*
 * Mark dirty every guest page the owner range [hva, hva + len) backs. An
 * owner address may be mapped at several guest addresses (aliases): all
 * are logged. The range is cut where a region begins or ends, and each
 * piece must lie in some region, or it is -EFAULT.
 */
static int vhost_log_hva(struct vhost_virtqueue *vq, u64 hva, u64 len)
{
	const struct vhost_umem *umem = vq->umem;
	unsigned int i;
	u64 end;
	int r;

	if (!len)
		return 0;
	if (!umem || check_add_overflow(hva, len - 1, &end))
		return -EFAULT;
	for (;;) {
		u64 stop = end;
		bool hit = false;

		/* The piece from hva ends where any region starts or ends. */
		for (i = 0; i < umem->nregions; i++) {
			const struct vhost_umem_region *u = &umem->regions[i];
			u64 ulast = u->uaddr + (u->last - u->gpa);

			if (ulast < hva || u->uaddr > stop)
				continue;
			if (u->uaddr > hva)
				stop = u->uaddr - 1;
			else
				stop = min(stop, ulast);
		}
		for (i = 0; i < umem->nregions; i++) {
			const struct vhost_umem_region *u = &umem->regions[i];
			u64 ulast = u->uaddr + (u->last - u->gpa);

			if (u->uaddr > hva || ulast < hva)
				continue;
			r = vhost_log_range(vq->log_base,
					    u->gpa + (hva - u->uaddr),
					    stop - hva + 1);
			if (r)
				return r;
			hit = true;
		}
		if (!hit)
			return -EFAULT;
		if (stop == end)
			return 0;
		hva = stop + 1;
	}
}

/* Log a device write at [iova, iova + len) of the IOTLB. */
static int vhost_log_iova(struct vhost_virtqueue *vq, u64 iova, u64 len)
{
	while (len) {
		u64 hva, chunk;
		int r = vhost_iotlb_piece(vq, iova, len, VHOST_ACCESS_WO, &hva,
					  &chunk);

		if (!r)
			r = vhost_log_hva(vq, hva, chunk);
		if (r)
			return r;
		iova += chunk;
		len -= chunk;
	}
	return 0;
}

/* Log a write of len bytes at offset into the used ring. vq->mutex held. */
int vhost_log_used(struct vhost_virtqueue *vq, u64 offset, u64 len)
{
	int r;

	if (vhost_vq_iotlb(vq))
		r = vhost_log_iova(vq, (unsigned long)vq->used + offset, len);
	else
		r = vhost_log_range(vq->log_base, vq->log_addr + offset, len);

	if (unlikely(r))
		vq->stats.errors++;
	return r;
}
EXPORT_SYMBOL_GPL(vhost_log_used);

/*
 * Log the first len bytes written to the buffers described by log (as
 * gathered by vhost_vq_get_desc()), then tell the owner. vq->mutex held.
 */
int vhost_log_write(struct vhost_virtqueue *vq, struct vhost_log *log,
		    unsigned int log_num, u64 len)
{
	unsigned int i;
	int r;

	/* The data must be visible before the log says it changed. */
	smp_wmb();
	for (i = 0; i < log_num && len; i++) {
		u64 l = min(log[i].len, len);

		if (vhost_vq_iotlb(vq))
			r = vhost_log_iova(vq, log[i].addr, l);
		else
			r = vhost_log_range(vq->log_base, log[i].addr, l);
		if (unlikely(r)) {
			vq->stats.errors++;
			return r;
		}
		len -= l;
	}
	if (vq->log_ctx)
		compat_eventfd_signal(vq->log_ctx);
	return 0;
}
EXPORT_SYMBOL_GPL(vhost_log_write);
