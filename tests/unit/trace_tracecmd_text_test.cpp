// SPDX-License-Identifier: GPL-2.0
// `trace-cmd report` text: its lines, telling it from tracefs's text, the
// context switches derived from its tasks, and the crafted fixture printed
// both ways giving the same analysis.
#include "analysis.h"
#include "io.h"
#include "model.h"
#include "report.h"
#include "tracecmd_text.h"

#include <gtest/gtest.h>

using namespace lwvhost::trace;

namespace {

const std::string kDir = std::string(LWVHOST_FIXTURES) + "/trace/";

std::string fixture(const std::string &name)
{
	std::string err;
	auto text = read_trace_file(kDir + name, &err);
	EXPECT_TRUE(text) << err;
	return text.value_or("");
}

}  // namespace

TEST(TraceCmdText, NestedEntry)
{
	Line l = parse_report_line("    lwvhost-vnet-197   [001]     7.920828923: "
				   "funcgraph_entry:                   |  vhost_net_open() {");
	EXPECT_EQ(l.kind, LineKind::Entry);
	EXPECT_EQ(l.cpu, 1);
	ASSERT_TRUE(l.task);
	EXPECT_EQ(l.task->comm, "lwvhost-vnet");
	EXPECT_EQ(l.task->pid, 197);
	EXPECT_EQ(l.abstime_ns, 7920828923u);
	EXPECT_EQ(l.depth, 0);
	EXPECT_EQ(l.func, "vhost_net_open");
	EXPECT_EQ(l.module, "");
	EXPECT_FALSE(l.duration_ns);
	EXPECT_TRUE(l.has_duration_column);
}

TEST(TraceCmdText, LeafAndExitWithDurations)
{
	Line leaf = parse_report_line("    lwvhost-vnet-197   [001]     7.921030906: "
				      "funcgraph_entry:      + 11.652 us  |        vhost_work_init();");
	EXPECT_EQ(leaf.kind, LineKind::Leaf);
	EXPECT_EQ(leaf.depth, 3);
	EXPECT_EQ(leaf.func, "vhost_work_init");
	EXPECT_EQ(leaf.duration_ns, 11652u);
	EXPECT_EQ(leaf.mark, '+');

	Line exit = parse_report_line("    lwvhost-vnet-197   [001]     7.921054110: "
				      "funcgraph_exit:       ! 170.573 us |      }");
	EXPECT_EQ(exit.kind, LineKind::Exit);
	EXPECT_EQ(exit.depth, 2);
	EXPECT_EQ(exit.func, "");
	EXPECT_EQ(exit.duration_ns, 170573u);
	EXPECT_EQ(exit.mark, '!');
	EXPECT_EQ(exit.abstime_ns, 7921054110u);

	// Seven digits of microseconds leave no room for the decimals.
	Line slow = parse_report_line("  vhost-1-2  [000]  5.000000: funcgraph_exit:   "
				      "$ 1234567 us |  } /* handle_tx */");
	EXPECT_EQ(slow.kind, LineKind::Exit);
	EXPECT_EQ(slow.duration_ns, 1234567000u);
	EXPECT_EQ(slow.func, "handle_tx");  // -O fgraph:tailprint
}

TEST(TraceCmdText, MicrosecondAndLatencyColumns)
{
	// Plain `trace-cmd report` prints microseconds; -l adds the flags.
	Line us = parse_report_line("  vhost-1-2  [000]     7.684504: funcgraph_entry:   "
				    "             |  handle_rx() {");
	EXPECT_EQ(us.kind, LineKind::Entry);
	EXPECT_EQ(us.abstime_ns, 7684504000u);
	Line lat = parse_report_line("  vhost-1-2  [000] d..1.  7.684504: funcgraph_entry:"
				     "        1.000 us   |    vhost_get_vq_desc();");
	EXPECT_EQ(lat.kind, LineKind::Leaf);
	EXPECT_EQ(lat.cpu, 0);
	EXPECT_EQ(lat.abstime_ns, 7684504000u);
	EXPECT_EQ(lat.depth, 1);
}

