// SPDX-License-Identifier: GPL-2.0
// lwvhost-trace over the real recordings in tracefile-samples/ (every file
// its README lists). Counts are checked against plain substring counts of
// the raw text, and the files of one recording (the same events printed in
// different formats, or stored as a trace.dat and printed by trace-cmd)
// must give the same results.
#include "analysis.h"
#include "events.h"
#include "io.h"
#include "model.h"
#include "report.h"
#include "tracedat.h"

#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <sstream>

using namespace lwvhost::trace;

namespace {

const std::string kSamples = std::string(LWVHOST_FIXTURES) + "/../../../tracefile-samples/";

enum class Kind { Tracefs, Report, TraceDat };

struct Sample {
	std::string file;
	std::string recording;  // file name up to the format suffix
	std::string workload;
	Kind kind = Kind::Tracefs;
};

// Rows "| file | kernel | module | workload | options |" of the README.
std::vector<Sample> list_samples()
{
	std::ifstream in(kSamples + "README.md");
	std::vector<Sample> out;
	std::string line;
	while (std::getline(in, line)) {
		if (line.rfind("| ", 0) != 0 || (line.find(".txt") == std::string::npos &&
						 line.find(".dat") == std::string::npos))
			continue;
		std::vector<std::string> cells;
		std::stringstream ss(line.substr(1));
		std::string c;
		while (std::getline(ss, c, '|')) {
			size_t b = c.find_first_not_of(' '), e = c.find_last_not_of(' ');
			cells.push_back(b == std::string::npos ? "" : c.substr(b, e - b + 1));
		}
		if (cells.size() < 5)
			continue;
		Sample s;
		s.file = cells[0];
		s.workload = cells[3];
		// "<backend>-<kernel>-vnet[-label]-<format>.txt[.xz]", or for a
		// trace.dat "<recording>.dat[.xz]" and its "<recording>-report.txt".
		size_t dat = s.file.find(".dat");
		if (dat != std::string::npos) {
			s.recording = s.file.substr(0, dat);
			s.kind = Kind::TraceDat;
		} else {
			size_t dash = s.file.rfind('-');
			s.recording = s.file.substr(0, dash);
			if (s.file.substr(dash).rfind("-report.txt", 0) == 0)
				s.kind = Kind::Report;
		}
		out.push_back(s);
	}
	return out;
}

uint64_t count_substr(const std::string &text, const std::string &needle)
{
	uint64_t n = 0;
	for (size_t p = text.find(needle); p != std::string::npos;
	     p = text.find(needle, p + needle.size()))
		n++;
	return n;
}

const PassKindStats *kind(const Analysis &a, const std::string &k)
{
	for (const auto &p : a.pass_kinds)
		if (p.kind == k)
			return &p;
	return nullptr;
}

// Runs check(expected, text, trace) on every sample file of each recording
// pinned in table; each recording must come in all four formats.
template <typename Expect, size_t N, typename Check>
void for_each_pinned(const Expect (&table)[N], Check check)
{
	std::map<std::string, int> seen;
	for (const auto &s : list_samples()) {
		const Expect *e = nullptr;
		for (const auto &x : table)
			if (s.recording == x.recording)
				e = &x;
		if (!e || s.kind != Kind::Tracefs)
			continue;
		SCOPED_TRACE(s.file);
		seen[s.recording]++;
		std::string err;
		auto text = read_trace_file(kSamples + s.file, &err);
		ASSERT_TRUE(text) << err;
		check(e, *text, build_trace(*text));
	}
	for (const auto &x : table)
		EXPECT_EQ(seen[x.recording], 4) << x.recording;
}

// The numbers that must not depend on the display format.
std::string fingerprint(const Analysis &a)
{
	std::ostringstream o;
	for (const auto &k : a.pass_kinds) {
		o << k.kind << " passes " << k.passes << " complete " << k.complete
		  << " empty " << k.empty << " packets " << k.packets << " dur "
		  << k.duration.sum << " pkt/pass max " << k.packets_per_pass.max << "\n";
		for (const auto &[f, n] : k.by_func)
			o << k.kind << " by " << f << " " << n << "\n";
	}
	for (const auto &f : a.functions)
		o << f.func << " " << f.calls << " " << f.incomplete << " "
		  << f.total.sum << " " << f.self.sum << "\n";
	o << "wakeups " << a.wakeups.wakeups << " timer " << a.wakeups.timer_wakeups
	  << " switches " << a.switches.total << " to vhost " << a.switches.to_vhost
	  << " from vhost " << a.switches.from_vhost << " interrupted returns "
	  << a.info.displaced_returns << "\n";
	for (const auto &[f, n] : a.wakeups.by_func)
		o << "wakeup by " << f << " " << n << "\n";
	// Pass by pass, so two formats cannot agree on totals by accident.
	for (const auto &p : a.passes)
		o << "pass " << p.kind << " " << p.func << " cpu " << p.cpu << " packets "
		  << p.packets << " dur " << p.dur_ns.value_or(0) << "\n";
	return o.str();
}

// What only funcgraph-abstime gives: wakeup-to-handler matching.
std::string abstime_fingerprint(const Analysis &a)
{
	const WakeupStats &w = a.wakeups;
	std::ostringstream o;
	o << "runs " << w.handler_runs << " woken " << w.woken_passes << " unwoken "
	  << w.unwoken_passes << " timer only " << w.timer_only_passes
	  << " unconsumed " << w.unconsumed << " latency n " << w.latency.n << " sum "
	  << w.latency.sum << " max " << w.latency.max << "\n";
	for (const auto &p : a.passes)
		o << "pass start " << p.start_ns.value_or(0) << " wakeups " << p.wakeups
		  << " timer " << p.timer_wakeups << " latency "
		  << p.wakeup_latency_ns.value_or(0) << "\n";
	return o.str();
}

// The trace of a sample file, whatever its kind.
Trace load_sample(const Sample &s)
{
	std::string err;
	auto t = load_trace(kSamples + s.file, &err);
	EXPECT_TRUE(t) << err;
	EXPECT_EQ(t && t->tracedat, s.kind == Kind::TraceDat);
	return t ? std::move(t->trace) : Trace{};
}

// The first line where two fingerprints differ.
std::string first_difference(const std::string &a, const std::string &b)
{
	std::istringstream x(a), y(b);
	std::string lx, ly;
	while (std::getline(x, lx) && std::getline(y, ly) && lx == ly)
		;
	return "'" + lx + "' vs '" + ly + "'";
}

}  // namespace

