// SPDX-License-Identifier: GPL-2.0
// lwvhostctl: output formats (list, show, stats, dump, top, defaults) and
// the sysfs defaults reader/writer over a temporary directory.
#include "format.h"
#include "sysinfo.h"

#include "client/procfs.h"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>
#include <sstream>

using namespace lwvhost::ctl;
using lwvhost::client::Knob;
using lwvhost::client::Mode;
using lwvhost::client::ParamUpdate;

namespace {

Device sample_device()
{
	Device d;
	d.id = 7;
	d.owner_pid = 4242;
	d.worker_tid = 4250;
	d.features = 0x130008000;
	d.at(Dir::Rx).ifname = d.at(Dir::Tx).ifname = "tap0";
	d.at(Dir::Tx).mode = Mode::Poll;
	d.at(Dir::Tx).params = {50, 16, 0, 0, 0};
	d.at(Dir::Rx).params = {0, 8, 20, 32, 500};
	d.at(Dir::Rx).stats.packets = 100;
	d.at(Dir::Tx).stats.packets = 200;
	d.at(Dir::Tx).stats.busy_ns = 123456789;
	return d;
}

std::vector<std::string> split(const std::string &s, char c)
{
	std::vector<std::string> out;
	std::string cur;
	std::istringstream in(s);
	while (std::getline(in, cur, c))
		out.push_back(cur);
	return out;
}

}  // namespace

TEST(Columns, AlignedWithoutTrailingBlanks)
{
	EXPECT_EQ(render_columns({{"a", "bb", "c"}, {"ddd", "e", ""}}), "a    bb  c\nddd  e\n");
}

TEST(List, OneLinePerDeviceWithRxTxPairs)
{
	Device d2;
	d2.id = 9;
	std::string out = render_list({sample_device(), d2});
	auto lines = split(out, '\n');
	ASSERT_EQ(lines.size(), 4u) << out;
	EXPECT_EQ(lines[0], "ID  OWNER  WORKER  IFNAME  MODE         POLL_INTERVAL_US  IDLE_POLLS  "
			    "COALESCE_USECS  COALESCE_FRAMES  LATENCY_BUDGET_US");
	EXPECT_EQ(lines[1], "7   4242   4250    tap0    event/poll   0/50              8/16        "
			    "20/0            32/0             500/0");
	EXPECT_EQ(lines[2], "9   -      -       -       event/event  0/0               8/8         "
			    "0/0             0/0              0/0");
	EXPECT_EQ(lines[3], "(values rx/tx)");
}

TEST(List, Empty)
{
	EXPECT_EQ(render_list({}), "no lwvhost devices\n");
}

TEST(Show, KnobsAndCountersSideBySide)
{
	std::string out = render_show(sample_device());
	EXPECT_EQ(out.rfind("device 7\n  owner pid   4242\n  worker tid  4250\n"
			    "  features    0x130008000\n", 0), 0u) << out;
	EXPECT_NE(out.find("  poll_interval_us     0      50\n"), std::string::npos) << out;
	EXPECT_NE(out.find("  mode                 event  poll\n"), std::string::npos) << out;
	EXPECT_NE(out.find("  busy_ns              0      123456789\n"), std::string::npos) << out;
	EXPECT_NE(out.find("  coalesce_frames      32     0\n"
			   "  latency_budget_us    500    0\n"
			   "  packets              100    200\n"),
		  std::string::npos)
		<< out;
}

