// SPDX-License-Identifier: GPL-2.0
// lwvhostctl: setting names, NAME VALUE parsing, device references.
#include "args.h"

#include <gtest/gtest.h>

using namespace lwvhost::ctl;
using lwvhost::client::Device;

namespace {

std::optional<ParamUpdate> parse(std::vector<std::string> w, std::string *err)
{
	return parse_settings(w, err);
}

}  // namespace

TEST(ParseSettings, EveryNameHitsItsKnobAndDirections)
{
	for (const auto &s : setting_names()) {
		std::string err;
		auto u = parse({s.name, "7"}, &err);
		ASSERT_TRUE(u) << s.name << ": " << err;
		EXPECT_EQ(u->get(Dir::Rx, s.knob), s.rx ? std::optional<uint32_t>(7) : std::nullopt)
			<< s.name;
		EXPECT_EQ(u->get(Dir::Tx, s.knob), s.tx ? std::optional<uint32_t>(7) : std::nullopt)
			<< s.name;
		// Nothing else is touched.
		for (const auto &k : lwvhost::client::knobs())
			if (k.knob != s.knob) {
				EXPECT_FALSE(u->get(Dir::Rx, k.knob));
				EXPECT_FALSE(u->get(Dir::Tx, k.knob));
			}
	}
}

TEST(ParseSettings, CanonicalNamesAreTheKnobNames)
{
	// Per knob: the name (both directions), rx_<name>, tx_<name>; nothing
	// else but aliases.
	std::vector<std::string> want;
	for (const auto &k : lwvhost::client::knobs())
		for (const char *prefix : {"", "rx_", "tx_"})
			want.push_back(prefix + std::string(k.name));
	std::vector<std::string> got;
	for (const auto &s : setting_names())
		if (!s.alias)
			got.push_back(s.name);
	EXPECT_EQ(got, want);
}

TEST(ParseSettings, OldSpellingsAreAliasesOfTheSameSetting)
{
	std::string err;
	auto old = parse({"tx-poll-us", "50", "rx-usecs", "20", "idle-polls", "4"}, &err);
	auto now = parse({"tx_poll_interval_us", "50", "rx_coalesce_usecs", "20", "idle_polls",
			  "4"},
			 &err);
	ASSERT_TRUE(old && now) << err;
	EXPECT_EQ(*old, *now);
	// An alias and its canonical name are the same setting.
	EXPECT_FALSE(parse({"tx-poll-us", "5", "tx_poll_interval_us", "6"}, &err));
	EXPECT_EQ(err, "tx-poll-us and tx_poll_interval_us both set tx poll_interval_us");
}

TEST(ParseSettings, LatencyBudgetNamesAndAliases)
{
	std::string err;
	auto both = parse({"latency_budget_us", "500"}, &err);
	ASSERT_TRUE(both) << err;
	EXPECT_EQ(both->get(Dir::Rx, Knob::LatencyBudgetUs), 500u);
	EXPECT_EQ(both->get(Dir::Tx, Knob::LatencyBudgetUs), 500u);
	auto alias = parse({"budget-us", "500"}, &err);
	ASSERT_TRUE(alias) << err;
	EXPECT_EQ(*alias, *both);

	auto per_dir = parse({"rx-budget-us", "200", "tx-budget-us", "0"}, &err);
	ASSERT_TRUE(per_dir) << err;
	ParamUpdate want;
	want.set(Dir::Rx, Knob::LatencyBudgetUs, 200);
	want.set(Dir::Tx, Knob::LatencyBudgetUs, 0);
	EXPECT_EQ(*per_dir, want);
	EXPECT_EQ(*parse({"rx_latency_budget_us", "200", "tx_latency_budget_us", "0"}, &err),
		  want);

	// The budget is a knob of its own, beside the interval it overrides.
	auto mixed = parse({"tx-budget-us", "300", "tx-poll-us", "50"}, &err);
	ASSERT_TRUE(mixed) << err;
	EXPECT_EQ(mixed->get(Dir::Tx, Knob::LatencyBudgetUs), 300u);
	EXPECT_EQ(mixed->get(Dir::Tx, Knob::PollIntervalUs), 50u);
	EXPECT_FALSE(mixed->get(Dir::Rx, Knob::LatencyBudgetUs));

	EXPECT_FALSE(parse({"budget-us", "5", "tx_latency_budget_us", "6"}, &err));
	EXPECT_EQ(err, "budget-us and tx_latency_budget_us both set tx latency_budget_us");
	EXPECT_FALSE(parse({"rx-budget-us", "5", "latency_budget_us", "6"}, &err));
	EXPECT_EQ(err, "rx-budget-us and latency_budget_us both set rx latency_budget_us");
	EXPECT_FALSE(parse({"tx-budget-us", "-1"}, &err));
	EXPECT_EQ(err, "tx-budget-us wants an unsigned integer, got '-1'");
}

