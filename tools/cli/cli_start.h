// SPDX-License-Identifier: GPL-2.0
// The start-up every lwvhost tool shares: a --version flag and CLI11
// parsing with the project's conventions. --help and --version print to
// standard output and exit 0; a usage error is one line on standard error,
// "<prog>: <what> (try --help)", and exit 2.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>

namespace lwvhost::cli {

// The build's version: `git describe` of the tree it was built from, or
// the project version in a source copy without git.
const char *version();

// Adds --version to app (app.get_name() is the program name it prints).
void add_version(CLI::App &app);

// Parses argv. Returns nullopt when the program should go on, otherwise
// the exit status after printing what the conventions above say.
std::optional<int> parse(CLI::App &app, int argc, char **argv);

// The first line of a CLI11 error message (they may add usage lines).
std::string first_line(const std::string &msg);

}  // namespace lwvhost::cli
