// SPDX-License-Identifier: GPL-2.0
/*
 * lwvhost core: device lifetime, owner binding, features and the ioctls
 * shared by every backend (device-level and per-ring).
 *
 * Lock order: dev->mutex, then vq->mutex. The worker takes only vq
 * mutexes, so flushing with dev->mutex held (and no vq mutex) is safe.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vhost.h>

#include "vhost.h"

/*
 * The worker kind a device starts with, as stock's parameter of the same
 * name: true a thread of the owner, false a kthread. Only where both kinds
 * exist (compat.h); elsewhere the worker is what the kernel has.
 */
static bool fork_from_owner_default = true;
#ifdef COMPAT_WORKER_MODES
module_param(fork_from_owner_default, bool, 0444);
MODULE_PARM_DESC(fork_from_owner_default,
		 "Worker of new devices: Y a thread of the owner (default), N a kthread");
#endif

static void vhost_vq_init(struct vhost_dev *dev, struct vhost_virtqueue *vq)
{
	vq->dev = dev;
	mutex_init(&vq->mutex);
	vq->iov = NULL;
	vq->log = NULL;
	vq->heads = NULL;
	memset(&vq->stats, 0, sizeof(vq->stats));
	vhost_pace_init(vq);
	vhost_vq_reset(vq);
	if (vq->handle_kick)
		vhost_poll_init(&vq->poll, vq->handle_kick, EPOLLIN, dev, vq);
}

/*
 * Set up a device with nvqs queues; each vq's handle_kick must be set.
 * pkt_weight/byte_weight bound one handler pass (see struct vhost_dev).
 */
void vhost_dev_init(struct vhost_dev *dev, struct vhost_virtqueue **vqs,
		    int nvqs, int pkt_weight, int byte_weight)
{
	int i;

	mutex_init(&dev->mutex);
	spin_lock_init(&dev->ids_lock);
	dev->mm = NULL;
	dev->owner_pid = NULL;
	dev->worker_pid = NULL;
	RCU_INIT_POINTER(dev->worker, NULL);
	dev->fork_owner = fork_from_owner_default;
	dev->vqs = vqs;
	dev->nvqs = nvqs;
	dev->umem = NULL;
	dev->log_ctx = NULL;
	dev->pkt_weight = pkt_weight;
	dev->byte_weight = byte_weight;
	for (i = 0; i < nvqs; i++)
		vhost_vq_init(dev, vqs[i]);
	vhost_iotlb_init(dev);
}
EXPORT_SYMBOL_GPL(vhost_dev_init);

bool vhost_dev_has_owner(struct vhost_dev *dev)
{
	return dev->mm;
}
EXPORT_SYMBOL_GPL(vhost_dev_has_owner);

/* Caller must hold dev->mutex. */
long vhost_dev_check_owner(struct vhost_dev *dev)
{
	lockdep_assert_held(&dev->mutex);
	/* Only the process that called VHOST_SET_OWNER may drive the device. */
	return dev->mm == current->mm ? 0 : -EPERM;
}
EXPORT_SYMBOL_GPL(vhost_dev_check_owner);

static void vhost_dev_free_scratch(struct vhost_dev *dev)
{
	int i;

	for (i = 0; i < dev->nvqs; i++) {
		struct vhost_virtqueue *vq = dev->vqs[i];

		kvfree(vq->iov);
		kvfree(vq->log);
		kvfree(vq->heads);
		vq->iov = NULL;
		vq->log = NULL;
		vq->heads = NULL;
	}
}

static int vhost_dev_alloc_scratch(struct vhost_dev *dev)
{
	int i;

	for (i = 0; i < dev->nvqs; i++) {
		struct vhost_virtqueue *vq = dev->vqs[i];

		vq->iov = kvcalloc(UIO_MAXIOV, sizeof(*vq->iov),
				   GFP_KERNEL_ACCOUNT);
		vq->log = kvcalloc(UIO_MAXIOV, sizeof(*vq->log),
				   GFP_KERNEL_ACCOUNT);
		vq->heads = kvcalloc(UIO_MAXIOV, sizeof(*vq->heads),
				     GFP_KERNEL_ACCOUNT);
		if (!vq->iov || !vq->log || !vq->heads) {
			vhost_dev_free_scratch(dev);
			return -ENOMEM;
		}
	}
	return 0;
}

/*
 * VHOST_SET_OWNER: bind the device to the caller's address space and start
 * its worker. Caller must hold dev->mutex.
 */
