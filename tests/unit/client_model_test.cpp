// SPDX-License-Identifier: GPL-2.0
// lwvhost_client: knob tables, range checks and parameter updates.
#include "client/device.h"

#include <gtest/gtest.h>
#include <set>
#include <string>

using namespace lwvhost::client;

TEST(Knobs, TableMatchesTheUapiRanges)
{
	EXPECT_EQ(knobs().size(), kKnobCount);
	for (size_t i = 0; i < knobs().size(); i++)
		EXPECT_EQ(size_t(knobs()[i].knob), i);
	EXPECT_EQ(knob_info(Knob::PollIntervalUs).max, 10000u);
	EXPECT_EQ(knob_info(Knob::IdlePolls).min, 1u);
	EXPECT_EQ(knob_info(Knob::IdlePolls).max, 100000u);
	EXPECT_EQ(knob_info(Knob::CoalesceFrames).max, 4096u);
	EXPECT_EQ(knob_info(Knob::LatencyBudgetUs).min, 0u);
	EXPECT_EQ(knob_info(Knob::LatencyBudgetUs).max, 10000u);
	EXPECT_EQ(knob_info(Knob::LatencyBudgetUs).nl_attr, LWVHOST_A_VQ_LATENCY_BUDGET_US);
	EXPECT_EQ(knob_from_name("coalesce_usecs"), Knob::CoalesceUsecs);
	EXPECT_FALSE(knob_from_name("coalesce-usecs"));
	std::set<int> attrs;
	for (const auto &k : knobs())
		attrs.insert(k.nl_attr);
	EXPECT_EQ(attrs.size(), kKnobCount);
	// Every knob attribute of the UAPI is in the table: all of
	// LWVHOST_A_VQ_* but the direction, interface, mode and stats.
	EXPECT_EQ(kKnobCount, size_t(LWVHOST_A_VQ_MAX) - 4);
}

TEST(Knobs, NamesRoundTrip)
{
	for (const auto &k : knobs()) {
		EXPECT_EQ(knob_from_name(k.name), k.knob) << k.name;
		EXPECT_STREQ(knob_info(k.knob).name, k.name);
	}
	EXPECT_EQ(knob_from_name("latency_budget_us"), Knob::LatencyBudgetUs);
	EXPECT_STREQ(knob_info(Knob::LatencyBudgetUs).name, "latency_budget_us");
	EXPECT_FALSE(knob_from_name("budget-us"));
	EXPECT_FALSE(knob_from_name("rx_latency_budget_us"));
}

TEST(Knobs, RangeCheck)
{
	EXPECT_EQ(check_range(Knob::PollIntervalUs, 0), "");
	EXPECT_EQ(check_range(Knob::PollIntervalUs, 10000), "");
	EXPECT_EQ(check_range(Knob::PollIntervalUs, 10001),
		  "poll_interval_us must be 0..10000, not 10001");
	EXPECT_EQ(check_range(Knob::IdlePolls, 0), "idle_polls must be 1..100000, not 0");
	EXPECT_EQ(check_range(Knob::CoalesceFrames, 4097),
		  "coalesce_frames must be 0..4096, not 4097");
	EXPECT_EQ(check_range(Knob::LatencyBudgetUs, 0), "");
	EXPECT_EQ(check_range(Knob::LatencyBudgetUs, 10000), "");
	EXPECT_EQ(check_range(Knob::LatencyBudgetUs, 10001),
		  "latency_budget_us must be 0..10000, not 10001");
}

TEST(StatFields, EveryCounterOnceWithItsAttribute)
{
	std::set<int> attrs;
	std::set<std::string> names;
	for (const auto &s : stat_fields()) {
		attrs.insert(s.nl_attr);
		names.insert(s.name);
	}
	EXPECT_EQ(attrs.size(), stat_fields().size());
	EXPECT_EQ(names.size(), stat_fields().size());
	// Every LWVHOST_A_STAT_* after PAD is in the table.
	EXPECT_EQ(stat_fields().size(), size_t(LWVHOST_A_STAT_MAX - LWVHOST_A_STAT_PAD));
	Stats s;
	s.busy_ns = 5;
	EXPECT_EQ(s.*stat_fields()[9].field, 5u);
	EXPECT_STREQ(stat_fields()[9].name, "busy_ns");
}

TEST(ParamUpdate, TouchesAndApplies)
{
	ParamUpdate u;
	EXPECT_TRUE(u.empty());
	u.set(Dir::Tx, Knob::CoalesceFrames, 32);
	EXPECT_FALSE(u.empty());
	EXPECT_TRUE(u.touches(Dir::Tx));
	EXPECT_FALSE(u.touches(Dir::Rx));
	EXPECT_EQ(u.get(Dir::Tx, Knob::CoalesceFrames), 32u);
	EXPECT_FALSE(u.get(Dir::Rx, Knob::CoalesceFrames));
	Params p{10, 8, 0, 0};
	u.apply(Dir::Tx, p);
	EXPECT_EQ(p, (Params{10, 8, 0, 32}));
	u.apply(Dir::Rx, p);
	EXPECT_EQ(p, (Params{10, 8, 0, 32}));
	u.set(Dir::Rx, Knob::LatencyBudgetUs, 500);
	EXPECT_TRUE(u.touches(Dir::Rx));
	u.apply(Dir::Rx, p);
	EXPECT_EQ(p, (Params{10, 8, 0, 32, 500}));
	Params q;
	u.apply(Dir::Tx, q);
	EXPECT_EQ(q.latency_budget_us, 0u);
}

TEST(Names, DirAndMode)
{
	EXPECT_STREQ(dir_name(Dir::Rx), "rx");
	EXPECT_STREQ(dir_name(Dir::Tx), "tx");
	EXPECT_EQ(index(Dir::Tx), size_t(LWVHOST_DIR_TX));
	EXPECT_EQ(dir_from_name("tx"), Dir::Tx);
	EXPECT_FALSE(dir_from_name("TX"));
	EXPECT_STREQ(mode_name(Mode::Poll), "poll");
	EXPECT_STREQ(mode_name(Mode(7)), "unknown");
	EXPECT_EQ(mode_from_name("event"), Mode::Event);
}
