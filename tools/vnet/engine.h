// SPDX-License-Identifier: GPL-2.0
// Traffic over a Device: tx (guest->host flood), rx (host->guest flood), rr
// (request/response through a host UDP echo). Every payload is checked; kicks,
// interrupts and the vhost worker's CPU time are counted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "device.h"
#include "features.h"
#include "payload.h"
#include "rate.h"
#include "stats.h"

namespace vnet {

enum class Mode { tx, rx, rr };
std::string to_string(Mode m);

struct RunOptions {
	Mode mode = Mode::tx;
	uint64_t frames = 10000;
	SizeSpec sizes{64, 64};
	double rate = 0;	    // frames (rr: transactions) per second, 0 = flat out
	RateSchedule schedule;	    // if not empty: replaces rate (and frames)
	unsigned batch = 0;	    // max frames per kick, 0 = as many as fit
	unsigned window = 0;	    // frames in flight end to end, 0 = default
	uint64_t exit_cost_ns = 0;  // spin per kick and per interrupt
	uint64_t timeout_ms = 3000; // give up after this long without progress
	uint64_t linger_ms = 0;	    // keep the device open and idle this long after the traffic
	// Keep RX interrupts enabled all the time, like a guest whose NAPI poll
	// re-arms them after every frame: the device is asked for a call per
	// completion, which is what interrupt coalescing then cuts.
	bool rx_irq_always = false;
	// The same for TX completions, like a guest that frees each sent buffer
	// from its TX interrupt instead of lazily on the next send.
	bool tx_irq_always = false;
	// Selftest: post one TX buffer at an unmapped guest-physical address
	// and expect the backend to report it on the TX err eventfd.
	bool inject_bad_gpa = false;
	DeviceOptions dev;

	unsigned effective_window() const;
};

struct QueueCounters {
	uint64_t kicks = 0;		// kick eventfd writes
	uint64_t kicks_suppressed = 0;	// publishes the device did not want notified
	uint64_t interrupts = 0;	// call eventfd reads that found it signalled
	uint64_t signals = 0;		// sum of the call eventfd counters read
	uint64_t spurious = 0;		// interrupts that found no used entry
	uint64_t missed = 0;		// used entries the device had to signal but did not
	uint64_t used = 0;		// used entries reaped
};

struct DirectionResult {
	uint64_t expected = 0, received = 0, lost = 0, duplicated = 0, corrupted = 0,
		 out_of_order = 0;
};

struct WorkerResult {
	bool found = false;
	int pid = 0, tid = 0;
	bool kthread = false;
	std::optional<uint64_t> cpu_ns;  // utime+stime delta (tick resolution)
	std::optional<uint64_t> run_ns;  // schedstat delta
};

struct RunResult {
	RunOptions opts;
	uint64_t offered = 0;
	Negotiation neg;
	std::string tap;

	uint64_t packets = 0;	      // frames (rr: transactions) delivered intact
	uint64_t frame_bytes = 0;     // Ethernet bytes of those frames
	uint64_t payload_bytes = 0;
	double duration_s = 0;	      // first send to last delivery
	QueueCounters rxq, txq;
	DirectionResult to_host, to_guest;
	uint64_t foreign_frames = 0;  // not vnet's flow (IPv6, ARP, ...), ignored
	uint64_t header_errors = 0;   // virtio-net header fields not allowed
	uint64_t merged_frames = 0;   // RX frames spread over >1 buffer
	unsigned straddling_buffers = 0;
	WorkerResult worker;
	uint64_t driver_cpu_ns = 0;   // this thread (driver + host socket side)
	std::optional<LatencySummary> rtt;  // rr only, ns
	std::optional<uint16_t> tx_base, rx_base;
	bool err_reported = false;    // an err eventfd fired
	bool timed_out = false;
	std::vector<std::string> failures;

	bool ok() const { return failures.empty(); }
	double pps() const { return duration_s > 0 ? double(packets) / duration_s : 0; }
};

// Sets up a Device (in the private network namespace, which it enters),
// runs the traffic, tears down and checks. Kernel-side setup failures throw
// SysError; everything else lands in RunResult::failures.
RunResult run(const RunOptions &opts);

}  // namespace vnet
