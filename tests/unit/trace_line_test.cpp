// SPDX-License-Identifier: GPL-2.0
// function_graph line classification: one test per format feature, the
// lines copied in the exact layout trace_functions_graph.c prints.
#include "line.h"

#include <gtest/gtest.h>

using namespace lwvhost::trace;

TEST(TraceLine, DefaultColumnsNestedEntry)
{
	Line l = parse_line(" 1)               |  handle_tx [vhost_net]() {");
	EXPECT_EQ(l.kind, LineKind::Entry);
	EXPECT_EQ(l.cpu, 1);
	EXPECT_FALSE(l.abstime_ns);
	EXPECT_FALSE(l.task);
	EXPECT_FALSE(l.duration_ns);
	EXPECT_TRUE(l.has_duration_column);
	EXPECT_EQ(l.depth, 0);
	EXPECT_EQ(l.func, "handle_tx");
	EXPECT_EQ(l.module, "vhost_net");
}

TEST(TraceLine, LeafWithDurationAndDepth)
{
	Line l = parse_line(" 0)   1.423 us    |    vq_meta_prefetch [vhost]();");
	EXPECT_EQ(l.kind, LineKind::Leaf);
	EXPECT_EQ(l.cpu, 0);
	EXPECT_EQ(l.depth, 1);
	EXPECT_EQ(l.duration_ns, 1423u);
	EXPECT_EQ(l.mark, ' ');
	EXPECT_EQ(l.func, "vq_meta_prefetch");
	EXPECT_EQ(l.module, "vhost");
}

TEST(TraceLine, ExitWithTailComment)
{
	Line l = parse_line(" 1) * 14473.35 us |        } /* handle_tx_copy [vhost_net] */");
	EXPECT_EQ(l.kind, LineKind::Exit);
	EXPECT_EQ(l.depth, 3);
	EXPECT_EQ(l.duration_ns, 14473350u);
	EXPECT_EQ(l.mark, '*');
	EXPECT_EQ(l.func, "handle_tx_copy");
	EXPECT_EQ(l.module, "vhost_net");
}

TEST(TraceLine, ExitWithoutTail)
{
	Line l = parse_line(" 0) + 12.524 us   |  }");
	EXPECT_EQ(l.kind, LineKind::Exit);
	EXPECT_EQ(l.depth, 0);
	EXPECT_EQ(l.duration_ns, 12524u);
	EXPECT_EQ(l.mark, '+');
	EXPECT_EQ(l.func, "");
}

TEST(TraceLine, EveryDurationMark)
{
	struct {
		const char *line;
		char mark;
		uint64_t ns;
	} cases[] = {
		{" 0)   9.999 us    |  f();", ' ', 9999},
		{" 0) + 12.524 us   |  f();", '+', 12524},
		{" 0) ! 803.636 us  |  f();", '!', 803636},
		{" 0) # 2964.140 us |  f();", '#', 2964140},
		{" 0) * 14473.35 us |  f();", '*', 14473350},
		{" 0) @ 123456.7 us |  f();", '@', 123456700},
		{" 1) $ 7826121 us  |  f();", '$', 7826121000},
	};
	for (const auto &c : cases) {
		Line l = parse_line(c.line);
		EXPECT_EQ(l.kind, LineKind::Leaf) << c.line;
		EXPECT_EQ(l.mark, c.mark) << c.line;
		EXPECT_EQ(l.duration_ns, c.ns) << c.line;
		// The mark the kernel would print for that duration.
		EXPECT_EQ(duration_mark(c.ns), c.mark) << c.line;
	}
}

TEST(TraceLine, AbstimeCpuProc)
{
	Line l = parse_line("    9.640987 |   1)  vhost-1-147   |               |"
			    "    handle_tx_kick [vhost_net]() {");
	EXPECT_EQ(l.kind, LineKind::Entry);
	EXPECT_EQ(l.abstime_ns, 9640987000u);
	EXPECT_EQ(l.cpu, 1);
	ASSERT_TRUE(l.task);
	EXPECT_EQ(l.task->comm, "vhost-1");
	EXPECT_EQ(l.task->pid, 147);
	EXPECT_EQ(l.depth, 1);
	EXPECT_EQ(l.func, "handle_tx_kick");
}