TEST(Dump, StableTabSeparatedColumns)
{
	// Columns are only ever appended: the first release's knobs and the
	// counters keep their places, later knobs follow.
	const auto &cols = dump_columns();
	ASSERT_EQ(cols.size(), 7u + 4 + 14 + 1 + 1);
	EXPECT_EQ(cols[0], "id");
	EXPECT_EQ(cols[7], "poll_interval_us");
	EXPECT_EQ(cols[10], "coalesce_frames");
	EXPECT_EQ(cols[11], "packets");
	EXPECT_EQ(cols[24], "iotlb_invalidations");
	EXPECT_EQ(cols[25], "latency_budget_us");
	EXPECT_EQ(cols.back(), "shared_polls");
	// Every knob and every counter once.
	for (const auto &k : lwvhost::client::knobs())
		EXPECT_EQ(std::count(cols.begin(), cols.end(), k.name), 1) << k.name;
	for (const auto &f : lwvhost::client::stat_fields())
		EXPECT_EQ(std::count(cols.begin(), cols.end(), f.name), 1) << f.name;

	std::string out = render_dump({sample_device()}, true);
	auto lines = split(out, '\n');
	ASSERT_EQ(lines.size(), 3u);
	EXPECT_EQ(lines[0].rfind("#id\towner_pid\tworker_tid\tfeatures\tdir\tifname\tmode\t", 0), 0u);
	EXPECT_EQ(lines[1], "7\t4242\t4250\t0x130008000\trx\ttap0\tevent\t0\t8\t20\t32"
			    "\t100\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t500\t0");
	EXPECT_EQ(lines[2], "7\t4242\t4250\t0x130008000\ttx\ttap0\tpoll\t50\t16\t0\t0"
			    "\t200\t0\t0\t0\t0\t0\t0\t0\t0\t123456789\t0\t0\t0\t0\t0\t0");
	for (const auto &l : lines)
		EXPECT_EQ(split(l, '\t').size(), cols.size());
	EXPECT_EQ(render_dump({}, false), "");
}

TEST(Stats, RatesColumnsOnlyWithAPreviousSample)
{
	StatsSample s{sample_device(), 10.0, {}};
	std::string first = render_stats(s);
	EXPECT_EQ(first.find("rx/s"), std::string::npos);
	EXPECT_NE(first.find("  packets              100  200\n"), std::string::npos) << first;
	CounterRates r{};
	r[0] = 1500.5;
	s.rates[1] = r;
	std::string second = render_stats(s);
	EXPECT_NE(second.find("rx/s  tx/s"), std::string::npos) << second;
	EXPECT_NE(second.find("  packets              100  200        -     1500\n"), std::string::npos)
		<< second;
	auto j = stats_json(s);
	EXPECT_EQ(j["id"], 7);
	EXPECT_EQ(j["tx"]["busy_ns"], 123456789);
	EXPECT_FALSE(j["per_second"].contains("rx"));
	EXPECT_DOUBLE_EQ(j["per_second"]["tx"]["packets"].get<double>(), 1500.5);
	EXPECT_FALSE(stats_json(StatsSample{sample_device(), 1.0, {}}).contains("per_second"));
}

TEST(Top, TableAndJson)
{
	TopEntry e{sample_device(), {}, 12.34};
	VqRates r;
	r.pps = 100000;
	r.mbit_s = 1211.2;
	r.kicks_s = 1000;
	r.signals_s = 250.4;
	r.kicks_per_pkt = 0.01;
	r.signals_per_pkt = 0.0025;
	e.rates[1] = r;
	std::string out = render_top({e}, 1.0, "genetlink");
	auto lines = split(out, '\n');
	ASSERT_EQ(lines.size(), 4u) << out;
	EXPECT_EQ(lines[0], "lwvhostctl top: 1 device(s), every 1.0 s, via genetlink");
	EXPECT_EQ(lines[1].rfind("ID  DIR  IFNAME  MODE   POLL_INTERVAL_US  PPS", 0), 0u) << out;
	EXPECT_EQ(lines[2].rfind("7   rx   tap0    event  0                 -       -        -", 0),
		  0u)
		<< lines[2];
	EXPECT_NE(lines[2].find("12.3"), std::string::npos);
	EXPECT_EQ(lines[3], "    tx   tap0    poll   50                100000  1211.20  1000     "
			    "250        0.010     0.003")
		<< out;
	auto j = top_json({e}, 5.0);
	EXPECT_EQ(j["devices"][0]["rx"]["rates"], nullptr);
	EXPECT_DOUBLE_EQ(j["devices"][0]["tx"]["rates"]["pps"].get<double>(), 100000);
	EXPECT_DOUBLE_EQ(j["devices"][0]["cpu_percent"].get<double>(), 12.34);
	EXPECT_EQ(j["devices"][0]["tx"]["params"]["poll_interval_us"], 50);
	EXPECT_EQ(j["devices"][0]["rx"]["params"]["latency_budget_us"], 500);
}

TEST(FmtRate, DecimalsBelowHundred)
{
	EXPECT_EQ(fmt_rate(0), "0.0");
	EXPECT_EQ(fmt_rate(99.94), "99.9");
	EXPECT_EQ(fmt_rate(100.4), "100");
	EXPECT_EQ(fmt_rate(123456.7), "123457");
}

