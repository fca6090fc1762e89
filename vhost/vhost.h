/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lwvhost core: the device/owner/virtqueue library that backends (vhost_net)
 * embed. Backends recover their own structures with container_of().
 *
 * Files: dev.c (owner, features, ioctls), mem.c (memory table, guest-physical
 * translation), vring.c (split ring access, descriptor walking, notification
 * suppression), worker.c (the per-device worker, work items, file polling),
 * log.c (dirty logging for live migration), iotlb.c (the device IOTLB of
 * VIRTIO_F_ACCESS_PLATFORM and its messages on the device file).
 */
#ifndef _LWVHOST_VHOST_H
#define _LWVHOST_VHOST_H

#include <linux/eventfd.h>
#include <linux/hrtimer.h>
#include <linux/llist.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/rbtree.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uio.h>
#include <linux/virtio_byteorder.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <linux/vhost.h>
#include <uapi/linux/lwvhost.h>

#include "pace_law.h"

struct vhost_dev;
struct vhost_virtqueue;
struct vhost_work;

typedef void (*vhost_work_fn_t)(struct vhost_work *work);

/* Bit in vhost_work.flags: the item is on the worker's list. */
#define VHOST_WORK_QUEUED 0

struct vhost_work {
	struct llist_node node;
	vhost_work_fn_t fn;
	unsigned long flags;
};

/*
 * Polls a file (kick eventfd or backend socket) and queues its work item on
 * the device's worker whenever the file signals one of the events in mask.
 */
struct vhost_poll {
	poll_table table;
	wait_queue_head_t *wqh;		/* NULL while not polling */
	wait_queue_entry_t wait;
	struct vhost_work work;
	__poll_t mask;
	struct vhost_dev *dev;
	/* Set for a vq's kick poll: wakeups count as kicks of this vq. */
	struct vhost_virtqueue *vq;
	/*
	 * 0: every wakeup queues the work. Otherwise the work is queued only
	 * at the batch-th wakeup since vhost_poll_start_batched() (a queue
	 * in poll mode that must still not let the file's queue overflow).
	 * Set while not polling; wakeups counted under the wait queue lock.
	 */
	unsigned int batch;
	unsigned int wakeups;
};

/*
 * One worker thread per device. On kernels with vhost_task it is a thread
 * of the owner process; otherwise a kthread that borrows the owner's mm.
 */
struct vhost_worker {
	struct compat_worker_task task;
	struct llist_head work_list;
	/* Serialises queueing against the worker being killed. */
	spinlock_t lock;
	/* The owner was killed; no work runs any more. Protected by lock. */
	bool killed;
	/* Held while a killed worker drains its list; flush waits on it. */
	struct mutex kill_mutex;
	/* The worker has published its pid in dev->ids (worker only). */
	bool pid_published;
	struct vhost_dev *dev;
};

/* One contiguous guest-physical range mapped into the owner's memory. */
struct vhost_umem_region {
	u64 gpa;
	u64 last;	/* inclusive, so a region may end at U64_MAX */
	u64 uaddr;
};

/* Immutable once published; replaced as a whole by VHOST_SET_MEM_TABLE. */
struct vhost_umem {
	unsigned int nregions;
	struct vhost_umem_region regions[];	/* sorted by gpa, disjoint */
};

/* A guest-physical range written by the device, for dirty logging. */
struct vhost_log {
	u64 addr;
	u64 len;
};

/*
 * Per-virtqueue counters. Monotonic u64s, each with a single writer: the
 * worker under the vq mutex, except kicks (the kick eventfd's wait-queue
 * lock), timer_wakeups (the poll timer callback), shared_polls (whichever
 * timer callback dequeued this vq's armed poll timer: only one can) and
 * iotlb_updates /
 * iotlb_invalidations (the IOTLB writer, holding every vq mutex). Read
 * without locks by the control surfaces.
 */
