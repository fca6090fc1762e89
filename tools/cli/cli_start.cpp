// SPDX-License-Identifier: GPL-2.0
#include "cli_start.h"

#include <iostream>

namespace lwvhost::cli {

void add_version(CLI::App &app)
{
	// CLI11 throws CallForVersion, which parse() turns into exit 0.
	app.set_version_flag("--version", std::string(app.get_name()) + " " + version(),
			     "print the version and exit");
}

std::string first_line(const std::string &msg)
{
	return msg.substr(0, msg.find('\n'));
}

std::optional<int> parse(CLI::App &app, int argc, char **argv)
{
	try {
		app.parse(argc, argv);
	} catch (const CLI::CallForHelp &e) {
		return app.exit(e);
	} catch (const CLI::CallForAllHelp &e) {
		return app.exit(e);
	} catch (const CLI::CallForVersion &e) {
		return app.exit(e);
	} catch (const CLI::ParseError &e) {
		std::cerr << app.get_name() << ": " << first_line(e.what()) << " (try --help)\n";
		return 2;
	}
	return std::nullopt;
}

}  // namespace lwvhost::cli
