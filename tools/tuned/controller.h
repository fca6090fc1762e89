// SPDX-License-Identifier: GPL-2.0
// The part of lwvhost-tuned between measurements and decisions: per device
// and direction, turns two successive observations into a Sample, runs the
// control law and says which intervals to set and what to log. No I/O, so
// it is unit tested with observations made from the simulated plant.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tuned_config.h"
#include "control_law.h"

namespace lwvhost::tuned {

enum DirIndex { kRx = 0, kTx = 1 };  // enum lwvhost_dir order
const char *dir_label(int d);

struct DirObs {
	std::string ifname;       // "" if no backend
	uint32_t interval_us = 0; // in force now
	// > 0: adaptive mode, the kernel picks this queue's polls itself
	// (poll_interval_us has no effect); the controller leaves it alone.
	uint32_t latency_budget_us = 0;
	uint64_t packets = 0;     // counters since the device was opened
	uint64_t busy_ns = 0;
};

// One device as seen at one instant.
struct DevObs {
	uint32_t id = 0;
	uint32_t owner_pid = 0;
	std::string comm;                    // owner's comm ("" if unknown)
	std::optional<uint64_t> worker_ns;   // worker CPU: schedstat run time, or
	bool worker_ticks = false;           //   utime+stime if this is set
	std::array<DirObs, 2> dir;
};

struct Action {
	uint32_t id = 0;
	std::array<std::optional<uint32_t>, 2> interval;  // to set, per direction
	bool any() const { return interval[0] || interval[1]; }
};

// The worker serves both directions; each direction's share of its CPU is
// its share of the handlers' busy time (packets if neither was busy).
std::array<double, 2> split_worker_ns(double worker_ns, const std::array<uint64_t, 2> &busy_ns,
				      const std::array<uint64_t, 2> &packets);

class Controller {
public:
	Controller(Config cfg, bool verbose) : cfg_(std::move(cfg)), verbose_(verbose) {}

	// All devices observed at now_s (monotonic seconds). Returns the
	// changes to make; appends log lines to *log. Devices missing from obs
	// are forgotten. A direction with latency_budget_us > 0 is left alone
	// (said once); when it returns to fixed mode its law starts afresh
	// with the next period.
	std::vector<Action> tick(double now_s, const std::vector<DevObs> &obs,
				 std::vector<std::string> *log);
	// Drops a device's state (it was released).
	void forget(uint32_t id) { devs_.erase(id); }
	// Devices (and directions) whose interval this controller changed.
	std::vector<Action> restore_actions() const;
	size_t tracked() const { return devs_.size(); }

private:
	struct Dev {
		std::string match_key;  // ifnames and comm the settings came from
		DevObs prev;
		double prev_t = 0;
		Settings settings;
		std::array<std::unique_ptr<Law>, 2> law;
		std::array<bool, 2> touched{};
		// The direction was in adaptive mode when last seen (and it
		// was said so).
		std::array<bool, 2> adaptive{};
		bool said_unmanaged = false, said_no_worker = false;
	};
	// (Re)resolves d's settings for o, resetting its laws; logs them.
	void configure(Dev &d, const DevObs &o, std::vector<std::string> *log);

	Config cfg_;
	bool verbose_;
	std::map<uint32_t, Dev> devs_;
};

}  // namespace lwvhost::tuned