TEST(TraceSamples, ReadmeListsExistingFiles)
{
	auto samples = list_samples();
	ASSERT_GE(samples.size(), 8u) << "tracefile-samples/README.md lists too few samples";
	for (const auto &s : samples) {
		std::ifstream f(kSamples + s.file);
		EXPECT_TRUE(f.good()) << s.file;
	}
}

TEST(TraceSamples, EverySampleParsesAndCountsMatchTheText)
{
	auto profile = *builtin_profile("all");
	for (const auto &s : list_samples()) {
		SCOPED_TRACE(s.file);
		std::string err;
		auto text = read_trace_file(kSamples + s.file, &err);
		ASSERT_TRUE(text) << err;
		Trace t = load_sample(s);
		Analysis a = analyze(t, profile);
		EXPECT_EQ(t.unknown_lines(), 0u);
		EXPECT_GT(t.events(), 1000u);
		EXPECT_EQ(t.tail_mismatches, 0u);
		EXPECT_EQ(a.info.lost_events, 0u);
		EXPECT_EQ(t.cpus.size(), 2u);
		// Every entry or leaf line "name [mod]()" is one call; only calls
		// whose entry precedes the buffer have none. trace-cmd prints no
		// module; a trace.dat is no text to count in (its report is).
		for (const auto &f : a.functions) {
			if (s.kind == Kind::TraceDat)
				break;
			EXPECT_EQ(f.module.empty(), s.kind == Kind::Report) << f.func;
			std::string call = s.kind == Kind::Report
				? " " + f.func + "()" : " " + f.func + " [" + f.module + "]()";
			uint64_t lines = count_substr(*text, call);
			uint64_t truncated = 0;
			for (const auto &fr : t.frames)
				truncated += fr.func == f.func && fr.start_truncated;
			EXPECT_EQ(f.calls - truncated, lines) << f.func;
		}
		const PassKindStats *tx = kind(a, "tx"), *rx = kind(a, "rx");
		ASSERT_TRUE(tx && rx);
		// The workload in the README: tx 200 + rr 50 out, rx 200 + rr 50 in.
		EXPECT_EQ(tx->packets, 250u);
		EXPECT_EQ(rx->packets, 250u);
		EXPECT_EQ(a.info.open_frames, 0u);
		EXPECT_EQ(a.info.truncated_frames, 0u);
		EXPECT_GT(tx->empty, 0u);
		EXPECT_GT(tx->duration.p50, 0u);
		EXPECT_GE(a.switches.to_vhost, 1u);
		if (a.info.abstime) {
			EXPECT_TRUE(a.wakeups.available);
			EXPECT_GT(a.wakeups.latency.n, 0u);
			EXPECT_GT(a.wakeups.latency.p50, 0u);
			EXPECT_LT(a.wakeups.latency.p50, 1000000000u);
		}
		// trace-cmd always has the task and the time of every event.
		bool tc = s.kind != Kind::Tracefs;
		EXPECT_EQ(a.info.proc, tc || s.file.find("proc") != std::string::npos);
		EXPECT_EQ(a.info.abstime, tc || s.file.find("abstime") != std::string::npos);
	}
}