TEST(TraceCmdText, OddCommsAndSuffixes)
{
	// A comm may hold spaces, dashes and brackets; the pid follows the last
	// dash before the CPU column.
	Line l = parse_report_line("   kworker/u4:2-[x] y-123   [001]   1.000000: funcgraph_entry:"
				   "        2.000 us   |  f(); (3) (ret=0x0)");
	EXPECT_EQ(l.kind, LineKind::Leaf);
	ASSERT_TRUE(l.task);
	EXPECT_EQ(l.task->comm, "kworker/u4:2-[x] y");
	EXPECT_EQ(l.task->pid, 123);
	EXPECT_EQ(l.func, "f");
	EXPECT_EQ(l.duration_ns, 2000u);
	Line e = parse_report_line("  <idle>-0  [001]   1.000000: funcgraph_exit:   "
				   "   2.000 us   |  } (ret=-22)");
	EXPECT_EQ(e.kind, LineKind::Exit);
	EXPECT_EQ(e.task->comm, "<idle>");
	EXPECT_EQ(e.task->pid, 0);
	// An unresolved address prints as bare hex.
	Line hex = parse_report_line("  a-1  [000]  1.000000: funcgraph_entry:      "
				     "           |  ffffffffc0a01234() {");
	EXPECT_EQ(hex.kind, LineKind::Entry);
	EXPECT_EQ(hex.func, "ffffffffc0a01234");
}

TEST(TraceCmdText, OtherEventsPreambleAndDrops)
{
	Line sw = parse_report_line("          record-171   [001]     7.683096392: sched_switch:"
				    "         record:171 [120] D ==> swapper/1:0 [120]");
	EXPECT_EQ(sw.kind, LineKind::Comment);
	EXPECT_EQ(sw.text, "sched_switch: record:171 [120] D ==> swapper/1:0 [120]");
	EXPECT_EQ(sw.task->pid, 171);
	EXPECT_EQ(sw.abstime_ns, 7683096392u);

	EXPECT_EQ(parse_report_line("version = 6").kind, LineKind::Header);
	EXPECT_EQ(parse_report_line("cpus=2").kind, LineKind::Header);
	EXPECT_EQ(parse_report_line("CPU 0 is empty").kind, LineKind::Header);
	EXPECT_EQ(parse_report_line("").kind, LineKind::Blank);

	Line lost = parse_report_line("CPU:1 [123 EVENTS DROPPED]");
	EXPECT_EQ(lost.kind, LineKind::Lost);
	EXPECT_EQ(lost.cpu, 1);
	EXPECT_EQ(lost.lost, 123u);
	Line some = parse_report_line("CPU:0 [EVENTS DROPPED]");
	EXPECT_EQ(some.kind, LineKind::Lost);
	EXPECT_EQ(some.lost, 1u);  // at least one
}

TEST(TraceCmdText, Rejects)
{
	// A funcgraph event whose columns do not fit its kind.
	EXPECT_EQ(parse_report_line("  a-1  [000]  1.000000: funcgraph_exit:   "
				    "           |  f() {").kind, LineKind::Unknown);
	EXPECT_EQ(parse_report_line("  a-1  [000]  1.000000: funcgraph_entry:   "
				    "   2.000 us   |  }").kind, LineKind::Unknown);
	EXPECT_EQ(parse_report_line("  a-1  [000]  1.000000: funcgraph_entry: !").kind,
		  LineKind::Unknown);
	// No pid, no timestamp, no event name.
	EXPECT_EQ(parse_report_line("  a  [000]  1.000000: sched_switch: x").kind,
		  LineKind::Unknown);
	EXPECT_EQ(parse_report_line("  a-1  [000]  sched_switch: x").kind, LineKind::Unknown);
	EXPECT_EQ(parse_report_line("  a-1  [000]  1.000000: no name here").kind,
		  LineKind::Unknown);
	EXPECT_EQ(parse_report_line("CPU:1 [LOST 12 EVENTS]").kind, LineKind::Unknown);
	// tracefs's own lines are not report lines.
	EXPECT_EQ(parse_report_line("    1.000050 |   1)   vhost-9-99   |               |  "
				    "handle_tx_kick [vhost_net]() {").kind, LineKind::Unknown);
	EXPECT_EQ(parse_report_line(" 1)  vhost-9-99  =>  <idle>-0").kind, LineKind::Unknown);
}

TEST(TraceCmdText, TellsReportFromTracefs)
{
	EXPECT_TRUE(looks_like_report(fixture("crafted_report.txt")));
	EXPECT_FALSE(looks_like_report(fixture("crafted_abstime_proc.txt")));
	EXPECT_FALSE(looks_like_report(fixture("crafted_default.txt")));
	EXPECT_FALSE(looks_like_report(""));
	// A tracefs text without its header, and a report without its preamble.
	std::string tracefs = fixture("crafted_default.txt");
	EXPECT_FALSE(looks_like_report(tracefs.substr(tracefs.find("\n#\n") + 3)));
	std::string report = fixture("crafted_report.txt");
	EXPECT_TRUE(looks_like_report(report.substr(report.find('\n') + 1)));
}

