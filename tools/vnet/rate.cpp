// SPDX-License-Identifier: GPL-2.0
#include "rate.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace vnet {

namespace {

bool positive(std::string_view s, double &out)
{
	auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
	return ec == std::errc() && p == s.data() + s.size() && std::isfinite(out) && out > 0;
}

}  // namespace

std::optional<RateSchedule> parse_rate_schedule(std::string_view spec)
{
	RateSchedule out;
	while (!spec.empty()) {
		auto comma = spec.find(',');
		std::string_view item = spec.substr(0, comma);
		auto colon = item.find(':');
		RateStep st;
		if (colon == std::string_view::npos || !positive(item.substr(0, colon), st.rate) ||
		    !positive(item.substr(colon + 1), st.seconds))
			return std::nullopt;
		out.push_back(st);
		if (comma == std::string_view::npos)
			break;
		spec.remove_prefix(comma + 1);
		if (spec.empty())
			return std::nullopt;  // trailing comma
	}
	if (out.empty())
		return std::nullopt;
	return out;
}

std::string to_string(const RateSchedule &s)
{
	std::string out;
	for (const RateStep &st : s) {
		char buf[64];
		std::snprintf(buf, sizeof(buf), "%s%g:%g", out.empty() ? "" : ",", st.rate, st.seconds);
		out += buf;
	}
	return out;
}

uint64_t schedule_frames(const RateSchedule &s)
{
	double n = 0;
	for (const RateStep &st : s)
		n += st.rate * st.seconds;
	return uint64_t(n + 1e-6);
}

double offered_by(const RateSchedule &s, double t)
{
	double n = 0;
	for (const RateStep &st : s) {
		if (t <= 0)
			break;
		n += st.rate * std::min(t, st.seconds);
		t -= st.seconds;
	}
	return n;
}

double due_time(const RateSchedule &s, uint64_t n)
{
	double left = double(n), t = 0;
	for (const RateStep &st : s) {
		const double in_step = st.rate * st.seconds;
		if (left <= in_step)
			return t + left / st.rate;
		left -= in_step;
		t += st.seconds;
	}
	return t;  // past the end: due at once
}

}  // namespace vnet
