// SPDX-License-Identifier: GPL-2.0
// lwvhost-tuned: the controller daemon. Every period it lists the lwvhost
// devices (one genetlink dump, or /proc/lwvhost), samples each device's
// vhost worker CPU time from /proc, lets the Controller (controller.h) run
// the control law per device and direction, and applies the changes with
// one DEV_SET per device. Device add/remove notifications come from the
// genetlink "monitor" group. SIGTERM/SIGINT end it cleanly.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "tuned_args.h"
#include "client/backend.h"
#include "client/genl.h"
#include "controller.h"
#include "proc_stat.h"

using namespace lwvhost;
using namespace lwvhost::tuned;
namespace cl = lwvhost::client;

namespace {

void say(const std::string &line)
{
	std::fprintf(stderr, "lwvhost-tuned: %s\n", line.c_str());
}

double now_s()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// The device as the controller sees it, with its worker's CPU time.
DevObs observe(const cl::Device &d)
{
	DevObs o;
	o.id = d.id;
	o.owner_pid = d.owner_pid;
	if (d.owner_pid)
		o.comm = read_comm(int(d.owner_pid)).value_or("");
	for (cl::Dir dir : cl::kDirs) {
		const cl::Vq &q = d.at(dir);
		DirObs &x = o.dir[cl::index(dir)];
		x.ifname = q.ifname;
		x.interval_us = q.params.poll_interval_us;
		x.latency_budget_us = q.params.latency_budget_us;
		x.packets = q.stats.packets;
		x.busy_ns = q.stats.busy_ns;
	}
	if (!d.owner_pid)
		return o;
	auto w = locate_vhost_worker(int(d.owner_pid), int(d.worker_tid));
	if (!w)
		return o;
	if (auto s = read_schedstat(w->pid, w->tid)) {
		o.worker_ns = s->run_ns;
	} else if (auto st = read_task_stat(w->pid, w->tid)) {
		static const double ns_per_tick = 1e9 / double(sysconf(_SC_CLK_TCK));
		o.worker_ns = uint64_t(double(st->utime_ticks + st->stime_ticks) * ns_per_tick);
		o.worker_ticks = true;
	}
	return o;
}

class Daemon {
public:
	Daemon(const Args &a, Config cfg) : args_(a), cfg_(cfg), ctl_(std::move(cfg), a.verbose) {}

	int run()
	{
		const uint32_t period_ms = args_.period_ms.value_or(cfg_.period_ms);
		cl::Prefer prefer = args_.backend == "genetlink" ? cl::Prefer::Genetlink
				    : args_.backend == "procfs"  ? cl::Prefer::Procfs
								 : cl::Prefer::Auto;
		std::string notice;
		cl::Error err;
		backend_ = cl::open_backend(prefer, &notice, &err);
		if (!backend_) {
			say(err.message);
			return 1;
		}
		if (!notice.empty())
			say(notice);
		if (std::string(backend_->name()) == "genetlink") {
			monitor_ = cl::GenlMonitor::open(&err);
			if (!monitor_)
				say("no device notifications (" + err.message +
				    "); devices are found by listing every period");
		}

		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGINT);
		sigprocmask(SIG_BLOCK, &set, nullptr);
		const int sfd = signalfd(-1, &set, SFD_CLOEXEC);
		const int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		if (sfd < 0 || tfd < 0) {
			say(std::string("signalfd/timerfd: ") + std::strerror(errno));
			return 1;
		}
		itimerspec its{};
		its.it_interval.tv_sec = period_ms / 1000;
		its.it_interval.tv_nsec = long(period_ms % 1000) * 1000000L;
		its.it_value = its.it_interval;
		timerfd_settime(tfd, 0, &its, nullptr);

		char buf[160];
		std::snprintf(buf, sizeof(buf), "started: %s, period %u ms, %s%s", backend_->name(),
			      period_ms, args_.dry_run ? "dry run (nothing is changed)" : "live",
			      cfg_.restore_on_exit ? ", restore on exit" : "");
		say(buf);
		if (!tick())
			return 1;