TEST(TraceSamples, FormatsOfOneRecordingAgree)
{
	auto profile = *builtin_profile("all");
	// recording -> file, fingerprint; the second map only for abstime files
	std::map<std::string, std::pair<std::string, std::string>> first, first_abs;
	size_t compared = 0, compared_abs = 0;
	for (const auto &s : list_samples()) {
		if (s.kind != Kind::Tracefs)
			continue;  // TraceCmdSamples: other precision, no modules
		std::string err;
		auto text = read_trace_file(kSamples + s.file, &err);
		ASSERT_TRUE(text) << err;
		Analysis a = analyze(build_trace(*text), profile);
		auto check = [&](auto &seen, const std::string &fp, size_t &n) {
			auto it = seen.find(s.recording);
			if (it == seen.end()) {
				seen[s.recording] = {s.file, fp};
				return;
			}
			if (fp != it->second.second)
				ADD_FAILURE() << s.file << " vs " << it->second.first << ": "
					      << first_difference(fp, it->second.second);
			n++;
		};
		check(first, fingerprint(a), compared);
		if (a.wakeups.available)
			check(first_abs, abstime_fingerprint(a), compared_abs);
	}
	// 7 recordings: 3 more formats each, and abstime+proc beside abstime.
	EXPECT_EQ(compared, 21u);
	EXPECT_EQ(compared_abs, 7u);
}

// The recordings kept as a trace.dat too (record --trace-cmd): the same
// buffer as the kernel's text formats beside it, and as `trace-cmd report
// -t` printed it.
namespace {

// The recording's files by kind.
struct TraceCmdSet {
	std::string dat, report;
	std::vector<Sample> tracefs;
};

std::map<std::string, TraceCmdSet> tracecmd_sets()
{
	auto samples = list_samples();
	std::map<std::string, TraceCmdSet> sets;
	for (const auto &s : samples)
		if (s.kind == Kind::TraceDat)
			sets[s.recording].dat = s.file;
	for (const auto &s : samples) {
		auto it = sets.find(s.recording);
		if (it == sets.end())
			continue;
		if (s.kind == Kind::Report)
			it->second.report = s.file;
		else if (s.kind == Kind::Tracefs)
			it->second.tracefs.push_back(s);
	}
	return sets;
}

std::vector<TraceEvent> dat_events(const std::string &file)
{
	std::string err;
	auto data = read_trace_file(kSamples + file, &err);
	EXPECT_TRUE(data) << err;
	auto ev = read_tracedat(data.value_or(""), &err);
	EXPECT_TRUE(ev) << err;
	return ev.value_or(std::vector<TraceEvent>{});
}

// A duration as the kernel prints it: microseconds, then as many of the
// three nanosecond digits as fit in seven digits in all.
uint64_t printed_duration(uint64_t ns)
{
	uint64_t us = ns / 1000, rem = ns % 1000;
	size_t digits = std::to_string(us).size();
	if (digits >= 7)
		return us * 1000;
	uint64_t cut = digits <= 4 ? 1 : digits == 5 ? 10 : 100;
	return us * 1000 + rem / cut * cut;
}

// The trace.dat's events as the kernel's text shows them: timestamps cut
// to microseconds (funcgraph-abstime), durations as printed.
Trace as_kernel_prints(std::vector<TraceEvent> events)
{
	TraceBuilder b(true);
	for (Line l : lines_from_events(std::move(events))) {
		if (l.abstime_ns)
			l.abstime_ns = *l.abstime_ns / 1000 * 1000;
		if (l.duration_ns)
			l.duration_ns = printed_duration(*l.duration_ns);
		b.add(l);
	}
	return b.finish();
}

}  // namespace

