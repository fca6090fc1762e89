// SPDX-License-Identifier: GPL-2.0
// The virtio-net device as a guest + QEMU would set it up over
// /dev/vhost-net: guest memory, feature negotiation, memory table, two split
// virtqueues (0 = RX, 1 = TX) with kick/call/err eventfds, a tap backend, and
// the clean teardown.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "features.h"
#include "guest_mem.h"
#include "netenv.h"
#include "proc_stat.h"
#include "ring.h"
#include "sys.h"

namespace vnet {

enum QueueIndex : unsigned { kRxQ = 0, kTxQ = 1 };

struct DeviceOptions {
	uint64_t requested = fbit(F_VERSION_1);
	unsigned ring = 256;
	bool indirect = false;	  // use indirect descriptors (needs INDIRECT_DESC)
	size_t mrg_buf = 512;	  // RX buffer size with MRG_RXBUF
	int sndbuf = 0;		  // tap TUNSETSNDBUF, 0 = tap default
	unsigned busyloop_us = 0; // VHOST_SET_VRING_BUSYLOOP_TIMEOUT on both rings
	std::string vhost_path = "/dev/vhost-net";
};

class Device {
public:
	// Opens and configures everything and attaches the backend; throws
	// SysError naming the failing call.
	Device(const DeviceOptions &opt, const LinkAddrs &addrs);
	~Device();
	Device(const Device &) = delete;
	Device &operator=(const Device &) = delete;

	// Backend -1 on both rings, then VHOST_GET_VRING_BASE on both; the
	// bases are kept in vring_base. Safe to call twice.
	void detach();

	const DeviceOptions &options() const { return opt_; }
	const Negotiation &negotiation() const { return neg_; }
	uint64_t offered() const { return offered_; }
	size_t hdr_len() const { return neg_.hdr_len; }
	bool mergeable() const { return neg_.has(F_MRG_RXBUF); }
	// Header in its own descriptor: what a legacy driver without ANY_LAYOUT
	// does; virtio 1 drivers put header and frame in one buffer.
	bool split_header() const { return !neg_.has(F_VERSION_1); }

	GuestMemory &mem() { return mapped_->mem; }
	Virtqueue &queue(unsigned q) { return *vq_[q]; }
	int kick_fd(unsigned q) const { return kick_[q].get(); }
	int call_fd(unsigned q) const { return call_[q].get(); }
	int err_fd(unsigned q) const { return err_[q].get(); }
	const std::string &tap_name() const { return tap_->name(); }
	std::optional<lwvhost::TaskId> worker() const { return worker_; }

	// Per-head buffers: TX buffers hold header + largest frame; RX buffers
	// too, or mrg_buf bytes with MRG_RXBUF.
	uint64_t buf_gpa(unsigned q, uint16_t head) const { return bufs_[q][head]; }
	size_t buf_size(unsigned q) const { return buf_size_[q]; }

	std::array<std::optional<uint16_t>, 2> vring_base;

	// Test hook: a guest-physical address in a hole of the memory table.
	uint64_t unmapped_gpa() const;

private:
	void setup_memory();
	void setup_vring(unsigned q);

	DeviceOptions opt_;
	uint64_t offered_ = 0;
	Negotiation neg_;
	Fd vhost_;
	std::unique_ptr<Tap> tap_;
	std::unique_ptr<MappedGuestMemory> mapped_;
	std::array<std::unique_ptr<Virtqueue>, 2> vq_;
	std::array<uint8_t *, 2> ring_hva_{};
	std::array<Fd, 2> kick_, call_, err_;
	std::array<std::vector<uint64_t>, 2> bufs_;
	std::array<size_t, 2> buf_size_{};
	std::optional<lwvhost::TaskId> worker_;
	bool attached_ = false;
};

}  // namespace vnet