struct vhost_vq_stats {
	u64 packets;
	u64 bytes;
	u64 kicks;		/* guest notifications received */
	u64 signals;		/* call eventfd signalled */
	u64 signals_coalesced;	/* signals held back by coalescing */
	u64 polls;		/* handler passes */
	u64 empty_polls;	/* handler passes that found no work */
	u64 timer_wakeups;	/* poll timer expiries */
	u64 shared_polls;	/* timer polls served by a sibling's expiry */
	u64 mode_switches;	/* event <-> poll */
	u64 busy_ns;		/* time inside handler passes */
	u64 errors;		/* vq_err() events and dropped frames */
	u64 iotlb_misses;	/* VHOST_IOTLB_MISS messages this vq queued */
	u64 iotlb_updates;	/* UPDATEs applied to the device IOTLB */
	u64 iotlb_invalidations; /* INVALIDATEs applied to the device IOTLB */
};

/* One device IOTLB entry: IOVAs [start, last] at owner address uaddr. */
struct vhost_iotlb_entry {
	struct rb_node node;
	u64 start;
	u64 last;	/* inclusive, so an entry may end at U64_MAX */
	u64 uaddr;
	u8 perm;	/* VHOST_ACCESS_RO, _WO or _RW */
};

/*
 * The translation a vq asked the owner for (a VHOST_IOTLB_MISS). A vq
 * stops at its first untranslated IOVA, so it waits for one at a time and
 * this slot is the whole message queue: no allocation, at most one unread
 * message per vq. Protected by the device's iotlb.lock.
 */
struct vhost_iotlb_miss {
	/* On iotlb.unread from the miss until read() takes it. */
	struct list_head node;
	u64 iova;
	u8 perm;
	/* The vq stopped at iova; an UPDATE covering it requeues the vq. */
	bool waiting;
	/* Covered inside a batch: requeue the vq at BATCH_END. */
	bool requeue;
};

/*
 * The device IOTLB (iotlb.c): while VIRTIO_F_ACCESS_PLATFORM is acked,
 * ring addresses and descriptor buffers are IOVAs translated here, and
 * the owner fills the table through write() on the device file.
 */
struct vhost_iotlb {
	/*
	 * Entries, disjoint, sorted by start; at most max_iotlb_entries.
	 * Changed only with dev->mutex and every vq mutex held, so a handler
	 * pass (one vq mutex) sees one table from start to end. Read with
	 * any vq mutex or dev->mutex held.
	 */
	struct rb_root root;
	unsigned int nentries;
	/*
	 * ACCESS_PLATFORM acked. Written under dev->mutex and every vq
	 * mutex; read() and poll() read it with READ_ONCE.
	 */
	bool enabled;
	/* Backend features MSG_V2 and BATCH acked. Protected by dev->mutex. */
	bool msg_v2;
	bool batch;
	/* Between BATCH_BEGIN and BATCH_END. Protected by dev->mutex. */
	bool in_batch;
	/* Protects unread and every vq's struct vhost_iotlb_miss. */
	spinlock_t lock;
	/* vq miss slots whose MISS is not yet read, oldest first. */
	struct list_head unread;
	/* read() and poll() wait here for a MISS, or for the IOTLB to go. */
	wait_queue_head_t wait;
};

/*
 * The pacing knobs of a vq, one line each: X(name, min, max, netlink
 * attribute, description). Everything kept per knob is generated from this
 * list: the fields below, the range check (pace.c), and in vhost_net the
 * module parameters, the procfs files and the netlink policy. The name is
 * the field, the file and parameter suffix (<dir>_<name>) and the word in
 * every message; the bounds are the UAPI's. 0 everywhere = stock.
 * checkpatch-ignore: COMPLEX_MACRO,TRAILING_SEMICOLON (the list and its
 * field expansion are declarations, not expressions).
 */
