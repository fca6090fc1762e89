// SPDX-License-Identifier: GPL-2.0
// The adaptive pacing law (vhost/pace_law.h) against arrival patterns: a
// queue simulated as the kernel runs it (a pass per kick in event mode, a
// pass per timer expiry in poll mode, each pass moving what has arrived).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

extern "C" {
#include "pace_law.h"
}

namespace {

constexpr u64 kUs = 1000;
// Entries of the simulated queue's ring (QEMU's default).
constexpr u32 kRing = 256;

// A pass whose packets took one descriptor chain each (TX, or RX with
// buffers large enough for a packet).
u64 pass(pace_law *law, u64 now, u32 moved, u32 budget_us, u32 ring = kRing)
{
	return pace_law_next(law, now, moved, moved, budget_us, ring);
}

struct SimResult {
	u64 passes = 0, empty_polls = 0, polls = 0, kicked_passes = 0, switches = 0;
	u64 max_delay_ns = 0;
	u64 delivered = 0;
	// When the last pass ran, and the interval it chose (0: event mode).
	u64 end_ns = 0, interval_ns = 0;
};

// arrivals: sorted times (ns). Event mode: a kick at an arrival starts a
// pass at once. Poll mode: kicks are off, a pass runs when the interval
// the law chose expires.
// law: carried over from an earlier simulation (its mode must be event
// mode), or nullptr for a fresh one.
SimResult simulate(const std::vector<u64> &arrivals, u32 budget_us,
		   pace_law *carried = nullptr)
{
	pace_law fresh;
	pace_law_reset(&fresh);
	pace_law &law = carried ? *carried : fresh;
	SimResult r;
	size_t next = 0;
	u64 interval = 0, now = arrivals.empty() ? 0 : arrivals[0];
	while (next < arrivals.size()) {
		bool timer = interval != 0;
		now = timer ? now + interval : std::max(now, arrivals[next]);
		u32 moved = 0;
		while (next < arrivals.size() && arrivals[next] <= now) {
			r.max_delay_ns = std::max(r.max_delay_ns, now - arrivals[next]);
			moved++;
			next++;
		}
		r.passes++;
		r.delivered += moved;
		if (timer) {
			r.polls++;
			r.empty_polls += moved == 0;
		} else {
			r.kicked_passes++;
		}
		u64 was = interval;
		interval = pass(&law, now, moved, budget_us);
		r.switches += (was == 0) != (interval == 0);
	}
	r.end_ns = now;
	r.interval_ns = interval;
	return r;
}

// After the last arrival: poll on until the law gives up, as the kernel's
// timer would. Returns the empty polls that took.
u64 drain(pace_law *law, const SimResult &r, u32 budget_us)
{
	u64 now = r.end_ns, interval = r.interval_ns, empty = 0;
	while (interval) {
		now += interval;
		empty++;
		interval = pass(law, now, 0, budget_us);
	}
	return empty;
}

// Resets law and drives it with a stream: while in event mode a kicked
// pass moves 1 packet every gap_ns, while polling each poll moves
// per_poll. Returns the interval chosen by the last of `passes` passes;
// *t is when that pass ran.
u64 warm_up(pace_law *law, u64 *t, u64 gap_ns, u32 per_poll, u32 budget_us,
	    int passes)
{
	u64 iv = 0;

	pace_law_reset(law);
	for (int i = 0; i < passes; i++) {
		*t += iv ? iv : gap_ns;
		iv = pass(law, *t, iv ? per_poll : 1, budget_us);
	}
	return iv;
}

// A fresh law driven by a steady stream, one packet every gap_ns taking
// `chains` descriptor chains each: a kicked pass moves one packet, a poll
// what arrived during its interval. Returns the interval it settles on.
u64 steady_interval(u64 gap_ns, u32 chains, u32 budget_us, u32 ring)
{
	pace_law law;
	u64 t = 0, iv = 0;

	pace_law_reset(&law);
	for (int i = 0; i < 200; i++) {
		u64 span = iv ? iv : gap_ns;
		u32 moved = u32(span / gap_ns);

		t += span;
		iv = pace_law_next(&law, t, moved, chains * moved, budget_us, ring);
	}
	return iv;
}

std::vector<u64> constant_rate(u64 gap_ns, u64 count, u64 start = 0)
{
	std::vector<u64> a;
	for (u64 i = 0; i < count; i++)
		a.push_back(start + i * gap_ns);
	return a;
}

TEST(PaceLaw, SparseKicksStayInEventMode)
{
	// One packet every 10 ms, budget 200 us: a poll would collect 0.02.
	SimResult r = simulate(constant_rate(10000 * kUs, 200), 200);
	EXPECT_EQ(r.polls, 0u);
	EXPECT_EQ(r.kicked_passes, 200u);
	EXPECT_EQ(r.max_delay_ns, 0u);
}

TEST(PaceLaw, CloseKicksStartPollingAtOnce)
{
	pace_law law;
	pace_law_reset(&law);
	// Kicks 20 us apart, one packet each, budget 200 us: ten per budget.
	u64 t = 1000 * kUs;
	EXPECT_EQ(pass(&law, t, 1, 200), 0u);	// no gap known yet
	u64 iv = 0;
	for (int i = 0; i < 4 && !iv; i++) {
		t += 20 * kUs;
		iv = pass(&law, t, 1, 200);
	}
	ASSERT_NE(iv, 0u) << "kicks 20 us apart under a 200 us budget must start polling";
	EXPECT_LE(iv, 200 * kUs);
}

TEST(PaceLaw, ConstantRateIsPolledAtTheBudget)
{
	// 50 kpps (20 us apart), budget 500 us: a quarter of the ring (64
	// packets) takes 1.28 ms, so the law polls at the budget, 25 a poll,
	// as the best fixed interval under the budget would.
	SimResult r = simulate(constant_rate(20 * kUs, 20000), 500);
	EXPECT_GT(r.polls, r.kicked_passes * 10) << "polling should carry the load";
	EXPECT_LE(r.max_delay_ns, 500 * kUs);
	double per_poll = double(r.delivered) / double(r.passes);
	EXPECT_GE(per_poll, 20.0);
	EXPECT_LE(per_poll, 26.0);
	EXPECT_EQ(r.empty_polls, 0u) << "a steady stream never polls empty";
}

TEST(PaceLaw, AFastStreamIsPolledBeforeTheRingFills)
{
	// 200 kpps (5 us apart), budget 1 ms: the budget would let 200
	// packets pile up in a 256-entry ring; the law polls when a quarter
	// of it (64) has arrived, and a smaller ring is polled sooner.
	for (u32 ring : {256u, 64u}) {
		double per_poll = double(steady_interval(5 * kUs, 1, 1000, ring)) /
				  double(5 * kUs);
		EXPECT_GE(per_poll, 0.75 * ring / 4) << "ring " << ring;
		EXPECT_LE(per_poll, 1.25 * ring / 4) << "ring " << ring;
	}
}

TEST(PaceLaw, TheBudgetBoundsEveryDelay)
{
	for (u32 budget : {20u, 50u, 200u, 1000u, 5000u}) {
		SimResult r = simulate(constant_rate(3 * kUs, 5000), budget);
		EXPECT_LE(r.max_delay_ns, u64(budget) * kUs) << "budget " << budget;
	}
}

TEST(PaceLaw, PacketsOfSeveralBuffersFillTheRingSooner)
{
	// 50 kpps received into mergeable buffers, four chains a packet,
	// budget 10 ms: a quarter of the ring is 64 chains, 16 packets, so
	// the law polls every 320 us, not every 1.28 ms as for one chain a
	// packet (which would need 256 entries a poll: the whole ring).
	double per_poll = double(steady_interval(20 * kUs, 4, 10000, kRing)) /
			  double(20 * kUs);
	EXPECT_GE(per_poll, 12.0);
	EXPECT_LE(per_poll, 20.0);
}

TEST(PaceLaw, TheRingShareIsCountedInChains)
{
	pace_law law;
	pace_law_reset(&law);
	u64 t = 0;
	// 10 packets in 40 chains: a quarter of 256 entries is 16 packets.
	pace_law_next(&law, t += 100 * kUs, 10, 40, 1000, kRing);
	EXPECT_EQ(law.fill, 16u);
	// A pass that moved nothing says nothing about packet sizes.
	pace_law_next(&law, t += 100 * kUs, 0, 0, 1000, kRing);
	EXPECT_EQ(law.fill, 16u);
	// Fewer chains than packets (the index wrapped): one chain a packet.
	pace_law_next(&law, t += 100 * kUs, 10, 5, 1000, kRing);
	EXPECT_EQ(law.fill, 64u);
	// A small ring still gets polls of PACE_LAW_BATCH packets.
	pace_law_next(&law, t += 100 * kUs, 10, 10, 1000, 16);
	EXPECT_EQ(law.fill, u32(PACE_LAW_BATCH));
}

TEST(PaceLaw, FastTrafficPollsNoSoonerThanTheMinimum)
{
	pace_law law;
	pace_law_reset(&law);
	u64 t = 0, iv = 0;
	for (int i = 0; i < 50; i++) {
		t += iv ? iv : 1 * kUs;
		// 2000 packets a pass: a quarter ring arrives in 4 us.
		iv = pass(&law, t, 2000, 1000);
	}
	EXPECT_EQ(iv, PACE_LAW_MIN_INTERVAL_NS);
}

TEST(PaceLaw, ABudgetBelowTheMinimumIntervalIsStillKept)
{
	SimResult r = simulate(constant_rate(1 * kUs, 5000), 5);
	EXPECT_LE(r.max_delay_ns, 5 * kUs);
}

TEST(PaceLaw, TheEndOfABurstCostsOneEmptyPoll)
{
	pace_law law;
	u64 t = 0, iv = warm_up(&law, &t, 10 * kUs, 8, 300, 100);
	ASSERT_NE(iv, 0u);
	int empty = 0;
	while (iv) {
		t += iv;
		iv = pass(&law, t, 0, 300);
		empty++;
	}
	EXPECT_EQ(empty, 1);
}

TEST(PaceLaw, BurstyTrafficPollsRarelyEmpty)
{
	// TCP-like: windows of 40 segments 12 us apart, then 3 ms of quiet
	// (the sender waits for ACKs), 200 times.
	std::vector<u64> a;
	u64 t = 0;
	for (int burst = 0; burst < 200; burst++) {
		for (int i = 0; i < 40; i++)
			a.push_back(t + i * 12 * kUs);
		t += 40 * 12 * kUs + 3000 * kUs;
	}
	SimResult r = simulate(a, 200);
	ASSERT_GT(r.polls, 0u);
	EXPECT_LT(double(r.empty_polls), 0.20 * double(r.passes))
		<< r.empty_polls << " empty of " << r.passes << " passes";
	EXPECT_LE(r.max_delay_ns, 200 * kUs);
	// Kicks: far fewer than packets (stock takes up to one per packet).
	EXPECT_LT(r.kicked_passes, a.size() / 4);
}

// A 64-bit LCG step (Knuth's MMIX constants): the next state of *x, and
// its top 53 bits, the random draws of the arrival patterns below.
u64 lcg_bits53(u64 *x)
{
	*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
	return *x >> 11;
}

// Poisson arrivals from a fixed seed: a poll's catch varies as a real
// sender's does, so some polls find nothing by chance.
std::vector<u64> poisson_arrivals(u64 mean_gap_ns, u64 count)
{
	std::vector<u64> a;
	u64 t = 0, x = 12345;
	for (u64 i = 0; i < count; i++) {
		// In (0, 1]: log() must not see 0.
		double u = double(lcg_bits53(&x) + 1) / 9007199254740993.0;
		t += u64(-std::log(u) * double(mean_gap_ns));
		a.push_back(t);
	}
	return a;
}

TEST(PaceLaw, AChanceEmptyPollUnderTheBudgetDoesNotEndPolling)
{
	// Three packets a poll, paced by a 3 ms budget: one empty poll in e^3
	// is chance, and must not end a stint that has found packets.
	pace_law law;
	u64 t = 0, iv = warm_up(&law, &t, 1000 * kUs, 3, 3000, 50);
	ASSERT_EQ(iv, 3000 * kUs);
	t += iv;
	EXPECT_EQ(pass(&law, t, 0, 3000), 3000 * kUs);
	// A second one in a row: the stream has stopped.
	t += 3000 * kUs;
	EXPECT_EQ(pass(&law, t, 0, 3000), 0u);
}

TEST(PaceLaw, AStreamNearTheThresholdKicksRarely)
{
	// 244 packets a second, Poisson, budget 10 ms: 2.4 packets a poll,
	// just over the threshold, one poll in eleven empty by chance (the
	// medium UDP load of the real-guest benchmark).
	auto a = poisson_arrivals(4098 * kUs, 4000);
	SimResult r = simulate(a, 10000);
	EXPECT_LT(double(r.kicked_passes), 0.05 * double(a.size()))
		<< r.kicked_passes << " kicked passes, " << r.empty_polls
		<< " empty polls, " << r.switches << " switches";
	EXPECT_LT(double(r.empty_polls), 0.20 * double(r.passes));
	EXPECT_LE(r.max_delay_ns, 10000 * kUs);
}

TEST(PaceLaw, APacketCloseBehindAnotherCannotFakeABurst)
{
	// Two lone packets 50 us apart under a 10 ms budget: the law may try
	// a poll, but one the budget cuts short (its empty end is weak
	// evidence), not one sized for a batch at 20000 packets a second.
	pace_law law;
	pace_law_reset(&law);
	u64 t = 5000000 * kUs;
	EXPECT_EQ(pass(&law, t, 1, 10000), 0u);
	t += 50 * kUs;
	u64 iv = pass(&law, t, 1, 10000);
	EXPECT_EQ(iv, 10000 * kUs);
	// Its poll finds nothing; the next kick, 3 ms on, resumes polling.
	t += iv;
	EXPECT_EQ(pass(&law, t, 0, 10000), 0u);
	t += 3000 * kUs;
	EXPECT_NE(pass(&law, t, 1, 10000), 0u);
}

// Bursts that one pass moves whole (a TCP window the tap delivers at
// once), then quiet for longer than the budget, Poisson, mean gap_ns.
std::vector<u64> one_pass_bursts(u64 gap_ns, u64 bursts, u64 size, u64 start)
{
	std::vector<u64> a;
	for (u64 t : poisson_arrivals(gap_ns, bursts))
		for (u64 i = 0; i < size; i++)
			a.push_back(start + t);
	return a;
}

TEST(PaceLaw, BurstsThatNoPollCatchesStopBeingPolled)
{
	// Ten packets at once every 30 ms on average, budget 10 ms: R * B is
	// over 3, yet the poll after a burst mostly finds nothing.
	auto a = one_pass_bursts(30000 * kUs, 1000, 10, 0);
	SimResult r = simulate(a, 10000);
	EXPECT_LT(double(r.empty_polls), 0.20 * double(r.passes))
		<< r.empty_polls << " empty polls of " << r.passes << " passes";
	EXPECT_LE(r.max_delay_ns, 10000 * kUs);
}

TEST(PaceLaw, DoubtEndsWhenPollsPayAgain)
{
	// After those bursts, a steady 2000 packets a second (20 a budget):
	// polling must come back and carry it.
	pace_law law;
	pace_law_reset(&law);
	// Ten packets at once every 30 ms: no poll ever catches one.
	std::vector<u64> bursts;
	for (u64 b = 0; b < 300; b++)
		for (int i = 0; i < 10; i++)
			bursts.push_back(b * 30000 * kUs);
	SimResult b = simulate(bursts, 10000, &law);
	drain(&law, b, 10000);
	ASSERT_TRUE(pace_law_in_doubt(&law)) << "the bursts should raise doubt";
	auto steady = constant_rate(500 * kUs, 4000, bursts.back() + 1000000 * kUs);
	SimResult r = simulate(steady, 10000, &law);
	EXPECT_LT(double(r.kicked_passes), 0.02 * double(steady.size()))
		<< r.kicked_passes << " kicked passes";
}

TEST(PaceLaw, RequestResponseAtLowRateStaysInEventMode)
{
	// One request every 1 ms and a budget of 200 us: polling would only
	// add delay, so every packet is handled on its kick.
	SimResult r = simulate(constant_rate(1000 * kUs, 1000), 200);
	EXPECT_EQ(r.polls, 0u);
	EXPECT_EQ(r.max_delay_ns, 0u);
}

// One transaction in flight: the next request arrives think_ns after the
// previous one was served (its answer and the client's turn-around). Each
// poll can then collect one request at most, and polling only delays it.
// Returns the requests served late (by a poll, after they arrived).
u64 closed_loop(pace_law *law, u64 think_ns, u64 transactions, u32 budget_us,
		SimResult *r)
{
	u64 late = 0, now = 0, interval = 0, arrival = think_ns;
	for (u64 done = 0; done < transactions;) {
		now = interval ? now + interval : std::max(now, arrival);
		u32 moved = arrival <= now;
		if (moved) {
			late += now > arrival;
			r->max_delay_ns = std::max(r->max_delay_ns, now - arrival);
			arrival = now + think_ns;
			done++;
		}
		r->passes++;
		if (interval) {
			r->polls++;
			r->empty_polls += !moved;
		}
		interval = pass(law, now, moved, budget_us);
	}
	return late;
}

TEST(PaceLaw, OneTransactionInFlightIsNotPolled)
{
	// 2000 transactions a second in event mode look like 3 packets a
	// budget of 1.6 ms, but each poll can only find the one request the
	// last answer let through: polling slows the loop to about one
	// transaction a budget and adds up to a budget to each. The law must
	// see that its polls collect single packets and stay in event mode,
	// for all but one transaction in a hundred (the p99 of vnet rr).
	for (u32 budget : {800u, 1600u, 10000u}) {
		pace_law law;
		pace_law_reset(&law);
		SimResult r;
		u64 late = closed_loop(&law, 500 * kUs, 20000, budget, &r);
		EXPECT_LT(double(late), 0.01 * 20000)
			<< "budget " << budget << ": " << late << " late of 20000, "
			<< r.polls << " polls";
	}
}

TEST(PaceLaw, PoissonStreamsAreNotTakenForOneInFlight)
{
	// Open streams whose polls sometimes find a single packet by chance:
	// one poll with two or more shows they batch, and they stay polled.
	for (u32 budget : {2000u, 4000u, 10000u}) {
		auto a = poisson_arrivals(500 * kUs, 20000);
		SimResult r = simulate(a, budget);
		EXPECT_LT(double(r.kicked_passes), 0.02 * double(a.size()))
			<< "budget " << budget << ": " << r.kicked_passes
			<< " kicked passes, " << r.switches << " switches";
	}
}

// TCP sent by a real guest as one queue sees it: windows of 1 to
// max_window packets up to 50 us apart, each followed by a quiet gap of
// 0.3 to 2.3 budgets while the sender waits for the ACKs that come back
// through the other queue. Stints begun by a window find a little and end
// on an empty poll. From a fixed seed.
std::vector<u64> ack_clocked_windows(u64 seed, u32 max_window, u32 budget_us,
				     int windows)
{
	std::vector<u64> a;
	u64 t = 0, x = seed;
	auto uniform = [&x] {
		return double(lcg_bits53(&x)) / 9007199254740992.0;
	};
	for (int w = 0; w < windows; w++) {
		u32 n = 1 + u32(uniform() * max_window);
		for (u32 i = 0; i < n; i++) {
			a.push_back(t);
			t += u64(uniform() * 50 * kUs);
		}
		t += u64((0.3 + 2 * uniform()) * budget_us * kUs);
	}
	return a;
}

TEST(PaceLaw, EmptyPollsArePaidForByPassesThatMoved)
{
	// Each stint here pays and then ends empty, so no single rule ends
	// them: about a quarter of the passes were empty polls before the
	// credit (and up to 30 % with windows of 1-3 packets).
	for (u32 max_window : {3u, 6u, 20u}) {
		for (u32 budget : {2000u, 5000u, 10000u}) {
			auto a = ack_clocked_windows(max_window, max_window,
						     budget, 3000);
			SimResult r = simulate(a, budget);
			u64 moved_passes = r.passes - r.empty_polls;

			EXPECT_LE(r.empty_polls * PACE_LAW_EMPTY_COST,
				  PACE_LAW_CREDIT_MAX + moved_passes)
				<< "window " << max_window << " budget " << budget;
			EXPECT_LT(double(r.empty_polls), 0.18 * double(r.passes))
				<< "window " << max_window << " budget " << budget
				<< ": " << r.empty_polls << " empty of " << r.passes;
			// It still polls, and most polls find packets.
			EXPECT_GT(r.polls, 2 * r.empty_polls);
			EXPECT_LE(r.max_delay_ns, u64(budget) * kUs);
		}
	}
}

TEST(PaceLaw, AStreamAfterFlappingPollsAgainSoon)
{
	// Flapping windows use up the credit; a steady stream that follows
	// earns it back within a few kicks and is polled from then on.
	pace_law law;
	pace_law_reset(&law);
	SimResult flap = simulate(ack_clocked_windows(7, 6, 1000, 500), 1000,
				  &law);
	drain(&law, flap, 1000);
	EXPECT_LT(law.credit, PACE_LAW_EMPTY_COST);
	auto a = constant_rate(25 * kUs, 4000, flap.end_ns + 1000000 * kUs);
	SimResult r = simulate(a, 1000, &law);
	EXPECT_LE(r.kicked_passes, 2u * PACE_LAW_EMPTY_COST)
		<< r.kicked_passes << " kicked passes";
	EXPECT_LE(r.empty_polls, 1u);
}

TEST(PaceLaw, ResetForgetsTheRate)
{
	pace_law law;
	pace_law_reset(&law);
	u64 t = 0;
	for (int i = 0; i < 20; i++)
		pass(&law, t += 10 * kUs, 4, 500);
	EXPECT_GT(law.rate, 0u);
	pace_law_reset(&law);
	EXPECT_EQ(law.rate, 0u);
	EXPECT_EQ(law.interval_ns, 0u);
	EXPECT_EQ(pass(&law, t + 10 * kUs, 1, 500), 0u);
}

}  // namespace
