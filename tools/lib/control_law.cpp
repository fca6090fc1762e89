// SPDX-License-Identifier: GPL-2.0
#include "control_law.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>

namespace lwvhost {

namespace {

// Hold periods after which a settled level's smoothed cost is checked
// against the cost it was chosen for.
constexpr unsigned kRecheckPeriods = 5;

[[gnu::format(printf, 1, 2)]] std::string fmt(const char *f, ...)
{
	char buf[200];
	va_list ap;
	va_start(ap, f);
	std::vsnprintf(buf, sizeof(buf), f, ap);
	va_end(ap);
	return buf;
}

double pps_of(const Sample &s)
{
	return s.period_s > 0 ? s.packets / s.period_s : 0;
}

// Index of the largest ladder level <= us.
size_t level_at_or_below(const std::vector<uint32_t> &ladder, uint32_t us)
{
	auto it = std::upper_bound(ladder.begin(), ladder.end(), us);
	return it == ladder.begin() ? 0 : size_t(it - ladder.begin()) - 1;
}

}  // namespace

double cost_per_packet(const Sample &s)
{
	return s.packets > 0 ? s.worker_cpu_ns / s.packets : 0;
}

size_t ladder_cap_index(const LawConfig &cfg)
{
	return level_at_or_below(cfg.ladder, cfg.max_latency_us);
}

std::unique_ptr<Law> make_law(std::string_view name, const LawConfig &cfg)
{
	if (name == "ladder")
		return std::make_unique<LadderLaw>(cfg);
	if (name == "step-table")
		return std::make_unique<StepTableLaw>(cfg);
	return nullptr;
}

// ---- LadderLaw -------------------------------------------------------

LadderLaw::LadderLaw(LawConfig cfg) : cfg_(std::move(cfg))
{
	if (cfg_.ladder.empty() || cfg_.ladder.front() != 0)
		cfg_.ladder.insert(cfg_.ladder.begin(), 0);
	seen_.resize(cfg_.ladder.size());
}

size_t LadderLaw::cap_index() const
{
	return ladder_cap_index(cfg_);
}

Decision LadderLaw::move_to(size_t idx, std::string why)
{
	idx_ = std::min(idx, cap_index());
	return {cfg_.ladder[idx_], std::move(why)};
}

size_t LadderLaw::first_batching_index(double pps) const
{
	for (size_t i = 1; i < cfg_.ladder.size(); i++)
		if (pps * cfg_.ladder[i] * 1e-6 >= cfg_.min_batch)
			return i;
	return cfg_.ladder.size();
}

// a is better than b: clearly more throughput (b was limiting it), or
// throughput held and CPU per packet lower by at least min_gain.
bool LadderLaw::better(const Point &a, const Point &b) const
{
	const double tol = cfg_.throughput_tolerance;
	if (a.pps > b.pps * (1 + 2 * tol))
		return true;
	if (a.pps < b.pps * (1 - tol))
		return false;
	return a.cost < b.cost * (1 - cfg_.min_gain);
}

void LadderLaw::start_search(int dir)
{
	phase_ = Phase::Search;
	std::fill(seen_.begin(), seen_.end(), Point{});
	start_ = from_ = idx_;
	dir_ = dir;
	turned_ = false;
	climb_once_ = false;
}

Decision LadderLaw::settle(const char *why)
{
	double max_pps = 0;
	for (const Point &p : seen_)
		if (p.n)
			max_pps = std::max(max_pps, p.pps);
	size_t best = idx_;
	double best_cost = -1;
	for (size_t i = 0; i <= cap_index(); i++) {
		const Point &p = seen_[i];
		if (!p.n || p.pps < max_pps * (1 - cfg_.throughput_tolerance))
			continue;
		if (best_cost < 0 || p.cost < best_cost) {
			best = i;
			best_cost = p.cost;
		}
	}
	phase_ = Phase::Hold;
	held_ = off_band_ = 0;
	ref_pps_ = hold_pps_ = seen_[best].pps;
	hold_cost_ = settled_cost_ = seen_[best].cost;
	// At the ring limit the level above loses throughput: re-probing it
	// would lose it again every time, so re-probe downwards only.
	lossy_above_ = best + 1 <= cap_index() && seen_[best + 1].n &&
		       seen_[best + 1].pps < max_pps * (1 - cfg_.throughput_tolerance);
	return move_to(best, fmt("settle at %u us (%s): %.0f ns/pkt at %.0f pps, best %.0f pps",
				 cfg_.ladder[best], why, seen_[best].cost, seen_[best].pps,
				 max_pps));
}

Decision LadderLaw::search(double pps, double cost)
{
	Point &p = seen_[idx_];
	p.pps = (p.pps * p.n + pps) / (p.n + 1);
	p.cost = (p.cost * p.n + cost) / (p.n + 1);
	p.n++;
	const size_t cap = cap_index();

	if (idx_ == from_) {
		// The search's first sample, at the level it starts from.
		size_t next;
		if (idx_ == 0) {
			// Out of event mode: straight to where polling batches;
			// the first poll level may cost more than event mode and
			// still be on the way down, so climb one past it.
			next = std::max<size_t>(1, std::min(first_batching_index(pps), cap));
			climb_once_ = true;
		} else {
			next = idx_ + dir_;
		}
		if (cap == 0 || next > cap)
			return settle("no level to try");
		return move_to(next, fmt("probe %u us: %.0f ns/pkt at %.0f pps at %u us",
					 cfg_.ladder[next], cost, pps, cfg_.ladder[idx_]));
	}

	const Point &f = seen_[from_];
	const bool b = better(p, f);
	const bool clear_loss = p.pps < f.pps * (1 - 2 * cfg_.throughput_tolerance);
	if (!b && !climb_once_ && !clear_loss && p.n == 1) {
		// One period is one noisy sample: confirm a "no better" before
		// acting on it (the level's samples are averaged).
		return {cfg_.ladder[idx_], fmt("confirm %u us: %.0f ns/pkt at %.0f pps vs %.0f at %.0f",
					       cfg_.ladder[idx_], cost, pps, f.cost, f.pps)};
	}
	if (b || climb_once_) {
		climb_once_ = false;
		// Walks stop at level 1: event mode is measured only when a
		// search starts there (see the batching jump above).
		const long next = long(idx_) + dir_;
		if (next < 1 || next > long(cap) || seen_[next].n)
			return settle(b ? "end of ladder" : "no better level");
		from_ = idx_;
		return move_to(size_t(next),
			       fmt("probe %u us: %u us gave %.0f ns/pkt at %.0f pps vs %.0f at %.0f",
				   cfg_.ladder[next], cfg_.ladder[idx_], cost, pps, f.cost, f.pps));
	}
	if (dir_ < 0 && !turned_) {
		// Below was no better: look above the start instead.
		turned_ = true;
		dir_ = 1;
		const size_t next = start_ + 1;
		if (next <= cap && !seen_[next].n) {
			from_ = start_;
			return move_to(next, fmt("probe %u us: %u us no better (%.0f ns/pkt at %.0f pps)",
						 cfg_.ladder[next], cfg_.ladder[idx_], cost, pps));
		}
	}
	return settle("next level no better");
}

Decision LadderLaw::step(const Sample &s)
{
	const double pps = pps_of(s);
	const double cost = cost_per_packet(s);

	// The sample must describe the level we think is in force; if something
	// else changed the interval, start over from what is really there.
	if (s.interval_us != cfg_.ladder[idx_]) {
		idx_ = std::min(level_at_or_below(cfg_.ladder, s.interval_us), cap_index());
		phase_ = Phase::Idle;
	}

	if (pps < cfg_.idle_pps) {
		phase_ = Phase::Idle;
		return move_to(0, fmt("idle: %.0f pps < %.0f, event mode", pps, cfg_.idle_pps));
	}

	switch (phase_) {
	case Phase::Idle:
		start_search(idx_ == 0 ? 1 : -1);
		return search(pps, cost);
	case Phase::Search:
		return search(pps, cost);
	case Phase::Hold:
		break;
	}

	hold_pps_ = 0.7 * hold_pps_ + 0.3 * pps;
	hold_cost_ = 0.7 * hold_cost_ + 0.3 * cost;
	// Smoothed, and for two periods in a row: one period's throughput
	// swings with scheduling on a busy host.
	const double rel = ref_pps_ > 0 ? hold_pps_ / ref_pps_ : 2;
	off_band_ = (rel > 1 + cfg_.load_change || rel < 1 - cfg_.load_change) ? off_band_ + 1 : 0;
	if (off_band_ >= 2) {
		// A lasting load change: the held level may be what limits the
		// throughput we see, so re-measure the load in event mode.
		phase_ = Phase::Idle;
		return move_to(0, fmt("load changed: %.0f pps (smoothed %.0f) vs %.0f when settled, "
				      "re-measure in event mode", pps, hold_pps_, ref_pps_));
	}
	// A level settled on by a lucky sample shows its real cost while held:
	// search again early rather than hold it for hold_periods.
	const bool early = held_ + 1 == kRecheckPeriods &&
			   hold_cost_ > settled_cost_ * (1 + 2 * cfg_.min_gain);
	const bool due = ++held_ >= cfg_.hold_periods || early;
	if (due && cap_index() > 0 && idx_ == 0) {
		// Re-probing from event mode: its neighbour (10 us) would not
		// batch; search afresh from here, with the held estimate as the
		// event-mode point, jumping to the batching level.
		held_ = 0;
		start_search(1);
		return search(hold_pps_, hold_cost_);
	}
	if (due && cap_index() > 0) {
		held_ = 0;
		probe_down_ = !probe_down_;
		int dir = probe_down_ || lossy_above_ ? -1 : 1;
		if (early) {
			// Towards a neighbour the last search measured cheaper
			// than what the held level really costs.
			auto cheaper = [&](size_t i) {
				return i >= 1 && i <= cap_index() && seen_[i].n &&
				       seen_[i].cost < hold_cost_ &&
				       seen_[i].pps >= hold_pps_ * (1 - cfg_.throughput_tolerance);
			};
			if (cheaper(idx_ + 1))
				dir = 1;
			else if (cheaper(idx_ - 1))
				dir = -1;
		}
		if ((dir < 0 && idx_ <= 1) || (dir > 0 && idx_ >= cap_index()))
			dir = -dir;
		if (!(dir < 0 && idx_ <= 1 && idx_ >= cap_index())) {
			// Re-probing down to event mode would restart the
			// batching jump, so downward probes stop at level 1.
			start_search(dir);
			Point &p = seen_[idx_];
			p = {1, hold_pps_, hold_cost_};
			from_ = idx_;
			const size_t next = idx_ + dir;
			if (dir > 0 || idx_ > 1)
				return move_to(next, fmt("re-probe %u us from %.0f ns/pkt at %.0f pps%s",
							 cfg_.ladder[next], hold_cost_, hold_pps_,
							 early ? " (held level costs more than measured)" : ""));
			phase_ = Phase::Hold;
		}
	}
	return {cfg_.ladder[idx_], fmt("hold %u us: %.0f ns/pkt at %.0f pps", cfg_.ladder[idx_],
				       cost, pps)};
}

// ---- StepTableLaw ----------------------------------------------------

StepTableLaw::StepTableLaw(LawConfig cfg) : cfg_(std::move(cfg))
{
	if (cfg_.ladder.empty() || cfg_.ladder.front() != 0)
		cfg_.ladder.insert(cfg_.ladder.begin(), 0);
}

size_t StepTableLaw::cap_index() const
{
	return ladder_cap_index(cfg_);
}

Decision StepTableLaw::step(const Sample &s)
{
	const double pps = pps_of(s);
	const double cost = cost_per_packet(s);
	const double tol = cfg_.throughput_tolerance;
	const size_t cap = cap_index();

	if (s.interval_us != cfg_.ladder[idx_]) {
		idx_ = std::min(level_at_or_below(cfg_.ladder, s.interval_us), cap);
		prev_cost_ = prev_pps_ = 0;
	}
	if (pps < cfg_.idle_pps) {
		idx_ = 0;
		dir_ = 1;
		parked_ = false;
		prev_cost_ = prev_pps_ = 0;
		return {0, fmt("idle: %.0f pps < %.0f, event mode", pps, cfg_.idle_pps)};
	}

	std::string why;
	if (prev_pps_ <= 0) {
		why = fmt("start: %.0f ns/pkt at %.0f pps", cost, pps);
	} else if (pps < prev_pps_ * (1 - tol) ||
		   (pps <= prev_pps_ * (1 + 2 * tol) && cost > prev_cost_ * (1 + cfg_.min_gain))) {
		dir_ = -dir_;
		parked_ = false;
		why = fmt("worse (%.0f ns/pkt at %.0f pps vs %.0f at %.0f), reverse", cost, pps,
			  prev_cost_, prev_pps_);
	} else if (pps > prev_pps_ * (1 + 2 * tol) || cost < prev_cost_ * (1 - cfg_.min_gain)) {
		parked_ = false;
		why = fmt("better (%.0f ns/pkt at %.0f pps vs %.0f at %.0f), continue", cost, pps,
			  prev_cost_, prev_pps_);
	} else {
		parked_ = true;
	}
	prev_pps_ = pps;
	prev_cost_ = cost;
	if (parked_) {
		if (++parked_for_ < cfg_.hold_periods)
			return {cfg_.ladder[idx_], fmt("park %u us: %.0f ns/pkt at %.0f pps",
						       cfg_.ladder[idx_], cost, pps)};
		// Tired of parking: explore again.
		parked_ = false;
		parked_for_ = 0;
		why = fmt("tired at %u us, explore", cfg_.ladder[idx_]);
	}
	parked_for_ = 0;
	if (dir_ > 0 && idx_ == 0) {
		// Out of event mode, to the first level that batches.
		size_t next = 1;
		while (next < cap && pps * cfg_.ladder[next] * 1e-6 < cfg_.min_batch)
			next++;
		idx_ = std::min(next, cap);
	} else if (dir_ > 0 && idx_ < cap) {
		idx_++;
	} else if (dir_ < 0 && idx_ > 0) {
		idx_--;
	} else {
		dir_ = -dir_;
	}
	return {cfg_.ladder[idx_], why};
}

}  // namespace lwvhost
