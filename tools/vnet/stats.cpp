// SPDX-License-Identifier: GPL-2.0
#include "stats.h"
#include "percentile.h"

#include <algorithm>
#include <numeric>
#include <unistd.h>

namespace vnet {

using lwvhost::percentile_sorted;

LatencySummary summarize(std::vector<uint64_t> s)
{
	LatencySummary r;
	if (s.empty())
		return r;
	std::sort(s.begin(), s.end());
	r.count = s.size();
	r.min = s.front();
	r.max = s.back();
	r.p50 = percentile_sorted(s, 50);
	r.p99 = percentile_sorted(s, 99);
	r.p999 = percentile_sorted(s, 99.9);
	r.mean = static_cast<double>(std::accumulate(s.begin(), s.end(), uint64_t{0})) /
		 static_cast<double>(s.size());
	return r;
}

std::optional<CpuSample> sample_task_cpu(const lwvhost::TaskId &t, const std::string &root)
{
	auto st = lwvhost::read_task_stat(t.pid, t.tid, root);
	if (!st)
		return std::nullopt;
	static const long hz = sysconf(_SC_CLK_TCK);
	CpuSample s;
	s.tick_ns = (st->utime_ticks + st->stime_ticks) * (1000000000ull / static_cast<uint64_t>(hz));
	if (auto ss = lwvhost::read_schedstat(t.pid, t.tid, root))
		s.run_ns = ss->run_ns;
	return s;
}

}  // namespace vnet