TEST(ParseSettings, IssueExampleAllAtOnce)
{
	std::string err;
	auto u = parse({"tx-poll-us", "50", "rx-poll-us", "25", "tx-usecs", "10", "tx-frames",
			"32", "rx-usecs", "20", "rx-frames", "64", "idle-polls", "4"},
		       &err);
	ASSERT_TRUE(u) << err;
	ParamUpdate want;
	want.set(Dir::Tx, Knob::PollIntervalUs, 50);
	want.set(Dir::Rx, Knob::PollIntervalUs, 25);
	want.set(Dir::Tx, Knob::CoalesceUsecs, 10);
	want.set(Dir::Tx, Knob::CoalesceFrames, 32);
	want.set(Dir::Rx, Knob::CoalesceUsecs, 20);
	want.set(Dir::Rx, Knob::CoalesceFrames, 64);
	want.set(Dir::Rx, Knob::IdlePolls, 4);
	want.set(Dir::Tx, Knob::IdlePolls, 4);
	EXPECT_EQ(*u, want);
}

TEST(ParseSettings, ValuesAreUnsigned32BitDecimals)
{
	std::string err;
	EXPECT_EQ(parse({"tx-usecs", "0"}, &err)->get(Dir::Tx, Knob::CoalesceUsecs), 0u);
	// Out of the knob's range but a valid number: the kernel decides.
	EXPECT_EQ(parse({"tx-poll-us", "4294967295"}, &err)->get(Dir::Tx, Knob::PollIntervalUs),
		  4294967295u);
	for (const char *bad : {"4294967296", "-1", "+1", "1.5", "0x10", "", " 1", "1 ", "ten"}) {
		EXPECT_FALSE(parse({"tx-usecs", bad}, &err)) << bad;
		EXPECT_EQ(err, std::string("tx-usecs wants an unsigned integer, got '") + bad + "'");
	}
}

TEST(ParseSettings, UsageErrors)
{
	std::string err;
	EXPECT_FALSE(parse({}, &err));
	EXPECT_EQ(err, "nothing to set (give NAME VALUE pairs, e.g. tx_poll_interval_us 50)");
	EXPECT_FALSE(parse({"tx-poll-us"}, &err));
	EXPECT_EQ(err, "'tx-poll-us' needs a value");
	EXPECT_FALSE(parse({"tx-poll-us", "5", "rx-usecs"}, &err));
	EXPECT_EQ(err, "'rx-usecs' needs a value");
	EXPECT_FALSE(parse({"tx_poll_us", "5"}, &err));
	EXPECT_EQ(err.rfind("unknown setting 'tx_poll_us' (one of: poll_interval_us, "
			    "rx_poll_interval_us, ",
			    0),
		  0u)
		<< err;
	// Aliases work but are not offered.
	EXPECT_EQ(err.find("tx-poll-us"), std::string::npos) << err;
	EXPECT_FALSE(parse({"tx-usecs", "5", "tx-usecs", "6"}, &err));
	EXPECT_EQ(err, "tx-usecs given twice");
	EXPECT_FALSE(parse({"idle-polls", "5", "tx-idle-polls", "6"}, &err));
	EXPECT_EQ(err, "idle-polls and tx-idle-polls both set tx idle_polls");
	EXPECT_FALSE(parse({"rx-idle-polls", "5", "idle-polls", "6"}, &err));
	EXPECT_EQ(err, "rx-idle-polls and idle-polls both set rx idle_polls");
	// Per-direction idle polls are independent of each other.
	EXPECT_TRUE(parse({"rx-idle-polls", "5", "tx-idle-polls", "6"}, &err));
}

