// SPDX-License-Identifier: GPL-2.0
/*
 * lwvhost core: pacing of one virtqueue.
 *
 * Poll mode (poll_interval_us > 0): after a handler pass that found work,
 * guest notifications stay off and an hrtimer queues the vq's handler again
 * after the interval. After idle_polls consecutive empty passes the handler
 * goes back to event mode: it re-enables notifications with the usual
 * re-check of the avail index, exactly as in stock. Nothing sleeps in the
 * worker; the timer only queues work.
 *
 * Adaptive mode (latency_budget_us > 0, which then overrides the two
 * knobs above): the law of pace_law.h picks, after every pass, event mode
 * or the next interval, from the arrival rate it measures; it never waits
 * longer than the budget. The budget bounds what polling adds to a round
 * trip through the device: while another queue of the device polls, a
 * request may wait for one poll and its answer for the other, so each
 * queue then plans with half the budget.
 *
 * Timers get slack (the last eighth of the interval, at most
 * VHOST_PACE_SLACK_MAX_NS) so that the expirations of many queues merge;
 * a poll still never comes later than the interval (or the budget).
 * When both queues of a device poll, one expiry can serve both: it also
 * polls a sibling whose timer is in the last half of its interval, so the
 * worker need not wake once per queue.
 *
 * Coalescing (coalesce_usecs / coalesce_frames > 0): the call eventfd is
 * held until coalesce_frames completions are pending or coalesce_usecs have
 * passed since the first held one (in adaptive mode only while polling).
 * A held signal is released through the normal EVENT_IDX / NO_INTERRUPT
 * check over the whole released range, so the guest's wishes are still
 * honoured.
 *
 * Timers run in hard interrupt context and only queue work; everything
 * else here runs with vq->mutex held, from the worker or from the setter.
 */
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/sched/clock.h>
#include <uapi/linux/lwvhost.h>

#include "vhost.h"

#define VHOST_PACE_SLACK_MAX_NS (50 * NSEC_PER_USEC)

/* Expire within the last eighth of ns (at most 50 us), never after it. */
static void vhost_pace_arm(struct vhost_pace *p, u64 ns)
{
	u64 slack = min_t(u64, ns / 8, VHOST_PACE_SLACK_MAX_NS);

	WRITE_ONCE(p->armed_ns, ns);
	hrtimer_start_range_ns(&p->poll_timer, ns_to_ktime(ns - slack), slack,
			       HRTIMER_MODE_REL);
}

/*
 * The worker is being woken for vq anyway: poll the device's other queues
 * now too if their own timers would expire within the last half of their
 * intervals. Polling early never delays a packet; it only makes the batch
 * a little smaller. A sibling whose timer is dequeued here is polled
 * exactly as its own expiry would have done; one whose callback is
 * already running (try_to_cancel() < 1) is left to it.
 */
static void vhost_pace_serve_siblings(struct vhost_virtqueue *vq)
{
	struct vhost_dev *dev = vq->dev;
	int i;

	for (i = 0; i < dev->nvqs; i++) {
		struct vhost_virtqueue *sib = dev->vqs[i];
		struct vhost_pace *p = &sib->pace;

		if (sib == vq || !READ_ONCE(p->polling) ||
		    !hrtimer_is_queued(&p->poll_timer))
			continue;
		if (ktime_to_ns(hrtimer_expires_remaining(&p->poll_timer)) >
		    READ_ONCE(p->armed_ns) / 2)
			continue;
		if (hrtimer_try_to_cancel(&p->poll_timer) != 1)
			continue;
		WRITE_ONCE(sib->stats.shared_polls, sib->stats.shared_polls + 1);
		vhost_poll_queue(&sib->poll);
	}
}

static enum hrtimer_restart vhost_pace_poll_timer_fn(struct hrtimer *timer)
{
	struct vhost_virtqueue *vq =
		container_of(timer, struct vhost_virtqueue, pace.poll_timer);

	/* The only writer: an hrtimer callback never runs concurrently with itself. */
	WRITE_ONCE(vq->stats.timer_wakeups, vq->stats.timer_wakeups + 1);
	vhost_pace_serve_siblings(vq);
	vhost_poll_queue(&vq->poll);
	return HRTIMER_NORESTART;
}

