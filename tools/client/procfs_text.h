// SPDX-License-Identifier: GPL-2.0
// Pure parsers of the text in /proc/lwvhost/<id>/ (docs/interfaces.md) and of
// the one-value files (procfs knobs, sysfs module parameters).
#pragma once

#include "client/device.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lwvhost::client {

// "name value" lines. Blank lines are skipped; a line without a value is an
// error (*err names its number). Later duplicates replace nothing: every
// pair is returned in order.
using KvLines = std::vector<std::pair<std::string, std::string>>;
std::optional<KvLines> parse_kv_lines(std::string_view text, std::string *err);

// Fills id, owner_pid, worker_tid, features and each vq's ifname and mode
// from an `info` file. Every key of the contract must be present; unknown
// keys are ignored (newer kernels may add some).
bool parse_info(std::string_view text, Device &dev, std::string *err);

// Fills both vqs' stats from a `stats` file ({rx,tx}_<counter> lines).
// Every counter must be present; unknown names are ignored.
bool parse_stats(std::string_view text, Device &dev, std::string *err);

// One unsigned decimal value, optionally followed by a newline: the content
// of a knob file or a module parameter.
std::optional<uint32_t> parse_value_file(std::string_view text);

// Strict unsigned decimal numbers (no sign, no spaces, no overflow).
std::optional<uint32_t> parse_u32(std::string_view s);
std::optional<uint64_t> parse_u64(std::string_view s);

}  // namespace lwvhost::client