long vhost_dev_set_owner(struct vhost_dev *dev)
{
	struct mm_struct *mm;
	long r;

	lockdep_assert_held(&dev->mutex);
	if (dev->mm)
		return -EBUSY;
	/* Keep the address space alive while the device can touch it. */
	mm = get_task_mm(current);
	if (!mm)
		return -EINVAL;
	dev->mm = mm;
	vhost_dev_set_pid(dev, &dev->owner_pid,
			  get_task_pid(current, PIDTYPE_TGID));

	r = vhost_dev_alloc_scratch(dev);
	if (r)
		goto err;
	r = vhost_worker_create(dev);
	if (r)
		goto err_scratch;
	return 0;

err_scratch:
	vhost_dev_free_scratch(dev);
err:
	dev->mm = NULL;
	vhost_dev_set_pid(dev, &dev->owner_pid, NULL);
	mmput(mm);
	return r;
}
EXPORT_SYMBOL_GPL(vhost_dev_set_owner);

/*
 * Stop polling every kick eventfd. Afterwards, flush to wait for handlers
 * already queued. Caller must hold dev->mutex.
 */
void vhost_dev_stop(struct vhost_dev *dev)
{
	int i;

	for (i = 0; i < dev->nvqs; i++) {
		struct vhost_virtqueue *vq = dev->vqs[i];

		if (vq->kick && vq->handle_kick)
			vhost_poll_stop(&vq->poll);
		vhost_pace_cancel(vq);
	}
}
EXPORT_SYMBOL_GPL(vhost_dev_stop);

/*
 * Release everything the owner set up and forget the owner. Backends must
 * be detached, and vhost_dev_stop() + vhost_dev_flush() done, first.
 * Caller must hold dev->mutex (or be the last user of dev).
 */
void vhost_dev_cleanup(struct vhost_dev *dev)
{
	int i;

	/*
	 * First, so that no work item runs while the rest is torn down:
	 * the control plane may queue one without dev->mutex (a knob
	 * write) after the caller's flush; it never runs now.
	 */
	vhost_worker_destroy(dev);
	for (i = 0; i < dev->nvqs; i++) {
		struct vhost_virtqueue *vq = dev->vqs[i];

		if (vq->handle_kick)
			vhost_poll_stop(&vq->poll);
		/* After the flush: nothing can arm a timer any more. */
		vhost_pace_cancel(vq);
		if (vq->error_ctx)
			eventfd_ctx_put(vq->error_ctx);
		if (vq->call_ctx)
			eventfd_ctx_put(vq->call_ctx);
		if (vq->kick)
			fput(vq->kick);
		vhost_vq_reset(vq);
	}
	vhost_dev_free_scratch(dev);
	vhost_iotlb_cleanup(dev);
	if (dev->log_ctx)
		eventfd_ctx_put(dev->log_ctx);
	dev->log_ctx = NULL;
	vhost_umem_free(dev->umem);
	dev->umem = NULL;
	/* The worker used the mm until it stopped, above. */
	if (dev->mm)
		mmput(dev->mm);
	dev->mm = NULL;
	vhost_dev_set_pid(dev, &dev->owner_pid, NULL);
}
EXPORT_SYMBOL_GPL(vhost_dev_cleanup);

/*
 * VHOST_RESET_OWNER, core part: like a fresh open, except that the memory
 * table becomes empty rather than unset. The backend must have detached
 * its sockets and flushed. Caller must hold dev->mutex.
 */
long vhost_dev_reset_owner(struct vhost_dev *dev)
{
	struct vhost_umem *umem;
	int i;

	lockdep_assert_held(&dev->mutex);
	umem = vhost_umem_empty();
	if (!umem)
		return -ENOMEM;
	vhost_dev_stop(dev);
	vhost_dev_flush(dev);
	vhost_dev_cleanup(dev);
	dev->fork_owner = fork_from_owner_default;
	dev->umem = umem;
	for (i = 0; i < dev->nvqs; i++)
		dev->vqs[i]->umem = umem;
	return 0;
}
EXPORT_SYMBOL_GPL(vhost_dev_reset_owner);

/*
 * Acknowledge guest features on every vq; ACCESS_PLATFORM turns the device
 * IOTLB on or off. Caller must hold dev->mutex.
 */