		unsigned periods = 0;
		for (;;) {
			pollfd fds[3] = {{sfd, POLLIN, 0}, {tfd, POLLIN, 0},
					 {monitor_ ? monitor_->fd() : -1, POLLIN, 0}};
			if (poll(fds, 3, -1) < 0) {
				if (errno == EINTR)
					continue;
				say(std::string("poll: ") + std::strerror(errno));
				return 1;
			}
			if (fds[0].revents & POLLIN) {
				signalfd_siginfo si;
				if (read(sfd, &si, sizeof(si)) == sizeof(si))
					say(std::string("caught ") + strsignal(int(si.ssi_signo)) +
					    ", exiting");
				restore();
				return 0;
			}
			if (fds[2].revents & POLLIN)
				events();
			if (fds[1].revents & POLLIN) {
				uint64_t expirations;
				if (read(tfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
					say(std::string("timerfd: ") + std::strerror(errno));
				if (!tick())
					return 1;
				if (args_.once && ++periods == 1)
					return 0;
			}
		}
	}

private:
	// One period: list, observe, decide, apply. False on a fatal error.
	bool tick()
	{
		cl::Error err;
		auto devs = backend_->list(&err);
		if (!devs) {
			say("listing devices: " + err.message);
			// The module went away: nothing left to control.
			return err.code != ENOENT ? true : (say("lwvhost unloaded"), false);
		}
		std::vector<DevObs> obs;
		obs.reserve(devs->size());
		for (const cl::Device &d : *devs)
			obs.push_back(observe(d));
		std::vector<std::string> log;
		auto actions = ctl_.tick(now_s(), obs, &log);
		for (auto &l : log)
			say((args_.dry_run ? "dry run: " : "") + l);
		if (!args_.dry_run)
			for (const Action &a : actions)
				apply(a);
		return true;
	}

	void apply(const Action &a)
	{
		cl::ParamUpdate u;
		for (cl::Dir d : cl::kDirs)
			if (auto v = a.interval[cl::index(d)])
				u.set(d, cl::Knob::PollIntervalUs, *v);
		cl::Error err;
		if (!backend_->set(a.id, u, &err)) {
			say("dev " + std::to_string(a.id) + ": set refused: " + err.message);
			if (err.code == ENOENT)
				ctl_.forget(a.id);
		}
	}

	void events()
	{
		bool overrun = false;
		cl::Error err;
		for (const cl::DeviceEvent &e : monitor_->read(&overrun, &err)) {
			if (e.kind == cl::DeviceEvent::Kind::Added) {
				say("dev " + std::to_string(e.id) + " added");
			} else {
				say("dev " + std::to_string(e.id) + " removed");
				ctl_.forget(e.id);
			}
		}
		if (overrun)
			say("device notifications overran; the next listing resynchronises");
		// An empty non-blocking socket reads as EAGAIN: that is the end
		// of the pending notifications, not an error.
		if (!err.message.empty() && err.code != EAGAIN)
			say("notifications: " + err.message);
	}

	void restore()
	{
		if (!cfg_.restore_on_exit || args_.dry_run)
			return;
		for (const Action &a : ctl_.restore_actions()) {
			say("dev " + std::to_string(a.id) + ": restoring poll interval 0");
			apply(a);
		}
	}

	Args args_;
	Config cfg_;
	Controller ctl_;
	std::unique_ptr<cl::Backend> backend_;
	std::unique_ptr<cl::GenlMonitor> monitor_;
};

}  // namespace

int main(int argc, char **argv)
{
	ParsedArgs pa = parse_args(argc, argv);
	if (pa.exit >= 0) {
		std::fputs((pa.exit == 0 ? pa.out : pa.err + "\n").c_str(),
			   pa.exit == 0 ? stdout : stderr);
		return pa.exit;
	}
	std::string err;
	auto cfg = load_config(pa.args.config, !pa.args.config_given, &err);
	if (!cfg) {
		say(err);
		return 1;
	}
	setvbuf(stderr, nullptr, _IOLBF, 0);
	return Daemon(pa.args, *cfg).run();
}
