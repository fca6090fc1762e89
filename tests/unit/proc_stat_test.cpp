// SPDX-License-Identifier: GPL-2.0
#include "proc_stat.h"

#include <gtest/gtest.h>

using namespace lwvhost;

static const std::string kProc = std::string(LWVHOST_FIXTURES) + "/proc";

TEST(ParseTaskStat, RealLineFromThisMachine)
{
	auto st = parse_task_stat(
		"3728 (cat) R 3726 3726 1170 0 -1 4194304 99 0 0 0 11 7 0 0 20 0 1 0 "
		"32636 3133440 408 18446744073709551615 94143641939968 94143641959849 "
		"140729331100416 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94143641975856 "
		"94143641977472 94143933997056 140729331108295 140729331108315 "
		"140729331108315 140729331109867 0\n");
	ASSERT_TRUE(st);
	EXPECT_EQ(st->pid, 3728);
	EXPECT_EQ(st->comm, "cat");
	EXPECT_EQ(st->state, 'R');
	EXPECT_EQ(st->ppid, 3726);
	EXPECT_EQ(st->utime_ticks, 11u);
	EXPECT_EQ(st->stime_ticks, 7u);
	EXPECT_EQ(st->processor, 1);
	EXPECT_FALSE(st->is_kthread());
}

TEST(ParseTaskStat, CommWithSpacesAndParens)
{
	auto st = read_task_stat(5000, 5000, kProc);
	ASSERT_TRUE(st);
	EXPECT_EQ(st->comm, "my prog (x) ");
	EXPECT_EQ(st->utime_ticks, 7u);
	EXPECT_EQ(st->stime_ticks, 3u);
}

TEST(ParseTaskStat, KernelThreadFlag)
{
	auto st = read_task_stat(777, 777, kProc);
	ASSERT_TRUE(st);
	EXPECT_TRUE(st->is_kthread());
	EXPECT_EQ(st->stime_ticks, 250u);
}

TEST(ParseTaskStat, RejectsTruncatedAndGarbage)
{
	EXPECT_FALSE(parse_task_stat(""));
	EXPECT_FALSE(parse_task_stat("12 (x) R 1 2 3"));
	EXPECT_FALSE(parse_task_stat("abc (x) R"));
	EXPECT_FALSE(parse_task_stat("12 x) R"));
}

TEST(ParseSchedStat, ThreeFields)
{
	auto s = parse_schedstat("4128728 11302 2\n");
	ASSERT_TRUE(s);
	EXPECT_EQ(s->run_ns, 4128728u);
	EXPECT_EQ(s->wait_ns, 11302u);
	EXPECT_EQ(s->timeslices, 2u);
	EXPECT_FALSE(parse_schedstat("1 2"));
	EXPECT_FALSE(parse_schedstat("1 2 x"));
}

TEST(FindVhostWorker, ThreadOfOwnerOnNewKernels)
{
	auto w = find_vhost_worker(4242, kProc);
	ASSERT_TRUE(w);
	EXPECT_EQ(w->pid, 4242);
	EXPECT_EQ(w->tid, 4250);
	auto s = read_schedstat(w->pid, w->tid, kProc);
	ASSERT_TRUE(s);
	EXPECT_EQ(s->run_ns, 4490000000u);
}

TEST(FindVhostWorker, KernelThreadOnOldKernels)
{
	auto w = find_vhost_worker(5000, kProc);
	ASSERT_TRUE(w);
	EXPECT_EQ(w->pid, 777);
	EXPECT_EQ(w->tid, 777);
}

TEST(FindVhostWorker, NoneWhenAbsent)
{
	EXPECT_FALSE(find_vhost_worker(9999, kProc));
}

TEST(LocateVhostWorker, TrustsTheKernelsTidOnlyIfItIsTheWorker)
{
	auto w = locate_vhost_worker(4242, 4250, kProc);  // thread of the owner
	ASSERT_TRUE(w);
	EXPECT_EQ(w->pid, 4242);
	EXPECT_EQ(w->tid, 4250);
	w = locate_vhost_worker(5000, 777, kProc);  // kthread (6.1)
	ASSERT_TRUE(w);
	EXPECT_EQ(w->pid, 777);
	EXPECT_EQ(w->tid, 777);
	// A tid that is not "vhost-<owner>" (stale, or 0 = not reported) falls
	// back to the search.
	for (int tid : {4242, 0, 31337}) {
		w = locate_vhost_worker(4242, tid, kProc);
		ASSERT_TRUE(w) << tid;
		EXPECT_EQ(w->tid, 4250) << tid;
	}
	EXPECT_FALSE(locate_vhost_worker(9999, 4250, kProc));
}

TEST(Comm, ParsedAndRead)
{
	EXPECT_EQ(parse_comm("qemu-system-x86\n"), "qemu-system-x86");
	EXPECT_EQ(parse_comm("vnet"), "vnet");
	EXPECT_FALSE(parse_comm(""));
	EXPECT_FALSE(parse_comm("\n"));
	EXPECT_FALSE(parse_comm("a-name-longer-than-15\n"));
	EXPECT_EQ(read_comm(4242, kProc), "qemu-system-x86");
	EXPECT_EQ(read_comm(5000, kProc), "my prog (x) ");
	EXPECT_FALSE(read_comm(9999, kProc));
}
