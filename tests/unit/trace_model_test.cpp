// SPDX-License-Identifier: GPL-2.0
// Call-tree building from crafted function_graph snippets: nesting, CPUs,
// context switches, truncation at both ends of the buffer, lost events.
#include "model.h"

#include <gtest/gtest.h>

using namespace lwvhost::trace;

namespace {

// The frames named `func`, in trace order.
std::vector<const Frame *> named(const Trace &t, const std::string &func)
{
	std::vector<const Frame *> out;
	for (const auto &f : t.frames)
		if (f.func == func)
			out.push_back(&f);
	return out;
}

const Frame &one(const Trace &t, const std::string &func)
{
	auto v = named(t, func);
	EXPECT_EQ(v.size(), 1u) << func;
	return *v.at(0);
}

std::string parent_name(const Trace &t, const Frame &f)
{
	return f.parent < 0 ? "" : t.frames[f.parent].func;
}

}  // namespace

TEST(TraceModel, NestedCallsOneCpu)
{
	Trace t = build_trace(
		"# tracer: function_graph\n"
		"#\n"
		"# CPU  DURATION                  FUNCTION CALLS\n"
		"# |     |   |                     |   |   |   |\n"
		" 0)               |  a() {\n"
		" 0)   1.000 us    |    b();\n"
		" 0)               |    c() {\n"
		" 0)   2.500 us    |      d();\n"
		" 0)   4.000 us    |    }\n"
		" 0) + 10.000 us   |  }\n"
		" 0)   0.250 us    |  e();\n");
	EXPECT_EQ(t.lines, 11u);
	EXPECT_EQ(t.events(), 7u);
	EXPECT_EQ(t.unknown_lines(), 0u);
	ASSERT_EQ(t.frames.size(), 5u);
	const Frame &a = one(t, "a");
	EXPECT_EQ(a.dur_ns, 10000u);
	EXPECT_EQ(a.children.size(), 2u);
	EXPECT_FALSE(a.open);
	EXPECT_EQ(parent_name(t, one(t, "b")), "a");
	EXPECT_EQ(parent_name(t, one(t, "c")), "a");
	EXPECT_EQ(parent_name(t, one(t, "d")), "c");
	EXPECT_EQ(one(t, "c").dur_ns, 4000u);
	EXPECT_EQ(parent_name(t, one(t, "e")), "");
	EXPECT_EQ(t.roots().size(), 2u);
	EXPECT_TRUE(t.has_cpu);
	EXPECT_FALSE(t.has_abstime);
	EXPECT_FALSE(t.has_proc);
	EXPECT_EQ(t.cpus, std::vector<int>{0});
}

TEST(TraceModel, InterleavedCpusKeepSeparateStacks)
{
	Trace t = build_trace(
		" 0)               |  a() {\n"
		" 1)               |  x() {\n"
		" 0)   1.000 us    |    b();\n"
		" 1)   2.000 us    |    y();\n"
		" 1)   3.000 us    |  }\n"
		" 0)   4.000 us    |  }\n");
	EXPECT_EQ(parent_name(t, one(t, "b")), "a");
	EXPECT_EQ(parent_name(t, one(t, "y")), "x");
	EXPECT_EQ(one(t, "a").dur_ns, 4000u);
	EXPECT_EQ(one(t, "x").dur_ns, 3000u);
	EXPECT_EQ(one(t, "x").cpu, 1);
	EXPECT_EQ(t.cpus, (std::vector<int>{0, 1}));
	EXPECT_EQ(t.tail_mismatches, 0u);
}