#define VHOST_PACE_KNOBS(X)						\
	X(poll_interval_us, 0, LWVHOST_POLL_INTERVAL_MAX_US,		\
	  LWVHOST_A_VQ_POLL_INTERVAL_US, "poll interval in us, 0 = event mode") \
	X(idle_polls, LWVHOST_IDLE_POLLS_MIN, LWVHOST_IDLE_POLLS_MAX,	\
	  LWVHOST_A_VQ_IDLE_POLLS, "empty polls before event mode")	\
	X(coalesce_usecs, 0, LWVHOST_COALESCE_USECS_MAX,		\
	  LWVHOST_A_VQ_COALESCE_USECS, "interrupt hold time in us, 0 = off") \
	X(coalesce_frames, 0, LWVHOST_COALESCE_FRAMES_MAX,		\
	  LWVHOST_A_VQ_COALESCE_FRAMES, "completions per interrupt, 0 = off") \
	X(latency_budget_us, 0, LWVHOST_LATENCY_BUDGET_MAX_US,		\
	  LWVHOST_A_VQ_LATENCY_BUDGET_US,				\
	  "adaptive polling: most polling adds to a round trip in us, 0 = off")

#define VHOST_PACE_KNOB_FIELD(name, ...) u32 name;

struct vhost_pace_params {
	VHOST_PACE_KNOBS(VHOST_PACE_KNOB_FIELD)
};

#define VHOST_PACE_KNOB_COUNT \
	(sizeof(struct vhost_pace_params) / sizeof(u32))

/*
 * Pacing state of one vq (pace.c). Everything is protected by vq->mutex,
 * except params: the control plane writes them without any vq or device
 * lock (WRITE_ONCE, one writer at a time under the backend's control
 * lock) and the worker reads them with READ_ONCE. polling is also read
 * without the mutex by the control surfaces. The timers only queue work.
 */
struct vhost_pace {
	struct vhost_pace_params params;
	/* Poll mode: notifications off, re-polled by poll_timer. */
	bool polling;
	/* Consecutive empty passes in poll mode. */
	u32 idle;
	/* Adaptive mode (latency_budget_us > 0): the law's state. */
	struct pace_law law;
	/* stats.packets and last_avail_idx when the law last looked. */
	u64 law_packets;
	u16 law_avail;
	/*
	 * Length of the interval poll_timer was last armed with; a sibling's
	 * expiry serves this vq early only within the last half of it.
	 */
	u64 armed_ns;
	/* A signal is held back; signal_timer releases it. */
	bool signal_held;
	/* used idx when the guest was last judged for a signal. */
	u16 signal_base;
	struct hrtimer poll_timer;
	struct hrtimer signal_timer;
	/* Releases a held signal on the worker (needs the owner's mm). */
	struct vhost_work signal_work;
};

struct vhost_virtqueue {
	struct vhost_dev *dev;

	/* Serialises the data path and every ring ioctl of this vq. */
	struct mutex mutex;

	/* Everything below is protected by mutex. */
	unsigned int num;
	struct vring_desc __user *desc;
	struct vring_avail __user *avail;
	struct vring_used __user *used;
	struct file *kick;
	struct eventfd_ctx *call_ctx;
	struct eventfd_ctx *error_ctx;
	struct eventfd_ctx *log_ctx;

	/* Polls the kick eventfd; its work item runs handle_kick. */
	struct vhost_poll poll;
	vhost_work_fn_t handle_kick;

	/* Next avail entry to consume. */
	u16 last_avail_idx;
	/* Cached copy of avail->idx as last read. */
	u16 avail_idx;
	/* Next used entry to fill. */
	u16 last_used_idx;
	/* Flags we last wrote (or would write) to used->flags. */
	u16 used_flags;
	/* used idx at the last signal; valid only if signalled_used_valid. */
	u16 signalled_used;
	bool signalled_used_valid;

	/* Ring data is little endian (VERSION_1 or legacy on LE hosts). */
	bool is_le;
	/* A guest error stopped this vq until it is reconfigured. */
	bool broken;

	/* Dirty logging of used ring writes (VHOST_VRING_F_LOG). */
	bool log_used;
	u64 log_addr;
	void __user *log_base;

	/* Memory table in use by this vq (the device's, swapped under mutex). */
	struct vhost_umem *umem;

	u64 acked_features;
	u64 acked_backend_features;

	/* The backend (a socket for vhost_net); NULL when stopped. */
	void *private_data;

	/* VHOST_SET_VRING_BUSYLOOP_TIMEOUT value, in microseconds. */
	u32 busyloop_timeout;

