// SPDX-License-Identifier: GPL-2.0
/*
 * lwvhost core: the per-device worker, its work items, and file polling.
 *
 * Every data-path handler runs as a work item on the device's single worker,
 * so handlers of one device never run concurrently. Work items must not
 * sleep waiting for the guest; they do a bounded pass and requeue
 * themselves if more work remains.
 */
#include <linux/completion.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "vhost.h"

void vhost_work_init(struct vhost_work *work, vhost_work_fn_t fn)
{
	clear_bit(VHOST_WORK_QUEUED, &work->flags);
	work->fn = fn;
}
EXPORT_SYMBOL_GPL(vhost_work_init);

/*
 * Queue work on the device's worker unless it is already queued. Any
 * context, including hard interrupt, and without dev->mutex: the worker is
 * looked up under RCU and vhost_worker_destroy() waits for a grace period.
 * Returns false if the device has no live worker, in which case the work
 * will never run.
 */
bool vhost_work_queue(struct vhost_dev *dev, struct vhost_work *work)
{
	struct vhost_worker *w;
	unsigned long flags;
	bool queued = false;

	rcu_read_lock();
	w = rcu_dereference(dev->worker);
	if (!w)
		goto out;
	queued = true;
	if (test_and_set_bit(VHOST_WORK_QUEUED, &work->flags))
		goto out;

	spin_lock_irqsave(&w->lock, flags);
	if (unlikely(w->killed)) {
		spin_unlock_irqrestore(&w->lock, flags);
		clear_bit(VHOST_WORK_QUEUED, &work->flags);
		queued = false;
		goto out;
	}
	llist_add(&work->node, &w->work_list);
	/*
	 * Wake under the lock that excludes a killed worker: once
	 * vhost_worker_killed() has set killed, the task may exit, and a
	 * vhost_task that is not pinned must not be woken after that.
	 */
	compat_worker_wake(&w->task);
	spin_unlock_irqrestore(&w->lock, flags);
out:
	rcu_read_unlock();
	return queued;
}
EXPORT_SYMBOL_GPL(vhost_work_queue);

bool vhost_dev_has_work(struct vhost_dev *dev)
{
	struct vhost_worker *w;
	bool busy;

	rcu_read_lock();
	w = rcu_dereference(dev->worker);
	busy = w && !llist_empty(&w->work_list);
	rcu_read_unlock();
	return busy;
}
EXPORT_SYMBOL_GPL(vhost_dev_has_work);

/* Run everything queued so far. Returns true if anything ran. */
static bool vhost_worker_run(void *data)
{
	struct vhost_worker *w = data;
	struct llist_node *node;
	struct vhost_work *work, *next;

	if (unlikely(!w->pid_published)) {
		vhost_dev_set_pid(w->dev, &w->dev->worker_pid,
				  get_task_pid(current, PIDTYPE_PID));
		w->pid_published = true;
	}

	node = llist_del_all(&w->work_list);
	if (!node)
		return false;

	__set_current_state(TASK_RUNNING);
	node = llist_reverse_order(node);
	llist_for_each_entry_safe(work, next, node, node) {
		/*
		 * Clear the bit before running, so an event that arrives while
		 * the handler runs queues it again rather than being lost.
		 */
		clear_bit(VHOST_WORK_QUEUED, &work->flags);
		/* Pairs with test_and_set_bit() in vhost_work_queue(). */
		smp_mb__after_atomic();
		work->fn(work);
		cond_resched();
	}
	return true;
}

/*
 * The owner process was killed (6.12: the worker is one of its threads).
 * From now on nothing can be queued; run what is already queued, so that
 * pending flushes complete, and let flushers wait until that is done.
 */
static void vhost_worker_killed(void *data)
{
	struct vhost_worker *w = data;

	mutex_lock(&w->kill_mutex);
	spin_lock_irq(&w->lock);
	w->killed = true;
	spin_unlock_irq(&w->lock);
	while (vhost_worker_run(w))
		;
	mutex_unlock(&w->kill_mutex);
}

