// SPDX-License-Identifier: GPL-2.0
// Analysis and report output over crafted traces whose numbers are worked
// out by hand (tests/unit/fixtures/trace/gen_crafted.py writes them):
//
//   CPU 0, qemu: vhost_poll_wakeup at 1.000000 and 1.000010 (each calling
//                vhost_work_queue), and a leaf one at 1.000200
//   CPU 1, vhost-9-99:
//     1.000050 handle_tx_kick 31 us { handle_tx 29 us { 3 x vhost_get_vq_desc
//              3 us { translate_desc 1 us }, empty vhost_get_vq_desc 1 us } }
//     1.000100 handle_tx_kick 4 us { empty vhost_get_vq_desc 1 us }
//     1.000230 handle_rx_net 20 us { handle_rx 18 us { 2 x tun_recvmsg 4 us
//              { tun_do_read 2 us } } }
//   banners: idle => vhost before each pass group, vhost => idle between.
#include "analysis.h"
#include "io.h"
#include "report.h"

#include <gtest/gtest.h>

using namespace lwvhost::trace;

namespace {

const std::string kDir = std::string(LWVHOST_FIXTURES) + "/trace/";

Analysis analyse_file(const std::string &name, const std::string &profile = "all")
{
	std::string err;
	auto text = read_trace_file(kDir + name, &err);
	EXPECT_TRUE(text) << err;
	return analyze(build_trace(text.value_or("")), *builtin_profile(profile));
}

const PassKindStats &kind(const Analysis &a, const std::string &k)
{
	for (const auto &p : a.pass_kinds)
		if (p.kind == k)
			return p;
	ADD_FAILURE() << "no pass kind " << k;
	static PassKindStats none;
	return none;
}

const FuncStats &func(const Analysis &a, const std::string &f)
{
	for (const auto &s : a.functions)
		if (s.func == f)
			return s;
	ADD_FAILURE() << "no function " << f;
	static FuncStats none;
	return none;
}

void expect_pass_stats(const Analysis &a)
{
	ASSERT_EQ(a.passes.size(), 3u);
	const PassKindStats &tx = kind(a, "tx");
	EXPECT_EQ(tx.passes, 2u);
	EXPECT_EQ(tx.complete, 2u);
	EXPECT_EQ(tx.empty, 1u);
	EXPECT_EQ(tx.packets, 3u);
	EXPECT_EQ(tx.packets_per_pass.p50, 0u);
	EXPECT_EQ(tx.packets_per_pass.max, 3u);
	EXPECT_DOUBLE_EQ(tx.packets_per_pass.mean, 1.5);
	EXPECT_EQ(tx.duration.p50, 4000u);
	EXPECT_EQ(tx.duration.p99, 31000u);
	EXPECT_EQ(tx.duration.max, 31000u);
	EXPECT_EQ(tx.by_func.at("handle_tx_kick"), 2u);
	const PassKindStats &rx = kind(a, "rx");
	EXPECT_EQ(rx.passes, 1u);
	EXPECT_EQ(rx.empty, 0u);
	EXPECT_EQ(rx.packets, 2u);
	EXPECT_EQ(rx.duration.p50, 20000u);
	EXPECT_EQ(rx.by_func.at("handle_rx_net"), 1u);

	const FuncStats &d = func(a, "vhost_get_vq_desc");
	EXPECT_EQ(d.module, "vhost");
	EXPECT_EQ(d.calls, 5u);
	EXPECT_EQ(d.total.sum, 11000u);
	EXPECT_EQ(d.self.sum, 8000u);
	EXPECT_EQ(d.self.min, 1000u);
	EXPECT_EQ(d.self.p50, 2000u);
	EXPECT_EQ(d.self.max, 2000u);
	const FuncStats &k = func(a, "handle_tx_kick");
	EXPECT_EQ(k.total.sum, 35000u);
	EXPECT_EQ(k.self.sum, 5000u);  // 31 - 29 and 4 - 1
	EXPECT_EQ(func(a, "handle_tx").self.sum, 19000u);
	// Sorted by total time.
	EXPECT_EQ(a.functions.front().func, "handle_tx_kick");

	EXPECT_EQ(a.wakeups.wakeups, 3u);  // vhost_work_queue inside is not another
	EXPECT_EQ(a.wakeups.by_func.at("vhost_poll_wakeup"), 3u);
	EXPECT_EQ(a.wakeups.by_func.count("vhost_work_queue"), 0u);

	EXPECT_EQ(a.switches.total, 3u);
	EXPECT_EQ(a.switches.per_cpu.at(1), 3u);
	EXPECT_EQ(a.switches.to_vhost, 2u);
	EXPECT_EQ(a.switches.from_vhost, 1u);
	EXPECT_EQ(a.switches.into_task.at("vhost-9-99"), 2u);
}

}  // namespace

