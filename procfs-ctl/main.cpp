// SPDX-License-Identifier: GPL-2.0
// lwvhostctl: inspect and tune lwvhost devices.
//
//   lwvhostctl [--json] [--procfs] [list]
//   lwvhostctl show DEV | stats DEV [--watch SEC [--count N]] | top [...]
//   lwvhostctl set DEV NAME VALUE [NAME VALUE]...
//   lwvhostctl defaults [set NAME VALUE...] | dump [--header]
//
// Exit status: 0 ok, 1 refused or failed (kernel message; a refusal for want
// of CAP_NET_ADMIN says so), 2 usage error.
// See lwvhostctl.8.
#include "args.h"
#include "format.h"
#include "rates.h"
#include "sysinfo.h"

#include "client/backend.h"
#include "client/json.h"

#include "cli_start.h"
#include <chrono>
#include <iostream>
#include <map>
#include <thread>
#include <unistd.h>

using namespace lwvhost;
using namespace lwvhost::ctl;
using client::Backend;
using client::Error;

namespace {

constexpr const char *kProg = "lwvhostctl";

struct UsageError {
	std::string msg;
};
struct Failure {
	std::string msg;
};

struct Options {
	bool json = false;
	bool procfs = false;
	bool genetlink = false;
	std::string dev;
	std::vector<std::string> settings;
	std::string watch, interval = "1";
	long count = 0;
	bool header = false;
};

double now_s()
{
	using namespace std::chrono;
	return duration<double>(steady_clock::now().time_since_epoch()).count();
}

void sleep_s(double s)
{
	std::this_thread::sleep_for(std::chrono::duration<double>(s));
}

std::unique_ptr<Backend> open(const Options &o)
{
	std::string notice;
	Error err;
	auto pref = o.procfs ? client::Prefer::Procfs
		    : o.genetlink ? client::Prefer::Genetlink
				  : client::Prefer::Auto;
	auto b = client::open_backend(pref, &notice, &err);
	if (!notice.empty())
		std::cerr << kProg << ": " << notice << "\n";
	if (!b)
		throw Failure{device_error_text(err)};
	return b;
}

std::vector<client::Device> list_devices(Backend &b)
{
	Error err;
	auto devs = b.list(&err);
	if (!devs)
		throw Failure{device_error_text(err)};
	return *devs;
}

// DEV to an id: numbers are taken as they are, names looked up in a list.
uint32_t device_id(Backend &b, const std::string &dev)
{
	std::string err;
	auto ref = parse_device_ref(dev, &err);
	if (!ref)
		throw UsageError{err};
	if (ref->id)
		return *ref->id;
	auto id = resolve_device(*ref, list_devices(b), &err);
	if (!id)
		throw Failure{err};
	return *id;
}

client::Device get_device(Backend &b, uint32_t id)
{
	Error err;
	auto d = b.get(id, &err);
	if (!d)
		throw Failure{device_error_text(err)};
	return *d;
}

void print_json(const nlohmann::json &j, bool stream)
{
	// Repeated samples are one object per line (JSON Lines).
	std::cout << (stream ? j.dump() : j.dump(2)) << "\n" << std::flush;
}

int cmd_list(const Options &o)
{
	auto b = open(o);
	auto devs = list_devices(*b);
	if (o.json) {
		nlohmann::json j = nlohmann::json::array();
		for (const auto &d : devs)
			j.push_back(client::to_json(d));
		print_json(j, false);
	} else {
		std::cout << render_list(devs);
	}
	return 0;
}

int cmd_dump(const Options &o)
{
	auto b = open(o);
	auto devs = list_devices(*b);
	if (o.json)
		return cmd_list(o);
	std::cout << render_dump(devs, o.header);
	return 0;
}

int cmd_show(const Options &o)
{
	auto b = open(o);
	auto d = get_device(*b, device_id(*b, o.dev));
	if (o.json)
		print_json(client::to_json(d), false);
	else
		std::cout << render_show(d);
	return 0;
}

std::optional<double> watch_seconds(const std::string &s, const char *opt)
{
	if (s.empty())
		return std::nullopt;
	std::string err;
	auto v = parse_seconds(s, &err);
	if (!v)
		throw UsageError{std::string(opt) + ": " + err};
	return v;
}

int cmd_stats(const Options &o)
{
	auto watch = watch_seconds(o.watch, "--watch");
	if (o.count && !watch)
		throw UsageError{"--count needs --watch"};
	auto b = open(o);
	uint32_t id = device_id(*b, o.dev);
	std::optional<StatsSample> prev;
	for (long n = 0;; n++) {
		StatsSample s{get_device(*b, id), now_s(), {}};
		if (prev)
			for (Dir dir : client::kDirs)
				s.rates[client::index(dir)] =
					counter_rates(prev->dev.at(dir).stats, s.dev.at(dir).stats,
						      s.t_s - prev->t_s);
		if (o.json)
			print_json(stats_json(s), bool(watch));
		else
			std::cout << (n ? "\n" : "") << render_stats(s) << std::flush;
		if (!watch || (o.count && n + 1 >= o.count))
			return 0;
		prev = s;
		sleep_s(*watch);
	}
}

int cmd_top(const Options &o)
{
	double interval = *watch_seconds(o.interval, "--interval");
	auto b = open(o);
	bool tty = !o.json && isatty(STDOUT_FILENO);
	struct Prev {
		client::Device dev;
		std::optional<uint64_t> cpu;
	};
	std::map<uint32_t, Prev> prev;
	double t_prev = now_s();
	for (const auto &d : list_devices(*b))
		prev[d.id] = {d, worker_cpu_ns(d)};
	for (long n = 0; !o.count || n < o.count; n++) {
		sleep_s(interval);
		auto devs = list_devices(*b);
		double t = now_s(), dt = t - t_prev;
		std::vector<TopEntry> rows;
		std::map<uint32_t, Prev> next;
		for (const auto &d : devs) {
			TopEntry e{d, {}, {}};
			auto cpu = worker_cpu_ns(d);
			if (auto it = prev.find(d.id); it != prev.end()) {
				for (Dir dir : client::kDirs)
					e.rates[client::index(dir)] =
						vq_rates(it->second.dev.at(dir).stats,
							 d.at(dir).stats, dt);
				if (cpu && it->second.cpu &&
				    it->second.dev.worker_tid == d.worker_tid)
					e.cpu_percent = cpu_percent(*it->second.cpu, *cpu, dt);
			}
			rows.push_back(e);
			next[d.id] = {d, cpu};
		}
		prev = std::move(next);
		t_prev = t;
		if (o.json) {
			print_json(top_json(rows, t), true);
		} else {
			if (tty)
				std::cout << "\033[H\033[2J";
			else if (n)
				std::cout << "\n";
			std::cout << render_top(rows, interval, b->name()) << std::flush;
		}
	}
	return 0;
}

int cmd_set(const Options &o)
{
	std::string err;
	auto u = parse_settings(o.settings, &err);
	if (!u)
		throw UsageError{"set: " + err};
	auto b = open(o);
	uint32_t id = device_id(*b, o.dev);
	Error e;
	if (!b->set(id, *u, &e))
		throw Failure{device_error_text(e)};
	return 0;
}

int cmd_defaults(const Options &o)
{
	Error err;
	auto d = read_defaults(&err);
	if (!d)
		throw Failure{err.message + " (is lwvhost's vhost_net loaded?)"};
	if (o.json)
		print_json(defaults_json(*d), false);
	else
		std::cout << render_defaults(*d);
	return 0;
}

int cmd_defaults_set(const Options &o)
{
	std::string perr;
	auto u = parse_settings(o.settings, &perr);
	if (!u)
		throw UsageError{"defaults set: " + perr};
	Error err;
	if (!write_defaults(*u, &err))
		throw Failure{err.message};
	return 0;
}

}  // namespace

