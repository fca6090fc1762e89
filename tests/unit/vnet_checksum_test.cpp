// SPDX-License-Identifier: GPL-2.0
#include "vnet/checksum.h"

#include <gtest/gtest.h>
#include <vector>

using namespace vnet;

TEST(InetChecksum, Rfc1071Example)
{
	// RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (with
	// the end-around carry), so the checksum is its complement 220d.
	const std::vector<uint8_t> d = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	uint32_t s = csum_add(d);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	EXPECT_EQ(s, 0xddf2u);
	EXPECT_EQ(inet_checksum(d), 0x220d);
}

TEST(InetChecksum, OddLengthPadsWithZero)
{
	const std::vector<uint8_t> odd = {0x12, 0x34, 0x56};
	const std::vector<uint8_t> even = {0x12, 0x34, 0x56, 0x00};
	EXPECT_EQ(inet_checksum(odd), inet_checksum(even));
	EXPECT_EQ(inet_checksum(odd), static_cast<uint16_t>(~(0x1234 + 0x5600)));
}

TEST(InetChecksum, Ipv4HeaderAndVerification)
{
	// A textbook IPv4 header (192.168.0.1 -> 192.168.0.199, UDP, len 0x73)
	// whose checksum is b861.
	std::vector<uint8_t> h = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
				  0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	EXPECT_EQ(inet_checksum(h), 0xb861);
	h[10] = 0xb8;
	h[11] = 0x61;
	// Summing a header that includes its checksum gives 0 after complement.
	EXPECT_EQ(inet_checksum(h), 0);
}

TEST(InetChecksum, ChainingEqualsOneShot)
{
	std::vector<uint8_t> d(1000);
	for (size_t i = 0; i < d.size(); i++)
		d[i] = static_cast<uint8_t>(i * 7 + 3);
	uint32_t s = csum_add({d.data(), 400});
	s = csum_add({d.data() + 400, 600}, s);
	EXPECT_EQ(csum_fold(s), inet_checksum(d));
}

TEST(InetChecksum, AllOnesAndEmpty)
{
	EXPECT_EQ(inet_checksum({}), 0xffff);
	const std::vector<uint8_t> ff(64, 0xff);
	EXPECT_EQ(inet_checksum(ff), 0x0000);
}