int vhost_dev_set_features(struct vhost_dev *dev, u64 features)
{
	bool iotlb = features & BIT_ULL(VIRTIO_F_ACCESS_PLATFORM);
	int i, r;

	lockdep_assert_held(&dev->mutex);
	if ((features & BIT_ULL(VHOST_F_LOG_ALL)) &&
	    !vhost_dev_log_access_ok(dev))
		return -EFAULT;
	/*
	 * The IOTLB exists before any vq translates through it and goes only
	 * once none does, so no pass queues a MISS for a table being dropped.
	 */
	if (iotlb) {
		r = vhost_iotlb_set_enabled(dev, true);
		if (r)
			return r;
	}
	for (i = 0; i < dev->nvqs; i++) {
		struct vhost_virtqueue *vq = dev->vqs[i];

		mutex_lock(&vq->mutex);
		vq->acked_features = features;
		mutex_unlock(&vq->mutex);
	}
	if (!iotlb)
		vhost_iotlb_set_enabled(dev, false);
	return 0;
}
EXPORT_SYMBOL_GPL(vhost_dev_set_features);

/* Caller must hold dev->mutex. */
void vhost_dev_set_backend_features(struct vhost_dev *dev, u64 features)
{
	int i;

	lockdep_assert_held(&dev->mutex);
	vhost_iotlb_set_backend_features(dev, features);
	for (i = 0; i < dev->nvqs; i++) {
		struct vhost_virtqueue *vq = dev->vqs[i];

		mutex_lock(&vq->mutex);
		vq->acked_backend_features = features;
		mutex_unlock(&vq->mutex);
	}
}
EXPORT_SYMBOL_GPL(vhost_dev_set_backend_features);

/*
 * With the IOTLB the ring addresses are IOVAs: they are checked entry by
 * entry when the owner maps them (UPDATE) and when a pass translates them.
 */
static bool vhost_vq_ring_access_ok(struct vhost_virtqueue *vq,
				    unsigned int num, void __user *desc,
				    void __user *avail, void __user *used)
{
	if (vhost_vq_iotlb(vq))
		return true;
	return access_ok(desc, vhost_vq_desc_size(num)) &&
	       access_ok(avail, vhost_vq_avail_size(vq, num)) &&
	       access_ok(used, vhost_vq_used_size(vq, num));
}

/*
 * With the IOTLB, used-ring writes are logged through their IOVA's
 * translation and the memory table, never at log_addr: only the table's
 * bitmap matters.
 */
static bool vhost_vq_log_ok(struct vhost_virtqueue *vq, void __user *log_base,
			    bool log_used, u64 log_addr)
{
	if (!vhost_umem_access_ok(vq->umem, log_base,
				  vhost_has_feature(vq, VHOST_F_LOG_ALL)))
		return false;
	return !log_used || vhost_vq_iotlb(vq) ||
	       vhost_log_access_ok(log_base, log_addr,
				   vhost_vq_used_size(vq, vq->num));
}

/*
 * May this vq be started: ring, memory table and log all addressable?
 * With the IOTLB nothing is translated through the memory table, which is
 * then needed only for logging (IOTLB translations back to GPAs). Caller
 * must hold vq->mutex.
 */
bool vhost_vq_access_ok(struct vhost_virtqueue *vq)
{
	if (vhost_vq_iotlb(vq) && !vq->umem)
		return !vhost_has_feature(vq, VHOST_F_LOG_ALL);
	return vq->umem &&
	       vhost_vq_log_ok(vq, vq->log_base, vq->log_used, vq->log_addr) &&
	       vhost_vq_ring_access_ok(vq, vq->num, vq->desc, vq->avail,
				       vq->used);
}
EXPORT_SYMBOL_GPL(vhost_vq_access_ok);

/*
 * Called when a backend is attached: fix the ring endianness, publish our
 * used flags and pick up the used index the guest left. Caller must hold
 * vq->mutex.
 */
int vhost_vq_init_access(struct vhost_virtqueue *vq)
{
	bool is_le = vq->is_le;
	u16 used_idx;

	if (!vq->private_data)
		return 0;
	vq->is_le = vhost_has_feature(vq, VIRTIO_F_VERSION_1) ||
		    virtio_legacy_is_little_endian();
	vq->broken = false;
	if (vhost_vq_write_used_flags(vq))
		goto err;
	vq->signalled_used_valid = false;
	if (vhost_vq_read_used_idx(vq, &used_idx))
		goto err;
	vq->last_used_idx = used_idx;
	vhost_pace_restart(vq);
	return 0;
err:
	vq->is_le = is_le;
	return -EFAULT;
}
EXPORT_SYMBOL_GPL(vhost_vq_init_access);

