// SPDX-License-Identifier: GPL-2.0
#include "vnet/rate.h"

#include <gtest/gtest.h>

using namespace vnet;

TEST(RateSchedule, Parses)
{
	auto s = parse_rate_schedule("2000:3,20000:0.5,2000:3");
	ASSERT_TRUE(s);
	ASSERT_EQ(s->size(), 3u);
	EXPECT_EQ((*s)[1], (RateStep{20000, 0.5}));
	EXPECT_EQ(to_string(*s), "2000:3,20000:0.5,2000:3");
	EXPECT_EQ(schedule_frames(*s), 22000u);
	for (const char *bad : {"", "2000", "2000:", ":3", "2000:3,", "2000:3,,1:1", "0:3", "10:0",
				"-5:1", "abc:1", "1:2:3", "10:inf"})
		EXPECT_FALSE(parse_rate_schedule(bad)) << bad;
}

TEST(RateSchedule, OfferedLoadFollowsTheSteps)
{
	auto s = *parse_rate_schedule("1000:2,10000:1,1000:2");
	EXPECT_DOUBLE_EQ(offered_by(s, 0), 0);
	EXPECT_DOUBLE_EQ(offered_by(s, 1), 1000);
	EXPECT_DOUBLE_EQ(offered_by(s, 2), 2000);
	EXPECT_DOUBLE_EQ(offered_by(s, 2.5), 7000);
	EXPECT_DOUBLE_EQ(offered_by(s, 3), 12000);
	EXPECT_DOUBLE_EQ(offered_by(s, 4), 13000);
	EXPECT_DOUBLE_EQ(offered_by(s, 99), 14000);  // capped at the end
	// due_time inverts offered_by.
	for (uint64_t n : {0ull, 1ull, 1999ull, 2000ull, 7000ull, 12000ull, 13999ull}) {
		double t = due_time(s, n);
		EXPECT_NEAR(offered_by(s, t), double(n), 1e-6) << n;
	}
	EXPECT_DOUBLE_EQ(due_time(s, 2500), 2.05);
	EXPECT_DOUBLE_EQ(due_time(s, 20000), 5);  // past the end: at the end
}
