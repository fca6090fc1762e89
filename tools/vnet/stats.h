// SPDX-License-Identifier: GPL-2.0
// Latency percentiles (pure) and vhost worker CPU sampling.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "proc_stat.h"

namespace vnet {

struct LatencySummary {
	uint64_t count = 0;
	uint64_t min = 0, p50 = 0, p99 = 0, p999 = 0, max = 0;
	double mean = 0;
};

// Nearest-rank percentiles (the smallest sample with at least p% of samples
// at or below it). Empty input gives all zeros.
LatencySummary summarize(std::vector<uint64_t> samples);

// CPU time of one task: utime+stime (clock ticks, converted to ns) and
// schedstat run time (ns, finer; absent without CONFIG_SCHEDSTATS/SCHED_INFO).
struct CpuSample {
	uint64_t tick_ns = 0;
	std::optional<uint64_t> run_ns;
};
std::optional<CpuSample> sample_task_cpu(const lwvhost::TaskId &t,
					 const std::string &root = "/proc");

}  // namespace vnet
