// SPDX-License-Identifier: GPL-2.0
// lwvhost-tuned's configuration: /etc/lwvhost/tuned.conf, INI (libinih).
//
//   [global]                    # keys before any section are global too
//   period-ms = 200             # sampling and control period, 10..10000
//   restore-on-exit = no        # on SIGTERM/SIGINT set managed intervals to 0
//   max-latency-us = 400        # no interval above this (0: never poll)
//   tolerance = 0.05            # accepted throughput loss vs best seen
//   law = ladder                # ladder | step-table
//   idle-pps = 100              # below this a direction stays in event mode
//   directions = tx rx          # which directions to manage
//   manage = yes                # no: leave matching devices alone
//
//   [ifname tap*]               # devices whose backend ifname matches
//   [comm qemu-db]              # devices whose owner's comm matches
//
// Device sections take the keys from `max-latency-us` on (not period-ms or
// restore-on-exit); patterns are fnmatch(3) globs. Every matching section
// applies, in file order, so a later one overrides an earlier one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "control_law.h"

namespace lwvhost::tuned {

inline constexpr const char *kDefaultConfigPath = "/etc/lwvhost/tuned.conf";

// What a device section may change.
struct Settings {
	bool manage = true;
	bool tx = true, rx = true;
	uint32_t max_latency_us = 400;
	double tolerance = 0.05;
	double idle_pps = 100;
	std::string law = "ladder";

	bool operator==(const Settings &) const = default;
	// The law's configuration for these settings.
	LawConfig law_config() const;
};

struct Section {
	enum class Match { Ifname, Comm };
	Match match = Match::Ifname;
	std::string pattern;
	std::vector<std::pair<std::string, std::string>> keys;  // validated
};

struct Config {
	uint32_t period_ms = 200;
	bool restore_on_exit = false;
	Settings defaults;
	std::vector<Section> sections;

	// Settings for a device: defaults, then every section matching one of
	// its backend interface names or its owner's comm.
	Settings settings_for(const std::vector<std::string> &ifnames,
			      const std::string &comm) const;
};

// Parses text; on error returns nullopt and sets *err to
// "<source>:<line>: <what>".
std::optional<Config> parse_config(const std::string &text, const std::string &source,
				   std::string *err);
// Reads and parses path. A missing file is an error unless missing_ok, in
// which case the defaults are returned.
std::optional<Config> load_config(const std::string &path, bool missing_ok, std::string *err);

}  // namespace lwvhost::tuned