TEST(TraceLine, AbstimeWithoutProc)
{
	Line l = parse_line("  812.000001 |   0)   2.084 us    |  vq_meta_prefetch [vhost]();");
	EXPECT_EQ(l.kind, LineKind::Leaf);
	EXPECT_EQ(l.abstime_ns, 812000001000u);
	EXPECT_FALSE(l.task);
	EXPECT_EQ(l.duration_ns, 2084u);
	EXPECT_EQ(l.depth, 0);
}

TEST(TraceLine, ProcWithoutCpuAndOddComms)
{
	Line l = parse_line("  <idle>-0    |   0.500 us    |  f();");
	EXPECT_EQ(l.kind, LineKind::Leaf);
	EXPECT_EQ(l.cpu, -1);
	ASSERT_TRUE(l.task);
	EXPECT_EQ(l.task->comm, "<idle>");
	EXPECT_EQ(l.task->pid, 0);

	l = parse_line(" 0)  kworke-1-25  |               |  f() {");
	ASSERT_TRUE(l.task);
	EXPECT_EQ(l.task->comm, "kworke-1");
	EXPECT_EQ(l.task->pid, 25);
	EXPECT_EQ(l.kind, LineKind::Entry);
}

TEST(TraceLine, NoCpuColumn)
{
	Line l = parse_line("   1.423 us    |  foo();");
	EXPECT_EQ(l.kind, LineKind::Leaf);
	EXPECT_EQ(l.cpu, -1);
	EXPECT_EQ(l.depth, 0);
	EXPECT_EQ(l.func, "foo");
	EXPECT_EQ(l.module, "");
}

TEST(TraceLine, NoDurationColumn)
{
	Line l = parse_line(" 0)   bar() {");
	EXPECT_EQ(l.kind, LineKind::Entry);
	EXPECT_FALSE(l.has_duration_column);
	EXPECT_EQ(l.depth, 1);
	l = parse_line(" 0) }");
	EXPECT_EQ(l.kind, LineKind::Exit);
	EXPECT_EQ(l.depth, 0);
	EXPECT_FALSE(l.duration_ns);
}

TEST(TraceLine, ContextSwitchBanner)
{
	Line l = parse_line(" 1)  qemu-sy-145   =>  vhost-1-147  ");
	EXPECT_EQ(l.kind, LineKind::Banner);
	EXPECT_EQ(l.cpu, 1);
	EXPECT_EQ(l.prev, (TaskRef{"qemu-sy", 145}));
	EXPECT_EQ(l.next, (TaskRef{"vhost-1", 147}));

	l = parse_line(" 0)    <idle>-0    =>    ip-141    ");
	EXPECT_EQ(l.kind, LineKind::Banner);
	EXPECT_EQ(l.prev, (TaskRef{"<idle>", 0}));
	EXPECT_EQ(l.next, (TaskRef{"ip", 141}));

	EXPECT_EQ(parse_line(" ------------------------------------------").kind,
		  LineKind::Separator);
}

TEST(TraceLine, HeadersAndBlanks)
{
	EXPECT_EQ(parse_line("# tracer: function_graph").kind, LineKind::Header);
	EXPECT_EQ(parse_line("#     TIME        CPU  TASK/PID         DURATION").kind,
		  LineKind::Header);
	EXPECT_EQ(parse_line("##### CPU 1 buffer started ####").kind, LineKind::Header);
	EXPECT_EQ(parse_line("").kind, LineKind::Blank);
	EXPECT_EQ(parse_line("   \r").kind, LineKind::Blank);
}

TEST(TraceLine, LostEvents)
{
	Line l = parse_line("CPU:1 [LOST 1234 EVENTS]");
	EXPECT_EQ(l.kind, LineKind::Lost);
	EXPECT_EQ(l.cpu, 1);
	EXPECT_EQ(l.lost, 1234u);
}

