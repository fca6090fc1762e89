// SPDX-License-Identifier: GPL-2.0
// lwvhostctl: the setting names and the pure parsing of command arguments.
// A setting is named after its knob, as everywhere else: `<dir>_<knob>`
// (procfs file and module parameter names) or `<knob>` for both
// directions; the knob alone keys `show`, `dump` and the JSON. Short
// spellings in the style of ethtool -C (`tx-poll-us`, `rx-usecs`,
// `budget-us`, ...) are accepted as aliases. One table feeds parsing,
// help text, the man page's list and bash completion (`lwvhostctl
// --list-settings`).
#pragma once

#include "client/device.h"

#include <optional>
#include <string>
#include <vector>

namespace lwvhost::ctl {

using client::Device;
using client::Dir;
using client::Knob;
using client::ParamUpdate;

struct SettingName {
	std::string name;  // "tx_poll_interval_us"
	bool rx, tx;       // directions it sets
	Knob knob;
	bool alias;        // a short spelling: accepted, not listed
};
// The canonical names first (per knob: both, rx, tx), then the aliases.
const std::vector<SettingName> &setting_names();
// "tx_poll_interval_us N   tx (0..10000)" lines for --help, canonical
// names only, then one line naming the aliases.
std::string settings_help();

// Parses "NAME VALUE [NAME VALUE]..." into an update. Values are unsigned
// decimal 32-bit numbers; the knob ranges are left to the kernel (which
// refuses with a message of its own). On error returns nullopt with a
// one-line *err.
std::optional<ParamUpdate> parse_settings(const std::vector<std::string> &words,
					  std::string *err);

// DEV on the command line: a device id, or the name of the interface its
// queues are attached to.
struct DeviceRef {
	std::optional<uint32_t> id;
	std::string ifname;
};
std::optional<DeviceRef> parse_device_ref(const std::string &s, std::string *err);
// The device ref names among devs; nullopt with *err if none or several.
std::optional<uint32_t> resolve_device(const DeviceRef &ref,
				       const std::vector<Device> &devs, std::string *err);

// --watch / --interval seconds: finite, > 0 and at most a day.
std::optional<double> parse_seconds(const std::string &s, std::string *err);

}  // namespace lwvhost::ctl