TEST(TraceCmdSamples, KeptWithTheirTwins)
{
	auto sets = tracecmd_sets();
	ASSERT_GE(sets.size(), 1u) << "no trace.dat in tracefile-samples/README.md";
	for (const auto &[rec, set] : sets) {
		EXPECT_FALSE(set.report.empty()) << rec;
		EXPECT_EQ(set.tracefs.size(), 4u) << rec;
	}
	EXPECT_EQ(printed_duration(4909), 4909u);
	EXPECT_EQ(printed_duration(12526895), 12526890u);
	EXPECT_EQ(printed_duration(123456789), 123456700u);
	EXPECT_EQ(printed_duration(1234567891), 1234567000u);
}

// trace.dat and its report: the same analysis, all of it, except what
// describes the input's form: its lines, its events (trace-cmd merges a
// call and its return into one line only when no other CPU's record came
// between them, the kernel whenever its own CPU's next record is the
// return) and whether returns name their function (a trace.dat's do).
TEST(TraceCmdSamples, TraceDatMatchesItsReport)
{
	auto profile = *builtin_profile("all");
	for (const auto &[rec, set] : tracecmd_sets()) {
		SCOPED_TRACE(rec);
		Trace td = load_sample(Sample{set.dat, rec, "", Kind::TraceDat});
		Trace tr = load_sample(Sample{set.report, rec, "", Kind::Report});
		EXPECT_EQ(tr.unknown_lines(), 0u);
		Analysis ad = analyze(td, profile), ar = analyze(tr, profile);
		nlohmann::json jd = to_json(ad), jr = to_json(ar);
		EXPECT_TRUE(jd["trace"]["columns"]["tail"]);
		EXPECT_FALSE(jr["trace"]["columns"]["tail"]);
		for (auto *j : {&jd, &jr}) {
			(*j)["trace"].erase("lines");
			(*j)["trace"].erase("events");
			(*j)["trace"]["columns"].erase("tail");
		}
		EXPECT_EQ(jd, jr) << nlohmann::json::diff(jd, jr).dump();
		// The events apart: each call trace-cmd left unmerged is two.
		auto leaves = [](const Trace &t) {
			uint64_t n = 0;
			for (const auto &f : t.frames)
				n += f.leaf;
			return n;
		};
		EXPECT_EQ(tr.events() - td.events(), leaves(td) - leaves(tr));
		EXPECT_EQ(jd["passes"]["tx"]["packets"], 250);  // not vacuous
	}
}

// trace.dat and the kernel's text of the same buffer: with its values cut
// to what the kernel prints, the same numbers in every format, the same
// lines for the same events, comments and switches.
TEST(TraceCmdSamples, TraceDatMatchesTheKernelText)
{
	auto profile = *builtin_profile("all");
	size_t compared = 0, compared_abs = 0;
	for (const auto &[rec, set] : tracecmd_sets()) {
		Trace td = as_kernel_prints(dat_events(set.dat));
		Analysis ad = analyze(td, profile);
		for (const auto &s : set.tracefs) {
			SCOPED_TRACE(s.file);
			Trace tk = load_sample(s);
			Analysis ak = analyze(tk, profile);
			EXPECT_EQ(td.events(), tk.events());
			EXPECT_EQ(td.comments.size(), tk.comments.size());
			EXPECT_EQ(td.switches.size(), tk.switches.size());
			EXPECT_TRUE(ad.info.span_ns);
			std::string fd = fingerprint(ad), fk = fingerprint(ak);
			EXPECT_EQ(fd, fk) << first_difference(fd, fk);
			compared++;
			if (ak.wakeups.available) {
				EXPECT_EQ(ad.info.span_ns, ak.info.span_ns);
				std::string ad_abs = abstime_fingerprint(ad);
				std::string ak_abs = abstime_fingerprint(ak);
				EXPECT_EQ(ad_abs, ak_abs) << first_difference(ad_abs, ak_abs);
				compared_abs++;
			}
		}
	}
	EXPECT_GE(compared, 4u);
	EXPECT_EQ(compared_abs * 2, compared);
}