TEST(TraceAnalysis, CraftedWithAbstimeAndProc)
{
	Analysis a = analyse_file("crafted_abstime_proc.txt");
	expect_pass_stats(a);
	EXPECT_TRUE(a.info.abstime);
	EXPECT_TRUE(a.info.proc);
	EXPECT_TRUE(a.info.tail);
	EXPECT_EQ(a.info.span_ns, 250000u);
	EXPECT_EQ(a.info.tail_mismatches, 0u);

	const WakeupStats &w = a.wakeups;
	ASSERT_TRUE(w.available);
	EXPECT_EQ(w.handler_runs, 3u);
	EXPECT_EQ(w.woken_passes, 2u);
	EXPECT_EQ(w.unwoken_passes, 1u);
	EXPECT_EQ(w.unconsumed, 0u);
	EXPECT_DOUBLE_EQ(w.wakeups_per_pass, 1.0);
	EXPECT_EQ(w.latency.n, 2u);
	EXPECT_EQ(w.latency.p50, 30000u);  // 1.000200 -> 1.000230
	EXPECT_EQ(w.latency.max, 50000u);  // 1.000000 -> 1.000050
	EXPECT_EQ(a.passes[0].wakeups, 2u);
	EXPECT_EQ(a.passes[0].wakeup_latency_ns, 50000u);
	EXPECT_EQ(a.passes[1].wakeups, 0u);
	EXPECT_FALSE(a.passes[1].wakeup_latency_ns);
	EXPECT_EQ(a.passes[2].start_ns, 1000230000u);
}

TEST(TraceAnalysis, CraftedDefaultColumnsSameCounts)
{
	Analysis a = analyse_file("crafted_default.txt");
	expect_pass_stats(a);
	EXPECT_FALSE(a.info.abstime);
	EXPECT_FALSE(a.info.proc);
	EXPECT_FALSE(a.info.tail);
	EXPECT_FALSE(a.info.span_ns);
	EXPECT_FALSE(a.wakeups.available);
	EXPECT_EQ(a.wakeups.latency.n, 0u);
}

TEST(TraceAnalysis, ProfilesChangeWhatCounts)
{
	// lwvhost's work functions have their own names: the lwvhost profile
	// finds no pass in this (stock) trace, only the shared wakeups.
	Analysis a = analyse_file("crafted_default.txt", "lwvhost");
	EXPECT_TRUE(a.passes.empty());
	EXPECT_TRUE(a.pass_kinds.empty());
	EXPECT_EQ(a.wakeups.wakeups, 3u);
	EXPECT_FALSE(builtin_profile("nonsense"));
	auto stock = builtin_profile("stock");
	ASSERT_TRUE(stock);
	EXPECT_EQ(stock->pass_funcs.at("handle_tx"), "tx");
	EXPECT_EQ(stock->pass_funcs.count("vhost_net_tx_kick"), 0u);
	EXPECT_TRUE(stock->wakeup_funcs.count("vhost_poll_wakeup"));
	EXPECT_TRUE(stock->timer_wakeup_funcs.empty());
	auto lw = builtin_profile("lwvhost");
	ASSERT_TRUE(lw);
	EXPECT_EQ(lw->pass_funcs.count("handle_tx"), 0u);
	EXPECT_EQ(lw->pass_funcs.at("vhost_net_rx_sock"), "rx");
	EXPECT_TRUE(lw->timer_wakeup_funcs.count("vhost_pace_poll_timer_fn"));
	EXPECT_TRUE(lw->other_work_funcs.count("vhost_pace_signal_work_fn"));

	// A custom profile: only handle_rx counts as a pass.
	Profile p;
	p.name = "custom";
	p.pass_funcs["handle_rx"] = "rx";
	p.packet_funcs["rx"] = {"tun_do_read"};
	std::string err;
	Trace t = build_trace(*read_trace_file(kDir + "crafted_default.txt", &err));
	Analysis c = analyze(t, p);
	ASSERT_EQ(c.passes.size(), 1u);
	EXPECT_EQ(c.passes[0].func, "handle_rx");
	EXPECT_EQ(c.passes[0].packets, 2u);
	EXPECT_EQ(c.passes[0].dur_ns, 18000u);
}

