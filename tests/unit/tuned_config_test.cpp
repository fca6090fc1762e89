// SPDX-License-Identifier: GPL-2.0
#include "cli_start.h"
#include "tuned_args.h"
#include "tuned_config.h"

#include <gtest/gtest.h>

using namespace lwvhost::tuned;

namespace {

const std::string kDir = std::string(LWVHOST_FIXTURES) + "/tuned/";
const std::string kExample = std::string(LWVHOST_FIXTURES) + "/../../../tools/tuned/tuned.conf.example";

std::string load_error(const std::string &name)
{
	std::string err;
	auto c = load_config(kDir + name, false, &err);
	EXPECT_FALSE(c) << name;
	return err;
}

ParsedArgs args(std::vector<const char *> v)
{
	v.insert(v.begin(), "lwvhost-tuned");
	return parse_args(int(v.size()), v.data());
}

}  // namespace

TEST(TunedConfig, ShippedExampleIsTheDefaults)
{
	std::string err;
	auto c = load_config(kExample, false, &err);
	ASSERT_TRUE(c) << err;
	EXPECT_EQ(c->period_ms, 200u);
	EXPECT_FALSE(c->restore_on_exit);
	EXPECT_EQ(c->defaults, Settings{});
	ASSERT_EQ(c->sections.size(), 3u);
	EXPECT_EQ(c->settings_for({"tap-db1", "tap-db1"}, "qemu").max_latency_us, 50u);
	Settings backup = c->settings_for({"tap7", "tap7"}, "qemu-backup");
	EXPECT_EQ(backup.max_latency_us, 1600u);
	EXPECT_TRUE(backup.tx);
	EXPECT_FALSE(backup.rx);
	EXPECT_FALSE(c->settings_for({"", "tap-manual"}, "x").manage);
	EXPECT_EQ(c->settings_for({"tap1", "tap1"}, "qemu"), Settings{});
}

TEST(TunedConfig, GlobalsSectionsAndOverrideOrder)
{
	std::string err;
	auto c = load_config(kDir + "overrides.conf", false, &err);
	ASSERT_TRUE(c) << err;
	EXPECT_EQ(c->period_ms, 100u);
	EXPECT_TRUE(c->restore_on_exit);
	EXPECT_EQ(c->defaults.law, "step-table");
	EXPECT_EQ(c->defaults.max_latency_us, 800u);  // inline '#' comment stripped
	EXPECT_DOUBLE_EQ(c->defaults.tolerance, 0.1); // inline ';' comment stripped

	// No match: the globals.
	Settings other = c->settings_for({"eth0", "eth0"}, "vnet");
	EXPECT_EQ(other.max_latency_us, 800u);
	EXPECT_TRUE(other.manage);

	// [ifname tap*] then [comm qemu-web]: the later section wins on
	// max-latency-us, the earlier one's idle-pps stays.
	Settings web = c->settings_for({"tap3", "tap3"}, "qemu-web");
	EXPECT_EQ(web.max_latency_us, 200u);
	EXPECT_DOUBLE_EQ(web.idle_pps, 500);
	EXPECT_TRUE(web.tx);
	EXPECT_FALSE(web.rx);
	EXPECT_EQ(web.law, "step-table");

	// Either direction's backend name may match.
	EXPECT_EQ(c->settings_for({"", "tap3"}, "").max_latency_us, 100u);
	EXPECT_FALSE(c->settings_for({"tap9", "tap9"}, "").manage);
	EXPECT_TRUE(c->settings_for({"tap90", "tap90"}, "").manage);
}

TEST(TunedConfig, ErrorsNameFileLineAndProblem)
{
	EXPECT_EQ(load_error("bad_range.conf"),
		  kDir + "bad_range.conf:3: max-latency-us: 20000 is out of range 0..10000");
	EXPECT_EQ(load_error("bad_global_in_device.conf"),
		  kDir + "bad_global_in_device.conf:5: restore-on-exit is a [global] setting");
	EXPECT_EQ(load_error("bad_law.conf"),
		  kDir + "bad_law.conf:2: law: unknown law 'golden' (known: ladder, step-table)");
	// The first error wins, even when a later line has another.
	EXPECT_EQ(load_error("bad_syntax.conf"),
		  kDir + "bad_syntax.conf:3: syntax error (expected key = value or [section])");
	EXPECT_EQ(load_error("bad_section.conf"),
		  kDir + "bad_section.conf:2: unknown section [device tap0] (expected [global], "
			 "[ifname PATTERN] or [comm PATTERN])");
	EXPECT_EQ(load_error("bad_key.conf"), kDir + "bad_key.conf:3: unknown key 'frobnicate'");
}