// A task switched out inside a() on CPU 0 resumes on CPU 1 and returns
// there; meanwhile another task ran calls on CPU 0.
TEST(TraceModel, ContextSwitchAndMigration)
{
	Trace t = build_trace(
		" 0)               |  a() {\n"
		" 0)   1.000 us    |    b();\n"
		" ------------------------------------------\n"
		" 0)  worker-10    =>   other-20   \n"
		" ------------------------------------------\n"
		"\n"
		" 0)   5.000 us    |  z();\n"
		" ------------------------------------------\n"
		" 1)   <idle>-0    =>  worker-10   \n"
		" ------------------------------------------\n"
		"\n"
		" 1)   2.000 us    |    c();\n"
		" 1) ! 150.000 us  |  } /* a */\n");
	EXPECT_EQ(t.switches.size(), 2u);
	const Frame &a = one(t, "a");
	EXPECT_EQ(a.dur_ns, 150000u);
	EXPECT_FALSE(a.open);
	EXPECT_EQ(a.children.size(), 2u);
	EXPECT_EQ(parent_name(t, one(t, "c")), "a");
	EXPECT_EQ(parent_name(t, one(t, "z")), "");
	// The lines before the first banner belonged to its "prev" task.
	EXPECT_EQ(t.tasks[a.task].name(), "worker-10");
	EXPECT_EQ(t.tasks[one(t, "z").task].name(), "other-20");
	EXPECT_EQ(t.tail_mismatches, 0u);
	EXPECT_TRUE(t.has_tail);
}

// The first event on a CPU has no banner. Here it continues a call of the
// task that just migrated from CPU 1, whose own banner comes later (a real
// sequence from a 6.1 recording).
TEST(TraceModel, MigrationToAFreshCpu)
{
	Trace t = build_trace(
		" 1)               |  ioctl() {\n"
		" 1)               |    set_owner() {\n"
		" 0)   1.000 us    |      wq();\n"
		" ------------------------------------------\n"
		" 1)    vnet-141    =>  vhost-1-142  \n"
		" ------------------------------------------\n"
		"\n"
		" 1)               |  worker() {\n"
		" 0) + 30.000 us   |    } /* set_owner */\n"
		" 0) + 40.000 us   |  }\n"
		" 0)   2.000 us    |  next();\n");
	const Frame &so = one(t, "set_owner");
	EXPECT_FALSE(so.open);
	EXPECT_FALSE(so.start_truncated);
	EXPECT_EQ(so.dur_ns, 30000u);
	EXPECT_EQ(one(t, "ioctl").dur_ns, 40000u);
	EXPECT_EQ(parent_name(t, one(t, "wq")), "set_owner");
	EXPECT_EQ(t.tasks[one(t, "ioctl").task].name(), "vnet-141");
	EXPECT_EQ(t.tasks[one(t, "next").task].name(), "vnet-141");
	EXPECT_EQ(t.tasks[one(t, "worker").task].name(), "vhost-1-142");
	EXPECT_TRUE(one(t, "worker").open);
	EXPECT_EQ(t.tail_mismatches, 0u);
}

TEST(TraceModel, ProcColumnIdentifiesTasks)
{
	Trace t = build_trace(
		"   1.000000 |   0)   qemu-5    |               |  a() {\n"
		"   1.000001 |   1)  vhost-1-7  |               |  h() {\n"
		"   1.000002 |   1)  vhost-1-7  |   1.000 us    |    p();\n"
		"   1.000010 |   0)   qemu-5    | + 10.000 us   |  }\n"
		"   1.000020 |   1)  vhost-1-7  | + 19.000 us   |  }\n");
	EXPECT_TRUE(t.has_proc);
	EXPECT_TRUE(t.has_abstime);
	EXPECT_EQ(t.first_ns, 1000000000u);
	EXPECT_EQ(t.last_ns, 1000020000u);
	const Frame &h = one(t, "h");
	EXPECT_EQ(t.tasks[h.task].name(), "vhost-1-7");
	EXPECT_EQ(h.start_ns, 1000001000u);
	EXPECT_EQ(h.end_ns, 1000020000u);
	EXPECT_EQ(one(t, "p").start_ns, 1000002000u);
	EXPECT_EQ(one(t, "p").end_ns, 1000003000u);
	EXPECT_EQ(t.tasks[one(t, "a").task].name(), "qemu-5");
}