TEST(TraceAnalysis, TimerServingTwoQueuesIsTwoWakeups)
{
	// One poll-timer expiry queues its sibling's handler, then its own:
	// two handler runs, each brought by that timer.
	Trace t = build_trace(
		"    2.000000 |   0)    <idle>-0    |               |  vhost_pace_poll_timer_fn [vhost]() {\n"
		"    2.000001 |   0)    <idle>-0    |               |    vhost_poll_queue [vhost]() {\n"
		"    2.000002 |   0)    <idle>-0    |   1.000 us    |      vhost_work_queue [vhost]();\n"
		"    2.000003 |   0)    <idle>-0    |   2.000 us    |    } /* vhost_poll_queue [vhost] */\n"
		"    2.000004 |   0)    <idle>-0    |               |    vhost_poll_queue [vhost]() {\n"
		"    2.000005 |   0)    <idle>-0    |   1.000 us    |      vhost_work_queue [vhost]();\n"
		"    2.000006 |   0)    <idle>-0    |   2.000 us    |    } /* vhost_poll_queue [vhost] */\n"
		"    2.000007 |   0)    <idle>-0    |   7.000 us    |  } /* vhost_pace_poll_timer_fn [vhost] */\n"
		"    2.000020 |   1)   vhost-9-99   |               |  vhost_net_rx_kick [vhost_net]() {\n"
		"    2.000021 |   1)   vhost-9-99   |   1.000 us    |    vhost_net_handle_rx [vhost_net]();\n"
		"    2.000023 |   1)   vhost-9-99   |   3.000 us    |  } /* vhost_net_rx_kick [vhost_net] */\n"
		"    2.000030 |   1)   vhost-9-99   |               |  vhost_net_tx_kick [vhost_net]() {\n"
		"    2.000031 |   1)   vhost-9-99   |   1.000 us    |    vhost_net_handle_tx [vhost_net]();\n"
		"    2.000033 |   1)   vhost-9-99   |   3.000 us    |  } /* vhost_net_tx_kick [vhost_net] */\n");
	Analysis a = analyze(t, *builtin_profile("lwvhost"));
	const WakeupStats &w = a.wakeups;
	ASSERT_TRUE(w.available);
	EXPECT_EQ(w.wakeups, 2u);
	EXPECT_EQ(w.timer_wakeups, 1u);
	EXPECT_EQ(w.shared_wakeups, 1u);
	EXPECT_EQ(w.by_func.at("vhost_pace_poll_timer_fn"), 1u);
	EXPECT_EQ(w.by_func.count("vhost_poll_queue"), 0u);
	EXPECT_EQ(w.handler_runs, 2u);
	EXPECT_EQ(w.unconsumed, 0u);
	// A handler run takes every wakeup pending when it starts: the first
	// takes both, timed from the expiry; the second finds none left.
	ASSERT_EQ(a.passes.size(), 2u);
	EXPECT_EQ(a.passes[0].wakeups, 2u);
	EXPECT_EQ(a.passes[0].timer_wakeups, 2u);
	EXPECT_EQ(a.passes[0].wakeup_latency_ns, 20000u);  // 2.000000 -> 2.000020
	EXPECT_EQ(a.passes[1].wakeups, 0u);
	EXPECT_EQ(w.timer_only_passes, 1u);
	EXPECT_EQ(w.unwoken_passes, 1u);
}

TEST(TraceAnalysis, IncompletePassesAreNotStatistics)
{
	// A pass cut by the end of the buffer, one cut at the start.
	Trace t = build_trace(
		" 1)   5.000 us    |    tun_recvmsg [tun]();\n"
		" 1) + 30.000 us   |  } /* handle_rx [vhost_net] */\n"
		" 1)               |  handle_tx [vhost_net]() {\n"
		" 1)               |    vhost_get_vq_desc [vhost]() {\n"
		" 1)   1.000 us    |      translate_desc [vhost]();\n");
	Analysis a = analyze(t, *builtin_profile("stock"));
	ASSERT_EQ(a.passes.size(), 2u);
	EXPECT_FALSE(a.passes[0].complete);
	EXPECT_EQ(a.passes[0].packets, 1u);
	EXPECT_FALSE(a.passes[1].complete);
	EXPECT_EQ(a.passes[1].packets, 1u);
	EXPECT_EQ(kind(a, "rx").complete, 0u);
	EXPECT_EQ(kind(a, "rx").duration.n, 0u);
	EXPECT_EQ(kind(a, "tx").packets, 1u);
	EXPECT_EQ(a.info.truncated_frames, 1u);
	EXPECT_EQ(a.info.open_frames, 2u);
	// Time of incomplete calls is not in the function statistics.
	EXPECT_EQ(func(a, "handle_rx").incomplete, 1u);
	EXPECT_EQ(func(a, "handle_rx").total.n, 0u);
}

TEST(TraceAnalysis, MakeDistNearestRank)
{
	Dist d = make_dist({5, 1, 4, 2, 3, 100, 7, 8, 9, 6});
	EXPECT_EQ(d.n, 10u);
	EXPECT_EQ(d.sum, 145u);
	EXPECT_EQ(d.min, 1u);
	EXPECT_EQ(d.p50, 5u);
	EXPECT_EQ(d.p99, 100u);
	EXPECT_EQ(d.max, 100u);
	EXPECT_DOUBLE_EQ(d.mean, 14.5);
	std::vector<uint64_t> many;
	for (uint64_t i = 1; i <= 200; i++)
		many.push_back(i);
	d = make_dist(many);
	EXPECT_EQ(d.p50, 100u);
	EXPECT_EQ(d.p99, 198u);
	EXPECT_EQ(make_dist({}).n, 0u);
}

