#include "control_law.h"
#include "plant_sim.h"

#include <gtest/gtest.h>

using namespace lwvhost;

namespace {

// Run a law against the plant for n periods; returns the last interval and
// checks the latency cap on every decision.
template <typename Law>
uint32_t drive(Law &law, Plant &plant, int periods, uint32_t start,
	       const LawConfig &cfg)
{
	uint32_t interval = start;
	for (int i = 0; i < periods; i++) {
		Decision d = law.step(plant.measure(interval));
		EXPECT_LE(d.interval_us, cfg.max_latency_us) << d.reason;
		EXPECT_FALSE(d.reason.empty());
		interval = d.interval_us;
	}
	return interval;
}

// Cost of a chosen interval relative to the plant's optimum (1.0 = optimal);
// a choice that loses throughput counts as infinitely bad.
double relative_cost(const Plant &plant, uint32_t chosen, const LawConfig &cfg,
		     double offered)
{
	auto [thr, cost] = plant.steady(chosen);
	if (thr < offered * (1 - cfg.throughput_tolerance))
		return 1e9;
	return cost / plant.steady(plant.optimum(cfg)).second;
}

}  // namespace

TEST(Plant, PollingCutsCostUntilTheRingCapsThroughput)
{
	Plant p({}, 1);
	p.set_load(200000);
	auto [thr0, cost0] = p.steady(0);
	auto [thr100, cost100] = p.steady(100);
	auto [thr1600, cost1600] = p.steady(1600);
	EXPECT_DOUBLE_EQ(thr0, 200000);
	EXPECT_DOUBLE_EQ(thr100, 200000);
	EXPECT_LT(cost100, cost0);
	EXPECT_LT(thr1600, 200000 * 0.95); // 256 per 1.6 ms = 160 kpps
	LawConfig cfg;
	cfg.max_latency_us = 1600;
	EXPECT_EQ(p.optimum(cfg), 800u);
}

TEST(Plant, AtLowLoadEventModeIsCheapest)
{
	Plant p({}, 1);
	p.set_load(500);
	EXPECT_EQ(p.optimum(LawConfig{}), 0u);
}

TEST(LadderLaw, ConvergesWithinTenPercentOfOptimum)
{
	for (double load : {20000.0, 200000.0, 600000.0}) {
		LawConfig cfg;
		cfg.max_latency_us = 1600;
		Plant plant({}, 7);
		plant.set_load(load);
		LadderLaw law(cfg);
		uint32_t chosen = drive(law, plant, 40, 0, cfg);
		EXPECT_LE(relative_cost(plant, chosen, cfg, load), 1.10)
			<< "load " << load << " chose " << chosen << " optimum "
			<< plant.optimum(cfg);
	}
}

TEST(LadderLaw, NeverExceedsLatencyCap)
{
	LawConfig cfg;
	cfg.max_latency_us = 50;
	Plant plant({}, 3);
	plant.set_load(50000);
	LadderLaw law(cfg);
	EXPECT_LE(drive(law, plant, 60, 0, cfg), 50u);
}

TEST(LadderLaw, ReconvergesAfterLoadStep)
{
	LawConfig cfg;
	cfg.max_latency_us = 1600;
	Plant plant({}, 11);
	LadderLaw law(cfg);
	plant.set_load(20000);
	uint32_t t = drive(law, plant, 40, 0, cfg);
	plant.set_load(600000);
	t = drive(law, plant, 40, t, cfg);
	EXPECT_LE(relative_cost(plant, t, cfg, 600000), 1.10) << t;
	plant.set_load(20000);
	t = drive(law, plant, 60, t, cfg);
	EXPECT_LE(relative_cost(plant, t, cfg, 20000), 1.10) << t;
}

TEST(LadderLaw, LeavesIdleDeviceInEventMode)
{
	LawConfig cfg;
	Plant plant({}, 5);
	plant.set_load(0);
	LadderLaw law(cfg);
	for (int i = 0; i < 20; i++) {
		Decision d = law.step(plant.measure(0));
		EXPECT_EQ(d.interval_us, 0u);
	}
	// And drops back to event mode when traffic stops.
	plant.set_load(200000);
	uint32_t t = drive(law, plant, 20, 0, cfg);
	EXPECT_GT(t, 0u);
	plant.set_load(0);
	EXPECT_EQ(law.step(plant.measure(t)).interval_us, 0u);
}

TEST(LadderLaw, ToleratesNoise)
{
	PlantParams noisy;
	noisy.noise = 0.05;
	LawConfig cfg;
	cfg.max_latency_us = 1600;
	int good = 0;
	for (uint32_t seed = 1; seed <= 20; seed++) {
		Plant plant(noisy, seed);
		plant.set_load(200000);
		LadderLaw law(cfg);
		uint32_t t = drive(law, plant, 60, 0, cfg);
		good += relative_cost(plant, t, cfg, 200000) <= 1.10;
	}
	EXPECT_GE(good, 16); // 80 % of seeds at 5 % measurement noise
}

// The comparison that picked LadderLaw for lwvhost-tuned: over the same
// scenarios, the step table ends further from the optimum (it parks at the
// first level where the gain falls below the noise band, and it oscillates
// at the ring limit).
TEST(LawComparison, LadderBeatsStepTableOnAverage)
{
	double ladder_sum = 0, table_sum = 0;
	int n = 0;
	for (double load : {5000.0, 20000.0, 100000.0, 200000.0, 600000.0}) {
		for (uint32_t seed = 1; seed <= 5; seed++) {
			LawConfig cfg;
			cfg.max_latency_us = 1600;
			Plant a({}, seed), b({}, seed);
			a.set_load(load);
			b.set_load(load);
			LadderLaw ladder(cfg);
			StepTableLaw table(cfg);
			ladder_sum += std::min(2.0, relative_cost(
				a, drive(ladder, a, 40, 0, cfg), cfg, load));
			table_sum += std::min(2.0, relative_cost(
				b, drive(table, b, 40, 0, cfg), cfg, load));
			n++;
		}
	}
	RecordProperty("ladder_mean_relative_cost", std::to_string(ladder_sum / n));
	RecordProperty("table_mean_relative_cost", std::to_string(table_sum / n));
	EXPECT_LT(ladder_sum / n, 1.05);
	EXPECT_LE(ladder_sum, table_sum);
}
