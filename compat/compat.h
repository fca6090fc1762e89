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
 * With vhost_task (6.10+ signature) the worker is a thread of the owner
 * process: it shares its mm, cgroups and CPU accounting. Otherwise it is a
 * kthread that borrows the owner's mm and joins the owner's cgroups, as the
 * stock vhost does on those kernels; it is never killed.
 */
#ifdef COMPAT_VHOST_TASK_HANDLE_KILL
#include <linux/err.h>
#include <linux/sched/vhost_task.h>

struct compat_worker_task {
	struct vhost_task *vtsk;
};

static inline int compat_worker_create(struct compat_worker_task *t,
				       bool (*fn)(void *),
				       void (*kill)(void *), void *arg,
				       const char *name)
{
	struct vhost_task *vtsk = vhost_task_create(fn, kill, arg, name);

	/* Older 6.12 stables return NULL, newer ones an ERR_PTR. */
	if (IS_ERR_OR_NULL(vtsk))
		return vtsk ? PTR_ERR(vtsk) : -ENOMEM;
	t->vtsk = vtsk;
	return 0;
}

static inline void compat_worker_start(struct compat_worker_task *t)
{
	vhost_task_start(t->vtsk);
}

static inline void compat_worker_wake(struct compat_worker_task *t)
{
	vhost_task_wake(t->vtsk);
}

static inline void compat_worker_stop(struct compat_worker_task *t)
{
	vhost_task_stop(t->vtsk);
	t->vtsk = NULL;
}

#else /* kthread fallback */
#include <linux/cgroup.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>

struct compat_worker_task {
	struct task_struct *task;
	struct mm_struct *mm;
	bool (*fn)(void *arg);
	void *arg;
};

static inline int compat_worker_thread(void *data)
{
	struct compat_worker_task *t = data;

	kthread_use_mm(t->mm);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			break;
		}
		if (!t->fn(t->arg))
			schedule();
		else
			__set_current_state(TASK_RUNNING);
		cond_resched();
	}
	kthread_unuse_mm(t->mm);
	return 0;
}

static inline int compat_worker_create(struct compat_worker_task *t,
				       bool (*fn)(void *),
				       void (*kill)(void *), void *arg,
				       const char *name)
{
	struct task_struct *task;
	int r;

	t->fn = fn;
	t->arg = arg;
	t->mm = current->mm;
	mmgrab(t->mm);
	task = kthread_create(compat_worker_thread, t, "%s", name);
	if (IS_ERR(task)) {
		mmdrop(t->mm);
		return PTR_ERR(task);
	}
	/* Account the worker to the owner's cgroups (cpu, memory, ...). */
	r = cgroup_attach_task_all(current, task);
	if (r) {
		kthread_stop(task);
		mmdrop(t->mm);
		return r;
	}
	t->task = task;
	return 0;
}

static inline void compat_worker_start(struct compat_worker_task *t)
{
	wake_up_process(t->task);
}

static inline void compat_worker_wake(struct compat_worker_task *t)
{
	wake_up_process(t->task);
}

static inline void compat_worker_stop(struct compat_worker_task *t)
{
	kthread_stop(t->task);
	t->task = NULL;
	mmdrop(t->mm);
	t->mm = NULL;
}
#endif /* COMPAT_VHOST_TASK_HANDLE_KILL */

#endif /* _LWVHOST_COMPAT_H */
