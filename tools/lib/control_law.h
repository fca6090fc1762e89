// The controller's decision logic: pick a device direction's poll interval
// from what the last period measured. Pure functions of (state, sample) so
// they are unit tested against a simulated plant (plant_sim.h); the daemon
// only does I/O around them.
//
// Goal: minimise worker CPU per packet while keeping throughput within a
// tolerance of the best seen at this load and never choosing an interval
// above the latency cap. An idle queue is left in event mode (interval 0).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lwvhost {

struct LawConfig {
	// Intervals the law may choose, ascending, starting with 0 (event mode).
	std::vector<uint32_t> ladder{0, 10, 25, 50, 100, 200, 400, 800, 1600};
	uint32_t max_latency_us = 400;     // no interval above this
	double throughput_tolerance = 0.05; // accepted loss vs best seen
	double idle_pps = 100;             // below this: event mode
	double min_gain = 0.03;            // cost must improve this much to move
	double load_change = 0.25;         // relative pps change that restarts search
	unsigned hold_periods = 25;        // re-probe a neighbour this often
	// Polling at an interval shorter than min_batch inter-arrival times
	// wakes the worker more often than kicks would: never worth probing.
	double min_batch = 4;
};

// What one period measured for one direction of one device.
struct Sample {
	double period_s = 0.2;
	double packets = 0;         // delta over the period
	double worker_cpu_ns = 0;   // delta of the worker's run time
	uint32_t interval_us = 0;   // interval in force during the period
};

struct Decision {
	uint32_t interval_us = 0;
	std::string reason; // one line, with the numbers behind it
};

// Hill climbing over the ladder (the approach NetAP takes with golden
// section): from event mode, jump to the first interval that batches
// min_batch packets per pass at the measured load, probe upwards while
// CPU/packet falls and throughput holds, settle on the cheapest level seen
// (event mode included), re-probe after a load change or every hold_periods.
class LadderLaw {
public:
	explicit LadderLaw(LawConfig cfg = {});
	Decision step(const Sample &s);

private:
	enum class Phase { Idle, Probing, Holding };
	size_t cap_index() const;
	size_t first_batching_index(double pps) const;
	Decision move_to(size_t idx, std::string why);
	Decision settle(double pps);
	void restart(double pps);

	LawConfig cfg_;
	Phase phase_ = Phase::Idle;
	size_t idx_ = 0;            // current ladder index
	size_t best_idx_ = 0;
	double best_cost_ = 0;      // ns/packet at best_idx_
	double ref_pps_ = 0;        // load the current search started at
	double avg_pps_ = 0;        // smoothed throughput, for back-off
	bool first_probe_ = false;  // next sample is the search's baseline
	unsigned held_ = 0;
	bool probe_down_ = false;   // next re-probe direction
};

// A step table in the style of Linux net_dim: one step per period in the
// current direction while the cost improves, reverse when it gets worse,
// step down at once when throughput drops.
class StepTableLaw {
public:
	explicit StepTableLaw(LawConfig cfg = {});
	Decision step(const Sample &s);

private:
	LawConfig cfg_;
	size_t idx_ = 0;
	int dir_ = 1;
	double prev_cost_ = 0;
	double prev_pps_ = 0;
};

// CPU nanoseconds per packet, or 0 when no packet moved.
double cost_per_packet(const Sample &s);

}  // namespace lwvhost