	/* Scratch arrays for the data path, UIO_MAXIOV entries each. */
	struct iovec *iov;
	struct vhost_log *log;
	struct vring_used_elem *heads;

	struct vhost_vq_stats stats;
	struct vhost_pace pace;
	/* Has its own lock: the device's iotlb.lock. */
	struct vhost_iotlb_miss miss;
};

struct vhost_dev {
	/* Serialises device ioctls and owner changes. */
	struct mutex mutex;
	/* Owner's address space; NULL until VHOST_SET_OWNER. Protected by mutex. */
	struct mm_struct *mm;
	/*
	 * Created at SET_OWNER, destroyed at cleanup, both under mutex.
	 * Queuing work dereferences it under RCU only, so that the control
	 * plane can queue work without the mutex; destruction waits for a
	 * grace period.
	 */
	struct vhost_worker __rcu *worker;
	/*
	 * What the next VHOST_SET_OWNER starts as the worker: a thread of the
	 * owner (true, VHOST_FORK_OWNER_TASK) or a kthread (false). Set by
	 * VHOST_SET_FORK_FROM_OWNER before the owner; back to the module
	 * default at RESET_OWNER. Protected by mutex.
	 */
	bool fork_owner;
	/*
	 * The owner's thread group and the worker's thread, for reports.
	 * Protected by ids_lock alone, so that readers never wait for mutex
	 * (which the owner can hold for as long as it likes).
	 */
	spinlock_t ids_lock;
	struct pid *owner_pid;
	struct pid *worker_pid;
	struct vhost_virtqueue **vqs;
	int nvqs;
	/* Current memory table, NULL until set. Protected by mutex. */
	struct vhost_umem *umem;
	/* VHOST_SET_LOG_FD. Protected by mutex. */
	struct eventfd_ctx *log_ctx;
	/*
	 * Fairness: a handler pass stops and requeues itself after this many
	 * packets or bytes so that one vq (or one device sharing the CPU)
	 * cannot starve the others.
	 */
	int pkt_weight;
	int byte_weight;
	/* Device IOTLB; each field's lock is written on it. */
	struct vhost_iotlb iotlb;
};

/* dev.c */
void vhost_dev_init(struct vhost_dev *dev, struct vhost_virtqueue **vqs,
		    int nvqs, int pkt_weight, int byte_weight);
long vhost_dev_set_owner(struct vhost_dev *dev);
bool vhost_dev_has_owner(struct vhost_dev *dev);
long vhost_dev_check_owner(struct vhost_dev *dev);
bool vhost_ioctl_is_known(unsigned int ioctl);
long vhost_dev_ioctl(struct vhost_dev *dev, unsigned int ioctl,
		     void __user *argp);
long vhost_vring_ioctl(struct vhost_dev *dev, unsigned int ioctl,
		       void __user *argp);
void vhost_dev_stop(struct vhost_dev *dev);
void vhost_dev_cleanup(struct vhost_dev *dev);
long vhost_dev_reset_owner(struct vhost_dev *dev);
int vhost_dev_set_features(struct vhost_dev *dev, u64 features);
void vhost_dev_set_backend_features(struct vhost_dev *dev, u64 features);
bool vhost_vq_access_ok(struct vhost_virtqueue *vq);
int vhost_vq_init_access(struct vhost_virtqueue *vq);
bool vhost_exceeds_weight(struct vhost_virtqueue *vq, int pkts, size_t total_len);

/* mem.c */
struct vhost_umem *vhost_umem_empty(void);
void vhost_umem_free(struct vhost_umem *umem);
long vhost_set_memory(struct vhost_dev *dev, struct vhost_memory __user *m);
int vhost_translate(struct vhost_virtqueue *vq, u64 addr, u64 len, u8 access,
		    struct iovec *iov, int iov_size);
bool vhost_umem_access_ok(struct vhost_umem *umem, void __user *log_base,
			  bool log_all);

/* vring.c */
int vhost_vq_get_desc(struct vhost_virtqueue *vq, struct iovec *iov,
		      unsigned int iov_size, unsigned int *out_num,
		      unsigned int *in_num, struct vhost_log *log,
		      unsigned int *log_num);