static enum hrtimer_restart vhost_pace_signal_timer_fn(struct hrtimer *timer)
{
	struct vhost_virtqueue *vq =
		container_of(timer, struct vhost_virtqueue, pace.signal_timer);

	vhost_work_queue(vq->dev, &vq->pace.signal_work);
	return HRTIMER_NORESTART;
}

/* Release a held signal, from the worker (it needs the owner's mm). */
static void vhost_pace_signal_work_fn(struct vhost_work *work)
{
	struct vhost_virtqueue *vq =
		container_of(work, struct vhost_virtqueue, pace.signal_work);

	mutex_lock(&vq->mutex);
	if (vq->pace.signal_held)
		vhost_vq_signal_now(vq);
	mutex_unlock(&vq->mutex);
}

void vhost_pace_init(struct vhost_virtqueue *vq)
{
	struct vhost_pace *p = &vq->pace;

	p->params.idle_polls = LWVHOST_IDLE_POLLS_DEFAULT;
	hrtimer_init(&p->poll_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	p->poll_timer.function = vhost_pace_poll_timer_fn;
	hrtimer_init(&p->signal_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	p->signal_timer.function = vhost_pace_signal_timer_fn;
	vhost_work_init(&p->signal_work, vhost_pace_signal_work_fn);
	vhost_pace_reset(vq);
}

/* Forget the run-time state (not the parameters). */
void vhost_pace_reset(struct vhost_virtqueue *vq)
{
	vq->pace.signal_held = false;
	vhost_pace_restart(vq);
}

/* What the law has seen: the next look counts from here. */
static void vhost_pace_law_looked(struct vhost_virtqueue *vq)
{
	vq->pace.law_packets = vq->stats.packets;
	vq->pace.law_avail = vq->last_avail_idx;
}

/*
 * A backend was (re)attached: start over in event mode, but keep a signal
 * that is still held for completions already in the used ring. The worker
 * releases it (vhost_pace_stop() queued that), so a guest waiting for
 * those completions is interrupted even when one backend directly
 * replaced another. Caller must hold vq->mutex.
 */
void vhost_pace_restart(struct vhost_virtqueue *vq)
{
	WRITE_ONCE(vq->pace.polling, false);
	vq->pace.idle = 0;
	pace_law_reset(&vq->pace.law);
	vhost_pace_law_looked(vq);
	if (!vq->pace.signal_held)
		vq->pace.signal_base = vq->last_used_idx;
}

/*
 * Cancel both timers and wait for running callbacks (which never take
 * vq->mutex, so the caller may hold it). The timers stay idle until a
 * handler pass arms them again, so callers stop the backend first.
 */
void vhost_pace_cancel(struct vhost_virtqueue *vq)
{
	hrtimer_cancel(&vq->pace.poll_timer);
	hrtimer_cancel(&vq->pace.signal_timer);
}

/*
 * The backend of vq is going away. Stop the timers, leave poll mode, and
 * have the worker deliver a held signal so the guest sees every completion
 * (the caller flushes). Caller must hold vq->mutex.
 */
void vhost_pace_stop(struct vhost_virtqueue *vq)
{
	bool held = vq->pace.signal_held;

	vhost_pace_cancel(vq);
	WRITE_ONCE(vq->pace.polling, false);
	vq->pace.idle = 0;
	pace_law_reset(&vq->pace.law);
	if (held)
		vhost_work_queue(vq->dev, &vq->pace.signal_work);
}
EXPORT_SYMBOL_GPL(vhost_pace_stop);

/* Where each knob sits in struct vhost_pace_params and what it accepts. */
static const struct vhost_pace_range {
	size_t offset;
	u32 min, max;
	const char *why;
} vhost_pace_ranges[VHOST_PACE_KNOB_COUNT] = {
#define VHOST_PACE_KNOB_RANGE(name, min, max, ...)			\
	{ offsetof(struct vhost_pace_params, name), min, max,		\
	  #name " out of range (" __stringify(min) "-" __stringify(max) ")" },
	VHOST_PACE_KNOBS(VHOST_PACE_KNOB_RANGE)
#undef VHOST_PACE_KNOB_RANGE
};

static u32 *vhost_pace_field(struct vhost_pace_params *p, int knob)
{
	return (u32 *)((char *)p + vhost_pace_ranges[knob].offset);
}

static u32 vhost_pace_value(const struct vhost_pace_params *p, int knob)
{
	return *(const u32 *)((const char *)p + vhost_pace_ranges[knob].offset);
}

int vhost_pace_check(const struct vhost_pace_params *p, const char **why)
{
	int k;

	for (k = 0; k < VHOST_PACE_KNOB_COUNT; k++) {
		const struct vhost_pace_range *r = &vhost_pace_ranges[k];
		u32 v = vhost_pace_value(p, k);

		if (v < r->min || v > r->max) {
			*why = r->why;
			return -EINVAL;
		}
	}
	return 0;
}
EXPORT_SYMBOL_GPL(vhost_pace_check);

/*
 * The one setter. Validates, stores, and queues the handler and the signal
 * release so the new values take effect at once: a queue leaving poll mode
 * re-enables notifications on its next pass, a held signal is re-judged.
 * Returns -EINVAL (and keeps the old values) if p is out of range.
 *
 * Takes no vq or device lock: the owner can hold those for as long as it
 * likes, and the control plane must not wait for it. Callers serialise
 * setters of one vq among themselves. Work queued while the device is
 * being reset is dropped by vhost_worker_destroy().
 */
int vhost_pace_set_params(struct vhost_virtqueue *vq,
			  const struct vhost_pace_params *p, const char **why)
{
	int r = vhost_pace_check(p, why);
	int k;

	if (r)
		return r;
	for (k = 0; k < VHOST_PACE_KNOB_COUNT; k++)
		WRITE_ONCE(*vhost_pace_field(&vq->pace.params, k),
			   vhost_pace_value(p, k));
	vhost_work_queue(vq->dev, &vq->pace.signal_work);
	if (vq->handle_kick)
		vhost_poll_queue(&vq->poll);
	return 0;
}
EXPORT_SYMBOL_GPL(vhost_pace_set_params);

/* A consistent-enough snapshot for the control surfaces; no lock needed. */
void vhost_pace_get_params(struct vhost_virtqueue *vq,
			   struct vhost_pace_params *p)
{
	int k;

	for (k = 0; k < VHOST_PACE_KNOB_COUNT; k++)
		*vhost_pace_field(p, k) =
			READ_ONCE(*vhost_pace_field(&vq->pace.params, k));
}
EXPORT_SYMBOL_GPL(vhost_pace_get_params);

static void vhost_pace_set_mode(struct vhost_virtqueue *vq, bool polling)
{
	if (vq->pace.polling == polling)
		return;
	WRITE_ONCE(vq->pace.polling, polling);
	vq->pace.idle = 0;
	vq->stats.mode_switches++;
}

/*
 * The budget vq's law plans with: all of it, or half while another queue
 * of the device polls (a round trip then can wait for both). A sibling
 * that changes mode meanwhile is seen at the next pass.
 */
static u32 vhost_pace_share_budget(struct vhost_virtqueue *vq, u32 budget_us)
{
	struct vhost_dev *dev = vq->dev;
	int i;

	for (i = 0; i < dev->nvqs; i++)
		if (dev->vqs[i] != vq && READ_ONCE(dev->vqs[i]->pace.polling))
			return max(budget_us / 2, 1U);
	return budget_us;
}

/* Adaptive mode: the law decides from the packets moved since it last looked. */
static bool vhost_pace_keep_polling_adaptive(struct vhost_virtqueue *vq,
					     u32 budget_us)
{
	struct vhost_pace *p = &vq->pace;
	u64 moved = vq->stats.packets - p->law_packets;
	/*
	 * Chains taken from the ring since, modulo 2^16: exact unless a flood
	 * took more between two looks (passes cut short by the weight do not
	 * look), which skews the sizing of one pass.
	 */
	u16 chains = vq->last_avail_idx - p->law_avail;
	u64 ns;

	budget_us = vhost_pace_share_budget(vq, budget_us);
	vhost_pace_law_looked(vq);
	ns = pace_law_next(&p->law, local_clock(),
			   (u32)min_t(u64, moved, U32_MAX), chains, budget_us,
			   vq->num);
	vhost_pace_set_mode(vq, ns != 0);
	if (!ns) {
		/*
		 * Event mode holds no signal (vhost_pace_hold_signal()): what
		 * the polls held goes to the guest now, not when the hold
		 * timer fires up to coalesce_usecs later. RX flushes its last
		 * completions before it asks the law, so they are among them.
		 */
		if (p->signal_held)
			vhost_vq_signal_now(vq);
		return false;
	}
	vhost_pace_arm(p, ns);
	return true;
}

/*
 * Called by a handler when it has run out of work, before it re-enables
 * notifications. Returns true if the vq stays (or goes) in poll mode: the
 * caller must then leave guest notifications and backend wakeups off and
 * end the pass; the poll timer is armed. Returns false for event mode: the
 * caller proceeds as stock does. found: the pass moved something. Caller
 * must hold vq->mutex.
 */
bool vhost_pace_keep_polling(struct vhost_virtqueue *vq, bool found)
{
	struct vhost_pace *p = &vq->pace;
	u32 interval = READ_ONCE(p->params.poll_interval_us);
	u32 budget = READ_ONCE(p->params.latency_budget_us);

	if (budget)
		return vhost_pace_keep_polling_adaptive(vq, budget);
	/* A budget set later finds the law counting from now. */
	vhost_pace_law_looked(vq);
	if (!interval) {
		vhost_pace_set_mode(vq, false);
		return false;
	}
	if (found) {
		vhost_pace_set_mode(vq, true);
		p->idle = 0;
	} else if (!p->polling ||
		   ++p->idle >= READ_ONCE(p->params.idle_polls)) {
		vhost_pace_set_mode(vq, false);
		return false;
	}
	vhost_pace_arm(p, (u64)interval * NSEC_PER_USEC);
	return true;
}
EXPORT_SYMBOL_GPL(vhost_pace_keep_polling);

/* Start of a handler pass. Caller must hold vq->mutex. */
u64 vhost_pace_pass_begin(struct vhost_virtqueue *vq)
{
	vq->stats.polls++;
	return local_clock();
}
EXPORT_SYMBOL_GPL(vhost_pace_pass_begin);

/* End of a handler pass begun at start. Caller must hold vq->mutex. */
void vhost_pace_pass_end(struct vhost_virtqueue *vq, u64 start, bool found)
{
	vq->stats.busy_ns += local_clock() - start;
	if (!found)
		vq->stats.empty_polls++;
}
EXPORT_SYMBOL_GPL(vhost_pace_pass_end);

/*
 * Should the signal for the completions just published be held back?
 * Arms the hold timer on the first held signal. Caller must hold
 * vq->mutex.
 */
bool vhost_pace_hold_signal(struct vhost_virtqueue *vq)
{
	struct vhost_pace *p = &vq->pace;
	u32 frames = READ_ONCE(p->params.coalesce_frames);
	u32 usecs = READ_ONCE(p->params.coalesce_usecs);
	u16 pending = vq->last_used_idx - p->signal_base;

	if (!frames && !usecs)
		return false;
	/*
	 * Adaptive mode holds signals only while the law polls: in event mode
	 * it has judged the traffic too sparse to batch, and holding each
	 * completion would only add latency (request/response would wait
	 * coalesce_usecs per round trip).
	 */
	if (READ_ONCE(p->params.latency_budget_us) && !p->polling)
		return false;
	/* Nothing new since the last judgement: stock rules apply. */
	if (!pending)
		return false;
	if (frames && pending >= frames)
		return false;
	if (!p->signal_held) {
		p->signal_held = true;
		hrtimer_start(&p->signal_timer,
			      ns_to_ktime((u64)(usecs ?: LWVHOST_COALESCE_HOLD_MAX_US) *
					  NSEC_PER_USEC),
			      HRTIMER_MODE_REL);
	}
	vq->stats.signals_coalesced++;
	return true;
}

/*
 * The guest is about to be judged for a signal covering every completion
 * up to last_used_idx: nothing is held any more. Caller must hold
 * vq->mutex.
 */
void vhost_pace_signal_released(struct vhost_virtqueue *vq)
{
	struct vhost_pace *p = &vq->pace;

	p->signal_base = vq->last_used_idx;
	if (p->signal_held) {
		p->signal_held = false;
		/* A callback already running just queues a no-op release. */
		hrtimer_try_to_cancel(&p->signal_timer);
	}
}
