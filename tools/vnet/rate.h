// SPDX-License-Identifier: GPL-2.0
// Offered load that changes over time: `--rate-schedule 2000:3,20000:4`
// sends 2000 frames/s for 3 s, then 20000 frames/s for 4 s. Pure maths,
// unit tested (tests/unit/vnet_rate_test.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vnet {

struct RateStep {
	double rate = 0;     // frames per second, > 0
	double seconds = 0;  // > 0
	bool operator==(const RateStep &) const = default;
};
using RateSchedule = std::vector<RateStep>;

// "RATE:SECONDS[,RATE:SECONDS...]"; nullopt if malformed or a value <= 0.
std::optional<RateSchedule> parse_rate_schedule(std::string_view spec);
std::string to_string(const RateSchedule &s);

// Frames the schedule offers in total (whole frames).
uint64_t schedule_frames(const RateSchedule &s);
// Frames offered by t seconds after the start (the integral of the rate).
double offered_by(const RateSchedule &s, double t);
// When frame n (0-based) is due: the t at which offered_by(t) reaches n.
double due_time(const RateSchedule &s, uint64_t n);

}  // namespace vnet
