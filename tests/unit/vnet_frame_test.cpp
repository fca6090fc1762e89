// SPDX-License-Identifier: GPL-2.0
#include "vnet/frame.h"
#include "vnet/payload.h"

#include <fstream>
#include <gtest/gtest.h>
#include <iterator>
#include <vector>

using namespace vnet;

namespace {

Flow test_flow()
{
	return {{0x52, 0x54, 0x00, 0x77, 0x00, 0x02}, {0x02, 0x00, 0x00, 0x77, 0x00, 0x01},
		ipv4(10, 77, 0, 2), ipv4(10, 77, 0, 1), 9002, 9000};
}

std::vector<uint8_t> build(size_t payload_len, uint64_t seq = 1)
{
	std::vector<uint8_t> payload(payload_len);
	fill_payload(payload, seq, 0xc0ffee);
	std::vector<uint8_t> f(kMaxFrame);
	size_t n = build_udp_frame(f, test_flow(), payload, 0x1234);
	f.resize(n);
	return f;
}

}  // namespace

TEST(Frame, RoundTrip)
{
	for (size_t len : {16u, 17u, 64u, 1471u, 1472u}) {
		auto f = build(len, len);
		ASSERT_EQ(f.size(), kFrameOverhead + len);
		auto p = parse_udp_frame(f);
		ASSERT_EQ(p.status, ParseStatus::ok) << len;
		EXPECT_EQ(p.flow.src_ip, ipv4(10, 77, 0, 2));
		EXPECT_EQ(p.flow.dst_ip, ipv4(10, 77, 0, 1));
		EXPECT_EQ(p.flow.src_port, 9002);
		EXPECT_EQ(p.flow.dst_port, 9000);
		EXPECT_EQ(p.flow.src_mac, test_flow().src_mac);
		EXPECT_EQ(p.flow.dst_mac, test_flow().dst_mac);
		EXPECT_EQ(p.ip_id, 0x1234);
		ASSERT_EQ(p.payload.size(), len);
		EXPECT_EQ(check_payload(p.payload, 0xc0ffee, {len, len}).status, PayloadStatus::ok);
	}
}

TEST(Frame, HeaderFieldsOnTheWire)
{
	auto f = build(100);
	EXPECT_EQ(f[12], 0x08);
	EXPECT_EQ(f[13], 0x00);
	EXPECT_EQ(f[14], 0x45);			 // IPv4, IHL 5
	EXPECT_EQ(f[16] << 8 | f[17], 128);	 // total length
	EXPECT_EQ(f[20] & 0x40, 0x40);		 // DF
	EXPECT_EQ(f[22], 64);			 // TTL
	EXPECT_EQ(f[23], 17);			 // UDP
	EXPECT_EQ(f[38] << 8 | f[39], 108);	 // UDP length
	EXPECT_NE(f[40] << 8 | f[41], 0);	 // UDP checksum present
}

TEST(Frame, RejectsTooBigOrTooSmallBuffer)
{
	std::vector<uint8_t> payload(kMaxUdpPayload + 1);
	std::vector<uint8_t> out(4096);
	EXPECT_EQ(build_udp_frame(out, test_flow(), payload, 0), 0u);
	std::vector<uint8_t> small(kFrameOverhead + 10);
	std::vector<uint8_t> p11(11);
	EXPECT_EQ(build_udp_frame(small, test_flow(), p11, 0), 0u);
}

TEST(Frame, DetectsEveryKindOfDamage)
{
	auto good = build(200);
	{
		auto f = good;
		f[14 + 12] ^= 0x01;  // source address
		EXPECT_EQ(parse_udp_frame(f).status, ParseStatus::bad_ip_checksum);
	}
	{
		auto f = good;
		f.back() ^= 0x80;  // last payload byte
		EXPECT_EQ(parse_udp_frame(f).status, ParseStatus::bad_udp_checksum);
	}
	{
		auto f = good;
		f.resize(f.size() - 1);  // truncated: IP total length too large
		EXPECT_EQ(parse_udp_frame(f).status, ParseStatus::bad_ip_header);
	}
	{
		std::vector<uint8_t> f(good.begin(), good.begin() + 30);
		EXPECT_EQ(parse_udp_frame(f).status, ParseStatus::too_short);
	}
	{
		auto f = good;
		f[12] = 0x86;
		f[13] = 0xdd;  // IPv6
		EXPECT_EQ(parse_udp_frame(f).status, ParseStatus::not_ipv4);
	}
	{
		auto f = good;
		f[14 + 9] = 6;	// TCP; fix the header checksum so only the protocol differs
		f[14 + 10] = f[14 + 11] = 0;
		auto hs = [&] {
			uint32_t s = 0;
			for (int i = 0; i < 20; i += 2)
				s += f[14 + i] << 8 | f[14 + i + 1];
			while (s >> 16)
				s = (s & 0xffff) + (s >> 16);
			return uint16_t(~s);
		}();
		f[14 + 10] = hs >> 8;
		f[14 + 11] = hs & 0xff;
		EXPECT_EQ(parse_udp_frame(f).status, ParseStatus::not_udp);
	}
}

TEST(Frame, EthernetPaddingIsIgnored)
{
	auto f = build(16);  // 58 bytes, below the 60-byte Ethernet minimum
	f.resize(60, 0);
	auto p = parse_udp_frame(f);
	ASSERT_EQ(p.status, ParseStatus::ok);
	EXPECT_EQ(p.payload.size(), 16u);
}

TEST(Frame, ZeroUdpChecksumMeansNone)
{
	auto f = build(32);
	f[40] = f[41] = 0;
	EXPECT_EQ(parse_udp_frame(f).status, ParseStatus::ok);
}

TEST(Frame, ParsesAFrameTheKernelBuilt)
{
	std::ifstream in(std::string(LWVHOST_FIXTURES) + "/vnet/kernel_udp_frame.bin",
			 std::ios::binary);
	ASSERT_TRUE(in);
	std::vector<uint8_t> f((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
	auto p = parse_udp_frame(f);
	ASSERT_EQ(p.status, ParseStatus::ok) << to_string(p.status);
	EXPECT_EQ(p.flow.src_ip, ipv4(10, 77, 0, 1));
	EXPECT_EQ(p.flow.dst_ip, ipv4(10, 77, 0, 2));
	EXPECT_EQ(p.flow.src_port, 9000);
	EXPECT_EQ(p.flow.dst_port, 9002);
	auto c = check_payload(p.payload, 42, {100, 100});
	EXPECT_EQ(c.status, PayloadStatus::ok);
	EXPECT_EQ(c.seq, 7u);
}

TEST(Ipv4, ToString)
{
	EXPECT_EQ(ipv4_to_string(ipv4(10, 77, 0, 1)), "10.77.0.1");
	EXPECT_EQ(ipv4_to_string(ipv4(255, 0, 128, 9)), "255.0.128.9");
}