/*
 * A handler pass did pkts packets / total_len bytes: if that is its share,
 * requeue it behind whatever else is pending and tell it to stop.
 */
bool vhost_exceeds_weight(struct vhost_virtqueue *vq, int pkts, size_t total_len)
{
	struct vhost_dev *dev = vq->dev;

	if (pkts >= dev->pkt_weight || total_len >= dev->byte_weight) {
		vhost_poll_queue(&vq->poll);
		return true;
	}
	return false;
}
EXPORT_SYMBOL_GPL(vhost_exceeds_weight);

static long vhost_set_log_base(struct vhost_dev *dev, u64 __user *argp)
{
	void __user *base;
	long r = 0;
	u64 p;
	int i;

	if (copy_from_user(&p, argp, sizeof(p)))
		return -EFAULT;
	if ((u64)(unsigned long)p != p)
		return -EFAULT;
	base = (void __user *)(unsigned long)p;
	for (i = 0; i < dev->nvqs; i++) {
		struct vhost_virtqueue *vq = dev->vqs[i];

		mutex_lock(&vq->mutex);
		/* A stopped ring is checked when its backend is attached. */
		if (vq->private_data &&
		    !vhost_vq_log_ok(vq, base, vq->log_used, vq->log_addr))
			r = -EFAULT;
		else
			vq->log_base = base;
		mutex_unlock(&vq->mutex);
	}
	return r;
}