TEST(TunedConfig, ValuesAreChecked)
{
	std::string err;
	for (const char *text : {"period-ms = 5", "period-ms = 10001", "period-ms = 2x",
				 "tolerance = 0.9", "tolerance = -1", "manage = maybe",
				 "directions = up", "directions =", "idle-pps = lots"}) {
		EXPECT_FALSE(parse_config(text, "t", &err)) << text;
		EXPECT_EQ(err.rfind("t:1: ", 0), 0u) << err;
	}
	auto c = parse_config("directions = rx, tx\nmax-latency-us = 0\n", "t", &err);
	ASSERT_TRUE(c) << err;
	EXPECT_TRUE(c->defaults.rx && c->defaults.tx);
	EXPECT_EQ(c->defaults.max_latency_us, 0u);
	EXPECT_TRUE(parse_config("", "t", &err));
}

TEST(TunedConfig, MissingFile)
{
	std::string err;
	auto c = load_config(kDir + "does-not-exist.conf", true, &err);
	ASSERT_TRUE(c);  // the default path may be absent: built-in defaults
	EXPECT_EQ(c->period_ms, 200u);
	EXPECT_FALSE(load_config(kDir + "does-not-exist.conf", false, &err));
	EXPECT_EQ(err, kDir + "does-not-exist.conf: No such file or directory");
}

TEST(TunedArgs, Defaults)
{
	auto r = args({});
	EXPECT_EQ(r.exit, -1);
	EXPECT_EQ(r.args.config, kDefaultConfigPath);
	EXPECT_FALSE(r.args.config_given);
	EXPECT_FALSE(r.args.dry_run || r.args.once || r.args.verbose);
	EXPECT_FALSE(r.args.period_ms);
	EXPECT_EQ(r.args.backend, "auto");
}

TEST(TunedArgs, AllOptions)
{
	auto r = args({"--config", "/tmp/x.conf", "--dry-run", "--once", "-v", "--period-ms", "50",
		       "--backend", "procfs"});
	ASSERT_EQ(r.exit, -1) << r.err;
	EXPECT_EQ(r.args.config, "/tmp/x.conf");
	EXPECT_TRUE(r.args.config_given);
	EXPECT_TRUE(r.args.dry_run && r.args.once && r.args.verbose);
	EXPECT_EQ(r.args.period_ms, 50u);
	EXPECT_EQ(r.args.backend, "procfs");
}

TEST(TunedArgs, UsageErrorsAreOneLineAndExitTwo)
{
	for (auto v : std::vector<std::vector<const char *>>{{"--bogus"},
							     {"--period-ms", "5"},
							     {"--period-ms", "abc"},
							     {"--backend", "dbus"},
							     {"--config"},
							     {"extra"}}) {
		auto r = args(v);
		EXPECT_EQ(r.exit, 2) << v[0];
		EXPECT_EQ(r.err.find('\n'), std::string::npos) << r.err;
		EXPECT_EQ(r.err.rfind("lwvhost-tuned: ", 0), 0u) << r.err;
	}
}

TEST(TunedArgs, Help)
{
	auto r = args({"--help"});
	EXPECT_EQ(r.exit, 0);
	EXPECT_NE(r.out.find("--dry-run"), std::string::npos);
	EXPECT_NE(r.out.find("--once"), std::string::npos);
}

TEST(TunedArgs, Version)
{
	auto r = args({"--version"});
	EXPECT_EQ(r.exit, 0);
	EXPECT_EQ(r.out, std::string("lwvhost-tuned ") + lwvhost::cli::version() + "\n");
	EXPECT_TRUE(r.err.empty());
}