TEST(TraceLine, Comment)
{
	Line l = parse_line(" 0)               |      /* vnet: kick 7 */");
	EXPECT_EQ(l.kind, LineKind::Comment);
	EXPECT_EQ(l.cpu, 0);
	EXPECT_EQ(l.text, "vnet: kick 7");
	// A '|' or "=>" inside the comment does not confuse the columns.
	l = parse_line(" 1)               |  /* a | b => c */");
	EXPECT_EQ(l.kind, LineKind::Comment);
	EXPECT_EQ(l.text, "a | b => c");
}

TEST(TraceLine, IrqArrows)
{
	EXPECT_EQ(parse_line(" 0)   ==========> |").kind, LineKind::IrqEnter);
	EXPECT_EQ(parse_line(" 0)   <========== |").kind, LineKind::IrqExit);
	Line l = parse_line("   10.000001 |   1)  qemu-sy-145   |   ==========> |");
	EXPECT_EQ(l.kind, LineKind::IrqEnter);
	EXPECT_EQ(l.cpu, 1);
	ASSERT_TRUE(l.task);
	EXPECT_EQ(l.task->pid, 145);
}

TEST(TraceLine, RetvalAndOverrunAnnotations)
{
	Line l = parse_line(" 0)   0.500 us    |  foo(); /* = 0x0 */");
	EXPECT_EQ(l.kind, LineKind::Leaf);
	EXPECT_EQ(l.func, "foo");
	l = parse_line(" 0)   5.000 us    |  } /* foo [tun] = -22 */");
	EXPECT_EQ(l.kind, LineKind::Exit);
	EXPECT_EQ(l.func, "foo");
	EXPECT_EQ(l.module, "tun");
	l = parse_line(" 0)   5.000 us    |  } /* = 0x1 */");
	EXPECT_EQ(l.kind, LineKind::Exit);
	EXPECT_EQ(l.func, "");
	l = parse_line(" 0)   5.000 us    |  } (Overruns: 3)");
	EXPECT_EQ(l.kind, LineKind::Exit);
	EXPECT_EQ(l.overruns, 3u);
	l = parse_line(" 0)               |  bar() { /* <-caller+0x1f/0x40 */");
	EXPECT_EQ(l.kind, LineKind::Entry);
	EXPECT_EQ(l.func, "bar");
}

TEST(TraceLine, CloneSuffixes)
{
	Line l = parse_line(" 1)               |  get_tx_bufs.constprop.0 [vhost_net]() {");
	EXPECT_EQ(l.func, "get_tx_bufs.constprop.0");
	EXPECT_EQ(base_name(l.func), "get_tx_bufs");
	EXPECT_EQ(base_name("tun_attach.isra.0"), "tun_attach");
	EXPECT_EQ(base_name("plain"), "plain");
}

TEST(TraceLine, Rejects)
{
	const char *bad[] = {
		"hello world",
		" 0)   1.423 us    |  foo() {",  // an entry never has a duration
		" 0)               |  foo();",   // a leaf always has one
		" 0)               |  }",        // so does a return
		" 0)   abc us      |  foo();",
		" 0)               |  foo(",
		" 0)               |  not a func() {",
		"CPU:x [LOST y EVENTS]",
	};
	for (const char *b : bad)
		EXPECT_EQ(parse_line(b).kind, LineKind::Unknown) << b;
}

TEST(TraceLine, ParseUsecs)
{
	EXPECT_EQ(parse_usecs("1.5"), 1500u);
	EXPECT_EQ(parse_usecs("12.345"), 12345u);
	EXPECT_EQ(parse_usecs("7826121"), 7826121000u);
	EXPECT_EQ(parse_usecs("0.001"), 1u);
	EXPECT_FALSE(parse_usecs("1.2345"));
	EXPECT_FALSE(parse_usecs("1."));
	EXPECT_FALSE(parse_usecs("abc"));
	EXPECT_FALSE(parse_usecs(""));
	EXPECT_FALSE(parse_usecs("99999999999999999999"));
}

TEST(TraceLine, ParseTask)
{
	EXPECT_EQ(parse_task("vhost-1-147"), (TaskRef{"vhost-1", 147}));
	EXPECT_EQ(parse_task(" <...>-12 "), (TaskRef{"<...>", 12}));
	EXPECT_FALSE(parse_task("nopid"));
	EXPECT_FALSE(parse_task("x-"));
	EXPECT_FALSE(parse_task("x-12a"));
}