TEST(SettingsHelp, OneLinePerNameWithTheRange)
{
	std::string h = settings_help();
	EXPECT_NE(h.find("  tx_poll_interval_us N   tx (0..10000)\n"), std::string::npos) << h;
	EXPECT_NE(h.find("  idle_polls N            rx and tx (1..100000)\n"), std::string::npos)
		<< h;
	EXPECT_NE(h.find("  latency_budget_us N     rx and tx (0..10000)\n"), std::string::npos)
		<< h;
	EXPECT_NE(h.find("  rx_latency_budget_us N  rx (0..10000)\n"), std::string::npos) << h;
	EXPECT_NE(h.find("  also accepted: rx-poll-us, tx-poll-us, "), std::string::npos) << h;
	EXPECT_NE(h.find(", budget-us, rx-budget-us, tx-budget-us\n"), std::string::npos) << h;
	size_t canonical = 0;
	for (const auto &s : setting_names())
		canonical += !s.alias;
	EXPECT_EQ(std::count(h.begin(), h.end(), '\n'), long(canonical + 1));
}

TEST(DeviceRef, IdsAndInterfaceNames)
{
	std::string err;
	auto r = parse_device_ref("12", &err);
	ASSERT_TRUE(r);
	EXPECT_EQ(r->id, 12u);
	r = parse_device_ref("tap0", &err);
	ASSERT_TRUE(r);
	EXPECT_FALSE(r->id);
	EXPECT_EQ(r->ifname, "tap0");
	EXPECT_FALSE(parse_device_ref("99999999999", &err));
	EXPECT_EQ(err, "device id '99999999999' is out of range");
	EXPECT_FALSE(parse_device_ref("", &err));
	EXPECT_FALSE(parse_device_ref("a/b", &err));
	EXPECT_FALSE(parse_device_ref("averyveryverylongname", &err));
	EXPECT_EQ(err, "'averyveryverylongname' is neither a device id nor an interface name");
}

TEST(DeviceRef, Resolve)
{
	std::vector<Device> devs(3);
	devs[0].id = 3;
	devs[0].at(Dir::Rx).ifname = devs[0].at(Dir::Tx).ifname = "tap0";
	devs[1].id = 4;
	devs[1].at(Dir::Tx).ifname = "tap1";
	devs[2].id = 8;
	devs[2].at(Dir::Rx).ifname = "tap1";
	std::string err;
	EXPECT_EQ(resolve_device({4, ""}, devs, &err), 4u);
	EXPECT_FALSE(resolve_device({5, ""}, devs, &err));
	EXPECT_EQ(err, "no device 5");
	EXPECT_EQ(resolve_device({std::nullopt, "tap0"}, devs, &err), 3u);
	EXPECT_FALSE(resolve_device({std::nullopt, "tap9"}, devs, &err));
	EXPECT_EQ(err, "no device attached to tap9");
	EXPECT_FALSE(resolve_device({std::nullopt, "tap1"}, devs, &err));
	EXPECT_EQ(err, "tap1 is attached to several devices (4, 8); give the id");
}

TEST(ParseSeconds, PositiveFiniteUpToADay)
{
	std::string err;
	EXPECT_EQ(parse_seconds("1", &err), 1.0);
	EXPECT_EQ(parse_seconds("0.25", &err), 0.25);
	for (const char *bad : {"0", "-1", "nan", "inf", "1e9", "", "1s", " 1"}) {
		EXPECT_FALSE(parse_seconds(bad, &err)) << bad;
		EXPECT_EQ(err, std::string("seconds must be a number in (0, 86400], got '") + bad + "'");
	}
}
