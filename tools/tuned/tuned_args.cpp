// SPDX-License-Identifier: GPL-2.0
#include "tuned_args.h"

#include "cli_start.h"

#include "tuned_config.h"

namespace lwvhost::tuned {

ParsedArgs parse_args(int argc, const char *const *argv)
{
	ParsedArgs r;
	Args &a = r.args;
	a.config = kDefaultConfigPath;
	CLI::App app{"lwvhost-tuned: picks each lwvhost device's poll interval from what its "
		     "vhost worker spends per packet"};
	app.name("lwvhost-tuned");
	lwvhost::cli::add_version(app);
	auto *cfg = app.add_option("--config,-c", a.config,
				   std::string("configuration file (default ") +
					   kDefaultConfigPath + "; missing = built-in defaults)");
	app.add_flag("--dry-run,-n", a.dry_run, "log the decisions, change nothing");
	app.add_flag("--once", a.once, "run one control period and exit");
	app.add_flag("--verbose,-v", a.verbose, "log every decision, holds included");
	app.add_option("--period-ms", a.period_ms, "control period, overrides the file (10..10000)")
		->check(CLI::Range(10u, 10000u));
	app.add_option("--backend", a.backend, "how to reach the kernel")
		->check(CLI::IsMember({"auto", "genetlink", "procfs"}));
	try {
		app.parse(argc, argv);
	} catch (const CLI::CallForHelp &) {
		r.exit = 0;
		r.out = app.help();
		return r;
	} catch (const CLI::CallForVersion &e) {
		r.exit = 0;
		r.out = std::string(e.what()) + "\n";
		return r;
	} catch (const CLI::ParseError &e) {
		r.exit = 2;
		r.err = "lwvhost-tuned: " + lwvhost::cli::first_line(e.what()) + " (try --help)";
		return r;
	}
	a.config_given = cfg->count() > 0;
	return r;
}

}  // namespace lwvhost::tuned
