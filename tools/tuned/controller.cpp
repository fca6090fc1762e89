// SPDX-License-Identifier: GPL-2.0
#include "controller.h"

#include <cstdio>
#include <set>

namespace lwvhost::tuned {

namespace {

std::string describe(const DevObs &o)
{
	std::string ifn = o.dir[kTx].ifname.empty() ? o.dir[kRx].ifname : o.dir[kTx].ifname;
	char buf[120];
	std::snprintf(buf, sizeof(buf), "dev %u (%s, owner %u %s)", o.id,
		      ifn.empty() ? "no backend" : ifn.c_str(), o.owner_pid,
		      o.comm.empty() ? "?" : o.comm.c_str());
	return buf;
}

std::string key_of(const DevObs &o)
{
	return o.dir[kRx].ifname + '\n' + o.dir[kTx].ifname + '\n' + o.comm;
}

}  // namespace

void Controller::configure(Dev &d, const DevObs &o, std::vector<std::string> *log)
{
	d.match_key = key_of(o);
	d.settings = cfg_.settings_for({o.dir[kRx].ifname, o.dir[kTx].ifname}, o.comm);
	for (int i = 0; i < 2; i++)
		d.law[i] = make_law(d.settings.law, d.settings.law_config());
	const Settings &s = d.settings;
	char buf[200];
	std::snprintf(buf, sizeof(buf), "%s: %s, law %s, max-latency-us %u, tolerance %.2f, directions%s%s",
		      describe(o).c_str(), s.manage ? "managed" : "not managed", s.law.c_str(),
		      s.max_latency_us, s.tolerance, s.rx ? " rx" : "", s.tx ? " tx" : "");
	log->push_back(buf);
}

const char *dir_label(int d)
{
	return d == kTx ? "tx" : "rx";
}

std::array<double, 2> split_worker_ns(double worker_ns, const std::array<uint64_t, 2> &busy_ns,
				      const std::array<uint64_t, 2> &packets)
{
	const double busy = double(busy_ns[0]) + double(busy_ns[1]);
	const double pk = double(packets[0]) + double(packets[1]);
	std::array<double, 2> out{0, 0};
	for (int d = 0; d < 2; d++) {
		if (busy > 0)
			out[d] = worker_ns * double(busy_ns[d]) / busy;
		else if (pk > 0)
			out[d] = worker_ns * double(packets[d]) / pk;
	}
	return out;
}

std::vector<Action> Controller::tick(double now_s, const std::vector<DevObs> &obs,
				     std::vector<std::string> *log)
{
	std::vector<Action> actions;
	std::set<uint32_t> present;
	for (const DevObs &o : obs) {
		present.insert(o.id);
		auto it = devs_.find(o.id);
		if (it == devs_.end()) {
			Dev d;
			configure(d, o, log);
			d.prev = o;
			d.prev_t = now_s;
			devs_.emplace(o.id, std::move(d));
			continue;
		}
		Dev &d = it->second;
		// A backend attached (or swapped) since we met the device: its
		// [ifname] sections may apply now.
		if (key_of(o) != d.match_key)
			configure(d, o, log);
		const DevObs prev = d.prev;
		const double dt = now_s - d.prev_t;
		d.prev = o;
		d.prev_t = now_s;
		if (!d.settings.manage || dt <= 0)
			continue;
		if (!o.worker_ns || !prev.worker_ns || *o.worker_ns < *prev.worker_ns) {
			if (!d.said_no_worker)
				log->push_back(describe(o) + ": no worker CPU sample yet, waiting");
			d.said_no_worker = true;
			continue;
		}
		d.said_no_worker = false;
		std::array<uint64_t, 2> packets{}, busy{};
		bool reset = false;
		for (int i = 0; i < 2; i++) {
			reset |= o.dir[i].packets < prev.dir[i].packets ||
				 o.dir[i].busy_ns < prev.dir[i].busy_ns;
			packets[i] = o.dir[i].packets - prev.dir[i].packets;
			busy[i] = o.dir[i].busy_ns - prev.dir[i].busy_ns;
		}
		if (reset)
			continue;
		const double worker = double(*o.worker_ns - *prev.worker_ns);
		const auto share = split_worker_ns(worker, busy, packets);

		Action a;
		a.id = o.id;
		for (int i = 0; i < 2; i++) {
			if (!(i == kTx ? d.settings.tx : d.settings.rx))
				continue;
			// Adaptive mode: the kernel picks this queue's polls per
			// pass from the arrival rate; writing intervals would
			// fight it (the kernel ignores them meanwhile anyway).
			if (o.dir[i].latency_budget_us) {
				if (!d.adaptive[i])
					log->push_back(describe(o) + " " + dir_label(i) +
						       ": latency_budget_us " +
						       std::to_string(o.dir[i].latency_budget_us) +
						       ", the kernel adapts its polling: "
						       "leaving it alone");
				d.adaptive[i] = true;
				continue;
			}
			// Back in fixed mode: this period was partly adaptive,
			// and what the law learnt before is stale.
			if (d.adaptive[i]) {
				d.adaptive[i] = false;
				d.law[i] = make_law(d.settings.law, d.settings.law_config());
				log->push_back(describe(o) + " " + dir_label(i) +
					       ": latency_budget_us 0 again: tuning its poll "
					       "interval from the next period");
				continue;
			}
			Sample s;
			s.period_s = dt;
			s.packets = double(packets[i]);
			s.worker_cpu_ns = share[i];
			s.interval_us = o.dir[i].interval_us;
			Decision dec = d.law[i]->step(s);
			const bool change = dec.interval_us != o.dir[i].interval_us;
			if (change) {
				a.interval[i] = dec.interval_us;
				d.touched[i] = true;
			}
			if (change || verbose_) {
				char buf[200];
				std::snprintf(buf, sizeof(buf),
					      " [%.0f pps, worker %.1f%% CPU (%s), %s share %.0f%%]",
					      s.packets / dt, worker / dt / 1e7,
					      o.worker_ticks ? "utime+stime" : "schedstat run",
					      dir_label(i), worker > 0 ? 100 * share[i] / worker : 0.0);
				std::string line = describe(o) + " " + dir_label(i) + ": ";
				line += change ? std::to_string(o.dir[i].interval_us) + " -> " +
							 std::to_string(dec.interval_us) + " us: "
					       : "keep " + std::to_string(dec.interval_us) + " us: ";
				log->push_back(line + dec.reason + buf);
			}
		}
		if (a.any())
			actions.push_back(a);
	}
	for (auto it = devs_.begin(); it != devs_.end();) {
		if (!present.count(it->first))
			it = devs_.erase(it);
		else
			++it;
	}
	return actions;
}

std::vector<Action> Controller::restore_actions() const
{
	std::vector<Action> out;
	for (auto &[id, d] : devs_) {
		Action a;
		a.id = id;
		for (int i = 0; i < 2; i++)
			if (d.touched[i])
				a.interval[i] = 0;
		if (a.any())
			out.push_back(a);
	}
	return out;
}

}  // namespace lwvhost::tuned
