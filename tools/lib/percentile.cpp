// SPDX-License-Identifier: GPL-2.0
#include "percentile.h"

#include <algorithm>
#include <cmath>

namespace lwvhost {

uint64_t percentile_sorted(const std::vector<uint64_t> &sorted, double p)
{
	if (sorted.empty())
		return 0;
	// The epsilon absorbs binary rounding (99.9 / 100 * 1000 is 999.0000001).
	auto rank = static_cast<size_t>(
		std::ceil(p * static_cast<double>(sorted.size()) / 100.0 - 1e-9));
	rank = std::clamp<size_t>(rank, 1, sorted.size());
	return sorted[rank - 1];
}

}  // namespace lwvhost