TEST(TraceCmdText, SwitchesDerivedFromTasks)
{
	// CPU 1 runs a, then b, then a: two switches. CPU 0's first event has
	// no predecessor there, so none; the same pid under a new comm is no
	// switch either.
	const char *text =
		"cpus=2\n"
		"  a-10  [001]  1.000000: funcgraph_entry:   1.000 us   |  f();\n"
		"  b-20  [001]  1.000010: sched_switch: b:20 [120] R ==> a:10 [120]\n"
		"  b-20  [000]  1.000015: funcgraph_entry:   1.000 us   |  f();\n"
		"  a-10  [001]  1.000020: funcgraph_entry:   1.000 us   |  f();\n"
		"  a2-10 [001]  1.000030: funcgraph_entry:   1.000 us   |  f();\n";
	Trace t = build_trace(text);
	EXPECT_EQ(t.unknown_lines(), 0u);
	EXPECT_EQ(t.events(), 4u);
	EXPECT_EQ(t.comments.size(), 1u);
	ASSERT_EQ(t.switches.size(), 2u);
	EXPECT_EQ(t.switches[0].cpu, 1);
	EXPECT_EQ(t.tasks[t.switches[0].prev].name(), "a-10");
	EXPECT_EQ(t.tasks[t.switches[0].next].name(), "b-20");
	EXPECT_EQ(t.tasks[t.switches[1].prev].name(), "b-20");
	EXPECT_EQ(t.tasks[t.switches[1].next].name(), "a-10");
	EXPECT_EQ(t.line_kinds[LineKind::Banner], 0u);  // none in the input

	// tracefs text prints its banners: none are derived there.
	Trace k = build_trace(
		" 1)   a-10    |   1.000 us    |  f();\n"
		" 1)   b-20    |   1.000 us    |  f();\n");
	EXPECT_TRUE(k.switches.empty());
}

// The crafted calls as tracefs prints them (abstime, proc, tail) and as
// trace-cmd report prints them: everything but the form of the input, the
// modules (trace-cmd prints none) and the sched_switch events (there in
// the report only) must agree.
TEST(TraceCmdText, CraftedReportMatchesTracefsText)
{
	auto profile = *builtin_profile("all");
	Trace tr = build_trace(fixture("crafted_report.txt"));
	Trace tk = build_trace(fixture("crafted_abstime_proc.txt"));
	Analysis r = analyze(tr, profile);
	Analysis k = analyze(tk, profile);
	EXPECT_EQ(r.info.unknown_lines, 0u);
	EXPECT_EQ(r.info.events, k.info.events);
	EXPECT_EQ(r.info.comments, 3u);
	EXPECT_EQ(k.info.comments, 0u);
	EXPECT_TRUE(r.info.abstime && r.info.cpu && r.info.proc && r.info.duration);
	EXPECT_FALSE(r.info.tail);
	EXPECT_EQ(r.info.span_ns, k.info.span_ns);
	EXPECT_EQ(r.info.cpus, k.info.cpus);
	EXPECT_EQ(r.info.tasks, k.info.tasks);

	nlohmann::json jr = to_json(r), jk = to_json(k);
	for (const char *key : {"passes", "wakeups", "context_switches"})
		EXPECT_EQ(jr[key], jk[key]) << key;
	ASSERT_EQ(r.functions.size(), k.functions.size());
	for (size_t i = 0; i < r.functions.size(); i++) {
		const FuncStats &a = r.functions[i], &b = k.functions[i];
		EXPECT_EQ(a.func, b.func);
		EXPECT_EQ(a.module, "");
		EXPECT_NE(b.module, "");
		EXPECT_EQ(a.calls, b.calls) << a.func;
		EXPECT_EQ(a.total.sum, b.total.sum) << a.func;
		EXPECT_EQ(a.self.sum, b.self.sum) << a.func;
	}
	EXPECT_EQ(r.folded, k.folded);
	// Not vacuous: the fixture has passes, wakeups and switches.
	EXPECT_EQ(jr["passes"]["tx"]["packets"], 3);
	EXPECT_EQ(jr["context_switches"]["total"], 3);
	EXPECT_EQ(jr["wakeups"]["latency_ns"]["p50"], 30000);
}
