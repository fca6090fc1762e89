// SPDX-License-Identifier: GPL-2.0
// lwvhostctl: the setting names (in the style of `ethtool -C`) and the pure
// parsing of command arguments. One table feeds parsing, help text, the man
// page's list and bash completion (`lwvhostctl --list-settings`).
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
	const char *name;  // "tx-poll-us"
	bool rx, tx;       // directions it sets
	Knob knob;
};
const std::vector<SettingName> &setting_names();
// "tx-poll-us N: tx poll_interval_us (0..10000)" lines for --help.
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
