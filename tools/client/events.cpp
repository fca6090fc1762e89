// SPDX-License-Identifier: GPL-2.0
// lwvhost-events: print lwvhost device add/remove notifications as JSON
// lines, from the genetlink "monitor" group. A small diagnostic built on
// GenlMonitor (and what the VM tests use to check it).
//
//   lwvhost-events [--count N] [--timeout SEC] | --version
//
// Exit status: 0 after N events (or on timeout with --count 0), 1 on
// errors or a timeout before N events, 2 on usage errors.
#include "client/genl.h"
#include "client/json.h"
#include "cli_start.h"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <poll.h>
#include <string>

using namespace lwvhost::client;

namespace {

constexpr const char *kHelp =
	"usage: lwvhost-events [--count N] [--timeout SEC]\n"
	"Print lwvhost device add/remove notifications (genetlink group \"monitor\")\n"
	"as one JSON object per line.\n"
	"\n"
	"Options:\n"
	"  --count N      exit 0 after N events (0, the default: run until the timeout)\n"
	"  --timeout SEC  give up after SEC seconds (0, the default: no timeout);\n"
	"                 exit 1 if fewer than N events arrived by then\n"
	"  --version      print the version and exit\n"
	"  -h, --help     this text\n";

int usage(const std::string &msg)
{
	std::cerr << "lwvhost-events: " << msg
		  << " (usage: lwvhost-events [--count N] [--timeout SEC])\n";
	return 2;
}

bool parse_number(const char *s, long *out)
{
	char *end;
	errno = 0;
	long v = std::strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0)
		return false;
	*out = v;
	return true;
}

}  // namespace

int main(int argc, char **argv)
{
	long count = 0, timeout_s = 0;
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		if (a == "-h" || a == "--help") {
			std::cout << kHelp;
			return 0;
		}
		if (a == "--version") {
			std::cout << "lwvhost-events " << lwvhost::cli::version() << "\n";
			return 0;
		}
		long *target = a == "--count" ? &count : a == "--timeout" ? &timeout_s : nullptr;
		if (!target)
			return usage("unknown argument '" + a + "'");
		if (i + 1 >= argc || !parse_number(argv[i + 1], target))
			return usage(a + " wants a non-negative integer");
		i++;
	}
	Error err;
	auto mon = GenlMonitor::open(&err);
	if (!mon) {
		std::cerr << "lwvhost-events: " << err.message << "\n";
		return 1;
	}
	// Tell a waiting script that the subscription is in place.
	std::cerr << "lwvhost-events: listening\n";
	using clock = std::chrono::steady_clock;
	auto deadline = clock::now() + std::chrono::seconds(timeout_s);
	long seen = 0;
	while (!count || seen < count) {
		int wait_ms = -1;
		if (timeout_s) {
			auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
				deadline - clock::now());
			if (left.count() <= 0)
				break;
			wait_ms = int(left.count());
		}
		pollfd p{mon->fd(), POLLIN, 0};
		int r = poll(&p, 1, wait_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			std::cerr << "lwvhost-events: poll: " << std::strerror(errno) << "\n";
			return 1;
		}
		if (r == 0)
			continue;
		bool overrun = false;
		Error e;
		for (const auto &ev : mon->read(&overrun, &e)) {
			nlohmann::json j = {{"event", ev.kind == DeviceEvent::Kind::Added
							      ? "add" : "remove"},
					    {"id", ev.id}};
			if (ev.dev)
				j["device"] = to_json(*ev.dev);
			std::cout << j.dump() << "\n" << std::flush;
			seen++;
		}
		if (overrun)
			std::cout << "{\"event\":\"overrun\"}\n" << std::flush;
		if (!e.message.empty()) {
			std::cerr << "lwvhost-events: " << e.message << "\n";
			return 1;
		}
	}
	return count && seen < count ? 1 : 0;
}
