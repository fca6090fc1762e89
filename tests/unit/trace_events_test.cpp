// SPDX-License-Identifier: GPL-2.0
// trace.dat events turned into the lines the kernel would print: order,
// leaf merging, lost records, and the model built from them.
#include "events.h"
#include "tracedat.h"

#include <gtest/gtest.h>

using namespace lwvhost::trace;

namespace {

TraceEvent entry(int cpu, uint64_t ts, int pid, const std::string &func, int depth)
{
	TraceEvent e;
	e.kind = TraceEvent::Kind::Entry;
	e.cpu = cpu;
	e.ts_ns = ts;
	e.task = TaskRef{"t" + std::to_string(pid), pid};
	e.func = func;
	e.func_addr = std::hash<std::string>{}(func);
	e.depth = depth;
	return e;
}

TraceEvent exit_of(const TraceEvent &en, uint64_t ts, uint64_t dur)
{
	TraceEvent e = en;
	e.kind = TraceEvent::Kind::Exit;
	e.ts_ns = ts;
	e.duration_ns = dur;
	return e;
}

TraceEvent other(int cpu, uint64_t ts, int pid, const std::string &text)
{
	TraceEvent e;
	e.cpu = cpu;
	e.ts_ns = ts;
	e.task = TaskRef{"t" + std::to_string(pid), pid};
	e.text = text;
	return e;
}

std::string kinds(const std::vector<Line> &lines)
{
	std::string s;
	for (const auto &l : lines)
		s += std::string(s.empty() ? "" : " ") + line_kind_name(l.kind) +
		     (l.func.empty() ? "" : ":" + l.func);
	return s;
}

}  // namespace

TEST(TraceEvents, EntryFollowedByItsReturnIsALeaf)
{
	auto f = entry(0, 1000, 7, "f", 0);
	auto g = entry(0, 1100, 7, "g", 1);
	std::vector<TraceEvent> ev = {f, g, exit_of(g, 1300, 150), exit_of(f, 1500, 480)};
	auto lines = lines_from_events(ev);
	EXPECT_EQ(kinds(lines), "entry:f leaf:g exit:f");
	EXPECT_EQ(lines[1].duration_ns, 150u);
	EXPECT_EQ(lines[1].abstime_ns, 1100u);  // the entry's time
	EXPECT_EQ(lines[1].depth, 1);
	EXPECT_EQ(lines[2].duration_ns, 480u);
	EXPECT_EQ(lines[2].abstime_ns, 1500u);
	EXPECT_EQ(lines[2].depth, 0);
	EXPECT_EQ(lines[2].mark, ' ');
	EXPECT_TRUE(lines[0].task && lines[0].task->pid == 7);
}

TEST(TraceEvents, LeafOnlyWhenTheSameCpusNextRecordReturns)
{
	// Another CPU's record in between does not matter (the kernel looks at
	// this CPU's buffer); one of this CPU does, and so does another task or
	// function returning.
	auto f = entry(0, 1000, 7, "f", 0);
	auto g = entry(1, 1100, 8, "g", 0);
	std::vector<TraceEvent> ev = {f, g, exit_of(f, 1200, 200), exit_of(g, 1300, 200)};
	EXPECT_EQ(kinds(lines_from_events(ev)), "leaf:f leaf:g");

	auto h = entry(0, 2000, 7, "h", 0);
	std::vector<TraceEvent> between = {h, other(0, 2100, 7, "sched_switch: x"),
					   exit_of(h, 2200, 200)};
	EXPECT_EQ(kinds(lines_from_events(between)), "entry:h comment exit:h");

	auto wrong_task = exit_of(h, 2200, 200);
	wrong_task.task.pid = 9;
	EXPECT_EQ(kinds(lines_from_events({h, wrong_task})), "entry:h exit:h");
	auto wrong_func = exit_of(h, 2200, 200);
	wrong_func.func_addr++;
	EXPECT_EQ(kinds(lines_from_events({h, wrong_func})), "entry:h exit:h");
}