// The buffer starts in the middle of calls: returns without entries become
// start-truncated frames that adopt the deeper calls before them.
TEST(TraceModel, TruncatedStart)
{
	Trace t = build_trace(
		" 0)   1.000 us    |      leaf1();\n"
		" 0)   2.000 us    |      leaf2();\n"
		" 0)   5.000 us    |    } /* mid */\n"
		" 0)   1.000 us    |    sib();\n"
		" 0) + 20.000 us   |  }\n"
		" 0)   3.000 us    |  after();\n");
	ASSERT_EQ(t.frames.size(), 6u);
	const Frame &mid = one(t, "mid");
	EXPECT_TRUE(mid.start_truncated);
	EXPECT_EQ(mid.dur_ns, 5000u);
	EXPECT_EQ(mid.children.size(), 2u);
	EXPECT_EQ(parent_name(t, one(t, "leaf1")), "mid");
	EXPECT_EQ(parent_name(t, one(t, "leaf2")), "mid");
	const Frame &top = one(t, "[unknown]");
	EXPECT_TRUE(top.start_truncated);
	EXPECT_EQ(top.depth, 0);
	EXPECT_EQ(top.children.size(), 2u);
	EXPECT_EQ(parent_name(t, mid), "[unknown]");
	EXPECT_EQ(parent_name(t, one(t, "sib")), "[unknown]");
	EXPECT_EQ(parent_name(t, one(t, "after")), "");
	EXPECT_EQ(t.roots().size(), 2u);
}

// The buffer ends before calls return.
TEST(TraceModel, TruncatedEnd)
{
	Trace t = build_trace(
		" 1)               |  a() {\n"
		" 1)               |    b() {\n"
		" 1)   1.000 us    |      c();\n");
	EXPECT_TRUE(one(t, "a").open);
	EXPECT_TRUE(one(t, "b").open);
	EXPECT_FALSE(one(t, "c").open);
	EXPECT_FALSE(one(t, "a").dur_ns);
	EXPECT_EQ(parent_name(t, one(t, "c")), "b");
}

// Lost events on a CPU: returns went missing; the indentation of the next
// return tells which call it closes.
TEST(TraceModel, LostEventsRepairedByDepth)
{
	Trace t = build_trace(
		" 0)               |  a() {\n"
		" 0)               |    b() {\n"
		"CPU:0 [LOST 42 EVENTS]\n"
		" 0)   9.000 us    |  } /* a */\n"
		" 0)   1.000 us    |  n();\n");
	EXPECT_EQ(t.lost_events.at(0), 42u);
	// After the loss the CPU's task is unknown again, so a's return is
	// an orphan that names itself; a and b stay open.
	auto as = named(t, "a");
	ASSERT_EQ(as.size(), 2u);
	EXPECT_TRUE(as[0]->open);
	EXPECT_TRUE(as[1]->start_truncated);
	EXPECT_EQ(as[1]->dur_ns, 9000u);
	EXPECT_TRUE(one(t, "b").open);
}

TEST(TraceModel, MissingReturnsUnwoundByDepth)
{
	// b's return was lost without a LOST marker (e.g. a filtered function
	// longjmp'ed); the next call at depth 1 shows b is over.
	Trace t = build_trace(
		" 0)               |  a() {\n"
		" 0)               |    b() {\n"
		" 0)   1.000 us    |      c();\n"
		" 0)   2.000 us    |    d();\n"
		" 0)   9.000 us    |  }\n");
	EXPECT_TRUE(one(t, "b").open);
	EXPECT_EQ(parent_name(t, one(t, "d")), "a");
	EXPECT_EQ(one(t, "a").dur_ns, 9000u);
	EXPECT_FALSE(one(t, "a").open);
}

TEST(TraceModel, TailMismatchCounted)
{
	Trace t = build_trace(
		" 0)               |  a() {\n"
		" 0)   9.000 us    |  } /* b */\n");
	EXPECT_EQ(t.tail_mismatches, 1u);
	EXPECT_EQ(one(t, "a").dur_ns, 9000u);
}

TEST(TraceModel, CommentsIrqsAndUnknownLines)
{
	Trace t = build_trace(
		" 0)               |  a() {\n"
		" 0)               |    /* marker: hello */\n"
		" 0)   ==========> |\n"
		" 0)   1.000 us    |    irq_handler();\n"
		" 0)   <========== |\n"
		"garbage here\n"
		" 0)   5.000 us    |  }\n");
	ASSERT_EQ(t.comments.size(), 1u);
	EXPECT_EQ(t.comments[0].text, "marker: hello");
	EXPECT_EQ(t.irq_enters, 1u);
	EXPECT_EQ(t.irq_exits, 1u);
	EXPECT_EQ(t.unknown_lines(), 1u);
	ASSERT_EQ(t.unknown_samples.size(), 1u);
	EXPECT_EQ(t.unknown_samples[0].first, 6u);
	EXPECT_EQ(t.unknown_samples[0].second, "garbage here");
	EXPECT_EQ(parent_name(t, one(t, "irq_handler")), "a");
}

