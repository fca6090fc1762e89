// SPDX-License-Identifier: GPL-2.0
#include "plant_sim.h"

#include <algorithm>
#include <limits>

namespace lwvhost {

std::pair<double, double> Plant::steady(uint32_t interval_us) const
{
	const double lambda = offered_;
	if (lambda <= 0)
		return {0, 0};
	double thr, cpu_per_s;
	if (interval_us == 0) {
		const double capacity = 1e9 / p_.pkt_ns;
		thr = std::min(lambda, capacity);
		// Kicks that arrive while a wakeup is being served join its batch.
		const double wakeups = thr / (1 + thr * p_.wake_ns * 1e-9);
		cpu_per_s = wakeups * p_.wake_ns + thr * p_.pkt_ns;
	} else {
		const double passes = 1e6 / interval_us;
		thr = std::min({lambda, p_.ring * passes, 1e9 / p_.pkt_ns});
		cpu_per_s = passes * (p_.wake_ns + p_.poll_ns) + thr * p_.pkt_ns;
	}
	return {thr, cpu_per_s / thr};
}

Sample Plant::measure(uint32_t interval_us, double period_s)
{
	std::normal_distribution<double> n_cost(1.0, p_.noise), n_pps(1.0, p_.pps_noise);
	auto [thr, cost] = steady(interval_us);
	Sample s;
	s.period_s = period_s;
	s.interval_us = interval_us;
	s.packets = std::max(0.0, thr * period_s * n_pps(rng_));
	s.worker_cpu_ns = std::max(0.0, s.packets * cost * n_cost(rng_));
	return s;
}

uint32_t Plant::optimum(const LawConfig &cfg) const
{
	uint32_t best = 0;
	double best_cost = std::numeric_limits<double>::max();
	for (uint32_t t : cfg.ladder) {
		if (t > cfg.max_latency_us)
			continue;
		auto [thr, cost] = steady(t);
		if (thr < offered_ * (1 - cfg.throughput_tolerance))
			continue;
		if (cost < best_cost) {
			best_cost = cost;
			best = t;
		}
	}
	return best;
}

}  // namespace lwvhost
