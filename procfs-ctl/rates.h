// SPDX-License-Identifier: GPL-2.0
// lwvhostctl: rates from two successive samples of the counters (pure).
#pragma once

#include "client/device.h"

#include <array>
#include <optional>

namespace lwvhost::ctl {

using client::Stats;

// Per-second rate of every counter in client::stat_fields() order. Nullopt
// if dt_s <= 0 or any counter went backwards (the device was replaced, or
// the module reloaded): a rate across that would be meaningless.
using CounterRates = std::array<double, client::kStatFieldCount>;
std::optional<CounterRates> counter_rates(const Stats &a, const Stats &b, double dt_s);

// What `top` shows per direction.
struct VqRates {
	double pps = 0;        // packets/s
	double mbit_s = 0;     // bytes*8/1e6 per second (vnet headers included)
	double kicks_s = 0;    // guest notifications/s
	double signals_s = 0;  // guest interrupts/s
	double polls_s = 0;
	// kicks and signals per packet (0 with no packets): what pacing saves.
	double kicks_per_pkt = 0;
	double signals_per_pkt = 0;
};
std::optional<VqRates> vq_rates(const Stats &a, const Stats &b, double dt_s);

// Worker CPU use in percent of one CPU from two readings of its CPU time
// (ns). Nullopt if dt_s <= 0 or the time went backwards (another thread).
std::optional<double> cpu_percent(uint64_t cpu_ns_a, uint64_t cpu_ns_b, double dt_s);

// utime+stime clock ticks to ns.
uint64_t ticks_to_ns(uint64_t ticks, long ticks_per_s);

}  // namespace lwvhost::ctl