// The lwvhost recordings, with the lwvhost profile: exact numbers per
// recording (the same in all four formats), cross-checked against the
// raw text where a plain count exists.
namespace {

struct LwvhostExpect {
	const char *recording;
	uint64_t tx_passes, tx_empty, rx_passes, rx_empty;
	uint64_t wakeups, timer_wakeups, poll_wakeups;
	uint64_t woken, timer_only, unwoken;
	uint64_t interrupted_returns;
};

const LwvhostExpect kLwvhost[] = {
	// Event mode: one wakeup per handler run, every pass woken.
	{"lwvhost-6.1-vnet-event", 54, 3, 54, 3, 123, 0, 105, 108, 0, 0, 0},
	{"lwvhost-6.12-vnet-event", 54, 3, 54, 3, 123, 0, 105, 108, 0, 0, 0},
	// Poll mode at 50 us: the poll timer replaces most kicks and socket
	// wakeups; passes that find nothing are the idle polls.
	{"lwvhost-6.1-vnet-poll50", 148, 97, 150, 98, 313, 288, 7, 198, 187, 100, 6},
	{"lwvhost-6.12-vnet-poll50", 275, 224, 323, 271, 613, 551, 44, 414, 367, 184, 0},
};

}  // namespace

TEST(TraceSamples, LwvhostRecordingsExactCounts)
{
	auto profile = *builtin_profile("lwvhost");
	for_each_pinned(kLwvhost, [&](const LwvhostExpect *e, const std::string &text, const Trace &t) {
		Analysis a = analyze(t, profile);
		const PassKindStats *tx = kind(a, "tx"), *rx = kind(a, "rx");
		ASSERT_TRUE(tx && rx);
		EXPECT_EQ(tx->passes, e->tx_passes);
		EXPECT_EQ(tx->complete, e->tx_passes);
		EXPECT_EQ(tx->empty, e->tx_empty);
		EXPECT_EQ(tx->packets, 250u);
		EXPECT_EQ(tx->packets_per_pass.max, 200u);  // the 200-frame burst
		EXPECT_EQ(rx->passes, e->rx_passes);
		EXPECT_EQ(rx->complete, e->rx_passes);
		EXPECT_EQ(rx->empty, e->rx_empty);
		EXPECT_EQ(rx->packets, 250u);
		// Every pass is one work function run: *_kick (kick or poll
		// timer) or *_sock (tap wakeup), each calling handle_*.
		auto entries = [&](const std::string &f) {
			return count_substr(text, " " + f + " [vhost_net]() {");
		};
		EXPECT_EQ(tx->passes, entries("vhost_net_tx_kick") + entries("vhost_net_tx_sock"));
		// (handle_* may be a leaf: no backend attached any more.)
		auto calls = [&](const std::string &f) {
			return count_substr(text, " " + f + " [vhost_net]()");
		};
		EXPECT_EQ(tx->passes, calls("vhost_net_handle_tx"));
		EXPECT_EQ(rx->passes, entries("vhost_net_rx_kick") + entries("vhost_net_rx_sock"));
		EXPECT_EQ(rx->passes, calls("vhost_net_handle_rx"));

		const WakeupStats &w = a.wakeups;
		EXPECT_EQ(w.wakeups, e->wakeups);
		EXPECT_EQ(w.timer_wakeups, e->timer_wakeups);
		EXPECT_EQ(w.timer_wakeups,
			  count_substr(text, " vhost_pace_poll_timer_fn [vhost]() {"));
		EXPECT_EQ(w.by_func.count("vhost_pace_signal_timer_fn"), 0u);  // no coalescing
		EXPECT_EQ(w.by_func.at("vhost_poll_wakeup"), e->poll_wakeups);
		// Not counted: the queueing under vhost_net_register at open,
		// before the device has a worker (4 calls per open).
		EXPECT_EQ(count_substr(text, " vhost_net_register [vhost_net]() {"), 3u);
		EXPECT_EQ(a.info.displaced_returns, e->interrupted_returns);
		EXPECT_EQ(a.info.open_frames, 0u);
		EXPECT_EQ(a.info.truncated_frames, 0u);
		if (a.info.abstime) {
			EXPECT_EQ(w.handler_runs, e->wakeups);  // every wakeup ran work
			EXPECT_EQ(w.unconsumed, 0u);
			EXPECT_EQ(w.woken_passes, e->woken);
			EXPECT_EQ(w.timer_only_passes, e->timer_only);
			EXPECT_EQ(w.unwoken_passes, e->unwoken);
		}
		// The "all" profile gives the same pass and wakeup numbers.
		Analysis b = analyze(t, *builtin_profile("all"));
		EXPECT_EQ(fingerprint(a), fingerprint(b));
	});
}

