/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Force-included into every lwvhost source file (see Kbuild). This is the
 * only place that knows about differences between the kernels we support
 * (Debian's 6.1 and 6.12 series); the flags come from compat/probes.mk.
 */
#ifndef _LWVHOST_COMPAT_H
#define _LWVHOST_COMPAT_H

#include <linux/version.h>
#include <linux/eventfd.h>

/* Signal an eventfd once. */
#ifdef COMPAT_EVENTFD_SIGNAL_NO_COUNT
#define compat_eventfd_signal(ctx) eventfd_signal(ctx)
#else
#define compat_eventfd_signal(ctx) eventfd_signal((ctx), 1)
#endif

/*
 * The device worker.
 *
 * compat_worker_create() must be called by the owner process. It creates a
 * stopped worker that calls fn(arg) in a loop: fn returns true if it did
 * work, false to sleep until compat_worker_wake(). fn runs in
 * TASK_INTERRUPTIBLE state and must set TASK_RUNNING before it blocks.
 * kill(arg) is called once, from the worker, if the owner is killed before
 * compat_worker_stop(); fn is not called again after that.
 *
 * Two kinds of worker:
 * - a vhost_task (6.10+ signature): a thread of the owner process, sharing
 *   its mm, cgroups, rlimits and CPU accounting; killed with the owner;
 * - a kthread that borrows the owner's mm and joins the owner's cgroups,
 *   as the stock vhost does without vhost_task; it is never killed.
 * Where the kernel has vhost_task and its UAPI has the fork-from-owner
 * ioctls (COMPAT_WORKER_MODES), the caller picks one per device; elsewhere
 * the worker is whatever the kernel has.
 */
#include <linux/cgroup.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/vhost.h>

struct compat_kthread {
	struct task_struct *task;
	struct mm_struct *mm;
	bool (*fn)(void *arg);
	void *arg;
};

static inline int compat_kthread_fn(void *data)
{
	struct compat_kthread *k = data;

	kthread_use_mm(k->mm);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			break;
		}
		if (!k->fn(k->arg))
			schedule();
		else
			__set_current_state(TASK_RUNNING);
		cond_resched();
	}
	kthread_unuse_mm(k->mm);
	return 0;
}

static inline int compat_kthread_create(struct compat_kthread *k,
					bool (*fn)(void *), void *arg,
					const char *name)
{
	struct task_struct *task;
	int r;

	k->fn = fn;
	k->arg = arg;
	k->mm = current->mm;
	mmgrab(k->mm);
	task = kthread_create(compat_kthread_fn, k, "%s", name);
	if (IS_ERR(task)) {
		mmdrop(k->mm);
		return PTR_ERR(task);
	}
	/* Account the worker to the owner's cgroups (cpu, memory, ...). */
	r = cgroup_attach_task_all(current, task);
	if (r) {
		kthread_stop(task);
		mmdrop(k->mm);
		return r;
	}
	k->task = task;
	return 0;
}

static inline void compat_kthread_stop(struct compat_kthread *k)
{
	kthread_stop(k->task);
	k->task = NULL;
	mmdrop(k->mm);
	k->mm = NULL;
}

#ifdef COMPAT_VHOST_TASK_HANDLE_KILL
#include <linux/sched/vhost_task.h>

#ifdef VHOST_SET_FORK_FROM_OWNER
#define COMPAT_WORKER_MODES
#endif

/* Exactly one of vtsk and kt.task is set while the worker exists. */
struct compat_worker_task {
	struct vhost_task *vtsk;
	struct compat_kthread kt;
};

static inline int compat_worker_create(struct compat_worker_task *t,
				       bool (*fn)(void *),
				       void (*kill)(void *), void *arg,
				       const char *name, bool kthread)
{
	struct vhost_task *vtsk;

	if (kthread)
		return compat_kthread_create(&t->kt, fn, arg, name);
	vtsk = vhost_task_create(fn, kill, arg, name);
	/* Older 6.12 stables return NULL, newer ones an ERR_PTR. */
	if (IS_ERR_OR_NULL(vtsk))
		return vtsk ? PTR_ERR(vtsk) : -ENOMEM;
	t->vtsk = vtsk;
	return 0;
}

static inline void compat_worker_start(struct compat_worker_task *t)
{
	if (t->vtsk)
		vhost_task_start(t->vtsk);
	else
		wake_up_process(t->kt.task);
}

static inline void compat_worker_wake(struct compat_worker_task *t)
{
	if (t->vtsk)
		vhost_task_wake(t->vtsk);
	else
		wake_up_process(t->kt.task);
}

static inline void compat_worker_stop(struct compat_worker_task *t)
{
	if (t->vtsk) {
		vhost_task_stop(t->vtsk);
		t->vtsk = NULL;
	} else {
		compat_kthread_stop(&t->kt);
	}
}

#else /* kthread only */

struct compat_worker_task {
	struct compat_kthread kt;
};

static inline int compat_worker_create(struct compat_worker_task *t,
				       bool (*fn)(void *),
				       void (*kill)(void *), void *arg,
				       const char *name, bool kthread)
{
	return compat_kthread_create(&t->kt, fn, arg, name);
}

static inline void compat_worker_start(struct compat_worker_task *t)
{
	wake_up_process(t->kt.task);
}

static inline void compat_worker_wake(struct compat_worker_task *t)
{
	wake_up_process(t->kt.task);
}

static inline void compat_worker_stop(struct compat_worker_task *t)
{
	compat_kthread_stop(&t->kt);
}
#endif /* COMPAT_VHOST_TASK_HANDLE_KILL */

#endif /* _LWVHOST_COMPAT_H */
