// SPDX-License-Identifier: GPL-2.0
#include "percentile.h"

#include <gtest/gtest.h>

using lwvhost::percentile_sorted;

TEST(Percentile, NearestRank)
{
	std::vector<uint64_t> v{10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
	EXPECT_EQ(percentile_sorted(v, 50), 50u);
	EXPECT_EQ(percentile_sorted(v, 99), 100u);
	EXPECT_EQ(percentile_sorted(v, 0), 10u);
	EXPECT_EQ(percentile_sorted(v, 100), 100u);
	EXPECT_EQ(percentile_sorted({}, 50), 0u);
}

TEST(Percentile, FractionalPercentIsNotRoundedUpByBinaryError)
{
	std::vector<uint64_t> v(1000);
	for (size_t i = 0; i < v.size(); i++)
		v[i] = i + 1;
	EXPECT_EQ(percentile_sorted(v, 99.9), 999u);
}