int main(int argc, char **argv)
{
	Options o;
	CLI::App app{"Inspect and tune lwvhost (vhost-net replacement) devices.\n"
		     "Without a command: list."};
	app.name(kProg);
	lwvhost::cli::add_version(app);
	app.fallthrough();
	app.require_subcommand(0, 1);
	app.add_flag("--json", o.json, "JSON output (read commands)");
	auto *procfs = app.add_flag("--procfs", o.procfs,
				    "use /proc/lwvhost even if genetlink is available");
	app.add_flag("--genetlink", o.genetlink, "use genetlink only, never fall back")
		->excludes(procfs);
	bool list_settings = false;
	app.add_flag("--list-settings", list_settings,
		     "print the setting names, one a line (for completion)")
		->group("");

	auto *list = app.add_subcommand("list", "one line per device (the default)");
	auto *show = app.add_subcommand("show", "a device's parameters and counters");
	show->add_option("DEV", o.dev, "device id or interface name")->required();
	auto *stats = app.add_subcommand("stats", "a device's counters");
	stats->add_option("DEV", o.dev, "device id or interface name")->required();
	stats->add_option("--watch", o.watch, "repeat every SEC seconds with rates")
		->type_name("SEC");
	stats->add_option("--count", o.count, "stop after N samples (with --watch)")
		->check(CLI::PositiveNumber);
	auto *top = app.add_subcommand("top", "rates per device and direction, refreshed");
	top->add_option("--interval", o.interval, "seconds between samples (default 1)")
		->type_name("SEC");
	top->add_option("--count", o.count, "stop after N refreshes")
		->check(CLI::PositiveNumber);
	auto *set = app.add_subcommand(
		"set", "change knobs of a device, in one atomic request\nsettings:\n" +
			       settings_help());
	set->add_option("DEV", o.dev, "device id or interface name")->required();
	set->add_option("SETTINGS", o.settings, "NAME VALUE pairs")->required();
	auto *defaults = app.add_subcommand("defaults", "module parameters: the values "
							 "new devices start with");
	defaults->require_subcommand(0, 1);
	auto *dset = defaults->add_subcommand(
		"set", "change module parameters (one write each; not atomic)\nsettings:\n" +
			       settings_help());
	dset->add_option("SETTINGS", o.settings, "NAME VALUE pairs")->required();
	auto *dump = app.add_subcommand("dump", "tab-separated, one line per device "
						"and direction (for scripts)");
	dump->add_flag("--header", o.header, "first line names the columns");

	if (auto status = lwvhost::cli::parse(app, argc, argv))
		return *status;

	try {
		if (list_settings) {
			for (const auto &s : setting_names())
				if (!s.alias)
					std::cout << s.name << "\n";
			return 0;
		}
		if (o.json && (*set || *dset))
			throw UsageError{"--json applies to read commands only"};
		if (*show)
			return cmd_show(o);
		if (*stats)
			return cmd_stats(o);
		if (*top)
			return cmd_top(o);
		if (*set)
			return cmd_set(o);
		if (*dset)
			return cmd_defaults_set(o);
		if (*defaults)
			return cmd_defaults(o);
		if (*dump)
			return cmd_dump(o);
		(void)list;
		return cmd_list(o);
	} catch (const UsageError &e) {
		std::cerr << kProg << ": " << e.msg << " (try --help)\n";
		return 2;
	} catch (const Failure &e) {
		std::cerr << kProg << ": " << e.msg << "\n";
		return 1;
	}
}
