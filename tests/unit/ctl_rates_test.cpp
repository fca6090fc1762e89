// SPDX-License-Identifier: GPL-2.0
// lwvhostctl: rates between two samples and worker CPU.
#include "rates.h"
#include "sysinfo.h"

#include <gtest/gtest.h>
#include <unistd.h>

using namespace lwvhost::ctl;
using lwvhost::client::Device;
using lwvhost::client::stat_fields;

TEST(Rates, PerSecondOfEveryCounter)
{
	Stats a, b;
	for (size_t i = 0; i < stat_fields().size(); i++) {
		a.*stat_fields()[i].field = 1000 * i;
		b.*stat_fields()[i].field = 1000 * i + 10 * (i + 1);
	}
	auto r = counter_rates(a, b, 0.5);
	ASSERT_TRUE(r);
	for (size_t i = 0; i < r->size(); i++)
		EXPECT_DOUBLE_EQ((*r)[i], 20.0 * double(i + 1)) << stat_fields()[i].name;
}

TEST(Rates, TopNumbers)
{
	Stats a, b;
	a.packets = 1000;
	b.packets = 1000 + 200000;  // over 2 s: 100 kpps
	a.bytes = 5;
	b.bytes = 5 + 200000ull * 1514;
	b.kicks = 2000;
	b.signals = 500;
	b.polls = 4000;
	auto r = vq_rates(a, b, 2.0);
	ASSERT_TRUE(r);
	EXPECT_DOUBLE_EQ(r->pps, 100000);
	EXPECT_DOUBLE_EQ(r->mbit_s, 100000 * 1514 * 8 / 1e6);
	EXPECT_DOUBLE_EQ(r->kicks_s, 1000);
	EXPECT_DOUBLE_EQ(r->signals_s, 250);
	EXPECT_DOUBLE_EQ(r->polls_s, 2000);
	EXPECT_DOUBLE_EQ(r->kicks_per_pkt, 0.01);
	EXPECT_DOUBLE_EQ(r->signals_per_pkt, 0.0025);
}

TEST(Rates, IdleQueueHasZeroPerPacket)
{
	Stats a;
	a.kicks = 3;
	Stats b = a;
	b.kicks = 5;
	auto r = vq_rates(a, b, 1.0);
	ASSERT_TRUE(r);
	EXPECT_EQ(r->pps, 0);
	EXPECT_EQ(r->kicks_per_pkt, 0);
	EXPECT_EQ(r->kicks_s, 2);
}

TEST(Rates, NoRateAcrossAResetOrWithoutTime)
{
	Stats a, b;
	a.errors = 5;  // the last counter going backwards is enough
	EXPECT_FALSE(counter_rates(a, b, 1.0));
	EXPECT_FALSE(vq_rates(a, b, 1.0));
	EXPECT_FALSE(counter_rates(b, b, 0.0));
	EXPECT_FALSE(counter_rates(b, b, -1.0));
	EXPECT_TRUE(counter_rates(b, b, 1e-9));
}

TEST(Rates, CpuPercent)
{
	EXPECT_DOUBLE_EQ(*cpu_percent(1'000'000'000, 1'250'000'000, 1.0), 25.0);
	EXPECT_DOUBLE_EQ(*cpu_percent(0, 3'000'000'000, 2.0), 150.0);  // would be >1 CPU
	EXPECT_FALSE(cpu_percent(5, 4, 1.0));
	EXPECT_FALSE(cpu_percent(4, 5, 0.0));
	EXPECT_EQ(ticks_to_ns(250, 100), 2'500'000'000u);
	EXPECT_EQ(ticks_to_ns(1, 0), 0u);
}

TEST(WorkerCpu, ThreadOfTheOwnerUsesSchedstat)
{
	const std::string proc = std::string(LWVHOST_FIXTURES) + "/proc";
	Device d;
	d.owner_pid = 4242;
	d.worker_tid = 4250;
	EXPECT_EQ(worker_cpu_ns(d, proc), 4490000000u);
}

TEST(WorkerCpu, KernelThreadOf61)
{
	const std::string proc = std::string(LWVHOST_FIXTURES) + "/proc";
	Device d;
	d.owner_pid = 5000;
	d.worker_tid = 777;
	EXPECT_EQ(worker_cpu_ns(d, proc), 2550000000u);
}

TEST(WorkerCpu, FoundByNameWhenTheDeviceHasNoTid)
{
	const std::string proc = std::string(LWVHOST_FIXTURES) + "/proc";
	Device d;
	d.owner_pid = 5000;  // its worker is the kthread vhost-5000 (pid 777)
	EXPECT_EQ(worker_cpu_ns(d, proc), 2550000000u);
	d.owner_pid = 0;
	EXPECT_FALSE(worker_cpu_ns(d, proc));
}

TEST(WorkerCpu, StatTicksWithoutSchedstat)
{
	// 4242's main thread has a stat file only (1500 + 300 ticks).
	const std::string proc = std::string(LWVHOST_FIXTURES) + "/proc";
	Device d;
	d.owner_pid = 4242;
	d.worker_tid = 4242;
	auto ns = worker_cpu_ns(d, proc);
	ASSERT_TRUE(ns);
	EXPECT_EQ(*ns, ticks_to_ns(1800, sysconf(_SC_CLK_TCK)));
}