static long vhost_set_log_fd(struct vhost_dev *dev, int __user *argp)
{
	struct eventfd_ctx *ctx;
	int fd, i;

	if (get_user(fd, argp))
		return -EFAULT;
	ctx = fd == VHOST_FILE_UNBIND ? NULL : eventfd_ctx_fdget(fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	swap(ctx, dev->log_ctx);
	for (i = 0; i < dev->nvqs; i++) {
		struct vhost_virtqueue *vq = dev->vqs[i];

		mutex_lock(&vq->mutex);
		vq->log_ctx = dev->log_ctx;
		mutex_unlock(&vq->mutex);
	}
	if (ctx)
		eventfd_ctx_put(ctx);
	return 0;
}

/*
 * Is ioctl one of the device-level or per-ring ioctls vhost_dev_ioctl() and
 * vhost_vring_ioctl() implement? Backends answer anything else -ENOTTY
 * before looking at ownership or the argument, as for any unknown ioctl.
 */
bool vhost_ioctl_is_known(unsigned int ioctl)
{
	switch (ioctl) {
	case VHOST_SET_OWNER:
	case VHOST_SET_MEM_TABLE:
	case VHOST_SET_LOG_BASE:
	case VHOST_SET_LOG_FD:
	case VHOST_SET_VRING_NUM:
	case VHOST_SET_VRING_ADDR:
	case VHOST_SET_VRING_BASE:
	case VHOST_GET_VRING_BASE:
	case VHOST_SET_VRING_KICK:
	case VHOST_SET_VRING_CALL:
	case VHOST_SET_VRING_ERR:
	case VHOST_SET_VRING_BUSYLOOP_TIMEOUT:
	case VHOST_GET_VRING_BUSYLOOP_TIMEOUT:
#ifdef COMPAT_WORKER_MODES
	case VHOST_SET_FORK_FROM_OWNER:
	case VHOST_GET_FORK_FROM_OWNER:
#endif
		return true;
	default:
		return false;
	}
}
EXPORT_SYMBOL_GPL(vhost_ioctl_is_known);

#ifdef COMPAT_WORKER_MODES
/*
 * VHOST_SET_FORK_FROM_OWNER picks the worker kind; only before an owner
 * exists, since the worker starts with the owner. GET reports it.
 */
static long vhost_dev_fork_owner_ioctl(struct vhost_dev *dev,
				       unsigned int ioctl, u8 __user *argp)
{
	u8 mode;

	if (ioctl == VHOST_GET_FORK_FROM_OWNER) {
		mode = dev->fork_owner ? VHOST_FORK_OWNER_TASK :
					 VHOST_FORK_OWNER_KTHREAD;
		return put_user(mode, argp) ? -EFAULT : 0;
	}
	if (vhost_dev_has_owner(dev))
		return -EBUSY;
	if (get_user(mode, argp))
		return -EFAULT;
	if (mode != VHOST_FORK_OWNER_TASK && mode != VHOST_FORK_OWNER_KTHREAD)
		return -EINVAL;
	dev->fork_owner = mode == VHOST_FORK_OWNER_TASK;
	return 0;
}
#endif

/*
 * Device-level ioctls. Returns -ENOIOCTLCMD for anything else, after the
 * owner check. Caller must hold dev->mutex.
 */
long vhost_dev_ioctl(struct vhost_dev *dev, unsigned int ioctl,
		     void __user *argp)
{
	long r;

	lockdep_assert_held(&dev->mutex);
	if (ioctl == VHOST_SET_OWNER)
		return vhost_dev_set_owner(dev);
#ifdef COMPAT_WORKER_MODES
	/* Like SET_OWNER, for any opener: they come before there is one. */
	if (ioctl == VHOST_SET_FORK_FROM_OWNER ||
	    ioctl == VHOST_GET_FORK_FROM_OWNER)
		return vhost_dev_fork_owner_ioctl(dev, ioctl, argp);
#endif

	r = vhost_dev_check_owner(dev);
	if (r)
		return r;

	switch (ioctl) {
	case VHOST_SET_MEM_TABLE:
		return vhost_set_memory(dev, argp);
	case VHOST_SET_LOG_BASE:
		return vhost_set_log_base(dev, argp);
	case VHOST_SET_LOG_FD:
		return vhost_set_log_fd(dev, argp);
	default:
		return -ENOIOCTLCMD;
	}
}
EXPORT_SYMBOL_GPL(vhost_dev_ioctl);

static long vhost_vring_set_num(struct vhost_virtqueue *vq, void __user *argp)
{
	struct vhost_vring_state s;

	/* The ring cannot be resized under a running backend. */
	if (vq->private_data)
		return -EBUSY;
	if (copy_from_user(&s, argp, sizeof(s)))
		return -EFAULT;
	if (!s.num || s.num > 0xffff || (s.num & (s.num - 1)))
		return -EINVAL;
	vq->num = s.num;
	vq->broken = false;
	return 0;
}

static long vhost_vring_set_addr(struct vhost_virtqueue *vq, void __user *argp)
{
	struct vhost_vring_addr a;
	bool log_used;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	if (a.flags & ~BIT(VHOST_VRING_F_LOG))
		return -EOPNOTSUPP;
	if ((u64)(unsigned long)a.desc_user_addr != a.desc_user_addr ||
	    (u64)(unsigned long)a.avail_user_addr != a.avail_user_addr ||
	    (u64)(unsigned long)a.used_user_addr != a.used_user_addr)
		return -EFAULT;
	/* The ring structures are accessed with their natural alignment. */
	if ((a.desc_user_addr & (VRING_DESC_ALIGN_SIZE - 1)) ||
	    (a.avail_user_addr & (VRING_AVAIL_ALIGN_SIZE - 1)) ||
	    (a.used_user_addr & (VRING_USED_ALIGN_SIZE - 1)) ||
	    (a.log_guest_addr & (VRING_USED_ALIGN_SIZE - 1)))
		return -EINVAL;
	log_used = a.flags & BIT(VHOST_VRING_F_LOG);

	/* Without a backend the size may not be final: checked at attach. */
	if (vq->private_data) {
		if (!vhost_vq_ring_access_ok(vq, vq->num,
				(void __user *)(unsigned long)a.desc_user_addr,
				(void __user *)(unsigned long)a.avail_user_addr,
				(void __user *)(unsigned long)a.used_user_addr))
			return -EINVAL;
		if (log_used && !vhost_vq_iotlb(vq) &&
		    !vhost_log_access_ok(vq->log_base, a.log_guest_addr,
					 vhost_vq_used_size(vq, vq->num)))
			return -EINVAL;
	}

	vq->log_used = log_used;
	vq->desc = (void __user *)(unsigned long)a.desc_user_addr;
	vq->avail = (void __user *)(unsigned long)a.avail_user_addr;
	vq->used = (void __user *)(unsigned long)a.used_user_addr;
	vq->log_addr = a.log_guest_addr;
	vq->broken = false;
	return 0;
}

static long vhost_vring_set_base(struct vhost_virtqueue *vq, void __user *argp)
{
	struct vhost_vring_state s;

	if (vq->private_data)
		return -EBUSY;
	if (copy_from_user(&s, argp, sizeof(s)))
		return -EFAULT;
	if (s.num > 0xffff)
		return -EINVAL;
	vq->last_avail_idx = s.num;
	vq->avail_idx = s.num;
	vq->broken = false;
	return 0;
}

static long vhost_vring_set_eventfd(struct eventfd_ctx **slot,
				    void __user *argp)
{
	struct vhost_vring_file f;
	struct eventfd_ctx *ctx;

	if (copy_from_user(&f, argp, sizeof(f)))
		return -EFAULT;
	ctx = f.fd == VHOST_FILE_UNBIND ? NULL : eventfd_ctx_fdget(f.fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	swap(ctx, *slot);
	if (ctx)
		eventfd_ctx_put(ctx);
	return 0;
}

/*
 * Per-ring ioctls; the first u32 of the argument is the ring index. The
 * caller must hold dev->mutex and have checked ownership.
 */
long vhost_vring_ioctl(struct vhost_dev *dev, unsigned int ioctl,
		       void __user *argp)
{
	struct vhost_virtqueue *vq;
	struct vhost_vring_state s;
	struct vhost_vring_file f;
	struct file *old_kick = NULL, *kick;
	bool flush = false;
	u32 idx;
	long r = 0;

	lockdep_assert_held(&dev->mutex);
	if (get_user(idx, (u32 __user *)argp))
		return -EFAULT;
	if (idx >= dev->nvqs)
		return -ENOBUFS;
	idx = array_index_nospec(idx, dev->nvqs);
	vq = dev->vqs[idx];

	mutex_lock(&vq->mutex);
	switch (ioctl) {
	case VHOST_SET_VRING_NUM:
		r = vhost_vring_set_num(vq, argp);
		break;
	case VHOST_SET_VRING_ADDR:
		r = vhost_vring_set_addr(vq, argp);
		break;
	case VHOST_SET_VRING_BASE:
		r = vhost_vring_set_base(vq, argp);
		break;
	case VHOST_GET_VRING_BASE:
		s.index = idx;
		s.num = vq->last_avail_idx;
		if (copy_to_user(argp, &s, sizeof(s)))
			r = -EFAULT;
		break;
	case VHOST_SET_VRING_KICK:
		if (copy_from_user(&f, argp, sizeof(f))) {
			r = -EFAULT;
			break;
		}
		kick = f.fd == VHOST_FILE_UNBIND ? NULL : eventfd_fget(f.fd);
		if (IS_ERR(kick)) {
			r = PTR_ERR(kick);
			break;
		}
		if (kick == vq->kick) {
			/* Same eventfd: drop the extra reference only. */
			old_kick = kick;
			break;
		}
		if (vq->kick) {
			vhost_poll_stop(&vq->poll);
			flush = true;
		}
		old_kick = vq->kick;
		vq->kick = kick;
		if (kick)
			r = vhost_poll_start(&vq->poll, kick);
		break;
	case VHOST_SET_VRING_CALL:
		r = vhost_vring_set_eventfd(&vq->call_ctx, argp);
		break;
	case VHOST_SET_VRING_ERR:
		r = vhost_vring_set_eventfd(&vq->error_ctx, argp);
		break;
	case VHOST_SET_VRING_BUSYLOOP_TIMEOUT:
		if (copy_from_user(&s, argp, sizeof(s))) {
			r = -EFAULT;
			break;
		}
		vq->busyloop_timeout = s.num;
		break;
	case VHOST_GET_VRING_BUSYLOOP_TIMEOUT:
		s.index = idx;
		s.num = vq->busyloop_timeout;
		if (copy_to_user(argp, &s, sizeof(s)))
			r = -EFAULT;
		break;
	default:
		/* Filtered by vhost_ioctl_is_known(); not reached. */
		r = -ENOIOCTLCMD;
		break;
	}
	mutex_unlock(&vq->mutex);

	/* Let a handler started by the old kick finish before dropping it. */
	if (flush)
		vhost_dev_flush(dev);
	if (old_kick)
		fput(old_kick);
	return r;
}
EXPORT_SYMBOL_GPL(vhost_vring_ioctl);

MODULE_VERSION(LWVHOST_VERSION);
MODULE_LICENSE("GPL v2");
MODULE_AUTHOR("lwvhost developers");
MODULE_DESCRIPTION("lwvhost: host kernel accelerator core for virtio");
