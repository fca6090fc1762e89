// SPDX-License-Identifier: GPL-2.0
// The host side of the link: a private network namespace, the tap, its
// address and a static neighbour for the guest, and the host UDP socket.
#pragma once

#include <optional>
#include <string>

#include "frame.h"
#include "sys.h"

namespace vnet {

// Addresses of the link; the host end is the tap.
struct LinkAddrs {
	Mac host_mac{0x02, 0x00, 0x00, 0x77, 0x00, 0x01};
	Mac guest_mac{0x52, 0x54, 0x00, 0x77, 0x00, 0x02};
	uint32_t host_ip = ipv4(10, 77, 0, 1);
	uint32_t guest_ip = ipv4(10, 77, 0, 2);
	unsigned prefix = 24;
	uint16_t host_port = 9000;
	uint16_t guest_port = 9002;

	Flow guest_to_host() const
	{
		return {guest_mac, host_mac, guest_ip, host_ip, guest_port, host_port};
	}
	Flow host_to_guest() const
	{
		return {host_mac, guest_mac, host_ip, guest_ip, host_port, guest_port};
	}
};

// unshare(CLONE_NEWNET) once per process, bring lo up, and switch IPv6 off
// for new devices (so the tap carries only vnet's traffic). Idempotent.
void enter_private_netns();

struct TapOptions {
	bool vnet_hdr = true;	// IFF_VNET_HDR (tap adds/strips the header)
	size_t hdr_len = 12;	// TUNSETVNETHDRSZ when vnet_hdr
	int sndbuf = 0;		// TUNSETSNDBUF when > 0
};

// A tap device, up, with the host address, and a permanent neighbour entry
// for the guest address so host->guest traffic needs no ARP.
class Tap {
public:
	Tap(const TapOptions &opt, const LinkAddrs &addrs);
	int fd() const { return fd_.get(); }
	const std::string &name() const { return name_; }

private:
	Fd fd_;
	std::string name_;
};

// Nonblocking UDP socket bound to host_ip:host_port with large buffers.
Fd open_host_socket(const LinkAddrs &addrs);

}  // namespace vnet
