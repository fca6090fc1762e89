// SPDX-License-Identifier: GPL-2.0
// lwvhost-tuned's command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace lwvhost::tuned {

struct Args {
	std::string config;           // path of the configuration file
	bool config_given = false;    // --config: a missing file is an error
	bool dry_run = false;         // log decisions, change nothing
	bool once = false;            // one control period, then exit
	bool verbose = false;         // log every decision, holds included
	std::optional<uint32_t> period_ms;  // overrides the config file
	std::string backend = "auto"; // auto | genetlink | procfs
};

struct ParsedArgs {
	// -1: run with args. Otherwise exit with this status after printing
	// out (to stdout: --help, --version) or err (one line, to stderr).
	int exit = -1;
	std::string out, err;
	Args args;
};

ParsedArgs parse_args(int argc, const char *const *argv);

}  // namespace lwvhost::tuned