TEST(TraceEvents, OrderByTimeThenCpuKeepingEachCpusOrder)
{
	// Given CPU by CPU (as a reader may), printed by time; on a tie the
	// lower CPU first, and a CPU's records never reordered.
	std::vector<TraceEvent> ev = {
		other(1, 500, 2, "b1"), other(1, 500, 2, "b2"), other(1, 900, 2, "b3"),
		other(0, 500, 1, "a1"), other(0, 700, 1, "a2"),
	};
	std::string order;
	for (const auto &l : lines_from_events(ev))
		order += l.text.substr(0, 2) + " ";
	EXPECT_EQ(order, "a1 b1 b2 a2 b3 ");
}

TEST(TraceEvents, LostRecordsAndExitDetails)
{
	auto f = entry(1, 1000, 7, "f", 0);
	auto ret = exit_of(f, 90000, 25000);
	ret.missed = 12;  // lost between the entry and its return: not a leaf
	ret.overrun = 3;
	auto later = other(1, 95000, 7, "x");
	later.missed = -1;  // some lost, not counted
	auto lines = lines_from_events({f, ret, later});
	EXPECT_EQ(kinds(lines), "entry:f lost exit:f lost comment");
	EXPECT_EQ(lines[1].cpu, 1);
	EXPECT_EQ(lines[1].lost, 12u);
	EXPECT_EQ(lines[2].func, "f");  // a trace.dat always names the return
	EXPECT_EQ(lines[2].mark, '+');
	EXPECT_EQ(lines[2].overruns, 3u);
	EXPECT_EQ(lines[3].lost, 1u);
	EXPECT_EQ(lines[4].text, "x");

	Trace t = build_trace(std::vector<TraceEvent>{f, ret, later});
	EXPECT_EQ(t.lost_events.at(1), 13u);
	EXPECT_EQ(t.overruns, 3u);
	ASSERT_EQ(t.frames.size(), 1u);
	EXPECT_EQ(t.frames[0].dur_ns, 25000u);
}

TEST(TraceEvents, ModelOfEvents)
{
	// CPU 0: task 7 calls f (which calls g), is switched out for task 8
	// (a sched_switch record of 7, then 8's call) and resumes on CPU 1.
	auto f = entry(0, 1000, 7, "f", 0);
	auto g = entry(0, 1100, 7, "g", 1);
	auto k = entry(0, 1500, 8, "k", 0);
	std::vector<TraceEvent> ev = {
		f, g, exit_of(g, 1200, 100), other(0, 1300, 7, "sched_switch: 7 ==> 8"),
		k, exit_of(k, 1600, 100), exit_of(f, 2000, 1000),
	};
	ev.back().cpu = 1;
	Trace t = build_trace(ev);
	EXPECT_EQ(t.events(), 4u);  // f, g (leaf), k (leaf), f's return
	EXPECT_EQ(t.unknown_lines(), 0u);
	EXPECT_EQ(t.comments.size(), 1u);
	EXPECT_TRUE(t.has_abstime && t.has_cpu && t.has_proc && t.has_duration && t.has_tail);
	ASSERT_EQ(t.switches.size(), 1u);  // CPU 1's first record is no switch
	EXPECT_EQ(t.tasks[t.switches[0].prev].name(), "t7-7");
	EXPECT_EQ(t.tasks[t.switches[0].next].name(), "t8-8");
	ASSERT_EQ(t.frames.size(), 3u);
	EXPECT_EQ(t.frames[0].func, "f");
	EXPECT_EQ(t.frames[0].dur_ns, 1000u);
	EXPECT_FALSE(t.frames[0].open);
	EXPECT_EQ(t.frames[1].parent, 0);
	EXPECT_EQ(t.frames[2].parent, -1);
	EXPECT_EQ(t.tasks[t.frames[2].task].name(), "t8-8");
}

TEST(TraceDat, Magic)
{
	EXPECT_TRUE(is_tracedat(std::string("\x17\x08\x44tracing6\0", 12)));
	EXPECT_FALSE(is_tracedat(std::string("\x17\x08\x44trace", 8)));
	EXPECT_FALSE(is_tracedat("# tracer: function_graph\n"));
	EXPECT_FALSE(is_tracedat(""));
}

TEST(TraceDat, CorruptFileIsAnError)
{
	std::string err;
	auto ev = read_tracedat(std::string("\x17\x08\x44tracing6\0garbage", 19), &err);
	EXPECT_FALSE(ev);
	EXPECT_NE(err.find("trace.dat"), std::string::npos) << err;
	EXPECT_EQ(err.find('\n'), std::string::npos);
}
