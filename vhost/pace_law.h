/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lwvhost core: the control law of adaptive pacing, free of locks, clocks
 * and I/O so that user space tests it too (tests/unit/pace_law_test.cpp).
 *
 * Adaptive mode (latency_budget_us = B > 0) replaces a fixed poll interval.
 * After every handler pass the law is told the time, how many packets the
 * pass moved and in how many descriptor chains, and the ring's size; it
 * answers with the next poll interval, or 0 for event mode (notifications
 * on, as stock):
 *
 *  - It keeps R, an EWMA of the arrival rate: packets moved per second of
 *    time since the previous pass (each pass moves what arrived since the
 *    last one, in event and in poll mode alike). R rises fast (weight 1/2)
 *    and falls slowly (1/4), so one quiet gap inside a burst does not end
 *    polling. A kicked pass counts as at least B / PACE_LAW_BATCH long:
 *    one packet close behind another then lifts R * B at most to
 *    PACE_LAW_BATCH, and cannot fake a burst. (A poll's span is the
 *    interval the law chose, and counts as it is: measured as B / 8, a
 *    fast stream's shorter polls would understate R and come late.) A gap
 *    of PACE_LAW_BATCH budgets or more ends whatever stream R described:
 *    R restarts from that pass.
 *  - It polls only while a poll collects a useful batch. Polling starts
 *    when R * B reaches PACE_LAW_MIN_BATCH packets (in event mode: kicks
 *    come closer together than B / PACE_LAW_MIN_BATCH), on the pass that
 *    sees it, and goes on while R * B stays at PACE_LAW_KEEP_BATCH or
 *    more. The gap between the two is there because a guest sends more
 *    slowly in event mode, where every packet costs it a kick: in the
 *    real-guest benchmark a 244 packet/s sender fell to about 140 after
 *    each return to event mode, under one bar that kept it out for three
 *    or four kicks.
 *  - The next poll comes after the time that fills a quarter of the ring
 *    at R (PACE_LAW_RING_SHARE; at least PACE_LAW_BATCH packets), never
 *    later than B (the promise to the operator) and never sooner than
 *    PACE_LAW_MIN_INTERVAL_NS (below that a timer costs more than the
 *    notifications it saves). Fewer, larger polls cost less CPU per
 *    packet, and a steady stream then polls at B, as the best fixed
 *    interval under B does; a quarter leaves the ring room for the rate
 *    to quadruple before a poll comes too late for it (with notifications
 *    off the guest cannot ask for service sooner). The ring holds
 *    descriptor chains, not packets: a received packet may take several
 *    buffers, so the quarter is counted in the chains per packet of the
 *    last pass that moved any.
 *  - An empty poll that was expected to collect PACE_LAW_STRONG packets or
 *    more (odds e^-4 if R still held) means the burst is over: the queue
 *    goes back to event mode at once and R is halved, so that polling
 *    resumes only on fresh evidence. A burst's end costs one empty poll,
 *    not a fixed count of them. An empty poll expected to collect fewer is
 *    weak evidence (at R * B = 2 one in e^2 is empty by chance): if the
 *    stint has found packets before, it only counts as a zero sample in R,
 *    and polling goes on while R * B stays at PACE_LAW_KEEP_BATCH, until
 *    PACE_LAW_WEAK_EMPTIES such polls come in a row. A stint that has
 *    found nothing yet ends on its first empty poll.
 *  - A stint of polling that a burst began (a pass that moved
 *    PACE_LAW_BURST packets or more) and that ends without any poll
 *    finding something was futile. When PACE_LAW_FUTILE_DOUBT of the last
 *    PACE_LAW_STINTS stints were, the law doubts R: bursts that each fit in
 *    one pass (a TCP window the tap delivers at once, then quiet until the
 *    guest acks) make R * B look worth polling, yet the poll after each
 *    burst finds nothing. A stint that one kicked packet began is never
 *    counted futile: a steady stream's sender paused by a chance lull
 *    must not be kept from polling. In doubt the law lets
 *    PACE_LAW_DOUBT_PASSES passes that would start polling go by in event
 *    mode, then tries a stint again, whose outcome counts like any other.
 *  - A stint whose polls collect one packet at a time is futile too
 *    (starved): with one transaction in flight (request/response) a poll
 *    can find only the request the last answer let through, however long
 *    it waits, and polling slows the loop to about one transaction a
 *    poll, which keeps R * B near PACE_LAW_KEEP_BATCH: polling would only
 *    add its delay to every transaction. Until one of its polls has found
 *    two packets or more, a stint ends starved on the PACE_LAW_SINGLES-th
 *    poll that finds one (an open stream at R * B = 2 does so in about
 *    one stint in a hundred). No shortcut on one poll that was expected
 *    to collect many: stints begin when R is at a peak, so their first
 *    polls expect too much.
 *  - Each starved stint that ends in doubt doubles the passes let go
 *    before the next trial, up to PACE_LAW_DOUBT_PASSES <<
 *    PACE_LAW_BACKOFF_MAX; a stint that pays resets it. A request/
 *    response loop then pays a trial's few delayed transactions about
 *    once in a thousand, below its p99. (A futile burst stint costs an
 *    empty poll but delays nothing, so it does not back off.)
 *  - Empty polls are paid for from a credit: every pass that moves
 *    packets, kicked or polled, earns one pass of it (up to
 *    PACE_LAW_CREDIT_MAX), every empty poll costs PACE_LAW_EMPTY_COST.
 *    A stint begins only with credit for one empty poll, and an empty
 *    poll that leaves less ends the stint. So a queue's empty polls are
 *    at most (PACE_LAW_CREDIT_MAX + passes that moved packets) /
 *    PACE_LAW_EMPTY_COST, whatever the traffic: at most about one pass
 *    in PACE_LAW_EMPTY_COST + 1 is a wasted wake-up. The rules above
 *    judge one stint; this one bounds their sum where every stint pays
 *    a little and ends empty, as TCP sent by a real guest makes them:
 *    each window is polled, the ACKs it waits for come back through
 *    the other queue, and the poll after the window finds nothing (the
 *    real-guest benchmark saw 22-27 % of passes empty and up to 1124
 *    mode switches in 15 s). The queue spends the difference in event
 *    mode, as stock.
 */
#ifndef _LWVHOST_PACE_LAW_H
#define _LWVHOST_PACE_LAW_H

#ifdef __KERNEL__
#include <linux/math64.h>
#include <linux/types.h>
#define pace_law_div(a, b) div64_u64(a, b)
#else
#include <stdint.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
#define pace_law_div(a, b) ((a) / (b))
#endif

/* Packets a poll must be expected to collect for polling to start... */
#define PACE_LAW_MIN_BATCH	2
/* ...and to go on once it has. */
#define PACE_LAW_KEEP_BATCH	1
/* A poll is sized to collect 1/PACE_LAW_RING_SHARE of the ring... */
#define PACE_LAW_RING_SHARE	4
/* ...and at least this many packets; also the unit of R's time spans. */
#define PACE_LAW_BATCH		8
/* An empty poll expected to collect this many ends a burst (odds e^-4). */
#define PACE_LAW_STRONG		4
/* Packets one pass must move to count as a burst. */
#define PACE_LAW_BURST		2
/* Weaker empty polls in a row that end a stint. */
#define PACE_LAW_WEAK_EMPTIES	2
#define PACE_LAW_MIN_INTERVAL_NS	10000ULL
/* A pass's time span is taken as at least 1 us and at most 1 s. */
#define PACE_LAW_MIN_SPAN_NS	1000ULL
#define PACE_LAW_MAX_SPAN_NS	1000000000ULL
#define PACE_LAW_NS_PER_SEC	1000000000ULL
/* Bounds R (and R * budget below) far from u64 overflow. */
#define PACE_LAW_MAX_MOVED	(1U << 20)
/* Stints of polling remembered, and how many futile ones raise doubt. */
#define PACE_LAW_STINTS		4
#define PACE_LAW_FUTILE_DOUBT	3
/* In doubt, passes that would start polling let go before a new stint... */
#define PACE_LAW_DOUBT_PASSES	8
/* ...doubled after every futile trial, at most this many times. */
#define PACE_LAW_BACKOFF_MAX	7
/* Polls that find one packet each before any finds more: no batching. */
#define PACE_LAW_SINGLES	4
/* An empty poll costs this many passes that moved packets... */
#define PACE_LAW_EMPTY_COST	5
/* ...of a credit that saves up at most four of them. */
#define PACE_LAW_CREDIT_MAX	(4 * PACE_LAW_EMPTY_COST)

struct pace_law {
	/* When the previous pass ended; 0 before the first. */
	u64 last_ns;
	/* R: EWMA of the arrival rate, packets per second. */
	u64 rate;
	/* The interval last chosen; 0 while in event mode. */
	u64 interval_ns;
	/* Packets that fill the ring's share, from the last pass that moved any. */
	u32 fill;
	/* Empty polls in a row, in the current stint. */
	u8 dry;
	/* The pass that began the current stint moved a burst. */
	u8 burst;
	/* A poll of the current stint has found two packets or more. */
	u8 batched;
	/* Polls of the current stint that found one packet, until batched. */
	u8 singles;
	/* One bit per stint, newest lowest: set if the stint was futile. */
	u8 futile;
	/* Doublings of the passes let go in doubt (0..PACE_LAW_BACKOFF_MAX). */
	u8 backoff;
	/* In doubt: passes let go since the last stint began. */
	u16 declined;
	/* Passes that moved packets, less the cost of empty polls. */
	u8 credit;
};

static inline void pace_law_reset(struct pace_law *l)
{
	l->last_ns = 0;
	l->rate = 0;
	l->interval_ns = 0;
	l->fill = 0;
	l->dry = 0;
	l->burst = 0;
	l->batched = 0;
	l->singles = 0;
	l->futile = 0;
	l->backoff = 0;
	l->declined = 0;
	l->credit = PACE_LAW_CREDIT_MAX;
}

/*
 * Fold one pass (moved packets, ending at now_ns) into R. interval_ns is
 * still the previous choice: non-zero if this pass was a poll.
 */
static inline void pace_law_measure(struct pace_law *l, u64 now_ns, u32 moved,
				    u64 budget_ns)
{
	u64 span = l->last_ns && now_ns > l->last_ns ?
		   now_ns - l->last_ns : PACE_LAW_MAX_SPAN_NS;
	u64 sample;

	l->last_ns = now_ns;
	if (moved > PACE_LAW_MAX_MOVED)
		moved = PACE_LAW_MAX_MOVED;
	if (!l->interval_ns && span < budget_ns / PACE_LAW_BATCH)
		span = budget_ns / PACE_LAW_BATCH;
	if (span < PACE_LAW_MIN_SPAN_NS)
		span = PACE_LAW_MIN_SPAN_NS;
	if (span > PACE_LAW_MAX_SPAN_NS)
		span = PACE_LAW_MAX_SPAN_NS;
	sample = pace_law_div((u64)moved * PACE_LAW_NS_PER_SEC, span);
	if (span >= PACE_LAW_BATCH * budget_ns)
		l->rate = sample;
	else if (sample >= l->rate)
		l->rate += (sample - l->rate) / 2;
	else
		l->rate -= (l->rate - sample) / 4;
}

/* Has a poll of the current stint found something? */
static inline int pace_law_paid(const struct pace_law *l)
{
	return l->batched || l->singles;
}

/* Are enough recent stints futile that R is not to be trusted? */
static inline int pace_law_in_doubt(const struct pace_law *l)
{
	unsigned int n = 0, f;

	for (f = l->futile; f; f >>= 1)
		n += f & 1;
	return n >= PACE_LAW_FUTILE_DOUBT;
}

/*
 * Polling ends: remember whether the stint was futile (starved: its polls
 * collected one packet at a time; or a burst began it and no poll paid),
 * and back off further if a starved stint leaves R in doubt.
 */
static inline void pace_law_end_stint(struct pace_law *l, int starved)
{
	int futile = starved || (l->burst && !pace_law_paid(l));

	l->futile = ((l->futile << 1) | futile) &
		    ((1U << PACE_LAW_STINTS) - 1);
	if (!futile)
		l->backoff = 0;
	else if (starved && pace_law_in_doubt(l) &&
		 l->backoff < PACE_LAW_BACKOFF_MAX)
		l->backoff++;
	l->interval_ns = 0;
}

/*
 * Keep the books of empty polls: a pass that moved packets earns one unit
 * of credit, an empty poll (a pass while interval_ns is set) costs
 * PACE_LAW_EMPTY_COST. Stints only poll with credit for one, so the
 * saturation at 0 is a guard, not a rule.
 */
static inline void pace_law_pay(struct pace_law *l, u32 moved)
{
	if (moved) {
		if (l->credit < PACE_LAW_CREDIT_MAX)
			l->credit++;
	} else if (l->interval_ns) {
		l->credit = l->credit > PACE_LAW_EMPTY_COST ?
			    l->credit - PACE_LAW_EMPTY_COST : 0;
	}
}

/*
 * Packets that fill 1/PACE_LAW_RING_SHARE of a ring of `ring` entries when
 * `moved` packets took `chains` descriptor chains (at least one each).
 */
static inline void pace_law_size(struct pace_law *l, u32 moved, u32 chains,
				 u32 ring)
{
	u64 fill = ring / PACE_LAW_RING_SHARE;

	if (!moved)
		return;
	if (chains > moved)
		fill = pace_law_div(fill * moved, chains);
	l->fill = fill > PACE_LAW_BATCH ? fill : PACE_LAW_BATCH;
}

/*
 * The next poll interval in ns after a pass that moved `moved` packets in
 * `chains` descriptor chains and ended at now_ns, or 0: event mode.
 * budget_us > 0; ring: the entries of the queue's ring.
 */
static inline u64 pace_law_next(struct pace_law *l, u64 now_ns, u32 moved,
				u32 chains, u32 budget_us, u32 ring)
{
	u64 budget_ns = (u64)budget_us * 1000;
	u64 interval, batch;
	/*
	 * Did the interval ending now expect PACE_LAW_STRONG packets or more?
	 * (R * interval is packets times 1e9.) Judged on R before this pass.
	 */
	int strong = l->rate * l->interval_ns >=
		     PACE_LAW_STRONG * PACE_LAW_NS_PER_SEC;

	pace_law_measure(l, now_ns, moved, budget_ns);
	pace_law_size(l, moved, chains, ring);
	pace_law_pay(l, moved);
	if (l->interval_ns) {
		l->dry = moved ? 0 : l->dry + 1;
		l->batched |= moved >= 2;
		if (!l->batched && moved == 1 &&
		    ++l->singles >= PACE_LAW_SINGLES) {
			/* One at a time, however long the poll waits. */
			pace_law_end_stint(l, 1);
			return 0;
		}
	}
	if (l->interval_ns && !moved &&
	    (strong || !pace_law_paid(l) || l->dry >= PACE_LAW_WEAK_EMPTIES ||
	     l->credit < PACE_LAW_EMPTY_COST)) {
		/*
		 * The burst is over, the stint never found anything, weak
		 * evidence came twice in a row (odds e^-4 near R * B = 2), or
		 * the queue cannot pay for another empty poll.
		 */
		if (strong)
			l->rate /= 2;
		pace_law_end_stint(l, 0);
		return 0;
	}
	batch = pace_law_div(l->rate * budget_ns, PACE_LAW_NS_PER_SEC);
	if (batch < (l->interval_ns ? PACE_LAW_KEEP_BATCH : PACE_LAW_MIN_BATCH)) {
		/* Even the budget would not collect a batch. */
		if (l->interval_ns)
			pace_law_end_stint(l, 0);
		return 0;
	}
	if (!l->interval_ns) {
		/*
		 * In event mode: a stint begins, unless the queue cannot pay
		 * for the empty poll that will end it, or R is in doubt.
		 */
		if (l->credit < PACE_LAW_EMPTY_COST)
			return 0;
		if (pace_law_in_doubt(l) &&
		    ++l->declined <= PACE_LAW_DOUBT_PASSES << l->backoff)
			return 0;
		l->declined = 0;
		l->dry = 0;
		l->batched = 0;
		l->singles = 0;
		l->burst = moved >= PACE_LAW_BURST;
	}
	interval = pace_law_div((u64)l->fill * PACE_LAW_NS_PER_SEC, l->rate);
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
