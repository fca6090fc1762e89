/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lwvhost core: the control law of adaptive pacing, free of locks, clocks
 * and I/O so that user space tests it too (tests/unit/pace_law_test.cpp).
 *
 * Adaptive mode (latency_budget_us = B > 0) replaces a fixed poll interval.
 * After every handler pass the law is told the time and how many packets
 * the pass moved, and answers with the next poll interval, or 0 for event
 * mode (notifications on, as stock):
 *
 *  - It keeps R, an EWMA of the arrival rate: packets moved per second of
 *    time since the previous pass (each pass moves what arrived since the
 *    last one, in event and in poll mode alike). R rises fast (weight 1/2)
 *    and falls slowly (1/4), so one quiet gap inside a burst does not end
 *    polling.
 *  - It polls only while a poll collects a useful batch: R * B must reach
 *    PACE_LAW_MIN_BATCH packets. In event mode this is the test "kicks
 *    come closer together than B / PACE_LAW_MIN_BATCH": polling starts on
 *    the pass that sees it.
 *  - The next poll comes after the time that collects PACE_LAW_BATCH
 *    packets at R, never later than B (the promise to the operator) and
 *    never sooner than PACE_LAW_MIN_INTERVAL_NS (below that a timer costs
 *    more than the notifications it saves).
 *  - An empty poll means the burst is over (a poll sized for PACE_LAW_BATCH
 *    packets at R finds none with odds of e^-8 if R still held): the queue
 *    goes back to event mode at once and R is halved, so that polling
 *    resumes only on fresh evidence. A burst's end costs one empty poll,
 *    not a fixed count of them.
 */
#ifndef _LWVHOST_PACE_LAW_H
#define _LWVHOST_PACE_LAW_H

#ifdef __KERNEL__
#include <linux/math64.h>
#include <linux/types.h>
#define pace_law_div(a, b) div64_u64(a, b)
#else
#include <stdint.h>
typedef uint32_t u32;
typedef uint64_t u64;
#define pace_law_div(a, b) ((a) / (b))
#endif

/* Packets a poll must be expected to collect for polling to pay. */
#define PACE_LAW_MIN_BATCH	2
/* Packets the law sizes an interval for. */
#define PACE_LAW_BATCH		8
#define PACE_LAW_MIN_INTERVAL_NS	10000ULL
/* A pass's time span is taken as at least 1 us and at most 1 s. */
#define PACE_LAW_MIN_SPAN_NS	1000ULL
#define PACE_LAW_MAX_SPAN_NS	1000000000ULL
#define PACE_LAW_NS_PER_SEC	1000000000ULL
/* Bounds R (and R * budget below) far from u64 overflow. */
#define PACE_LAW_MAX_MOVED	(1U << 20)

struct pace_law {
	/* When the previous pass ended; 0 before the first. */
	u64 last_ns;
	/* R: EWMA of the arrival rate, packets per second. */
	u64 rate;
	/* The interval last chosen; 0 while in event mode. */
	u64 interval_ns;
};

static inline void pace_law_reset(struct pace_law *l)
{
	l->last_ns = 0;
	l->rate = 0;
	l->interval_ns = 0;
}

/* Fold one pass (moved packets, ending at now_ns) into R. */
static inline void pace_law_measure(struct pace_law *l, u64 now_ns, u32 moved)
{
	u64 span = l->last_ns && now_ns > l->last_ns ?
		   now_ns - l->last_ns : PACE_LAW_MAX_SPAN_NS;
	u64 sample;

	l->last_ns = now_ns;
	if (moved > PACE_LAW_MAX_MOVED)
		moved = PACE_LAW_MAX_MOVED;
	if (span < PACE_LAW_MIN_SPAN_NS)
		span = PACE_LAW_MIN_SPAN_NS;
	if (span > PACE_LAW_MAX_SPAN_NS)
		span = PACE_LAW_MAX_SPAN_NS;
	sample = pace_law_div((u64)moved * PACE_LAW_NS_PER_SEC, span);
	if (sample >= l->rate)
		l->rate += (sample - l->rate) / 2;
	else
		l->rate -= (l->rate - sample) / 4;
}

/*
 * The next poll interval in ns after a pass that moved `moved` packets and
 * ended at now_ns, or 0: event mode. budget_us > 0.
 */
static inline u64 pace_law_next(struct pace_law *l, u64 now_ns, u32 moved,
				u32 budget_us)
{
	u64 budget_ns = (u64)budget_us * 1000;
	u64 interval;

	pace_law_measure(l, now_ns, moved);
	if (!moved && l->interval_ns) {
		l->rate /= 2;
		l->interval_ns = 0;
		return 0;
	}
	/* R * B < MIN_BATCH: even the budget would not collect a batch. */
	if (pace_law_div(l->rate * budget_ns, PACE_LAW_NS_PER_SEC) <
	    PACE_LAW_MIN_BATCH) {
		l->interval_ns = 0;
		return 0;
	}
	interval = pace_law_div(PACE_LAW_BATCH * PACE_LAW_NS_PER_SEC, l->rate);
	if (interval > budget_ns)
		interval = budget_ns;
	if (interval < PACE_LAW_MIN_INTERVAL_NS)
		interval = PACE_LAW_MIN_INTERVAL_NS;
	if (interval > budget_ns)	/* a budget below the minimum */
		interval = budget_ns;
	l->interval_ns = interval;
	return interval;
}

#endif /* _LWVHOST_PACE_LAW_H */
