// SPDX-License-Identifier: GPL-2.0
// `lwvhost-vnet hostile`: a malicious guest. Writes rings that break the virtio
// rules on purpose (descriptor loops, out-of-range pointers, nested indirect
// tables, overflowing lengths, addresses outside or straddling the memory
// table, avail index jumps, garbage used_event, zero-length buffers, chains
// longer than the ring, seeded random mutations of good rings), kicks, and
// checks what the backend did:
//   - a malformed chain is never delivered (its frame does not reach the tap;
//     on RX no used entry carries data); the err eventfd firing or a silent
//     drop are both accepted, and tallied per kind;
//   - host memory next to every guest region (canary pages) is never read
//     into a frame nor written;
//   - the worker does not spin: its CPU time in a quiet window after each
//     case stays a small fraction of the windows, over all cases and for
//     each kind (ring kind / queue) on its own;
//   - the device recovers after the ring is reconfigured (good frames pass
//     both ways, some straddling two regions), and a second, healthy device
//     (a child process running vnet traffic) passes traffic all along.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace vnet {

struct HostileOptions {
	uint64_t seed = 1;
	unsigned rings = 200;	      // hostile cases
	unsigned ring_num = 64;	      // virtqueue size
	unsigned case_ms = 150;	      // wait for an outcome per case
	unsigned quiet_ms = 10;	      // worker CPU window after each case
	unsigned probe_every = 8;     // good traffic after every N cases
	unsigned device_cases = 250;  // a fresh device after this many cases
	bool healthy = true;	      // a second device with traffic meanwhile
	std::string only;	      // run only kinds whose name contains this
	std::string vhost_path = "/dev/vhost-net";
	bool trace = false;
};

struct KindTally {
	uint64_t tried = 0, err = 0, dropped = 0, delivered = 0, ignored = 0;
	// The quiet windows after this kind's rings, and the worker's run time
	// in them: a kind that spins is judged against its own windows.
	uint64_t worker_quiet_ns = 0, quiet_window_ns = 0;
};

struct HostileResult {
	uint64_t cases = 0;
	std::map<std::string, KindTally> kinds;
	uint64_t probes = 0, probe_frames = 0, devices = 0;
	uint64_t frames_checked = 0;  // intact frames verified (probes, benign kinds)
	uint64_t worker_quiet_ns = 0, quiet_window_ns = 0;
	uint64_t worker_probe_ns = 0;  // worker CPU during probes (shows it is measured)
	uint64_t healthy_rounds = 0, healthy_frames = 0;
	std::vector<std::string> failures;
	bool ok() const { return failures.empty(); }
};

// The kinds, in the order the generator cycles through them.
const std::vector<std::string> &hostile_kinds();

HostileResult run_hostile(const HostileOptions &opt);
nlohmann::json to_json(const HostileResult &r);

}  // namespace vnet
