// SPDX-License-Identifier: GPL-2.0
// Nearest-rank percentiles, shared by every tool that reports p50/p99.
#pragma once

#include <cstdint>
#include <vector>

namespace lwvhost {

// The smallest sample with at least p% of samples at or below it; `sorted`
// must be ascending. Empty input gives 0.
uint64_t percentile_sorted(const std::vector<uint64_t> &sorted, double p);

}  // namespace lwvhost
