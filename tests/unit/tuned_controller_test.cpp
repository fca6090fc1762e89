// SPDX-License-Identifier: GPL-2.0
#include "controller.h"
#include "plant_sim.h"

#include <gtest/gtest.h>

using namespace lwvhost;
using namespace lwvhost::tuned;

namespace {

// One device whose two directions are simulated plants; the worker's CPU
// is the sum of both, busy time 80 % of each direction's.
struct SimDevice {
	DevObs obs;
	std::array<Plant, 2> plant{Plant({}, 1), Plant({}, 2)};
	double busy_frac = 0.8;

	SimDevice(uint32_t id, std::string ifname, std::string comm)
	{
		obs.id = id;
		obs.owner_pid = 1000 + id;
		obs.comm = std::move(comm);
		obs.worker_ns = 0;
		for (auto &d : obs.dir)
			d.ifname = ifname;
	}
	void run_period(double period_s)
	{
		for (int i = 0; i < 2; i++) {
			Sample s = plant[i].measure(obs.dir[i].interval_us, period_s);
			obs.dir[i].packets += uint64_t(s.packets);
			obs.dir[i].busy_ns += uint64_t(s.worker_cpu_ns * busy_frac);
			*obs.worker_ns += uint64_t(s.worker_cpu_ns);
		}
	}
	void apply(const std::vector<Action> &acts)
	{
		for (const Action &a : acts)
			if (a.id == obs.id)
				for (int i = 0; i < 2; i++)
					if (a.interval[i])
						obs.dir[i].interval_us = *a.interval[i];
	}
};

Config config(const std::string &text)
{
	std::string err;
	auto c = parse_config(text, "test", &err);
	EXPECT_TRUE(c) << err;
	return c ? *c : Config{};
}

// Runs n periods of 200 ms over devs; returns every log line.
std::vector<std::string> run(Controller &c, std::vector<SimDevice *> devs, int n, double &t)
{
	std::vector<std::string> log;
	for (int i = 0; i < n; i++) {
		std::vector<DevObs> obs;
		for (auto *d : devs) {
			d->run_period(0.2);
			obs.push_back(d->obs);
		}
		t += 0.2;
		auto acts = c.tick(t, obs, &log);
		for (auto *d : devs)
			d->apply(acts);
	}
	return log;
}

}  // namespace

TEST(SplitWorker, ByBusyTimeElseByPackets)
{
	auto s = split_worker_ns(1000, {100, 300}, {5, 5});
	EXPECT_DOUBLE_EQ(s[0], 250);
	EXPECT_DOUBLE_EQ(s[1], 750);
	s = split_worker_ns(1000, {0, 0}, {1, 3});
	EXPECT_DOUBLE_EQ(s[0], 250);
	EXPECT_DOUBLE_EQ(s[1], 750);
	s = split_worker_ns(1000, {0, 0}, {0, 0});
	EXPECT_DOUBLE_EQ(s[0] + s[1], 0);
}

TEST(Controller, TunesTheBusyDirectionAndLeavesTheIdleOneAlone)
{
	Controller c(config("max-latency-us = 400\n"), false);
	SimDevice dev(3, "tap0", "qemu");
	dev.plant[kTx].set_load(200000);
	dev.plant[kRx].set_load(0);
	double t = 0;
	auto log = run(c, {&dev}, 1, t);
	ASSERT_EQ(log.size(), 1u);
	EXPECT_NE(log[0].find("dev 3 (tap0, owner 1003 qemu): managed, law ladder, max-latency-us 400"),
		  std::string::npos) << log[0];
	log = run(c, {&dev}, 30, t);
	EXPECT_EQ(dev.obs.dir[kTx].interval_us, 400u);  // the plant's optimum under the cap
	EXPECT_EQ(dev.obs.dir[kRx].interval_us, 0u);
	// Every logged decision names the device, direction, the change and
	// the numbers behind it.
	ASSERT_FALSE(log.empty());
	for (auto &l : log) {
		EXPECT_NE(l.find("dev 3 (tap0, owner 1003 qemu) tx: "), std::string::npos) << l;
		EXPECT_NE(l.find(" -> "), std::string::npos) << l;
		EXPECT_NE(l.find(" pps, worker "), std::string::npos) << l;
		EXPECT_NE(l.find("% CPU (schedstat run), tx share "), std::string::npos) << l;
	}
	auto restore = c.restore_actions();
	ASSERT_EQ(restore.size(), 1u);
	EXPECT_EQ(restore[0].id, 3u);
	EXPECT_EQ(restore[0].interval[kTx], 0u);
	EXPECT_FALSE(restore[0].interval[kRx]);  // never touched
}

TEST(Controller, VerboseLogsHoldsToo)
{
	Controller c(Config{}, true);
	SimDevice dev(1, "tap0", "qemu");
	dev.plant[kTx].set_load(0);
	dev.plant[kRx].set_load(0);
	double t = 0;
	auto log = run(c, {&dev}, 3, t);
	// 1 registration line, then both directions in each of 2 periods.
	ASSERT_EQ(log.size(), 5u);
	EXPECT_NE(log[1].find("rx: keep 0 us: idle"), std::string::npos) << log[1];
	EXPECT_NE(log[2].find("tx: keep 0 us: idle"), std::string::npos) << log[2];
}

