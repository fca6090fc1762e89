// SPDX-License-Identifier: GPL-2.0
// Ethernet / IPv4 / UDP frames: build with correct checksums, parse and
// validate. Pure.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace vnet {

using Mac = std::array<uint8_t, 6>;

constexpr size_t kEthHdr = 14;
constexpr size_t kIpHdr = 20;
constexpr size_t kUdpHdr = 8;
constexpr size_t kFrameOverhead = kEthHdr + kIpHdr + kUdpHdr;
constexpr size_t kMtu = 1500;
constexpr size_t kMaxFrame = kEthHdr + kMtu;	       // 1514
constexpr size_t kMaxUdpPayload = kMtu - kIpHdr - kUdpHdr;  // 1472

// One direction of a UDP flow. IPv4 addresses in host byte order.
struct Flow {
	Mac src_mac{}, dst_mac{};
	uint32_t src_ip = 0, dst_ip = 0;
	uint16_t src_port = 0, dst_port = 0;
};

// Writes the frame into `out`; returns its length, or 0 if `out` is too small
// or the payload exceeds kMaxUdpPayload.
size_t build_udp_frame(std::span<uint8_t> out, const Flow &flow,
		       std::span<const uint8_t> payload, uint16_t ip_id);

enum class ParseStatus {
	ok,
	too_short,	  // shorter than Ethernet + IPv4 + UDP headers
	not_ipv4,	  // EtherType is not 0x0800 (ARP, IPv6, ...)
	bad_ip_header,	  // version/IHL/total length inconsistent
	bad_ip_checksum,
	fragment,
	not_udp,
	bad_udp_length,
	bad_udp_checksum,
};
std::string to_string(ParseStatus s);

struct ParsedFrame {
	ParseStatus status = ParseStatus::too_short;
	Flow flow;
	uint16_t ip_id = 0;
	std::span<const uint8_t> payload;  // points into the parsed buffer
};

// Validates every header field vnet relies on, both checksums included (a
// zero UDP checksum means "none" and is accepted, per RFC 768). Trailing
// Ethernet padding after the IP datagram is allowed.
ParsedFrame parse_udp_frame(std::span<const uint8_t> frame);

// "10.77.0.1" <-> host-order address.
uint32_t ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
std::string ipv4_to_string(uint32_t addr);

}  // namespace vnet
