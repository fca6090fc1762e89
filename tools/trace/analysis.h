// SPDX-License-Identifier: GPL-2.0
// What lwvhost-trace reports about a Trace: per-function time, per worker
// pass packet counts and durations, wakeup-to-handler latency, context
// switches and folded stacks. Pure functions over a Trace.
#pragma once

#include "model.h"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace lwvhost::trace {

// Which functions mean what. Names match with or without compiler clone
// suffixes (".constprop.0", ".isra.0", ...).
struct Profile {
	std::string name;
	// A worker pass: the outermost call of one of these. Value: its kind
	// ("tx", "rx", ...).
	std::map<std::string, std::string> pass_funcs;
	// Per pass kind, the calls that each handle one packet. "f/g" counts
	// calls of f that themselves called g (vhost_get_vq_desc/translate_desc:
	// a descriptor fetch that found a chain, not the final empty one).
	std::map<std::string, std::vector<std::string>> packet_funcs;
	// Calls that queue work for the worker (outermost only, so a wakeup
	// that queues through a second listed function counts once).
	std::set<std::string> wakeup_funcs;
	// Timer callbacks that queue work (lwvhost's pacing hrtimers): counted
	// as wakeups like the above, and also on their own; each queue call
	// inside one past the first counts as a further (shared) wakeup.
	std::set<std::string> timer_wakeup_funcs;
	// Wakeup calls made inside these functions are not counted (they
	// cannot queue anything, e.g. before the device has a worker).
	std::set<std::string> no_wakeup_under;
	// Other work functions the worker runs: they take pending wakeups too
	// but are not passes (flush work).
	std::set<std::string> other_work_funcs;
};

// "stock" (Linux vhost_net), "lwvhost", or "all" (both; the default, their
// names do not collide). Returns nullopt for an unknown name.
std::optional<Profile> builtin_profile(const std::string &name);
std::vector<std::string> builtin_profile_names();

// Distribution of values (ns or counts): nearest-rank percentiles.
struct Dist {
	uint64_t n = 0;
	uint64_t sum = 0;
	uint64_t min = 0, p50 = 0, p99 = 0, max = 0;
	double mean = 0;
};
Dist make_dist(std::vector<uint64_t> values);

struct FuncStats {
	std::string func;
	std::string module;
	uint64_t calls = 0;       // every frame, truncated or not
	uint64_t incomplete = 0;  // open or start-truncated: no time counted
	Dist total;               // duration of complete calls
	Dist self;                // minus complete children (exact calls only)
};

struct Pass {
	int frame = -1;
	std::string func;
	std::string kind;
	int cpu = -1;
	int task = -1;
	std::optional<uint64_t> start_ns;
	std::optional<uint64_t> dur_ns;
	bool complete = false;  // whole subtree in the trace
	uint64_t packets = 0;
	uint64_t wakeups = 0;   // wakeups pending when it started (abstime)
	uint64_t timer_wakeups = 0;  // how many of them were timer callbacks
	std::optional<uint64_t> wakeup_latency_ns;  // since the first of them
};

struct PassKindStats {
	std::string kind;
	uint64_t passes = 0;
	uint64_t complete = 0;
	uint64_t empty = 0;  // complete passes that handled no packet
	uint64_t packets = 0;
	Dist packets_per_pass;  // complete passes
	Dist duration;          // complete passes, ns
	std::map<std::string, uint64_t> by_func;
};

struct WakeupStats {
	bool available = false;  // needs funcgraph-abstime
	uint64_t wakeups = 0;
	uint64_t timer_wakeups = 0;  // of those, timer callbacks
	// Of those, extra work queued by one timer callback (a poll timer
	// that also serves its sibling queue); timer-brought, not counted in
	// timer_wakeups, which counts callbacks.
	uint64_t shared_wakeups = 0;
	uint64_t handler_runs = 0;  // passes + other work runs
	uint64_t woken_passes = 0;
	uint64_t unwoken_passes = 0;  // no pending wakeup (re-poll, batch)
	uint64_t timer_only_passes = 0;  // woken, all pending wakeups timers
	uint64_t unconsumed = 0;      // wakeups after the last handler run
	double wakeups_per_pass = 0;
	Dist latency;  // ns, first pending wakeup -> handler start
	std::map<std::string, uint64_t> by_func;
};

struct SwitchStats {
	uint64_t total = 0;
	std::map<int, uint64_t> per_cpu;
	uint64_t to_vhost = 0;    // into a task whose comm starts with "vhost-"
	uint64_t from_vhost = 0;
	std::map<std::string, uint64_t> into_task;
};

struct TraceInfo {
	uint64_t lines = 0;
	uint64_t events = 0;
	uint64_t unknown_lines = 0;
	std::vector<std::pair<uint64_t, std::string>> unknown_samples;
	std::vector<int> cpus;
	std::vector<std::string> tasks;
	bool abstime = false, cpu = false, proc = false, duration = false,
	     tail = false;
	std::optional<uint64_t> span_ns;
	uint64_t frames = 0, open_frames = 0, truncated_frames = 0;
	uint64_t lost_events = 0;
	uint64_t irqs = 0;
	uint64_t comments = 0;
	uint64_t tail_mismatches = 0;
	uint64_t displaced_returns = 0;  // interrupts during a return (model.h)
};

struct Analysis {
	std::string profile;
	TraceInfo info;
	std::vector<FuncStats> functions;  // by total time, descending
	std::vector<Pass> passes;          // in trace order
	std::vector<PassKindStats> pass_kinds;
	WakeupStats wakeups;
	SwitchStats switches;
	std::map<std::string, uint64_t> folded;  // "a;b;c" -> self ns
};

Analysis analyze(const Trace &trace, const Profile &profile);

}  // namespace lwvhost::trace
