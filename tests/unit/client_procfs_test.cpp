// SPDX-License-Identifier: GPL-2.0
// lwvhost_client: procfs text parsers and the procfs backend over a copy of
// a fixture tree (tests/unit/fixtures/lwvhost/proc).
#include "client/json.h"
#include "client/procfs.h"
#include "client/procfs_text.h"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace lwvhost::client;
namespace fs = std::filesystem;

namespace {

const std::string kDir = std::string(LWVHOST_FIXTURES) + "/lwvhost";

std::string slurp(const std::string &path)
{
	std::ifstream in(path);
	std::ostringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

// A private writable copy of the fixture tree, removed afterwards.
class ProcTree : public ::testing::Test {
protected:
	void SetUp() override
	{
		char tmpl[] = "/tmp/lwvhost-proc-XXXXXX";
		ASSERT_NE(mkdtemp(tmpl), nullptr);
		root_ = tmpl;
		fs::copy(kDir + "/proc", root_, fs::copy_options::recursive);
	}
	void TearDown() override { fs::remove_all(root_); }
	std::string root_;
};

}  // namespace

TEST(ParseKvLines, SkipsBlankLinesAndTrims)
{
	std::string err;
	auto kv = parse_kv_lines("a 1\n\n  b\t 2 \nc x y\n", &err);
	ASSERT_TRUE(kv) << err;
	ASSERT_EQ(kv->size(), 3u);
	EXPECT_EQ((*kv)[0], (std::pair<std::string, std::string>{"a", "1"}));
	EXPECT_EQ((*kv)[1], (std::pair<std::string, std::string>{"b", "2"}));
	EXPECT_EQ((*kv)[2], (std::pair<std::string, std::string>{"c", "x y"}));
}

TEST(ParseKvLines, LineWithoutValueNamesTheLine)
{
	std::string err;
	EXPECT_FALSE(parse_kv_lines("a 1\nb\n", &err));
	EXPECT_EQ(err, "line 2: 'b' has no value");
}

TEST(ParseInfo, FixtureDevice)
{
	Device d;
	std::string err;
	ASSERT_TRUE(parse_info(slurp(kDir + "/proc/7/info"), d, &err)) << err;
	EXPECT_EQ(d.id, 7u);
	EXPECT_EQ(d.owner_pid, 4242u);
	EXPECT_EQ(d.worker_tid, 4250u);
	EXPECT_EQ(d.features, 0x130008000ull);
	EXPECT_EQ(d.at(Dir::Rx).ifname, "tap0");
	EXPECT_EQ(d.at(Dir::Tx).ifname, "tap0");
	EXPECT_EQ(d.at(Dir::Rx).mode, Mode::Event);
	EXPECT_EQ(d.at(Dir::Tx).mode, Mode::Poll);
}

TEST(ParseInfo, DashMeansNoBackend)
{
	Device d;
	std::string err;
	ASSERT_TRUE(parse_info(slurp(kDir + "/proc/9/info"), d, &err)) << err;
	EXPECT_EQ(d.at(Dir::Rx).ifname, "");
	EXPECT_EQ(d.owner_pid, 0u);
}

TEST(ParseInfo, HexWithoutPrefixAndUnknownKeys)
{
	Device d;
	std::string err;
	ASSERT_TRUE(parse_info(slurp(kDir + "/text/info_extra_key"), d, &err)) << err;
	EXPECT_EQ(d.features, 0x130008000ull);
	EXPECT_EQ(d.at(Dir::Rx).mode, Mode::Poll);
	EXPECT_EQ(d.at(Dir::Tx).ifname, "macvtap3");
}

TEST(ParseInfo, MissingKeyIsAnErrorAndLeavesTheDeviceAlone)
{
	Device d;
	d.id = 99;
	std::string err;
	EXPECT_FALSE(parse_info(slurp(kDir + "/text/info_no_worker"), d, &err));
	EXPECT_EQ(err, "info: no 'worker_tid' line");
	EXPECT_EQ(d.id, 99u);
}

TEST(ParseInfo, BadValues)
{
	Device d;
	std::string err;
	std::string base = "id 1\nowner_pid 2\nworker_tid 3\nfeatures 0x1\n"
			   "rx_ifname a\ntx_ifname a\ntx_mode event\n";
	EXPECT_FALSE(parse_info(base + "rx_mode busy\n", d, &err));
	EXPECT_EQ(err, "info: bad rx_mode 'busy'");
	EXPECT_FALSE(parse_info("id -1\n" + base.substr(5) + "rx_mode poll\n", d, &err));
	EXPECT_EQ(err, "info: bad id '-1'");
	EXPECT_FALSE(parse_info("id 1\nowner_pid 2\nworker_tid 3\nfeatures 0xg\n", d, &err));
	EXPECT_EQ(err, "info: bad features '0xg'");
}

TEST(ParseStats, FixtureCounters)
{
	Device d;
	std::string err;
	ASSERT_TRUE(parse_stats(slurp(kDir + "/proc/7/stats"), d, &err)) << err;
	// The fixture numbers counter i (1-based, table order) as 1000*i, plus
	// 500 for tx.
	const auto &rx = d.at(Dir::Rx).stats, &tx = d.at(Dir::Tx).stats;
	EXPECT_EQ(rx.packets, 1000u);
	EXPECT_EQ(rx.bytes, 2000u);
	EXPECT_EQ(rx.signals_coalesced, 5000u);
	EXPECT_EQ(rx.errors, 11000u);
	EXPECT_EQ(tx.packets, 1500u);
	EXPECT_EQ(tx.busy_ns, 10500u);
	EXPECT_EQ(tx.mode_switches, 9500u);
	EXPECT_EQ(rx.iotlb_misses, 12000u);
	EXPECT_EQ(tx.iotlb_invalidations, 14500u);
	EXPECT_EQ(tx.shared_polls, 15500u);
}

TEST(ParseStats, MissingCounterAndBadValue)
{
	Device d;
	std::string err;
	EXPECT_FALSE(parse_stats(slurp(kDir + "/text/stats_missing_counter"), d, &err));
	EXPECT_EQ(err, "stats: no 'rx_errors' line");
	EXPECT_FALSE(parse_stats(slurp(kDir + "/text/stats_bad_value"), d, &err));
	EXPECT_EQ(err, "stats: bad tx_busy_ns '12x'");
}

TEST(ParseStats, FullU64Range)
{
	std::string text;
	for (const char *dir : {"rx", "tx"})
		for (const auto &s : stat_fields())
			text += std::string(dir) + "_" + s.name + " 18446744073709551615\n";
	Device d;
	std::string err;
	ASSERT_TRUE(parse_stats(text, d, &err)) << err;
	EXPECT_EQ(d.at(Dir::Tx).stats.errors, UINT64_MAX);
	text += "rx_packets 18446744073709551616\n";  // duplicate: first wins
	ASSERT_TRUE(parse_stats(text, d, &err)) << err;
	std::string over = "rx_packets 18446744073709551616\n" + text;
	EXPECT_FALSE(parse_stats(over, d, &err));
}

TEST(ParseValueFile, OneDecimalValue)
{
	EXPECT_EQ(parse_value_file("50\n"), 50u);
	EXPECT_EQ(parse_value_file("0"), 0u);
	EXPECT_EQ(parse_value_file("4294967295\n"), 4294967295u);
	EXPECT_FALSE(parse_value_file("4294967296\n"));
	EXPECT_FALSE(parse_value_file(""));
	EXPECT_FALSE(parse_value_file("\n"));
	EXPECT_FALSE(parse_value_file("-1\n"));
	EXPECT_FALSE(parse_value_file("+1\n"));
	EXPECT_FALSE(parse_value_file(" 5\n"));
	EXPECT_FALSE(parse_value_file("5\n\n"));
	EXPECT_FALSE(parse_value_file("0x10\n"));
}

TEST_F(ProcTree, ListReadsEveryDeviceSortedById)
{
	ProcfsBackend b(root_);
	EXPECT_TRUE(b.available());
	Error err;
	auto devs = b.list(&err);
	ASSERT_TRUE(devs) << err.message;
	ASSERT_EQ(devs->size(), 2u);
	EXPECT_EQ((*devs)[0].id, 7u);
	EXPECT_EQ((*devs)[1].id, 9u);
	const Device &d = (*devs)[0];
	EXPECT_EQ(d.at(Dir::Tx).params,
		  (Params{.poll_interval_us = 50, .idle_polls = 16,
			  .coalesce_usecs = 0, .coalesce_frames = 0,
			  .latency_budget_us = 0}));
	EXPECT_EQ(d.at(Dir::Rx).params,
		  (Params{.poll_interval_us = 0, .idle_polls = 8,
			  .coalesce_usecs = 20, .coalesce_frames = 32,
			  .latency_budget_us = 500}));
	EXPECT_EQ(d.at(Dir::Rx).stats.kicks, 3000u);
	EXPECT_EQ((*devs)[1].at(Dir::Rx).params, Params{});
}

TEST_F(ProcTree, ListSkipsNonNumericEntries)
{
	fs::create_directory(root_ + "/self");
	std::ofstream(root_ + "/README") << "x\n";
	ProcfsBackend b(root_);
	Error err;
	auto devs = b.list(&err);
	ASSERT_TRUE(devs) << err.message;
	EXPECT_EQ(devs->size(), 2u);
}

TEST_F(ProcTree, GetMissingDeviceIsEnoent)
{
	ProcfsBackend b(root_);
	Error err;
	EXPECT_FALSE(b.get(8, &err));
	EXPECT_EQ(err.code, ENOENT);
	EXPECT_EQ(err.message, "no device 8");
	ParamUpdate u;
	u.set(Dir::Tx, Knob::PollIntervalUs, 10);
	EXPECT_FALSE(b.set(8, u, &err));
	EXPECT_EQ(err.code, ENOENT);
}

TEST_F(ProcTree, GetReportsAMalformedFile)
{
	std::ofstream(root_ + "/9/tx_coalesce_frames") << "lots\n";
	ProcfsBackend b(root_);
	Error err;
	EXPECT_FALSE(b.get(9, &err));
	EXPECT_EQ(err.code, EPROTO);
	EXPECT_NE(err.message.find("9/tx_coalesce_frames: not a decimal value: 'lots'"),
		  std::string::npos)
		<< err.message;
	// A broken device makes the whole list fail rather than vanish.
	EXPECT_FALSE(b.list(&err));
}

TEST_F(ProcTree, SetWritesOneFilePerKnob)
{
	ProcfsBackend b(root_);
	ParamUpdate u;
	u.set(Dir::Tx, Knob::PollIntervalUs, 100);
	u.set(Dir::Rx, Knob::CoalesceFrames, 64);
	u.set(Dir::Rx, Knob::IdlePolls, 3);
	u.set(Dir::Tx, Knob::LatencyBudgetUs, 10000);
	u.set(Dir::Rx, Knob::LatencyBudgetUs, 250);
	Error err;
	ASSERT_TRUE(b.set(7, u, &err)) << err.message;
	EXPECT_EQ(slurp(root_ + "/7/tx_poll_interval_us"), "100\n");
	EXPECT_EQ(slurp(root_ + "/7/rx_coalesce_frames"), "64\n");
	EXPECT_EQ(slurp(root_ + "/7/rx_idle_polls"), "3\n");
	EXPECT_EQ(slurp(root_ + "/7/tx_idle_polls"), "16\n");
	EXPECT_EQ(slurp(root_ + "/7/tx_latency_budget_us"), "10000\n");
	EXPECT_EQ(slurp(root_ + "/7/rx_latency_budget_us"), "250\n");
	auto d = b.get(7, &err);
	ASSERT_TRUE(d);
	Params want = Params{0, 8, 20, 32, 500};
	u.apply(Dir::Rx, want);
	EXPECT_EQ(d->at(Dir::Rx).params, want);
	EXPECT_EQ(d->at(Dir::Tx).params.latency_budget_us, 10000u);
}

TEST_F(ProcTree, SetIsNotAtomicAndSaysWhatWasWritten)
{
	// Stand-in for a refused write: a knob file that cannot be opened.
	fs::remove(root_ + "/9/tx_coalesce_usecs");
	ProcfsBackend b(root_);
	ParamUpdate u;
	u.set(Dir::Rx, Knob::PollIntervalUs, 25);
	u.set(Dir::Tx, Knob::CoalesceUsecs, 30);
	u.set(Dir::Tx, Knob::CoalesceFrames, 8);
	Error err;
	EXPECT_FALSE(b.set(9, u, &err));
	EXPECT_EQ(err.code, ENOENT);
	EXPECT_NE(err.message.find("9/tx_coalesce_usecs: No such file or directory "
				   "(already written: rx_poll_interval_us=25)"),
		  std::string::npos)
		<< err.message;
	EXPECT_EQ(slurp(root_ + "/9/rx_poll_interval_us"), "25\n");
	EXPECT_EQ(slurp(root_ + "/9/tx_coalesce_frames"), "0\n");
	EXPECT_FALSE(b.atomic_set());
}

TEST_F(ProcTree, ValueFiles)
{
	Error err;
	EXPECT_EQ(read_value_file(root_ + "/7/tx_idle_polls", &err), 16u);
	EXPECT_TRUE(write_value_file(root_ + "/7/tx_idle_polls", 4096, &err));
	EXPECT_EQ(read_value_file(root_ + "/7/tx_idle_polls", &err), 4096u);
	EXPECT_FALSE(read_value_file(root_ + "/7/nope", &err));
	EXPECT_EQ(err.code, ENOENT);
	EXPECT_FALSE(write_value_file(root_ + "/nodir/x", 1, &err));
	EXPECT_EQ(err.code, ENOENT);
}

TEST(ProcfsBackend, MissingRootIsUnavailable)
{
	ProcfsBackend b("/nonexistent/lwvhost");
	EXPECT_FALSE(b.available());
	Error err;
	EXPECT_FALSE(b.list(&err));
	EXPECT_EQ(err.code, ENOENT);
}

TEST(OpenBackend, ForcedProcfsUsesTheRootWithoutNotice)
{
	std::string notice;
	Error err;
	auto b = open_backend(Prefer::Procfs, &notice, &err, kDir + "/proc");
	ASSERT_TRUE(b) << err.message;
	EXPECT_STREQ(b->name(), "procfs");
	EXPECT_EQ(notice, "");
	EXPECT_FALSE(open_backend(Prefer::Procfs, &notice, &err, "/nonexistent"));
	EXPECT_EQ(err.code, ENOENT);
}

TEST(Json, DeviceShape)
{
	Device d;
	std::string err;
	ASSERT_TRUE(parse_info(slurp(kDir + "/proc/7/info"), d, &err));
	ASSERT_TRUE(parse_stats(slurp(kDir + "/proc/7/stats"), d, &err));
	d.at(Dir::Tx).params.poll_interval_us = 50;
	d.at(Dir::Rx).params.latency_budget_us = 300;
	auto j = to_json(d);
	EXPECT_EQ(j["id"], 7);
	EXPECT_EQ(j["features"], "0x130008000");
	EXPECT_EQ(j["tx"]["mode"], "poll");
	EXPECT_EQ(j["tx"]["ifname"], "tap0");
	EXPECT_EQ(j["tx"]["params"]["poll_interval_us"], 50);
	EXPECT_EQ(j["rx"]["params"]["idle_polls"], LWVHOST_IDLE_POLLS_DEFAULT);
	EXPECT_EQ(j["rx"]["params"]["latency_budget_us"], 300);
	EXPECT_EQ(j["tx"]["params"]["latency_budget_us"], 0);
	EXPECT_EQ(j["rx"]["stats"]["signals_coalesced"], 5000);
	EXPECT_EQ(j["rx"]["stats"].size(), stat_fields().size());
	EXPECT_EQ(j["rx"]["params"].size(), knobs().size());
}