struct vhost_flush_work {
	struct vhost_work work;
	struct completion done;
};

static void vhost_flush_fn(struct vhost_work *work)
{
	struct vhost_flush_work *f =
		container_of(work, struct vhost_flush_work, work);

	complete(&f->done);
}

/*
 * Wait until every work item queued before this call has finished running.
 * Caller must hold dev->mutex (which keeps the worker alive), and must not
 * be the worker or hold a vq mutex.
 */
void vhost_dev_flush(struct vhost_dev *dev)
{
	struct vhost_worker *w = rcu_dereference_protected(dev->worker,
				lockdep_is_held(&dev->mutex));
	struct vhost_flush_work f;

	if (!w)
		return;
	init_completion(&f.done);
	vhost_work_init(&f.work, vhost_flush_fn);
	if (vhost_work_queue(dev, &f.work)) {
		wait_for_completion(&f.done);
		return;
	}
	/* Killed: wait for the drain of what was queued before. */
	mutex_lock(&w->kill_mutex);
	mutex_unlock(&w->kill_mutex);
}
EXPORT_SYMBOL_GPL(vhost_dev_flush);

/* Caller must hold dev->mutex and be the owner. */
int vhost_worker_create(struct vhost_dev *dev)
{
	struct vhost_worker *w;
	char name[TASK_COMM_LEN];
	int r;

	lockdep_assert_held(&dev->mutex);
	w = kzalloc(sizeof(*w), GFP_KERNEL_ACCOUNT);
	if (!w)
		return -ENOMEM;
	init_llist_head(&w->work_list);
	spin_lock_init(&w->lock);
	mutex_init(&w->kill_mutex);
	w->dev = dev;

	snprintf(name, sizeof(name), "vhost-%d", current->pid);
	r = compat_worker_create(&w->task, vhost_worker_run,
				 vhost_worker_killed, w, name, !dev->fork_owner);
	if (r) {
		kfree(w);
		return r;
	}
	rcu_assign_pointer(dev->worker, w);
	compat_worker_start(&w->task);
	return 0;
}
EXPORT_SYMBOL_GPL(vhost_worker_create);

/*
 * Caller must hold dev->mutex, and must have stopped every poll and flushed.
 * The control plane may still queue work without dev->mutex until the
 * grace period below ends; such late items never run, and their queued
 * bits are cleared so the work items can be queued on a later worker.
 */
void vhost_worker_destroy(struct vhost_dev *dev)
{
	struct vhost_worker *w = rcu_dereference_protected(dev->worker,
				lockdep_is_held(&dev->mutex));
	struct vhost_work *work, *next;
	struct llist_node *node;

	if (!w)
		return;
	RCU_INIT_POINTER(dev->worker, NULL);
	synchronize_rcu();
	compat_worker_stop(&w->task);
	node = llist_del_all(&w->work_list);
	llist_for_each_entry_safe(work, next, node, node)
		clear_bit(VHOST_WORK_QUEUED, &work->flags);
	vhost_dev_set_pid(dev, &dev->worker_pid, NULL);
	kfree(w);
}
EXPORT_SYMBOL_GPL(vhost_worker_destroy);

/* Publish pid (a reference the caller gives up) in *slot, or clear it. */
void vhost_dev_set_pid(struct vhost_dev *dev, struct pid **slot,
		       struct pid *pid)
{
	spin_lock(&dev->ids_lock);
	swap(*slot, pid);
	spin_unlock(&dev->ids_lock);
	put_pid(pid);
}

/* A pid as the calling task's pid namespace sees it (0: not visible). */
static pid_t vhost_dev_pid_vnr(struct vhost_dev *dev, struct pid **slot)
{
	pid_t nr;

	spin_lock(&dev->ids_lock);
	nr = *slot ? pid_vnr(*slot) : 0;
	spin_unlock(&dev->ids_lock);
	return nr;
}

