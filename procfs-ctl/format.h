// SPDX-License-Identifier: GPL-2.0
// lwvhostctl: output of every command, as pure functions of the data (human
// tables, the stable tab-separated dump, JSON).
#pragma once

#include "rates.h"

#include "client/backend.h"
#include "client/device.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace lwvhost::ctl {

using client::Device;
using client::Params;
using client::Dir;

// Left-aligned columns, two spaces apart, no trailing blanks.
std::string render_columns(const std::vector<std::vector<std::string>> &rows);

// `list`: one line per device.
std::string render_list(const std::vector<Device> &devs);
// `show`: one device, knobs and counters side by side for rx and tx.
std::string render_show(const Device &d);

// `stats`: counters, with per-second rates when a previous sample exists.
struct StatsSample {
	Device dev;
	double t_s = 0;  // monotonic time of the sample
	std::optional<CounterRates> rates[2];
};
std::string render_stats(const StatsSample &s);
nlohmann::json stats_json(const StatsSample &s);

// `dump`: one line per device and direction, tab-separated, columns in the
// order of dump_columns() (documented in lwvhostctl.8; append only).
const std::vector<std::string> &dump_columns();
std::string render_dump(const std::vector<Device> &devs, bool header);

// `top`
struct TopEntry {
	Device dev;
	std::optional<VqRates> rates[2];  // nullopt: first sample of this device
	std::optional<double> cpu_percent;
};
std::string render_top(const std::vector<TopEntry> &rows, double interval_s,
		       const char *backend);
nlohmann::json top_json(const std::vector<TopEntry> &rows, double t_s);

// `defaults`: the module parameters, per direction.
using Defaults = std::array<Params, 2>;
std::string render_defaults(const Defaults &d);
nlohmann::json defaults_json(const Defaults &d);

// Numbers for humans: rates with one decimal below 100, none above.
std::string fmt_rate(double v);

// The one line for a failed read or change of devices: the kernel's (or
// the file's) message, and when the kernel refused the caller (EPERM from
// genetlink or procfs, EACCES from /proc/lwvhost's modes) what it lacks.
std::string device_error_text(const client::Error &e);

}  // namespace lwvhost::ctl
