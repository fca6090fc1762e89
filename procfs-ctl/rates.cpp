// SPDX-License-Identifier: GPL-2.0
#include "rates.h"

namespace lwvhost::ctl {

std::optional<CounterRates> counter_rates(const Stats &a, const Stats &b, double dt_s)
{
	if (!(dt_s > 0))
		return std::nullopt;
	CounterRates r{};
	const auto &f = client::stat_fields();
	for (size_t i = 0; i < f.size(); i++) {
		uint64_t x = a.*f[i].field, y = b.*f[i].field;
		if (y < x)
			return std::nullopt;
		r[i] = double(y - x) / dt_s;
	}
	return r;
}

std::optional<VqRates> vq_rates(const Stats &a, const Stats &b, double dt_s)
{
	auto c = counter_rates(a, b, dt_s);
	if (!c)
		return std::nullopt;
	VqRates r;
	uint64_t pkts = b.packets - a.packets;
	r.pps = double(pkts) / dt_s;
	r.mbit_s = double(b.bytes - a.bytes) * 8.0 / 1e6 / dt_s;
	r.kicks_s = double(b.kicks - a.kicks) / dt_s;
	r.signals_s = double(b.signals - a.signals) / dt_s;
	r.polls_s = double(b.polls - a.polls) / dt_s;
	if (pkts) {
		r.kicks_per_pkt = double(b.kicks - a.kicks) / double(pkts);
		r.signals_per_pkt = double(b.signals - a.signals) / double(pkts);
	}
	return r;
}

std::optional<double> cpu_percent(uint64_t cpu_ns_a, uint64_t cpu_ns_b, double dt_s)
{
	if (!(dt_s > 0) || cpu_ns_b < cpu_ns_a)
		return std::nullopt;
	return double(cpu_ns_b - cpu_ns_a) / 1e9 / dt_s * 100.0;
}

uint64_t ticks_to_ns(uint64_t ticks, long ticks_per_s)
{
	if (ticks_per_s <= 0)
		return 0;
	return ticks * (1000000000ull / uint64_t(ticks_per_s));
}

}  // namespace lwvhost::ctl