/* The owner's process id, in the caller's pid namespace; 0 if none. */
pid_t vhost_dev_owner_vnr(struct vhost_dev *dev)
{
	return vhost_dev_pid_vnr(dev, &dev->owner_pid);
}
EXPORT_SYMBOL_GPL(vhost_dev_owner_vnr);

/* The worker's thread id, in the caller's pid namespace; 0 if none. */
pid_t vhost_dev_worker_vnr(struct vhost_dev *dev)
{
	return vhost_dev_pid_vnr(dev, &dev->worker_pid);
}
EXPORT_SYMBOL_GPL(vhost_dev_worker_vnr);

/* poll_table callback: remember the wait queue and join it. */
static void vhost_poll_func(struct file *file, wait_queue_head_t *wqh,
			    poll_table *pt)
{
	struct vhost_poll *poll = container_of(pt, struct vhost_poll, table);

	poll->wqh = wqh;
	add_wait_queue(wqh, &poll->wait);
}

/* Wake-up callback, called with the polled wait queue's lock held. */
static int vhost_poll_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			     int sync, void *key)
{
	struct vhost_poll *poll = container_of(wait, struct vhost_poll, wait);

	if (!(key_to_poll(key) & poll->mask))
		return 0;
	if (poll->batch && ++poll->wakeups < poll->batch)
		return 0;
	if (poll->vq)
		poll->vq->stats.kicks++;
	vhost_poll_queue(poll);
	return 0;
}

void vhost_poll_init(struct vhost_poll *poll, vhost_work_fn_t fn,
		     __poll_t mask, struct vhost_dev *dev,
		     struct vhost_virtqueue *vq)
{
	init_waitqueue_func_entry(&poll->wait, vhost_poll_wakeup);
	init_poll_funcptr(&poll->table, vhost_poll_func);
	poll->mask = mask;
	poll->dev = dev;
	poll->vq = vq;
	poll->wqh = NULL;
	poll->batch = 0;
	poll->wakeups = 0;
	vhost_work_init(&poll->work, fn);
}
EXPORT_SYMBOL_GPL(vhost_poll_init);

/*
 * Start polling file. If it is already ready, the work is queued at once.
 * The caller keeps a reference to file for as long as the poll is active.
 */
int vhost_poll_start(struct vhost_poll *poll, struct file *file)
{
	return vhost_poll_start_batched(poll, file, 0);
}
EXPORT_SYMBOL_GPL(vhost_poll_start);

/*
 * Start polling file, queuing the work only at the batch-th wakeup from
 * now (batch 0: at every wakeup, and at once if the file is ready). With a
 * batch, data already waiting is left for the caller's timer.
 */
int vhost_poll_start_batched(struct vhost_poll *poll, struct file *file,
			     unsigned int batch)
{
	__poll_t mask;

	if (poll->wqh)
		return 0;
	poll->batch = batch;
	poll->wakeups = 0;
	mask = vfs_poll(file, &poll->table);
	if ((mask & poll->mask) && !batch)
		vhost_poll_queue(poll);
	if (mask & EPOLLERR) {
		vhost_poll_stop(poll);
		return -EINVAL;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(vhost_poll_start_batched);

/*
 * Stop polling. When this returns the wake-up callback is not running and
 * will not run again; already-queued work may still run (flush for that).
 */
void vhost_poll_stop(struct vhost_poll *poll)
{
	if (poll->wqh) {
		remove_wait_queue(poll->wqh, &poll->wait);
		poll->wqh = NULL;
	}
}
EXPORT_SYMBOL_GPL(vhost_poll_stop);

bool vhost_poll_queue(struct vhost_poll *poll)
{
	return vhost_work_queue(poll->dev, &poll->work);
}
EXPORT_SYMBOL_GPL(vhost_poll_queue);