void vhost_vq_discard_desc(struct vhost_virtqueue *vq, int n);
int vhost_vq_add_used_n(struct vhost_virtqueue *vq,
			struct vring_used_elem *heads, unsigned int count);
void vhost_vq_signal(struct vhost_virtqueue *vq);
void vhost_vq_signal_now(struct vhost_virtqueue *vq);
int vhost_vq_add_used_and_signal_n(struct vhost_virtqueue *vq,
				   struct vring_used_elem *heads,
				   unsigned int count);
bool vhost_vq_enable_notify(struct vhost_virtqueue *vq);
void vhost_vq_disable_notify(struct vhost_virtqueue *vq);
bool vhost_vq_avail_empty(struct vhost_virtqueue *vq);
int vhost_vq_write_used_flags(struct vhost_virtqueue *vq);
size_t vhost_vq_desc_size(unsigned int num);
size_t vhost_vq_avail_size(struct vhost_virtqueue *vq, unsigned int num);
size_t vhost_vq_used_size(struct vhost_virtqueue *vq, unsigned int num);
int vhost_vq_read_used_idx(struct vhost_virtqueue *vq, u16 *idx);
void vhost_vq_reset(struct vhost_virtqueue *vq);
__printf(2, 3) void vq_err(struct vhost_virtqueue *vq, const char *fmt, ...);

/* worker.c */
void vhost_work_init(struct vhost_work *work, vhost_work_fn_t fn);
bool vhost_work_queue(struct vhost_dev *dev, struct vhost_work *work);
bool vhost_dev_has_work(struct vhost_dev *dev);
void vhost_dev_flush(struct vhost_dev *dev);
int vhost_worker_create(struct vhost_dev *dev);
void vhost_worker_destroy(struct vhost_dev *dev);
void vhost_dev_set_pid(struct vhost_dev *dev, struct pid **slot,
		       struct pid *pid);
pid_t vhost_dev_owner_vnr(struct vhost_dev *dev);
pid_t vhost_dev_worker_vnr(struct vhost_dev *dev);
void vhost_poll_init(struct vhost_poll *poll, vhost_work_fn_t fn,
		     __poll_t mask, struct vhost_dev *dev,
		     struct vhost_virtqueue *vq);
int vhost_poll_start(struct vhost_poll *poll, struct file *file);
int vhost_poll_start_batched(struct vhost_poll *poll, struct file *file,
			     unsigned int batch);
void vhost_poll_stop(struct vhost_poll *poll);
bool vhost_poll_queue(struct vhost_poll *poll);

/* pace.c */
void vhost_pace_init(struct vhost_virtqueue *vq);
void vhost_pace_reset(struct vhost_virtqueue *vq);
void vhost_pace_restart(struct vhost_virtqueue *vq);
void vhost_pace_cancel(struct vhost_virtqueue *vq);
void vhost_pace_stop(struct vhost_virtqueue *vq);
int vhost_pace_check(const struct vhost_pace_params *p, const char **why);
int vhost_pace_set_params(struct vhost_virtqueue *vq,
			  const struct vhost_pace_params *p, const char **why);
void vhost_pace_get_params(struct vhost_virtqueue *vq,
			   struct vhost_pace_params *p);
bool vhost_pace_keep_polling(struct vhost_virtqueue *vq, bool found);
u64 vhost_pace_pass_begin(struct vhost_virtqueue *vq);
void vhost_pace_pass_end(struct vhost_virtqueue *vq, u64 start, bool found);
bool vhost_pace_hold_signal(struct vhost_virtqueue *vq);
void vhost_pace_signal_released(struct vhost_virtqueue *vq);

static inline bool vhost_pace_polling(struct vhost_virtqueue *vq)
{
	return READ_ONCE(vq->pace.polling);
}

/* iotlb.c */
void vhost_iotlb_init(struct vhost_dev *dev);
int vhost_iotlb_set_enabled(struct vhost_dev *dev, bool enable);
void vhost_iotlb_set_backend_features(struct vhost_dev *dev, u64 features);
void vhost_iotlb_cleanup(struct vhost_dev *dev);
int vhost_iotlb_piece(struct vhost_virtqueue *vq, u64 iova, u64 len, u8 access,
		      u64 *hva, u64 *chunk);
