// SPDX-License-Identifier: GPL-2.0
#include "frame.h"

#include "checksum.h"

#include <cstring>

namespace vnet {

namespace {

void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

uint16_t get16(const uint8_t *p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

uint32_t get32(const uint8_t *p) { return uint32_t{get16(p)} << 16 | get16(p + 2); }

// Sum of the UDP pseudo header (RFC 768): addresses, protocol, UDP length.
uint32_t pseudo_header_sum(uint32_t src, uint32_t dst, uint16_t udp_len)
{
	uint8_t ph[12];
	put32(ph, src);
	put32(ph + 4, dst);
	ph[8] = 0;
	ph[9] = 17;
	put16(ph + 10, udp_len);
	return csum_add(ph);
}

}  // namespace

uint32_t ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return uint32_t{a} << 24 | uint32_t{b} << 16 | uint32_t{c} << 8 | d;
}

std::string ipv4_to_string(uint32_t a)
{
	return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xff) +
	       "." + std::to_string((a >> 8) & 0xff) + "." + std::to_string(a & 0xff);
}

std::string to_string(ParseStatus s)
{
	switch (s) {
	case ParseStatus::ok: return "ok";
	case ParseStatus::too_short: return "too short";
	case ParseStatus::not_ipv4: return "not IPv4";
	case ParseStatus::bad_ip_header: return "bad IPv4 header";
	case ParseStatus::bad_ip_checksum: return "bad IPv4 checksum";
	case ParseStatus::fragment: return "IPv4 fragment";
	case ParseStatus::not_udp: return "not UDP";
	case ParseStatus::bad_udp_length: return "bad UDP length";
	case ParseStatus::bad_udp_checksum: return "bad UDP checksum";
	}
	return "?";
}

size_t build_udp_frame(std::span<uint8_t> out, const Flow &flow,
		       std::span<const uint8_t> payload, uint16_t ip_id)
{
	if (payload.size() > kMaxUdpPayload)
		return 0;
	const size_t len = kFrameOverhead + payload.size();
	if (out.size() < len)
		return 0;
	uint8_t *eth = out.data();
	std::memcpy(eth, flow.dst_mac.data(), 6);
	std::memcpy(eth + 6, flow.src_mac.data(), 6);
	put16(eth + 12, 0x0800);

	uint8_t *ip = eth + kEthHdr;
	const auto ip_len = static_cast<uint16_t>(kIpHdr + kUdpHdr + payload.size());
	ip[0] = 0x45;  // version 4, 5 words of header
	ip[1] = 0;     // DSCP/ECN
	put16(ip + 2, ip_len);
	put16(ip + 4, ip_id);
	put16(ip + 6, 0x4000);	// DF, offset 0
	ip[8] = 64;		// TTL
	ip[9] = 17;		// UDP
	put16(ip + 10, 0);
	put32(ip + 12, flow.src_ip);
	put32(ip + 16, flow.dst_ip);
	put16(ip + 10, inet_checksum({ip, kIpHdr}));

	uint8_t *udp = ip + kIpHdr;
	const auto udp_len = static_cast<uint16_t>(kUdpHdr + payload.size());
	put16(udp, flow.src_port);
	put16(udp + 2, flow.dst_port);
	put16(udp + 4, udp_len);
	put16(udp + 6, 0);
	if (!payload.empty())
		std::memcpy(udp + kUdpHdr, payload.data(), payload.size());
	uint32_t sum = pseudo_header_sum(flow.src_ip, flow.dst_ip, udp_len);
	uint16_t c = csum_fold(csum_add({udp, udp_len}, sum));
	put16(udp + 6, c ? c : 0xffff);	 // 0 would mean "no checksum"
	return len;
}

ParsedFrame parse_udp_frame(std::span<const uint8_t> f)
{
	ParsedFrame r;
	if (f.size() < kFrameOverhead) {
		r.status = ParseStatus::too_short;
		return r;
	}
	std::memcpy(r.flow.dst_mac.data(), f.data(), 6);
	std::memcpy(r.flow.src_mac.data(), f.data() + 6, 6);
	if (get16(f.data() + 12) != 0x0800) {
		r.status = ParseStatus::not_ipv4;
		return r;
	}
	const uint8_t *ip = f.data() + kEthHdr;
	const size_t ip_room = f.size() - kEthHdr;
	const size_t ihl = (ip[0] & 0x0f) * 4u;
	const size_t ip_len = get16(ip + 2);
	if ((ip[0] >> 4) != 4 || ihl < kIpHdr || ip_len < ihl + kUdpHdr ||
	    ip_len > ip_room) {
		r.status = ParseStatus::bad_ip_header;
		return r;
	}
	if (inet_checksum({ip, ihl}) != 0) {
		r.status = ParseStatus::bad_ip_checksum;
		return r;
	}
	if (get16(ip + 6) & 0x3fff) {  // MF or a fragment offset
		r.status = ParseStatus::fragment;
		return r;
	}
	if (ip[9] != 17) {
		r.status = ParseStatus::not_udp;
		return r;
	}
	r.ip_id = get16(ip + 4);
	r.flow.src_ip = get32(ip + 12);
	r.flow.dst_ip = get32(ip + 16);
	const uint8_t *udp = ip + ihl;
	const size_t udp_len = get16(udp + 4);
	if (udp_len < kUdpHdr || udp_len != ip_len - ihl) {
		r.status = ParseStatus::bad_udp_length;
		return r;
	}
	r.flow.src_port = get16(udp);
	r.flow.dst_port = get16(udp + 2);
	if (get16(udp + 6) != 0) {
		uint32_t sum = pseudo_header_sum(r.flow.src_ip, r.flow.dst_ip,
						 static_cast<uint16_t>(udp_len));
		if (csum_fold(csum_add({udp, udp_len}, sum)) != 0) {
			r.status = ParseStatus::bad_udp_checksum;
			return r;
		}
	}
	r.payload = {udp + kUdpHdr, udp_len - kUdpHdr};
	r.status = ParseStatus::ok;
	return r;
}

}  // namespace vnet
