// SPDX-License-Identifier: GPL-2.0
#include "vnet/payload.h"

#include <gtest/gtest.h>
#include <set>
#include <vector>

using namespace vnet;

TEST(SizeSpec, ParseFixedAndRange)
{
	auto a = parse_size_spec("64");
	ASSERT_TRUE(a);
	EXPECT_TRUE(a->fixed());
	EXPECT_EQ(a->size_for(12345), 64u);
	auto b = parse_size_spec("16-1472");
	ASSERT_TRUE(b);
	EXPECT_EQ(b->min, 16u);
	EXPECT_EQ(b->max, 1472u);
	for (const char *bad : {"", "x", "10-", "-10", "20-10", "1-2-3", "64 "})
		EXPECT_FALSE(parse_size_spec(bad)) << bad;
}

TEST(SizeSpec, RangeIsDeterministicAndCovered)
{
	SizeSpec s{16, 31};
	std::set<size_t> seen;
	for (uint64_t i = 0; i < 2000; i++) {
		size_t v = s.size_for(i);
		ASSERT_GE(v, 16u);
		ASSERT_LE(v, 31u);
		ASSERT_EQ(v, s.size_for(i));
		seen.insert(v);
	}
	EXPECT_EQ(seen.size(), 16u);
}

TEST(Payload, FillThenCheck)
{
	for (size_t len : {16u, 17u, 100u, 1472u}) {
		std::vector<uint8_t> p(len);
		fill_payload(p, 99, 0xabcdef01);
		auto c = check_payload(p, 0xabcdef01, {len, len});
		EXPECT_EQ(c.status, PayloadStatus::ok);
		EXPECT_EQ(c.seq, 99u);
	}
}

TEST(Payload, DifferentSeqsDifferInContent)
{
	std::vector<uint8_t> a(200), b(200);
	fill_payload(a, 1, 7);
	fill_payload(b, 2, 7);
	EXPECT_NE(std::vector<uint8_t>(a.begin() + 16, a.end()),
		  std::vector<uint8_t>(b.begin() + 16, b.end()));
}

TEST(Payload, EverySingleBitFlipIsDetected)
{
	std::vector<uint8_t> p(64);
	fill_payload(p, 5, 0x1234);
	for (size_t byte = 0; byte < p.size(); byte++)
		for (int bit = 0; bit < 8; bit++) {
			auto q = p;
			q[byte] ^= uint8_t(1 << bit);
			EXPECT_NE(check_payload(q, 0x1234, {64, 64}).status, PayloadStatus::ok)
				<< byte << ":" << bit;
		}
}

TEST(Payload, WrongCookieLengthAndShort)
{
	std::vector<uint8_t> p(64);
	fill_payload(p, 5, 1);
	EXPECT_EQ(check_payload(p, 2, {64, 64}).status, PayloadStatus::wrong_cookie);
	EXPECT_EQ(check_payload(p, 1, {65, 65}).status, PayloadStatus::wrong_length);
	EXPECT_EQ(check_payload({p.data(), 15}, 1, {64, 64}).status, PayloadStatus::too_short);
	// Truncation (a shorter but otherwise intact prefix) breaks the digest.
	EXPECT_EQ(check_payload({p.data(), 40}, 1, {40, 40}).status, PayloadStatus::bad_digest);
}

TEST(SequenceChecker, CleanRun)
{
	SequenceChecker c(5);
	for (uint64_t i = 0; i < 5; i++)
		EXPECT_TRUE(c.record(i));
	EXPECT_TRUE(c.clean());
	EXPECT_EQ(c.received(), 5u);
	EXPECT_EQ(c.lost(), 0u);
}

TEST(SequenceChecker, LossDuplicationReorderCorruption)
{
	SequenceChecker c(10);
	for (uint64_t s : {0, 1, 3, 2, 3, 5, 9})
		c.record(s);
	c.record_corrupted();
	EXPECT_FALSE(c.record(10));  // outside the run
	EXPECT_EQ(c.received(), 6u);  // 0 1 2 3 5 9
	EXPECT_EQ(c.duplicated(), 1u);
	EXPECT_EQ(c.out_of_order(), 1u);  // 2 after 3
	EXPECT_EQ(c.corrupted(), 2u);
	EXPECT_EQ(c.lost(), 4u);  // 4 6 7 8
	EXPECT_FALSE(c.clean());
	EXPECT_TRUE(c.seen(9));
	EXPECT_FALSE(c.seen(4));
}