int vhost_iotlb_translate(struct vhost_virtqueue *vq, u64 iova, u64 len,
			  u8 access, struct iovec *iov, int iov_size);
int vhost_iotlb_copy_from(struct vhost_virtqueue *vq, void *dst, u64 iova,
			  size_t len);
int vhost_iotlb_copy_to(struct vhost_virtqueue *vq, u64 iova, const void *src,
			size_t len);
int vhost_vq_iotlb_prefetch(struct vhost_virtqueue *vq);
ssize_t vhost_iotlb_read(struct vhost_dev *dev, struct iov_iter *to,
			 bool nonblock);
ssize_t vhost_iotlb_write(struct vhost_dev *dev, struct iov_iter *from);
__poll_t vhost_iotlb_poll(struct vhost_dev *dev, struct file *file,
			  poll_table *wait);

/* log.c */
int vhost_log_write(struct vhost_virtqueue *vq, struct vhost_log *log,
		    unsigned int log_num, u64 len);
int vhost_log_used(struct vhost_virtqueue *vq, u64 offset, u64 len);
bool vhost_log_access_ok(void __user *log_base, u64 addr, u64 size);
bool vhost_dev_log_access_ok(struct vhost_dev *dev);

static inline bool vhost_has_feature(struct vhost_virtqueue *vq, int bit)
{
	return vq->acked_features & BIT_ULL(bit);
}

/*
 * Ring addresses and descriptor buffers are IOVAs of the device IOTLB.
 * Caller must hold vq->mutex.
 */
static inline bool vhost_vq_iotlb(struct vhost_virtqueue *vq)
{
	return vhost_has_feature(vq, VIRTIO_F_ACCESS_PLATFORM);
}

static inline bool vhost_backend_has_feature(struct vhost_virtqueue *vq,
					     int bit)
{
	return vq->acked_backend_features & BIT_ULL(bit);
}

static inline u16 vhost16_to_cpu(struct vhost_virtqueue *vq, __virtio16 val)
{
	return __virtio16_to_cpu(vq->is_le, val);
}

static inline __virtio16 cpu_to_vhost16(struct vhost_virtqueue *vq, u16 val)
{
	return __cpu_to_virtio16(vq->is_le, val);
}

static inline u32 vhost32_to_cpu(struct vhost_virtqueue *vq, __virtio32 val)
{
	return __virtio32_to_cpu(vq->is_le, val);
}

static inline __virtio32 cpu_to_vhost32(struct vhost_virtqueue *vq, u32 val)
{
	return __cpu_to_virtio32(vq->is_le, val);
}

static inline u64 vhost64_to_cpu(struct vhost_virtqueue *vq, __virtio64 val)
{
	return __virtio64_to_cpu(vq->is_le, val);
}

/* The backend of a vq. Caller must hold vq->mutex. */
static inline void *vhost_vq_get_backend(struct vhost_virtqueue *vq)
{
	return vq->private_data;
}

/*
 * Features every vhost device implements. Deliberately absent: ring packing,
 * IN_ORDER.
 */
#define VHOST_FEATURES \
	(BIT_ULL(VIRTIO_F_NOTIFY_ON_EMPTY) | \
	 BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) | \
	 BIT_ULL(VIRTIO_RING_F_EVENT_IDX) | \
	 BIT_ULL(VHOST_F_LOG_ALL) | \
	 BIT_ULL(VIRTIO_F_ANY_LAYOUT) | \
	 BIT_ULL(VIRTIO_F_VERSION_1) | \
	 BIT_ULL(VIRTIO_F_ACCESS_PLATFORM))

/* Backend features: the IOTLB message format and batching (iotlb.c). */
#define VHOST_BACKEND_FEATURES \
	(BIT_ULL(VHOST_BACKEND_F_IOTLB_MSG_V2) | \
	 BIT_ULL(VHOST_BACKEND_F_IOTLB_BATCH))

#endif /* _LWVHOST_VHOST_H */
