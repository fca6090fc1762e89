// SPDX-License-Identifier: GPL-2.0
// vnet: a user-space virtio-net driver over /dev/vhost-net, used as the
// project's correctness oracle and load generator.
//
//   lwvhost-vnet tx|rx|rr [options]   one run; exit 0 if every check passed
//   lwvhost-vnet selftest [--only S]  all feature combinations, one line per case
//   lwvhost-vnet hostile [--seed S]   malicious rings; exit 0 if the backend held
//
// Exit status: 0 ok, 1 a check or a kernel-side call failed, 2 usage error.
#include "cli_start.h"
#include <cstdio>
#include <iostream>

#include "hostile.h"
#include "report.h"
#include "selftest.h"

using namespace vnet;

namespace {

struct Cli {
	uint64_t frames = 10000;
	std::string size = "64";
	double rate = 0;
	std::string schedule;
	unsigned batch = 0, window = 0, ring = 256;
	bool mrg = false, event_idx = false, indirect = false, legacy = false, v1 = false;
	bool vhost_hdr = false, json = false;
	unsigned hdr_len = 0;
	size_t rx_buf = 512;
	int sndbuf = 0;
	unsigned busyloop_us = 0;
	uint64_t exit_cost_ns = 0, timeout_ms = 3000, linger_ms = 0;
	bool rx_irq_always = false, tx_irq_always = false;
	std::string device = "/dev/vhost-net";
	std::string only;
	HostileOptions hostile;
	bool no_healthy = false;
};

struct UsageError : std::runtime_error {
	using std::runtime_error::runtime_error;
};

void add_common(CLI::App *sc, Cli &c)
{
	sc->add_option("--exit-cost-ns", c.exit_cost_ns,
		       "spin this long per kick and per interrupt (models a VM exit)");
	sc->add_option("--timeout-ms", c.timeout_ms, "give up after this long without progress")
		->check(CLI::Range(uint64_t{1}, uint64_t{600000}));
	sc->add_option("--device", c.device, "vhost-net character device");
	sc->add_flag("--json", c.json, "machine-readable output");
}

void add_linger(CLI::App *sc, Cli &c)
{
	sc->add_option("--linger-ms", c.linger_ms,
		       "after the traffic, keep the device attached and idle this long")
		->check(CLI::Range(uint64_t{0}, uint64_t{600000}));
	sc->add_flag("--rx-irq-always", c.rx_irq_always,
		     "keep RX interrupts armed (a call per completion, as a guest re-arming after each poll)");
	sc->add_flag("--tx-irq-always", c.tx_irq_always,
		     "keep TX interrupts armed (a call per completion, as a guest that frees sent buffers at once)");
}

void add_traffic(CLI::App *sc, Cli &c)
{
	sc->add_option("--frames,-n", c.frames, "frames (rr: transactions)")
		->check(CLI::Range(uint64_t{1}, uint64_t{1} << 32));
	sc->add_option("--size,-s", c.size, "UDP payload bytes, S or MIN-MAX (16..1472)");
	sc->add_option("--rate", c.rate, "frames per second (0: as fast as possible)")
		->check(CLI::NonNegativeNumber);
	auto *sched = sc->add_option("--rate-schedule", c.schedule,
				     "RATE:SECONDS[,RATE:SECONDS...]: load that changes over time "
				     "(sets --frames; excludes --rate)");
	sched->excludes(sc->get_option("--rate"));
	sched->excludes(sc->get_option("--frames"));
	sc->add_option("--batch", c.batch, "max frames per kick (0: as many as fit)");
	sc->add_option("--window", c.window, "frames in flight end to end (default 256, rr 1)");
	sc->add_option("--ring", c.ring, "virtqueue size (power of two, 2..32768)");
	sc->add_flag("--mrg-rxbuf", c.mrg, "negotiate VIRTIO_NET_F_MRG_RXBUF");
	sc->add_flag("--event-idx", c.event_idx, "negotiate VIRTIO_RING_F_EVENT_IDX");
	sc->add_flag("--indirect", c.indirect, "negotiate and use indirect descriptors");
	auto *leg = sc->add_flag("--legacy", c.legacy, "do not negotiate VIRTIO_F_VERSION_1");
	auto *ver = sc->add_flag("--version-1", c.v1, "negotiate VIRTIO_F_VERSION_1 (default)");
	leg->excludes(ver);
	sc->add_flag("--vhost-net-hdr", c.vhost_hdr,
		     "VHOST_NET_F_VIRTIO_NET_HDR: vhost adds the header, tap without IFF_VNET_HDR");
	sc->add_option("--hdr-len", c.hdr_len,
		       "expected virtio-net header length (10|12); it follows from the features");
	sc->add_option("--rx-buf", c.rx_buf, "RX buffer bytes with --mrg-rxbuf");
	sc->add_option("--sndbuf", c.sndbuf, "tap TUNSETSNDBUF bytes (0: tap default)")
		->check(CLI::NonNegativeNumber);
	sc->add_option("--busyloop-us", c.busyloop_us,
		       "VHOST_SET_VRING_BUSYLOOP_TIMEOUT on both rings (us, 0: off)")
		->check(CLI::Range(0u, 100000u));
	add_common(sc, c);
}

RunOptions to_options(const Cli &c, Mode m)
{
	RunOptions o;
	o.mode = m;
	o.frames = c.frames;
	auto sz = parse_size_spec(c.size);
	if (!sz)
		throw UsageError("--size: expected S or MIN-MAX, got '" + c.size + "'");
	if (sz->min < kPayloadHeader || sz->max > kMaxUdpPayload)
		throw UsageError("--size: payload must be " + std::to_string(kPayloadHeader) + ".." +
				 std::to_string(kMaxUdpPayload) + " bytes");
	o.sizes = *sz;
	o.rate = c.rate;
	if (!c.schedule.empty()) {
		auto s = parse_rate_schedule(c.schedule);
		if (!s)
			throw UsageError("--rate-schedule: expected RATE:SECONDS[,RATE:SECONDS...] with "
					 "positive numbers, got '" + c.schedule + "'");
		o.schedule = *s;
		o.frames = schedule_frames(*s);
		if (o.frames == 0)
			throw UsageError("--rate-schedule: offers no frame");
	}
	o.batch = c.batch;
	o.window = c.window;
	o.exit_cost_ns = c.exit_cost_ns;
	o.timeout_ms = c.timeout_ms;
	o.linger_ms = c.linger_ms;
	o.rx_irq_always = c.rx_irq_always;
	o.tx_irq_always = c.tx_irq_always;
	if (!ring_layout(c.ring, 4) || c.ring < 2)
		throw UsageError("--ring: must be a power of two in 2..32768, got " + std::to_string(c.ring));
	DeviceOptions &d = o.dev;
	d.ring = c.ring;
	d.requested = (c.legacy ? 0 : fbit(F_VERSION_1)) | (c.mrg ? fbit(F_MRG_RXBUF) : 0) |
		      (c.event_idx ? fbit(F_EVENT_IDX) : 0) |
		      (c.indirect ? fbit(F_INDIRECT_DESC) : 0) |
		      (c.vhost_hdr ? fbit(F_VHOST_NET_HDR) : 0);
	d.indirect = c.indirect;
	const size_t hdr = (c.mrg || !c.legacy) ? 12 : 10;
	if (c.hdr_len && c.hdr_len != hdr)
		throw UsageError("--hdr-len " + std::to_string(c.hdr_len) + " contradicts the features (header is " +
				 std::to_string(hdr) + " bytes; 10 only with --legacy and no --mrg-rxbuf)");
	if (c.rx_buf < 64 || c.rx_buf > 65536)
		throw UsageError("--rx-buf: must be 64..65536 bytes");
	d.mrg_buf = c.rx_buf;
	d.sndbuf = c.sndbuf;
	d.busyloop_us = c.busyloop_us;
	d.vhost_path = c.device;
	return o;
}

int do_run(const Cli &c, Mode m)
{
	RunOptions o = to_options(c, m);
	RunResult r = run(o);
	if (c.json)
		std::cout << to_json(r).dump(2) << "\n";
	else
		std::cout << to_text(r);
	return r.ok() ? 0 : 1;
}

int do_selftest(const Cli &c)
{
	RunOptions base;
	base.exit_cost_ns = c.exit_cost_ns;
	base.timeout_ms = c.timeout_ms;
	base.dev.vhost_path = c.device;
	auto outcomes = run_selftest(base, c.only, [&](const SelftestOutcome &o) {
		std::string line = o.error.empty() ? to_line(o.label, o.result)
						   : "FAIL " + o.label + " -- " + o.error;
		// With --json the lines go to stderr so stdout stays one document.
		(c.json ? std::cerr : std::cout) << line << std::endl;
	});
	unsigned passed = 0;
	nlohmann::json cases = nlohmann::json::array();
	for (auto &o : outcomes) {
		passed += o.ok();
		auto j = to_json(o.result);
		j["label"] = o.label;
		j["ok"] = o.ok();
		if (!o.error.empty())
			j["error"] = o.error;
		cases.push_back(j);
	}
	const bool ok = !outcomes.empty() && passed == outcomes.size();
	if (c.json) {
		nlohmann::json j{{"cases", cases},
				 {"passed", passed},
				 {"failed", outcomes.size() - passed},
				 {"ok", ok}};
		std::cout << j.dump(2) << "\n";
	} else {
		std::cout << "selftest: " << passed << "/" << outcomes.size() << " cases passed\n";
	}
	if (outcomes.empty())
		std::cerr << "lwvhost-vnet: selftest: no case matches --only '" << c.only << "'\n";
	return ok ? 0 : 1;
}

int do_hostile(Cli &c)
{
	HostileOptions &h = c.hostile;
	if (!ring_layout(h.ring_num, 4) || h.ring_num < 8 || h.ring_num > 1024)
		throw UsageError("--ring: must be a power of two in 8..1024, got " + std::to_string(h.ring_num));
	h.healthy = !c.no_healthy;
	h.vhost_path = c.device;
	HostileResult r = run_hostile(h);
	if (c.json) {
		auto j = to_json(r);
		j["seed"] = h.seed;
		std::cout << j.dump(2) << "\n";
	} else {
		std::printf("%-28s %6s %6s %8s %9s %8s %7s\n", "kind", "tried", "err", "dropped", "delivered", "ignored",
			    "quiet%");
		for (auto &[k, t] : r.kinds)
			std::printf("%-28s %6llu %6llu %8llu %9llu %8llu %6.1f%%\n", k.c_str(),
				    static_cast<unsigned long long>(t.tried), static_cast<unsigned long long>(t.err),
				    static_cast<unsigned long long>(t.dropped),
				    static_cast<unsigned long long>(t.delivered),
				    static_cast<unsigned long long>(t.ignored),
				    t.quiet_window_ns ? 100.0 * double(t.worker_quiet_ns) / double(t.quiet_window_ns) : 0.0);
		for (auto &f : r.failures)
			std::printf("FAIL %s\n", f.c_str());
		std::printf("hostile: seed %llu, %llu rings on %llu devices, %llu probes, %llu frames checked, "
			    "worker %.1f ms busy in %.1f ms quiet, healthy device %llu rounds %llu frames: %s\n",
			    static_cast<unsigned long long>(h.seed), static_cast<unsigned long long>(r.cases),
			    static_cast<unsigned long long>(r.devices), static_cast<unsigned long long>(r.probes),
			    static_cast<unsigned long long>(r.frames_checked), r.worker_quiet_ns / 1e6,
			    r.quiet_window_ns / 1e6, static_cast<unsigned long long>(r.healthy_rounds),
			    static_cast<unsigned long long>(r.healthy_frames), r.ok() ? "ok" : "FAILED");
	}
	return r.ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char **argv)
{
	CLI::App app{"lwvhost-vnet: user-space virtio-net driver over /dev/vhost-net"};
	app.name("lwvhost-vnet");
	lwvhost::cli::add_version(app);
	app.require_subcommand(1);
	Cli c;
	auto *tx = app.add_subcommand("tx", "guest->host UDP flood, received by a host socket");
	auto *rx = app.add_subcommand("rx", "host->guest UDP flood into RX buffers");
	auto *rr = app.add_subcommand("rr", "request/response through a host UDP echo (RTT)");
	auto *st = app.add_subcommand("selftest", "every feature combination briefly; exit 0 iff all pass");
	for (auto *sc : {tx, rx, rr}) {
		add_traffic(sc, c);
		add_linger(sc, c);
	}
	add_common(st, c);
	st->add_option("--only", c.only, "run only cases whose label contains this");
	auto *ho = app.add_subcommand("hostile", "malicious rings against the backend; exit 0 iff it held");
	ho->add_option("--seed", c.hostile.seed, "random seed (same seed, same rings)");
	ho->add_option("--rings", c.hostile.rings, "hostile rings to try")
		->check(CLI::Range(1u, 10000000u));
	ho->add_option("--ring", c.hostile.ring_num, "virtqueue size (power of two, 8..1024)");
	ho->add_option("--case-ms", c.hostile.case_ms, "wait this long for each ring's outcome")
		->check(CLI::Range(1u, 60000u));
	ho->add_option("--quiet-ms", c.hostile.quiet_ms, "worker CPU window after each ring")
		->check(CLI::Range(1u, 10000u));
	ho->add_option("--probe-every", c.hostile.probe_every, "good traffic both ways after every N rings")
		->check(CLI::Range(1u, 1000000u));
	ho->add_option("--device-cases", c.hostile.device_cases, "open a fresh device after N rings")
		->check(CLI::Range(1u, 10000000u));
	ho->add_option("--only", c.hostile.only, "only kinds whose name contains this");
	ho->add_flag("--no-healthy", c.no_healthy, "no second device with traffic meanwhile");
	ho->add_flag("--trace", c.hostile.trace, "print every ring on stderr");
	ho->add_option("--device", c.device, "vhost-net character device");
	ho->add_flag("--json", c.json, "machine-readable output");

	if (auto status = lwvhost::cli::parse(app, argc, argv))
		return *status;
	try {
		if (*st)
			return do_selftest(c);
		if (*ho)
			return do_hostile(c);
		if (*rr && !rr->count("--frames"))
			c.frames = 1000;
		if (*rr && !rr->count("--window"))
			c.window = 1;
		Mode m = *tx ? Mode::tx : *rx ? Mode::rx : Mode::rr;
		return do_run(c, m);
	} catch (const UsageError &e) {
		std::cerr << "lwvhost-vnet: " << e.what() << "\n";
		return 2;
	} catch (const std::exception &e) {
		std::cerr << "lwvhost-vnet: " << e.what() << "\n";
		return 1;
	}
}