TEST(TraceModel, EmptyInput)
{
	Trace t = build_trace("");
	EXPECT_EQ(t.lines, 0u);
	EXPECT_TRUE(t.frames.empty());
	t = build_trace("# tracer: function_graph\n#\n");
	EXPECT_EQ(t.events(), 0u);
	EXPECT_EQ(t.unknown_lines(), 0u);
}

// An hrtimer firing while vhost_translate returns (depth already dropped,
// return event not yet written): the kernel prints the interrupt's calls at
// vhost_translate's depth, before its `}` (as in
// tracefile-samples/lwvhost-6.1-vnet-poll50-*).
TEST(TraceModel, InterruptDuringReturnBecomesChild)
{
	const char *with_tail =
		" 0)               |  get() {\n"
		" 0)               |    translate() {\n"
		" 0)               |    timer_fn() {\n"
		" 0)   1.883 us    |      queue();\n"
		" 0)   6.092 us    |    }\n"
		" 0)   1.513 us    |    } /* translate */\n"
		" 0)   0.500 us    |    map();\n"
		" 0) + 28.424 us   |  }\n";
	for (bool tail : {true, false}) {
		SCOPED_TRACE(tail);
		std::string text = with_tail;
		if (!tail)
			text.replace(text.find(" /* translate */"), 16, "");
		Trace t = build_trace(text);
		ASSERT_EQ(t.frames.size(), 5u);
		EXPECT_EQ(t.displaced_returns, 1u);
		const Frame &tr = one(t, "translate");
		EXPECT_FALSE(tr.open);
		EXPECT_FALSE(tr.start_truncated);
		EXPECT_EQ(tr.dur_ns, 1513u);
		EXPECT_EQ(parent_name(t, tr), "get");
		EXPECT_EQ(parent_name(t, one(t, "timer_fn")), "translate");
		EXPECT_EQ(parent_name(t, one(t, "queue")), "timer_fn");
		EXPECT_EQ(parent_name(t, one(t, "map")), "get");
		EXPECT_EQ(one(t, "get").children.size(), 2u);
		for (const auto &f : t.frames) {
			EXPECT_FALSE(f.open) << f.func;
			EXPECT_FALSE(f.start_truncated) << f.func;
		}
	}
}

// The same at the outermost level, with a leaf as the interrupt's call.
TEST(TraceModel, InterruptDuringReturnAtDepthZero)
{
	Trace t = build_trace(
		" 1)               |  worker() {\n"
		" 1)   2.000 us    |    work();\n"
		" 1)   3.000 us    |  timer_fn();\n"
		" 1) + 10.000 us   |  }\n"
		" 1)   1.000 us    |  next();\n");
	EXPECT_EQ(t.displaced_returns, 1u);
	const Frame &w = one(t, "worker");
	EXPECT_EQ(w.dur_ns, 10000u);
	EXPECT_EQ(w.children.size(), 2u);
	EXPECT_EQ(parent_name(t, one(t, "timer_fn")), "worker");
	EXPECT_EQ(one(t, "next").parent, -1);
	EXPECT_EQ(t.roots().size(), 2u);
}

// A return that names another function is not the displaced call's: the
// displaced call stays never-returned, the return has no entry.
TEST(TraceModel, DisplacedCallNotClosedByOtherReturn)
{
	Trace t = build_trace(
		" 0)               |  a() {\n"
		" 0)               |    b() {\n"
		" 0)   1.000 us    |    c();\n"
		" 0)   2.000 us    |    } /* x */\n"
		" 0)   9.000 us    |  } /* a */\n");
	EXPECT_EQ(t.displaced_returns, 0u);
	EXPECT_TRUE(one(t, "b").open);
	EXPECT_TRUE(one(t, "x").start_truncated);
	EXPECT_EQ(one(t, "a").dur_ns, 9000u);
}
