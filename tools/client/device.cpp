// SPDX-License-Identifier: GPL-2.0
#include "client/device.h"

namespace lwvhost::client {

const char *dir_name(Dir d)
{
	return d == Dir::Rx ? "rx" : "tx";
}

std::optional<Dir> dir_from_name(std::string_view s)
{
	if (s == "rx")
		return Dir::Rx;
	if (s == "tx")
		return Dir::Tx;
	return std::nullopt;
}

const char *mode_name(Mode m)
{
	switch (m) {
	case Mode::Event:
		return "event";
	case Mode::Poll:
		return "poll";
	}
	return "unknown";
}

std::optional<Mode> mode_from_name(std::string_view s)
{
	if (s == "event")
		return Mode::Event;
	if (s == "poll")
		return Mode::Poll;
	return std::nullopt;
}

const std::array<KnobInfo, kKnobCount> &knobs()
{
	static const std::array<KnobInfo, kKnobCount> table = {{
		{Knob::PollIntervalUs, "poll_interval_us", LWVHOST_A_VQ_POLL_INTERVAL_US,
		 0, LWVHOST_POLL_INTERVAL_MAX_US, &Params::poll_interval_us},
		{Knob::IdlePolls, "idle_polls", LWVHOST_A_VQ_IDLE_POLLS,
		 LWVHOST_IDLE_POLLS_MIN, LWVHOST_IDLE_POLLS_MAX, &Params::idle_polls},
		{Knob::CoalesceUsecs, "coalesce_usecs", LWVHOST_A_VQ_COALESCE_USECS,
		 0, LWVHOST_COALESCE_USECS_MAX, &Params::coalesce_usecs},
		{Knob::CoalesceFrames, "coalesce_frames", LWVHOST_A_VQ_COALESCE_FRAMES,
		 0, LWVHOST_COALESCE_FRAMES_MAX, &Params::coalesce_frames},
		{Knob::LatencyBudgetUs, "latency_budget_us", LWVHOST_A_VQ_LATENCY_BUDGET_US,
		 0, LWVHOST_LATENCY_BUDGET_MAX_US, &Params::latency_budget_us},
	}};
	return table;
}

const KnobInfo &knob_info(Knob k)
{
	return knobs()[size_t(k)];
}

std::optional<Knob> knob_from_name(std::string_view name)
{
	for (const auto &k : knobs())
		if (name == k.name)
			return k.knob;
	return std::nullopt;
}

std::string check_range(Knob k, uint32_t v)
{
	const auto &ki = knob_info(k);
	if (v >= ki.min && v <= ki.max)
		return {};
	return std::string(ki.name) + " must be " + std::to_string(ki.min) + ".." +
	       std::to_string(ki.max) + ", not " + std::to_string(v);
}

bool ParamUpdate::empty() const
{
	return !touches(Dir::Rx) && !touches(Dir::Tx);
}

bool ParamUpdate::touches(Dir d) const
{
	for (const auto &v : v_[index(d)])
		if (v)
			return true;
	return false;
}

void ParamUpdate::apply(Dir d, Params &p) const
{
	for (const auto &k : knobs())
		if (auto v = get(d, k.knob))
			p.*k.field = *v;
}

const std::array<StatInfo, kStatFieldCount> &stat_fields()
{
	static const std::array<StatInfo, kStatFieldCount> table = {{
		{"packets", LWVHOST_A_STAT_PACKETS, &Stats::packets},
		{"bytes", LWVHOST_A_STAT_BYTES, &Stats::bytes},
		{"kicks", LWVHOST_A_STAT_KICKS, &Stats::kicks},
		{"signals", LWVHOST_A_STAT_SIGNALS, &Stats::signals},
		{"signals_coalesced", LWVHOST_A_STAT_SIGNALS_COALESCED,
		 &Stats::signals_coalesced},
		{"polls", LWVHOST_A_STAT_POLLS, &Stats::polls},
		{"empty_polls", LWVHOST_A_STAT_EMPTY_POLLS, &Stats::empty_polls},
		{"timer_wakeups", LWVHOST_A_STAT_TIMER_WAKEUPS, &Stats::timer_wakeups},
		{"mode_switches", LWVHOST_A_STAT_MODE_SWITCHES, &Stats::mode_switches},
		{"busy_ns", LWVHOST_A_STAT_BUSY_NS, &Stats::busy_ns},
		{"errors", LWVHOST_A_STAT_ERRORS, &Stats::errors},
		{"iotlb_misses", LWVHOST_A_STAT_IOTLB_MISSES, &Stats::iotlb_misses},
		{"iotlb_updates", LWVHOST_A_STAT_IOTLB_UPDATES, &Stats::iotlb_updates},
		{"iotlb_invalidations", LWVHOST_A_STAT_IOTLB_INVALIDATIONS,
		 &Stats::iotlb_invalidations},
		{"shared_polls", LWVHOST_A_STAT_SHARED_POLLS, &Stats::shared_polls},
	}};
	return table;
}

}  // namespace lwvhost::client