// The stock recordings, with the stock profile: exact numbers per
// recording, the same in all four formats (the wakeup matching only in the
// two abstime ones). Counted again from the raw text (xz -dc FILE) without
// lwvhost-trace:
// - passes per function: grep -c ' handle_tx_kick \[vhost_net\]() {' and
//   likewise handle_tx_net, handle_rx_kick, handle_rx_net (never nested in
//   one another); each runs handle_tx or handle_rx once, so
//   grep -c ' handle_tx \[vhost_net\]()' is their sum.
// - empty passes and the largest RX pass: a scan in file order (= time
//   order) that starts a pass at each of those entry lines and counts the
//   translate_desc lines of a TX pass (each vhost_get_vq_desc that found a
//   chain translates one descriptor here: 500 of each) and the tun_recvmsg
//   lines of an RX pass. Only the worker calls them, so the other CPU's
//   lines in between do not matter. Pass by pass, the same as --csv-passes.
// - wakeups: grep -c ' vhost_poll_wakeup \[vhost\]()', plus the lines of
//   the kernel's queueing call (vhost_work_queue on 6.1, vhost_worker_queue
//   on 6.12) not under an open vhost_poll_wakeup on the same CPU, open
//   calls tracked by indentation. Each vhost_poll_wakeup queues through
//   exactly one, so those are all lines minus the vhost_poll_wakeup ones.
// - handler runs, woken passes, wakeups taken by passes, latency: the
//   same scan counts the wakeups since the last handler line (a pass entry,
//   vhost_flush_work, vhost_attach_cgroups_work) and keeps the abstime of
//   the first; the analyser sorts by abstime instead of using file order.
//   Latency percentiles nearest-rank, in whole us as printed.
// - switches: grep -c '=>' (banners), and those into / out of "vhost-".
// - interrupted returns: "}" lines whose task's previous line (per CPU
//   without the proc column, forgotten at a banner) is a call or "}" at
//   the same depth. None here; the same count gives 6 for
//   lwvhost-6.1-vnet-poll50 and 0 for the other lwvhost ones, as above.
namespace {

struct StockExpect {
	const char *recording;
	const char *queue_func;  // the kernel's work-queueing call
	uint64_t tx_kick, tx_net, tx_empty;
	uint64_t rx_kick, rx_net, rx_empty, rx_max;
	uint64_t poll_wakeups, queue_wakeups;
	uint64_t switches, to_vhost, from_vhost;
	// funcgraph-abstime only
	uint64_t handler_runs, woken, pass_wakeups;
	uint64_t latency_n, latency_p50_us, latency_max_us;
};

const StockExpect kStock[] = {
	// Per device, set_owner queues the cgroup-attach work and a flush
	// before the worker first runs: the attach run takes both wakeups
	// and the flush run none, hence 3 runs without latency.
	{"stock-6.1-vnet", "vhost_work_queue", 51, 3, 3, 3, 53, 4, 128, 110, 27,
	 9, 3, 2, 134, 110, 113, 131, 37, 1332},
	// 6.12's tun wakes the socket poll for every frame it queues (250
	// vhost_poll_wakeup under tun_net_xmit, 56 on 6.1); 196 of the
	// vhost_worker_queue calls are leaves, their work already queued.
	// Calls, not queueings, are what the analyser counts: 2.77 per pass.
	{"stock-6.12-vnet", "vhost_worker_queue", 51, 3, 3, 3, 54, 4, 155, 304, 21,
	 8, 2, 2, 129, 111, 307, 129, 54, 6214},
};

}  // namespace

