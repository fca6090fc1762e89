// SPDX-License-Identifier: GPL-2.0
// lwvhost-trace: analyse ftrace function_graph output of vhost/vhost_net.
//
//   lwvhost-trace [--json|--csv|--csv-passes|--folded] [--top N] TRACE
//   lwvhost-trace --diff A B [--json] [--top N]
//
// TRACE is tracefs's trace text, `trace-cmd report` text or a trace.dat,
// told apart by their contents.
//
// Exit status: 0 ok, 1 unreadable or unusable input, 2 usage error.
#include "analysis.h"
#include "io.h"
#include "model.h"
#include "report.h"

#include "cli_start.h"
#include <iostream>

using namespace lwvhost::trace;

namespace {

int usage_error(const std::string &msg)
{
	std::cerr << "lwvhost-trace: " << msg << " (try --help)\n";
	return 2;
}

struct Overrides {
	std::vector<std::string> pass, packet, wakeup, timer_wakeup;
};

// Applies --pass/--packet/--wakeup/--timer-wakeup; each replaces the
// profile's set.
bool apply_overrides(Profile &p, const Overrides &o, std::string *err)
{
	if (!o.pass.empty()) {
		p.pass_funcs.clear();
		for (const auto &s : o.pass) {
			size_t eq = s.find('=');
			if (eq == std::string::npos || eq == 0 || eq + 1 == s.size()) {
				*err = "--pass wants FUNC=KIND, got '" + s + "'";
				return false;
			}
			p.pass_funcs[s.substr(0, eq)] = s.substr(eq + 1);
		}
	}
	if (!o.packet.empty()) {
		p.packet_funcs.clear();
		for (const auto &s : o.packet) {
			size_t eq = s.find('=');
			if (eq == std::string::npos || eq == 0 || eq + 1 == s.size()) {
				*err = "--packet wants KIND=FUNC[/CHILD], got '" + s + "'";
				return false;
			}
			p.packet_funcs[s.substr(0, eq)].push_back(s.substr(eq + 1));
		}
	}
	if (!o.wakeup.empty())
		p.wakeup_funcs = std::set<std::string>(o.wakeup.begin(), o.wakeup.end());
	if (!o.timer_wakeup.empty())
		p.timer_wakeup_funcs = std::set<std::string>(o.timer_wakeup.begin(),
							     o.timer_wakeup.end());
	if (!o.pass.empty() || !o.packet.empty() || !o.wakeup.empty() ||
	    !o.timer_wakeup.empty())
		p.name += "+custom";
	return true;
}

// Reads and analyses one file; prints a one-line reason and returns nullopt
// when it cannot.
std::optional<Analysis> load(const std::string &path, const Profile &profile)
{
	std::string err;
	auto loaded = load_trace(path, &err);
	if (!loaded) {
		std::cerr << "lwvhost-trace: " << err << "\n";
		return std::nullopt;
	}
	const Trace &t = loaded->trace;
	// Other events but not one call: not a function_graph recording.
	if (loaded->tracedat && t.events() == 0 && !t.comments.empty()) {
		std::cerr << "lwvhost-trace: " << path << ": no function_graph events in this "
			  << "trace.dat (" << t.comments.size() << " other events; record "
			  << "with -p function_graph)\n";
		return std::nullopt;
	}
	if (t.events() == 0 && t.unknown_lines() > 0) {
		std::cerr << "lwvhost-trace: " << path
			  << ": no function_graph events (first unrecognised line "
			  << t.unknown_samples.front().first << ": \""
			  << t.unknown_samples.front().second.substr(0, 60) << "\")\n";
		return std::nullopt;
	}
	if (t.unknown_lines() > 0)
		std::cerr << "lwvhost-trace: " << path << ": warning: "
			  << t.unknown_lines() << " unrecognised lines (first at line "
			  << t.unknown_samples.front().first << ")\n";
	return analyze(t, profile);
}

}  // namespace

int main(int argc, char **argv)
{
	CLI::App app{"Analyse ftrace function_graph traces of vhost/vhost_net: "
		     "tracefs 'trace' output, 'trace-cmd report' output or a trace.dat "
		     "of trace-cmd record -p function_graph, each plain or .xz."};
	app.name("lwvhost-trace");
	lwvhost::cli::add_version(app);
	std::string file;
	std::vector<std::string> diff;
	bool json_out = false, csv = false, csv_passes = false, folded = false;
	size_t top = 25;
	std::string profile_name = "all";
	Overrides ov;

	app.add_option("trace", file, "trace file: text or trace.dat, told by its "
		       "contents ('-' for standard input)");
	app.add_option("--diff", diff, "compare two traces side by side (A B)")
		->expected(2);
	app.add_flag("--json", json_out, "JSON report");
	app.add_flag("--csv", csv, "per-function table as CSV");
	app.add_flag("--csv-passes", csv_passes, "one CSV row per worker pass");
	app.add_flag("--folded", folded,
		     "folded stacks (self ns) for flamegraph.pl / inferno");
	app.add_option("--top", top, "function rows in tables, 0 = all (default 25)");
	app.add_option("--profile", profile_name,
		       "function names: all, stock or lwvhost (default all)");
	app.add_option("--pass", ov.pass,
		       "FUNC=KIND: a worker pass function (repeatable; replaces "
		       "the profile's list)")->allow_extra_args(false);
	app.add_option("--packet", ov.packet,
		       "KIND=FUNC[/CHILD]: per-packet call within passes of KIND "
		       "(repeatable; replaces the profile's list)")->allow_extra_args(false);
	app.add_option("--wakeup", ov.wakeup,
		       "FUNC: a call that wakes the worker (repeatable; replaces "
		       "the profile's list)")->allow_extra_args(false);
	app.add_option("--timer-wakeup", ov.timer_wakeup,
		       "FUNC: a timer callback that wakes the worker, counted "
		       "apart (repeatable; replaces the profile's list)")
		->allow_extra_args(false);

	if (auto status = lwvhost::cli::parse(app, argc, argv))
		return *status;

	int formats = int(json_out) + int(csv) + int(csv_passes) + int(folded);
	if (formats > 1)
		return usage_error("--json, --csv, --csv-passes and --folded exclude each other");
	if (diff.empty() && file.empty())
		return usage_error("no trace file given");
	if (!diff.empty() && !file.empty())
		return usage_error("give either a trace file or --diff A B, not both");
	if (!diff.empty() && (csv || csv_passes || folded))
		return usage_error("--diff supports only the table and --json");
	auto profile = builtin_profile(profile_name);
	if (!profile)
		return usage_error("unknown --profile '" + profile_name +
				   "' (all, stock or lwvhost)");
	std::string err;
	if (!apply_overrides(*profile, ov, &err))
		return usage_error(err);

	ReportOptions opt;
	opt.top = top;
	if (!diff.empty()) {
		auto a = load(diff[0], *profile);
		if (!a)
			return 1;
		auto b = load(diff[1], *profile);
		if (!b)
			return 1;
		if (json_out)
			std::cout << diff_json(*a, diff[0], *b, diff[1]).dump(2) << "\n";
		else
			std::cout << render_diff(*a, diff[0], *b, diff[1], opt);
		return 0;
	}
	auto a = load(file, *profile);
	if (!a)
		return 1;
	if (json_out)
		std::cout << to_json(*a).dump(2) << "\n";
	else if (csv)
		std::cout << render_functions_csv(*a);
	else if (csv_passes)
		std::cout << render_passes_csv(*a);
	else if (folded)
		std::cout << render_folded(*a);
	else
		std::cout << render_table(*a, opt);
	return 0;
}