TEST(DeviceErrorText, KernelRefusalNamesTheMissingCapability)
{
	using lwvhost::client::Error;
	// Genetlink DEV_GET/DEV_SET without CAP_NET_ADMIN: EPERM, no extack.
	EXPECT_EQ(device_error_text(Error{EPERM, "Operation not permitted"}),
		  "Operation not permitted (needs CAP_NET_ADMIN)");
	// procfs: EPERM at open as root without the capability, EACCES from
	// the 0500/0600/0400 modes for any other user.
	EXPECT_EQ(device_error_text(Error{EPERM, "/proc/lwvhost/3/info: Operation not permitted"}),
		  "/proc/lwvhost/3/info: Operation not permitted (needs CAP_NET_ADMIN)");
	EXPECT_EQ(device_error_text(Error{EACCES, "/proc/lwvhost: Permission denied"}),
		  "/proc/lwvhost: Permission denied (needs CAP_NET_ADMIN)");
}

TEST(DeviceErrorText, OtherFailuresAreTheMessageAlone)
{
	using lwvhost::client::Error;
	EXPECT_EQ(device_error_text(Error{EINVAL, "poll_interval_us out of range (0-10000)"}),
		  "poll_interval_us out of range (0-10000)");
	EXPECT_EQ(device_error_text(Error{ENOENT, "no device 999999"}), "no device 999999");
	EXPECT_EQ(device_error_text(Error{}), "");
}

class ParamDir : public ::testing::Test {
protected:
	void SetUp() override
	{
		char tmpl[] = "/tmp/lwvhost-params-XXXXXX";
		ASSERT_NE(mkdtemp(tmpl), nullptr);
		root_ = tmpl;
		for (const char *dir : {"rx", "tx"})
			for (const auto &k : lwvhost::client::knobs())
				std::ofstream(root_ + "/" + dir + "_" + k.name)
					<< (std::string(k.name) == "idle_polls" ? "8\n" : "0\n");
	}
	void TearDown() override { std::filesystem::remove_all(root_); }
	std::string root_;
};

TEST_F(ParamDir, ReadAndWriteDefaults)
{
	lwvhost::client::Error err;
	auto d = read_defaults(&err, root_);
	ASSERT_TRUE(d) << err.message;
	EXPECT_EQ((*d)[0], (Params{0, 8, 0, 0, 0}));
	ParamUpdate u;
	u.set(Dir::Tx, Knob::PollIntervalUs, 50);
	u.set(Dir::Rx, Knob::CoalesceFrames, 16);
	u.set(Dir::Rx, Knob::LatencyBudgetUs, 1000);
	ASSERT_TRUE(write_defaults(u, &err, root_)) << err.message;
	std::ifstream budget(root_ + "/rx_latency_budget_us");
	std::string text((std::istreambuf_iterator<char>(budget)), std::istreambuf_iterator<char>());
	EXPECT_EQ(text, "1000\n");
	d = read_defaults(&err, root_);
	ASSERT_TRUE(d);
	EXPECT_EQ((*d)[1], (Params{50, 8, 0, 0, 0}));
	EXPECT_EQ((*d)[0], (Params{0, 8, 0, 16, 1000}));
	EXPECT_EQ(render_defaults(*d), "module defaults      rx    tx\n"
				       "  poll_interval_us   0     50\n"
				       "  idle_polls         8     8\n"
				       "  coalesce_usecs     0     0\n"
				       "  coalesce_frames    16    0\n"
				       "  latency_budget_us  1000  0\n");
	EXPECT_EQ(defaults_json(*d)["tx"]["poll_interval_us"], 50);
	EXPECT_EQ(defaults_json(*d)["rx"]["latency_budget_us"], 1000);
}

TEST_F(ParamDir, WriteFailureSaysWhatWasDone)
{
	std::filesystem::remove(root_ + "/tx_coalesce_usecs");
	ParamUpdate u;
	u.set(Dir::Rx, Knob::IdlePolls, 3);
	u.set(Dir::Tx, Knob::CoalesceUsecs, 9);
	lwvhost::client::Error err;
	EXPECT_FALSE(write_defaults(u, &err, root_));
	EXPECT_EQ(err.message, root_ + "/tx_coalesce_usecs: No such file or directory "
				       "(already written: rx_idle_polls=3)");
	EXPECT_FALSE(read_defaults(&err, root_));
}