TEST(TraceSamples, StockRecordingsExactCounts)
{
	auto profile = *builtin_profile("stock");
	for_each_pinned(kStock, [&](const StockExpect *e, const std::string &text, const Trace &t) {
		Analysis a = analyze(t, profile);
		auto entries = [&](const std::string &f) {
			return count_substr(text, " " + f + " [vhost_net]() {");
		};
		auto calls = [&](const std::string &f, const std::string &mod) {
			return count_substr(text, " " + f + " [" + mod + "]()");
		};
		const PassKindStats *tx = kind(a, "tx"), *rx = kind(a, "rx");
		ASSERT_TRUE(tx && rx);
		const uint64_t tx_passes = e->tx_kick + e->tx_net;
		const uint64_t rx_passes = e->rx_kick + e->rx_net;
		EXPECT_EQ(tx->passes, tx_passes);
		EXPECT_EQ(tx->complete, tx_passes);
		EXPECT_EQ(tx->by_func, (std::map<std::string, uint64_t>{
			{"handle_tx_kick", e->tx_kick}, {"handle_tx_net", e->tx_net}}));
		EXPECT_EQ(tx->empty, e->tx_empty);
		EXPECT_EQ(tx->packets, 250u);
		EXPECT_EQ(tx->packets_per_pass.max, 200u);  // the 200-frame burst
		EXPECT_EQ(rx->passes, rx_passes);
		EXPECT_EQ(rx->complete, rx_passes);
		EXPECT_EQ(rx->by_func, (std::map<std::string, uint64_t>{
			{"handle_rx_kick", e->rx_kick}, {"handle_rx_net", e->rx_net}}));
		EXPECT_EQ(rx->empty, e->rx_empty);
		EXPECT_EQ(rx->packets, 250u);
		EXPECT_EQ(rx->packets_per_pass.max, e->rx_max);
		// The plain counts behind the table.
		EXPECT_EQ(e->tx_kick, entries("handle_tx_kick"));
		EXPECT_EQ(e->tx_net, entries("handle_tx_net"));
		EXPECT_EQ(tx_passes, calls("handle_tx", "vhost_net"));
		EXPECT_EQ(e->rx_kick, entries("handle_rx_kick"));
		EXPECT_EQ(e->rx_net, entries("handle_rx_net"));
		EXPECT_EQ(rx_passes, calls("handle_rx", "vhost_net"));

		const WakeupStats &w = a.wakeups;
		EXPECT_EQ(w.wakeups, e->poll_wakeups + e->queue_wakeups);
		EXPECT_EQ(w.by_func, (std::map<std::string, uint64_t>{
			{"vhost_poll_wakeup", e->poll_wakeups},
			{e->queue_func, e->queue_wakeups}}));
		EXPECT_EQ(e->poll_wakeups, calls("vhost_poll_wakeup", "vhost"));
		EXPECT_EQ(e->queue_wakeups,
			  calls(e->queue_func, "vhost") - calls("vhost_poll_wakeup", "vhost"));
		EXPECT_EQ(w.timer_wakeups, 0u);  // stock has no pacing timers
		EXPECT_EQ(a.switches.total, e->switches);
		EXPECT_EQ(a.switches.total, count_substr(text, "=>"));
		EXPECT_EQ(a.switches.to_vhost, e->to_vhost);
		EXPECT_EQ(a.switches.from_vhost, e->from_vhost);
		EXPECT_EQ(a.info.displaced_returns, 0u);
		EXPECT_EQ(a.info.open_frames, 0u);
		EXPECT_EQ(a.info.truncated_frames, 0u);
		EXPECT_EQ(w.available, a.info.abstime);
		if (a.info.abstime) {
			EXPECT_EQ(w.handler_runs, e->handler_runs);
			EXPECT_EQ(w.handler_runs, tx_passes + rx_passes +
				  calls("vhost_flush_work", "vhost") +
				  calls("vhost_attach_cgroups_work", "vhost"));
			EXPECT_EQ(w.unconsumed, 0u);
			EXPECT_EQ(w.woken_passes, e->woken);
			EXPECT_EQ(w.unwoken_passes, tx_passes + rx_passes - e->woken);
			EXPECT_EQ(w.timer_only_passes, 0u);
			uint64_t taken = 0;
			for (const auto &p : a.passes)
				taken += p.wakeups;
			EXPECT_EQ(taken, e->pass_wakeups);
			EXPECT_DOUBLE_EQ(w.wakeups_per_pass,
					 double(e->pass_wakeups) / double(tx_passes + rx_passes));
			EXPECT_EQ(w.latency.n, e->latency_n);
			EXPECT_EQ(w.latency.p50, e->latency_p50_us * 1000);
			EXPECT_EQ(w.latency.max, e->latency_max_us * 1000);
		}
		// The "all" profile gives the same pass and wakeup numbers.
		Analysis b = analyze(t, *builtin_profile("all"));
		EXPECT_EQ(fingerprint(a), fingerprint(b));
		if (a.info.abstime) {
			EXPECT_EQ(abstime_fingerprint(a), abstime_fingerprint(b));
		}
	});
}