TEST(TraceReport, FoldedStacks)
{
	Analysis a = analyse_file("crafted_default.txt");
	EXPECT_EQ(a.folded.at("handle_tx_kick"), 5000u);
	EXPECT_EQ(a.folded.at("handle_tx_kick;handle_tx"), 19000u);
	EXPECT_EQ(a.folded.at("handle_tx_kick;handle_tx;vhost_get_vq_desc"), 7000u);
	EXPECT_EQ(a.folded.at("handle_tx_kick;handle_tx;vhost_get_vq_desc;translate_desc"),
		  3000u);
	EXPECT_EQ(a.folded.at("handle_tx_kick;vhost_get_vq_desc"), 1000u);
	EXPECT_EQ(a.folded.at("vhost_poll_wakeup"), 5000u);
	std::string out = render_folded(a);
	EXPECT_NE(out.find("handle_rx_net;handle_rx;tun_recvmsg;tun_do_read 4000\n"),
		  std::string::npos);
}

TEST(TraceReport, CsvAndJson)
{
	Analysis a = analyse_file("crafted_abstime_proc.txt");
	std::string csv = render_functions_csv(a);
	EXPECT_EQ(csv.substr(0, csv.find('\n')),
		  "function,module,calls,incomplete,total_ns,total_p50_ns,total_p99_ns,"
		  "total_max_ns,self_ns,self_p50_ns,self_p99_ns,self_max_ns");
	EXPECT_NE(csv.find("\nvhost_get_vq_desc,vhost,5,0,11000,3000,3000,3000,8000,"
			   "2000,2000,2000\n"), std::string::npos);
	std::string pc = render_passes_csv(a);
	EXPECT_EQ(pc.substr(0, pc.find('\n')),
		  "index,kind,function,cpu,start_ns,duration_ns,complete,packets,"
		  "wakeups,wakeup_latency_ns,timer_wakeups");
	EXPECT_NE(pc.find("\n0,tx,handle_tx_kick,1,1000050000,31000,1,3,2,50000,0\n"),
		  std::string::npos);
	EXPECT_NE(pc.find("\n1,tx,handle_tx_kick,1,1000100000,4000,1,0,0,,0\n"),
		  std::string::npos);

	nlohmann::json j = to_json(a);
	EXPECT_EQ(j["passes"]["tx"]["packets"], 3);
	EXPECT_EQ(j["passes"]["tx"]["empty"], 1);
	EXPECT_EQ(j["passes"]["rx"]["duration_ns"]["p50"], 20000);
	EXPECT_EQ(j["wakeups"]["latency_ns"]["max"], 50000);
	EXPECT_EQ(j["context_switches"]["total"], 3);
	EXPECT_EQ(j["trace"]["columns"]["abstime"], true);
	EXPECT_EQ(j["functions"][0]["function"], "handle_tx_kick");
}

TEST(TraceReport, DiffRatios)
{
	Analysis a = analyse_file("crafted_default.txt");
	Analysis b = analyse_file("crafted_abstime_proc.txt");
	nlohmann::json d = diff_json(a, "A", b, "B");
	bool seen = false;
	for (const auto &row : d["summary"]) {
		if (row["metric"] == "tx packets") {
			EXPECT_EQ(row["a"], 3.0);
			EXPECT_EQ(row["b"], 3.0);
			EXPECT_EQ(row["ratio"], 1.0);
			seen = true;
		}
	}
	EXPECT_TRUE(seen);
	std::string table = render_diff(a, "A", b, "B");
	EXPECT_NE(table.find("tx passes"), std::string::npos);
	EXPECT_NE(table.find("1.00x"), std::string::npos);
	EXPECT_EQ(fmt_us(1234567), "1234.567");
	EXPECT_EQ(fmt_us(5), "0.005");
}

TEST(TraceIo, ReadsPlainAndXz)
{
	std::string err;
	EXPECT_FALSE(read_trace_file(kDir + "does-not-exist.txt", &err));
	EXPECT_NE(err.find("No such file"), std::string::npos);
	auto plain = read_trace_file(kDir + "crafted_default.txt", &err);
	auto xz = read_trace_file(kDir + "crafted_default.txt.xz", &err);
	ASSERT_TRUE(plain);
	ASSERT_TRUE(xz) << err;
	EXPECT_EQ(*plain, *xz);
	EXPECT_FALSE(xz_decompress(std::string("\xfd" "7zXZ\0garbage", 12), &err));
}
