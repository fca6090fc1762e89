// lwvhost-trace over the real recordings in tracefile-samples/ (every file
// its README lists). Counts are checked against plain substring counts of
// the raw text, and the files of one recording (the same events printed in
// different formats) must give the same results.
#include "analysis.h"
#include "io.h"
#include "model.h"

#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <sstream>

using namespace lwvhost::trace;

namespace {

const std::string kSamples = std::string(LWVHOST_FIXTURES) + "/../../../tracefile-samples/";

struct Sample {
	std::string file;
	std::string recording;  // file name up to the format suffix
	std::string workload;
};

// Rows "| file | kernel | module | workload | options |" of the README.
std::vector<Sample> list_samples()
{
	std::ifstream in(kSamples + "README.md");
	std::vector<Sample> out;
	std::string line;
	while (std::getline(in, line)) {
		if (line.rfind("| ", 0) != 0 || line.find(".txt") == std::string::npos)
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
		// "<backend>-<kernel>-vnet[-label]-<format>.txt[.xz]"
		size_t dash = s.file.rfind('-');
		s.recording = s.file.substr(0, dash);
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

// The numbers that must not depend on the display format.
std::string fingerprint(const Analysis &a)
{
	std::ostringstream o;
	for (const auto &k : a.pass_kinds)
		o << k.kind << " passes " << k.passes << " complete " << k.complete
		  << " empty " << k.empty << " packets " << k.packets << " dur "
		  << k.duration.sum << "\n";
	for (const auto &f : a.functions)
		o << f.func << " " << f.calls << " " << f.incomplete << " "
		  << f.total.sum << " " << f.self.sum << "\n";
	o << "wakeups " << a.wakeups.wakeups << " switches " << a.switches.total << "\n";
	return o.str();
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
		Trace t = build_trace(*text);
		Analysis a = analyze(t, profile);
		EXPECT_EQ(t.unknown_lines(), 0u);
		EXPECT_GT(t.events(), 1000u);
		EXPECT_EQ(t.tail_mismatches, 0u);
		EXPECT_EQ(a.info.lost_events, 0u);
		EXPECT_EQ(t.cpus.size(), 2u);
		// Every entry or leaf line "name [mod]()" is one call; only calls
		// whose entry precedes the buffer have none.
		for (const auto &f : a.functions) {
			uint64_t lines = count_substr(*text, " " + f.func + " [" + f.module + "]()");
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
		EXPECT_EQ(a.info.proc, s.file.find("proc") != std::string::npos);
		EXPECT_EQ(a.info.abstime, s.file.find("abstime") != std::string::npos);
	}
}

TEST(TraceSamples, FormatsOfOneRecordingAgree)
{
	auto profile = *builtin_profile("all");
	std::map<std::string, std::pair<std::string, std::string>> first;  // rec -> file, fp
	size_t compared = 0;
	for (const auto &s : list_samples()) {
		std::string err;
		auto text = read_trace_file(kSamples + s.file, &err);
		ASSERT_TRUE(text) << err;
		std::string fp = fingerprint(analyze(build_trace(*text), profile));
		auto it = first.find(s.recording);
		if (it == first.end()) {
			first[s.recording] = {s.file, fp};
			continue;
		}
		if (fp != it->second.second) {
			// Show only the first differing line.
			std::istringstream x(fp), y(it->second.second);
			std::string lx, ly;
			while (std::getline(x, lx) && std::getline(y, ly) && lx == ly)
				;
			ADD_FAILURE() << s.file << " vs " << it->second.first << ": '"
				      << lx << "' vs '" << ly << "'";
		}
		compared++;
	}
	EXPECT_GE(compared, 6u);
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
	std::map<std::string, int> seen;
	for (const auto &s : list_samples()) {
		const LwvhostExpect *e = nullptr;
		for (const auto &x : kLwvhost)
			if (s.recording == x.recording)
				e = &x;
		if (!e)
			continue;
		SCOPED_TRACE(s.file);
		seen[s.recording]++;
		std::string err;
		auto text = read_trace_file(kSamples + s.file, &err);
		ASSERT_TRUE(text) << err;
		Trace t = build_trace(*text);
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
			return count_substr(*text, " " + f + " [vhost_net]() {");
		};
		EXPECT_EQ(tx->passes, entries("vhost_net_tx_kick") + entries("vhost_net_tx_sock"));
		// (handle_* may be a leaf: no backend attached any more.)
		auto calls = [&](const std::string &f) {
			return count_substr(*text, " " + f + " [vhost_net]()");
		};
		EXPECT_EQ(tx->passes, calls("vhost_net_handle_tx"));
		EXPECT_EQ(rx->passes, entries("vhost_net_rx_kick") + entries("vhost_net_rx_sock"));
		EXPECT_EQ(rx->passes, calls("vhost_net_handle_rx"));

		const WakeupStats &w = a.wakeups;
		EXPECT_EQ(w.wakeups, e->wakeups);
		EXPECT_EQ(w.timer_wakeups, e->timer_wakeups);
		EXPECT_EQ(w.timer_wakeups,
			  count_substr(*text, " vhost_pace_poll_timer_fn [vhost]() {"));
		EXPECT_EQ(w.by_func.count("vhost_pace_signal_timer_fn"), 0u);  // no coalescing
		EXPECT_EQ(w.by_func.at("vhost_poll_wakeup"), e->poll_wakeups);
		// Not counted: the queueing under vhost_net_register at open,
		// before the device has a worker (4 calls per open).
		EXPECT_EQ(count_substr(*text, " vhost_net_register [vhost_net]() {"), 3u);
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
	}
	for (const auto &x : kLwvhost)
		EXPECT_EQ(seen[x.recording], 4) << x.recording;
}