TEST(Controller, PerDeviceOverrides)
{
	Controller c(config("[ifname tap-fixed]\nmanage = no\n"
			    "[comm qemu-tx]\ndirections = tx\nmax-latency-us = 100\n"),
		     false);
	SimDevice fixed(1, "tap-fixed", "qemu"), txonly(2, "tap2", "qemu-tx");
	for (auto *d : {&fixed, &txonly})
		for (auto &p : d->plant)
			p.set_load(200000);
	double t = 0;
	auto log = run(c, {&fixed, &txonly}, 30, t);
	EXPECT_EQ(fixed.obs.dir[kTx].interval_us, 0u);
	EXPECT_EQ(fixed.obs.dir[kRx].interval_us, 0u);
	EXPECT_GT(txonly.obs.dir[kTx].interval_us, 0u);
	EXPECT_LE(txonly.obs.dir[kTx].interval_us, 100u);  // the cap
	EXPECT_EQ(txonly.obs.dir[kRx].interval_us, 0u);
	EXPECT_NE(log[0].find("dev 1 (tap-fixed, owner 1001 qemu): not managed"), std::string::npos);
	EXPECT_NE(log[1].find("max-latency-us 100, tolerance 0.05, directions tx"), std::string::npos)
		<< log[1];
}

TEST(Controller, WaitsForAWorkerSampleAndForgetsReleasedDevices)
{
	Controller c(Config{}, false);
	SimDevice dev(5, "tap0", "qemu");
	dev.plant[kTx].set_load(200000);
	dev.obs.worker_ns.reset();
	std::vector<std::string> log;
	for (int i = 1; i <= 4; i++) {
		dev.obs.dir[kTx].packets += 40000;
		EXPECT_TRUE(c.tick(0.2 * i, {dev.obs}, &log).empty());
	}
	// Registered, then one "waiting" line however long it waits.
	ASSERT_EQ(log.size(), 2u);
	EXPECT_NE(log[1].find("no worker CPU sample yet"), std::string::npos);
	EXPECT_EQ(c.tracked(), 1u);
	c.tick(1.0, {}, &log);
	EXPECT_EQ(c.tracked(), 0u);
}

TEST(Controller, ResolvesSettingsAgainWhenTheBackendAppears)
{
	// The device is listed at open, before VHOST_NET_SET_BACKEND: an
	// [ifname] section can only match once the backend is there.
	Controller c(config("[ifname tap-db]\nmax-latency-us = 50\n"), false);
	SimDevice dev(4, "", "qemu");
	dev.plant[kTx].set_load(200000);
	double t = 0;
	auto log = run(c, {&dev}, 2, t);
	EXPECT_NE(log[0].find("dev 4 (no backend, owner 1004 qemu): managed, law ladder, "
			      "max-latency-us 400"), std::string::npos) << log[0];
	for (auto &d : dev.obs.dir)
		d.ifname = "tap-db";
	log = run(c, {&dev}, 30, t);
	ASSERT_FALSE(log.empty());
	EXPECT_NE(log[0].find("dev 4 (tap-db, owner 1004 qemu): managed, law ladder, "
			      "max-latency-us 50"), std::string::npos) << log[0];
	EXPECT_GT(dev.obs.dir[kTx].interval_us, 0u);
	EXPECT_LE(dev.obs.dir[kTx].interval_us, 50u);
}

TEST(Controller, LeavesAnAdaptiveDirectionToTheKernel)
{
	Controller c(config("max-latency-us = 400\n"), false);
	SimDevice dev(6, "tap0", "qemu");
	for (auto &p : dev.plant)
		p.set_load(200000);
	dev.obs.dir[kTx].latency_budget_us = 500;
	double t = 0;
	auto log = run(c, {&dev}, 30, t);
	// tx is the kernel's: no interval written, one line saying so.
	EXPECT_EQ(dev.obs.dir[kTx].interval_us, 0u);
	EXPECT_GT(dev.obs.dir[kRx].interval_us, 0u);  // rx is tuned as before
	int said = 0;
	for (auto &l : log) {
		if (l.find(" tx: ") == std::string::npos)
			continue;
		EXPECT_EQ(l, "dev 6 (tap0, owner 1006 qemu) tx: latency_budget_us 500, the kernel "
			     "adapts its polling: leaving it alone");
		said++;
	}
	EXPECT_EQ(said, 1);
	// Nothing of tx to restore: it was never written.
	auto restore = c.restore_actions();
	ASSERT_EQ(restore.size(), 1u);
	EXPECT_FALSE(restore[0].interval[kTx]);

	// Back to fixed mode: said once, the mixed period skipped, then tuned.
	dev.obs.dir[kTx].latency_budget_us = 0;
	log = run(c, {&dev}, 1, t);
	ASSERT_EQ(log.size(), 1u) << log.back();
	EXPECT_EQ(log[0], "dev 6 (tap0, owner 1006 qemu) tx: latency_budget_us 0 again: tuning "
			  "its poll interval from the next period");
	EXPECT_EQ(dev.obs.dir[kTx].interval_us, 0u);
	log = run(c, {&dev}, 30, t);
	EXPECT_GT(dev.obs.dir[kTx].interval_us, 0u);
	EXPECT_LE(dev.obs.dir[kTx].interval_us, 400u);

	// Adaptive again: the interval tuned meanwhile stays as it is (the
	// kernel ignores it), and it is said once more.
	const uint32_t tuned_tx = dev.obs.dir[kTx].interval_us;
	dev.obs.dir[kTx].latency_budget_us = 200;
	dev.plant[kTx].set_load(20000);
	log = run(c, {&dev}, 30, t);
	EXPECT_EQ(dev.obs.dir[kTx].interval_us, tuned_tx);
	said = 0;
	for (auto &l : log)
		said += l.find(" tx: latency_budget_us 200, ") != std::string::npos;
	EXPECT_EQ(said, 1);
}
