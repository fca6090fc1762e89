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
