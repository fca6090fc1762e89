// SPDX-License-Identifier: GPL-2.0
// A model of one vhost queue direction, used to test and compare control
// laws (tests/unit/control_law_test.cpp) without a kernel.
//
// Event mode (interval 0): every kick wakes the worker; batching grows with
// load because kicks arriving while the worker runs are absorbed. Poll mode
// (interval T): one pass per T while busy, each pass paying a wakeup and a
// poll overhead; a pass can take at most a ring's worth of packets, so a long
// interval at high load caps throughput at ring/T.
#pragma once

#include <cstdint>
#include <random>

#include "control_law.h"

namespace lwvhost {

struct PlantParams {
	double pkt_ns = 1500;    // CPU per packet moved
	double wake_ns = 12000;  // CPU per worker wakeup (schedule, mm switch)
	double poll_ns = 2000;   // CPU per poll pass beyond the wakeup
	double ring = 256;       // descriptors: the most one pass can take
	// Relative sd of a period's measurements. CPU per packet varies with
	// caches, interference and tick accounting; packet counts are exact
	// counters, so their noise is only the offered load's own jitter.
	double noise = 0.03;      // CPU per packet
	double pps_noise = 0.01;  // packets per period
};

class Plant {
public:
	Plant(PlantParams p, uint32_t seed) : p_(p), rng_(seed) {}

	void set_load(double offered_pps) { offered_ = offered_pps; }

	// Noise-free steady state at interval_us: {throughput pps, ns/packet}.
	std::pair<double, double> steady(uint32_t interval_us) const;

	// One measurement period at interval_us, with noise.
	Sample measure(uint32_t interval_us, double period_s = 0.2);

	// The ladder level with the lowest cost whose throughput is within tol
	// of the offered load and which respects the latency cap.
	uint32_t optimum(const LawConfig &cfg) const;

private:
	PlantParams p_;
	std::mt19937 rng_;
	double offered_ = 0;
};

}  // namespace lwvhost
