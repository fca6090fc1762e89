// SPDX-License-Identifier: GPL-2.0
// lwvhost client: the plain data model of a device as the kernel reports it
// (genetlink DEV_GET or /proc/lwvhost/<id>/), and the tables that name its
// knobs and counters once for every surface (netlink attribute, procfs file
// name, sysfs parameter, JSON key).
//
// No I/O here; see backend.h for the ways to read and change devices.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <linux/lwvhost.h>

namespace lwvhost::client {

// Index into Device::vq; the values are enum lwvhost_dir.
enum class Dir : uint32_t { Rx = LWVHOST_DIR_RX, Tx = LWVHOST_DIR_TX };
inline constexpr std::array<Dir, 2> kDirs = {Dir::Rx, Dir::Tx};
inline constexpr size_t index(Dir d) { return static_cast<size_t>(d); }
// "rx" / "tx": the prefix of procfs and sysfs file names.
const char *dir_name(Dir d);
std::optional<Dir> dir_from_name(std::string_view s);

enum class Mode : uint32_t { Event = LWVHOST_MODE_EVENT, Poll = LWVHOST_MODE_POLL };
// "event" / "poll" (procfs spelling); anything else is "unknown".
const char *mode_name(Mode m);
std::optional<Mode> mode_from_name(std::string_view s);

// The writable knobs of one virtqueue.
struct Params {
	uint32_t poll_interval_us = 0;
	uint32_t idle_polls = LWVHOST_IDLE_POLLS_DEFAULT;
	uint32_t coalesce_usecs = 0;
	uint32_t coalesce_frames = 0;
	// > 0: adaptive polling, which then replaces poll_interval_us and
	// idle_polls (the kernel picks each poll from the arrival rate).
	uint32_t latency_budget_us = 0;

	bool operator==(const Params &) const = default;
};

// Per-virtqueue counters, monotonically increasing.
struct Stats {
	uint64_t packets = 0;
	uint64_t bytes = 0;
	uint64_t kicks = 0;
	uint64_t signals = 0;
	uint64_t signals_coalesced = 0;
	uint64_t polls = 0;
	uint64_t empty_polls = 0;
	uint64_t timer_wakeups = 0;
	uint64_t mode_switches = 0;
	uint64_t busy_ns = 0;
	uint64_t errors = 0;
	uint64_t iotlb_misses = 0;
	uint64_t iotlb_updates = 0;
	uint64_t iotlb_invalidations = 0;
	uint64_t shared_polls = 0;  // timer polls served by the other queue's expiry

	bool operator==(const Stats &) const = default;
};

struct Vq {
	Dir dir = Dir::Rx;
	std::string ifname;  // backend interface, "" if none attached
	Params params;
	Mode mode = Mode::Event;
	Stats stats;

	bool operator==(const Vq &) const = default;
};

struct Device {
	uint32_t id = 0;
	uint32_t owner_pid = 0;   // 0: no owner yet
	uint32_t worker_tid = 0;  // 0: no worker yet
	uint64_t features = 0;    // acked virtio features
	std::array<Vq, 2> vq{Vq{Dir::Rx}, Vq{Dir::Tx}};

	Vq &at(Dir d) { return vq[index(d)]; }
	const Vq &at(Dir d) const { return vq[index(d)]; }
	bool operator==(const Device &) const = default;
};

// ---- knobs -----------------------------------------------------------

// In the order of the kernel's list (VHOST_PACE_KNOBS in vhost/vhost.h).
enum class Knob { PollIntervalUs, IdlePolls, CoalesceUsecs, CoalesceFrames, LatencyBudgetUs };
inline constexpr size_t kKnobCount = 5;

struct KnobInfo {
	Knob knob;
	const char *name;  // file suffix and JSON key: "poll_interval_us"
	int nl_attr;       // LWVHOST_A_VQ_*
	uint32_t min, max; // accepted range (inclusive), from the UAPI header
	uint32_t Params::*field;
};
// In enum order.
const std::array<KnobInfo, kKnobCount> &knobs();
const KnobInfo &knob_info(Knob k);
std::optional<Knob> knob_from_name(std::string_view name);

// Empty if v is in the knob's range, else a message naming the range.
// The kernel is the authority (it refuses with an extack message); this is
// for callers that want to check before asking it.
std::string check_range(Knob k, uint32_t v);

// A set of changes to apply to one device: any knob of either direction.
class ParamUpdate {
public:
	void set(Dir d, Knob k, uint32_t v) { v_[index(d)][size_t(k)] = v; }
	std::optional<uint32_t> get(Dir d, Knob k) const { return v_[index(d)][size_t(k)]; }
	bool empty() const;
	bool touches(Dir d) const;
	// Applies the update to p (the values a successful set leaves).
	void apply(Dir d, Params &p) const;
	bool operator==(const ParamUpdate &) const = default;

private:
	std::array<std::array<std::optional<uint32_t>, kKnobCount>, 2> v_{};
};

// ---- counters --------------------------------------------------------

struct StatInfo {
	const char *name;  // procfs suffix and JSON key: "signals_coalesced"
	int nl_attr;       // LWVHOST_A_STAT_*
	uint64_t Stats::*field;
};
// How many per-vq counters there are; arrays indexed like stat_fields() use it.
inline constexpr size_t kStatFieldCount = 15;
const std::array<StatInfo, kStatFieldCount> &stat_fields();

}  // namespace lwvhost::client
