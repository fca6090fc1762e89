// SPDX-License-Identifier: GPL-2.0
// `lwvhost-vnet selftest`: every meaningful feature combination in every mode,
// briefly, plus a few special cases; passes only if every check does.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine.h"

namespace vnet {

struct SelftestCase {
	std::string label;
	RunOptions opts;
	bool expect_merged = false;  // mergeable RX must have merged some frames
};

// The case list (pure). `base` supplies vhost_path, exit cost and timeout.
std::vector<SelftestCase> selftest_cases(const RunOptions &base);

// Checks a selftest case adds on top of the run's own: traffic flowed,
// buffers straddled regions, mergeable frames really merged.
std::vector<std::string> selftest_checks(const SelftestCase &c, const RunResult &r);

struct SelftestOutcome {
	std::string label;
	RunResult result;
	std::string error;  // a thrown SysError/RunError, if any
	bool ok() const { return error.empty() && result.ok(); }
};

// Runs the cases whose label contains `filter`; `on_case` sees each outcome
// as it finishes (for one line per case).
std::vector<SelftestOutcome> run_selftest(const RunOptions &base, const std::string &filter,
					  const std::function<void(const SelftestOutcome &)> &on_case);

}  // namespace vnet
