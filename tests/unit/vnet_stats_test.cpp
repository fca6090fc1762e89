// SPDX-License-Identifier: GPL-2.0
#include "vnet/selftest.h"
#include "vnet/stats.h"

#include <gtest/gtest.h>
#include <set>

using namespace vnet;

TEST(Percentiles, NearestRank)
{
	std::vector<uint64_t> v;
	for (uint64_t i = 1; i <= 1000; i++)
		v.push_back(1001 - i);	// unsorted input
	auto s = summarize(v);
	EXPECT_EQ(s.count, 1000u);
	EXPECT_EQ(s.min, 1u);
	EXPECT_EQ(s.max, 1000u);
	EXPECT_EQ(s.p50, 500u);
	EXPECT_EQ(s.p99, 990u);
	EXPECT_EQ(s.p999, 999u);
	EXPECT_DOUBLE_EQ(s.mean, 500.5);
}

TEST(Percentiles, SmallAndEmpty)
{
	auto e = summarize({});
	EXPECT_EQ(e.count, 0u);
	EXPECT_EQ(e.p99, 0u);
	auto one = summarize({42});
	EXPECT_EQ(one.p50, 42u);
	EXPECT_EQ(one.p999, 42u);
	auto two = summarize({10, 20});
	EXPECT_EQ(two.p50, 10u);
	EXPECT_EQ(two.p99, 20u);
}

TEST(Selftest, CasesCoverEveryCombinationOnce)
{
	RunOptions base;
	auto cases = selftest_cases(base);
	std::set<std::string> labels;
	std::set<std::tuple<int, uint64_t>> combos;
	for (auto &c : cases) {
		EXPECT_TRUE(labels.insert(c.label).second) << "duplicate label " << c.label;
		EXPECT_GE(c.opts.frames, 1u);
		EXPECT_GE(c.opts.sizes.min, kPayloadHeader);
		EXPECT_LE(c.opts.sizes.max, kMaxUdpPayload);
		EXPECT_EQ(c.opts.dev.indirect, bool(c.opts.dev.requested & fbit(F_INDIRECT_DESC)));
		combos.insert({int(c.opts.mode), c.opts.dev.requested});
	}
	// 3 modes x (VERSION_1, EVENT_IDX, INDIRECT_DESC, MRG_RXBUF) on/off.
	for (int m = 0; m < 3; m++)
		for (unsigned bits = 0; bits < 16; bits++) {
			uint64_t req = ((bits & 1) ? fbit(F_VERSION_1) : 0) |
				       ((bits & 2) ? fbit(F_EVENT_IDX) : 0) |
				       ((bits & 4) ? fbit(F_INDIRECT_DESC) : 0) |
				       ((bits & 8) ? fbit(F_MRG_RXBUF) : 0);
			EXPECT_TRUE(combos.count({m, req})) << m << " " << bits;
		}
	bool vhost_hdr = false, inject = false, wrap = false;
	for (auto &c : cases) {
		vhost_hdr |= bool(c.opts.dev.requested & fbit(F_VHOST_NET_HDR));
		inject |= c.opts.inject_bad_gpa;
		wrap |= c.opts.frames > 65536;
	}
	EXPECT_TRUE(vhost_hdr);
	EXPECT_TRUE(inject);
	EXPECT_TRUE(wrap);
}

TEST(Selftest, ExtraChecksCatchEmptyRuns)
{
	RunOptions base;
	auto cases = selftest_cases(base);
	RunResult r;  // nothing happened
	auto f = selftest_checks(cases.front(), r);
	EXPECT_GE(f.size(), 3u);  // nothing delivered, no kicks, no straddling
}
