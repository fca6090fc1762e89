// SPDX-License-Identifier: GPL-2.0
// The controller's decision logic: pick a device direction's poll interval
// from what the last period measured. Pure functions of (state, sample) so
// they are unit tested against a simulated plant (tests/unit/plant_sim.h); the daemon
// (tools/tuned) only does I/O around them.
//
// Goal: minimise worker CPU per packet while keeping throughput within a
// tolerance of the best seen at this load and never choosing an interval
// above the latency cap. An idle queue is left in event mode (interval 0).
// docs/tuning.md explains the two laws and why lwvhost-tuned uses LadderLaw.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
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
	// Polling at an interval that collects fewer than min_batch packets per
	// pass costs a timer wakeup for little work; a search starts at the
	// first level that batches this many at the measured load.
	double min_batch = 4;
};

// What one period measured for one direction of one device.
struct Sample {
	double period_s = 0.2;
	double packets = 0;         // delta over the period
	double worker_cpu_ns = 0;   // delta of the worker's run time (this direction's share)
	uint32_t interval_us = 0;   // interval in force during the period
};

struct Decision {
	uint32_t interval_us = 0;
	std::string reason; // one line, with the numbers behind it
};

class Law {
public:
	virtual ~Law() = default;
	virtual Decision step(const Sample &s) = 0;
	virtual const char *name() const = 0;
};

// Names accepted by make_law (and by lwvhost-tuned's `law =` setting).
inline constexpr std::string_view kLawNames[] = {"ladder", "step-table"};
// nullptr if name is not one of kLawNames.
std::unique_ptr<Law> make_law(std::string_view name, const LawConfig &cfg);

// A search with memory over the ladder (in the spirit of NetAP's
// golden-section search): from event mode, jump to the first interval that
// batches min_batch packets per pass at the measured load, walk upwards
// while a level is better than the one before (cheaper by min_gain, or more
// throughput), then settle on the cheapest level measured in this search
// whose throughput is within the tolerance of the best measured. While
// holding, a lasting load change starts a new search; every hold_periods it
// re-probes one neighbour (alternately below and above) the same way.
class LadderLaw : public Law {
public:
	explicit LadderLaw(LawConfig cfg = {});
	Decision step(const Sample &s) override;
	const char *name() const override { return "ladder"; }

private:
	enum class Phase { Idle, Search, Hold };
	struct Point {
		unsigned n = 0;   // samples averaged
		double pps = 0;
		double cost = 0;  // ns/packet
	};

	size_t cap_index() const;
	size_t first_batching_index(double pps) const;
	Decision move_to(size_t idx, std::string why);
	void start_search(int dir);
	Decision search(double pps, double cost);
	Decision settle(const char *why);
	bool better(const Point &a, const Point &b) const;

	LawConfig cfg_;
	Phase phase_ = Phase::Idle;
	size_t idx_ = 0;             // ladder index in force
	std::vector<Point> seen_;    // per level, measured in this search
	size_t from_ = 0;            // level the current step is compared with
	size_t start_ = 0;           // level the search started at
	int dir_ = 1;
	bool turned_ = false;        // a downward walk has turned upwards
	bool climb_once_ = false;    // first poll level may still lead downhill
	double ref_pps_ = 0;         // throughput when the held level was chosen
	double hold_cost_ = 0;       // smoothed cost while holding
	double hold_pps_ = 0;        // smoothed throughput while holding
	double settled_cost_ = 0;    // cost the held level was chosen for
	bool lossy_above_ = false;   // the level above lost throughput
	unsigned off_band_ = 0;      // consecutive periods outside load_change
	unsigned held_ = 0;
	bool probe_down_ = false;    // next re-probe direction
};

// A step table in the style of Linux net_dim: from one period to the next,
// keep stepping in the current direction while the result gets better
// (throughput first, then CPU per packet), reverse when it gets worse, park
// when it stays the same, and leave the park after hold_periods ("tired").
// It uses the same levels and the same batching rule for the first step
// out of event mode as LadderLaw, but remembers only the previous period.
class StepTableLaw : public Law {
public:
	explicit StepTableLaw(LawConfig cfg = {});
	Decision step(const Sample &s) override;
	const char *name() const override { return "step-table"; }

private:
	size_t cap_index() const;
	LawConfig cfg_;
	size_t idx_ = 0;
	int dir_ = 1;
	bool parked_ = false;
	unsigned parked_for_ = 0;
	double prev_cost_ = 0;
	double prev_pps_ = 0;
};

// CPU nanoseconds per packet, or 0 when no packet moved.
double cost_per_packet(const Sample &s);

// The ladder index of the largest level <= max_latency_us (0 if none).
size_t ladder_cap_index(const LawConfig &cfg);

}  // namespace lwvhost
