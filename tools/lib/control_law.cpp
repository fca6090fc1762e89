#include "control_law.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace lwvhost {

namespace {

std::string fmt(const char *f, double a, double b = 0, double c = 0)
{
	char buf[160];
	std::snprintf(buf, sizeof(buf), f, a, b, c);
	return buf;
}

double pps_of(const Sample &s)
{
	return s.period_s > 0 ? s.packets / s.period_s : 0;
}

}  // namespace

double cost_per_packet(const Sample &s)
{
	return s.packets > 0 ? s.worker_cpu_ns / s.packets : 0;
}

LadderLaw::LadderLaw(LawConfig cfg) : cfg_(std::move(cfg)) {}

size_t LadderLaw::cap_index() const
{
	size_t cap = 0;
	for (size_t i = 0; i < cfg_.ladder.size(); i++)
		if (cfg_.ladder[i] <= cfg_.max_latency_us)
			cap = i;
	return cap;
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

void LadderLaw::restart(double pps)
{
	phase_ = Phase::Probing;
	first_probe_ = true;
	best_idx_ = idx_;
	best_cost_ = 0;
	ref_pps_ = pps;
	avg_pps_ = pps;
	held_ = 0;
}

Decision LadderLaw::settle(double pps)
{
	phase_ = Phase::Holding;
	held_ = 0;
	return move_to(best_idx_, fmt("settle at %.0f us: %.0f ns/pkt at %.0f pps",
				      cfg_.ladder[best_idx_], best_cost_, pps));
}

Decision LadderLaw::step(const Sample &s)
{
	const double pps = pps_of(s);
	const double cost = cost_per_packet(s);

	// The sample must describe the level we think is in force; if something
	// else changed the interval, start over from what is really there.
	if (s.interval_us != cfg_.ladder[idx_]) {
		auto it = std::lower_bound(cfg_.ladder.begin(), cfg_.ladder.end(),
					   s.interval_us);
		idx_ = std::min<size_t>(it - cfg_.ladder.begin(), cap_index());
		phase_ = Phase::Idle;
	}

	if (pps < cfg_.idle_pps) {
		phase_ = Phase::Idle;
		return move_to(0, fmt("idle: %.0f pps < %.0f, event mode", pps,
				      cfg_.idle_pps));
	}
	if (phase_ == Phase::Idle) {
		restart(pps);
	} else if (pps > ref_pps_ * (1 + cfg_.load_change)) {
		// Offered load rose: the best interval moves. (Falls are handled
		// by the back-off below, since our own interval can cause them.)
		restart(pps);
	}
	avg_pps_ = 0.7 * avg_pps_ + 0.3 * pps;

	if (phase_ == Phase::Probing) {
		const bool throughput_ok =
			pps >= ref_pps_ * (1 - cfg_.throughput_tolerance);
		size_t next = idx_ + 1;
		if (first_probe_) {
			first_probe_ = false;
			best_idx_ = idx_;
			best_cost_ = cost;
			// Start the climb where polling first batches at this load:
			// upwards from event mode, or downwards when a long interval
			// may itself be what limits the throughput we measured.
			next = std::max<size_t>(first_batching_index(pps), 1);
			if (next == idx_)
				next = idx_ + 1;
		} else if (throughput_ok &&
			   cost < best_cost_ * (1 - cfg_.min_gain)) {
			best_idx_ = idx_;
			best_cost_ = cost;
		} else if (!(idx_ > best_idx_ && best_idx_ == 0 && throughput_ok)) {
			// Worse than the best: stop climbing. (The first poll level
			// after event mode may cost more than event mode and still be
			// the way down the slope, so climb past it once.)
			return settle(pps);
		}
		if (next > cap_index())
			return settle(pps);
		return move_to(next, fmt("probe %.0f us: %.0f ns/pkt at %.0f pps",
					 cfg_.ladder[next], cost, pps));
	}

	// Holding.
	if (idx_ > 0 && avg_pps_ < ref_pps_ * (1 - cfg_.throughput_tolerance)) {
		ref_pps_ = avg_pps_;
		return move_to(idx_ - 1, fmt("back off: %.0f pps below %.0f",
					     avg_pps_, ref_pps_));
	}
	if (++held_ >= cfg_.hold_periods) {
		held_ = 0;
		probe_down_ = !probe_down_;
		phase_ = Phase::Probing;
		first_probe_ = false;
		best_idx_ = idx_;
		best_cost_ = cost;
		ref_pps_ = avg_pps_;
		if (probe_down_ && idx_ > 1)
			return move_to(idx_ - 1, fmt("re-probe down from %.0f ns/pkt",
						     cost));
		if (idx_ < cap_index())
			return move_to(idx_ + 1, fmt("re-probe up from %.0f ns/pkt", cost));
		phase_ = Phase::Holding;
	}
	return {cfg_.ladder[idx_], fmt("hold: %.0f ns/pkt at %.0f pps", cost, pps)};
}

StepTableLaw::StepTableLaw(LawConfig cfg) : cfg_(std::move(cfg)) {}

Decision StepTableLaw::step(const Sample &s)
{
	const double pps = pps_of(s);
	const double cost = cost_per_packet(s);
	size_t cap = 0;
	for (size_t i = 0; i < cfg_.ladder.size(); i++)
		if (cfg_.ladder[i] <= cfg_.max_latency_us)
			cap = i;

	if (pps < cfg_.idle_pps) {
		idx_ = 0;
		dir_ = 1;
		prev_cost_ = prev_pps_ = 0;
		return {0, fmt("idle: %.0f pps", pps)};
	}
	std::string why;
	if (prev_pps_ > 0 && pps < prev_pps_ * (1 - cfg_.throughput_tolerance)) {
		dir_ = -1;
		why = fmt("throughput fell to %.0f pps, step down", pps);
	} else if (prev_cost_ > 0 && cost > prev_cost_ * (1 + cfg_.min_gain)) {
		dir_ = -dir_;
		why = fmt("cost rose to %.0f ns/pkt, reverse", cost);
	} else if (prev_cost_ > 0 && cost > prev_cost_ * (1 - cfg_.min_gain)) {
		prev_pps_ = pps;
		prev_cost_ = cost;
		return {cfg_.ladder[idx_], fmt("park: %.0f ns/pkt", cost)};
	} else {
		why = fmt("cost %.0f ns/pkt, continue", cost);
	}
	prev_pps_ = pps;
	prev_cost_ = cost;
	if (dir_ > 0 && idx_ < cap)
		idx_++;
	else if (dir_ < 0 && idx_ > 0)
		idx_--;
	return {cfg_.ladder[idx_], why};
}

}  // namespace lwvhost
