// SPDX-License-Identifier: GPL-2.0
#include "report.h"

#include <cstdio>

namespace vnet {

namespace {

double per(uint64_t v, uint64_t n) { return n ? double(v) / double(n) : 0.0; }

nlohmann::json queue_json(const QueueCounters &q)
{
	return {{"kicks", q.kicks},	      {"kicks_suppressed", q.kicks_suppressed},
		{"interrupts", q.interrupts}, {"signals", q.signals},
		{"spurious_interrupts", q.spurious}, {"missed_interrupts", q.missed},
		{"used", q.used}};
}

nlohmann::json dir_json(const DirectionResult &d)
{
	return {{"expected", d.expected},     {"received", d.received},
		{"lost", d.lost},	      {"duplicated", d.duplicated},
		{"corrupted", d.corrupted},   {"out_of_order", d.out_of_order}};
}

template <typename T> nlohmann::json opt(const std::optional<T> &v)
{
	return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

std::string fmt(const char *f, double v)
{
	char b[64];
	snprintf(b, sizeof(b), f, v);
	return b;
}

std::string join(const std::vector<std::string> &v, const char *sep)
{
	std::string s;
	for (auto &x : v)
		s += (s.empty() ? "" : sep) + x;
	return s;
}

}  // namespace

nlohmann::json to_json(const RunResult &r)
{
	const RunOptions &o = r.opts;
	const uint64_t kicks = r.rxq.kicks + r.txq.kicks;
	const uint64_t irqs = r.rxq.interrupts + r.txq.interrupts;
	nlohmann::json j;
	j["mode"] = to_string(o.mode);
	j["frames"] = o.frames;
	j["size"] = {{"min", o.sizes.min}, {"max", o.sizes.max}};
	j["rate"] = o.rate > 0 ? nlohmann::json(o.rate) : nlohmann::json(nullptr);
	j["rate_schedule"] = o.schedule.empty() ? nlohmann::json(nullptr)
						: nlohmann::json(to_string(o.schedule));
	j["batch"] = o.batch;
	j["window"] = o.effective_window();
	j["ring"] = o.dev.ring;
	j["indirect"] = o.dev.indirect;
	j["mrg_buf"] = o.dev.mrg_buf;
	j["sndbuf"] = o.dev.sndbuf;
	j["exit_cost_ns"] = o.exit_cost_ns;
	j["exit_cost_modelled"] = o.exit_cost_ns > 0;
	j["features"] = {{"requested", feature_names(o.dev.requested)},
			 {"offered", feature_names(r.offered)},
			 {"negotiated", feature_names(r.neg.features)},
			 {"hdr_len", r.neg.hdr_len},
			 {"vhost_adds_hdr", r.neg.vhost_adds_hdr}};
	j["tap"] = r.tap;
	j["packets"] = r.packets;
	j["duration_s"] = r.duration_s;
	j["pps"] = r.pps();
	j["bytes_per_s"] = r.duration_s > 0 ? double(r.frame_bytes) / r.duration_s : 0.0;
	j["payload_bytes_per_s"] = r.duration_s > 0 ? double(r.payload_bytes) / r.duration_s : 0.0;
	j["kicks"] = kicks;
	j["kicks_per_packet"] = per(kicks, r.packets);
	j["interrupts"] = irqs;
	j["interrupts_per_packet"] = per(irqs, r.packets);
	j["spurious_interrupts"] = r.rxq.spurious + r.txq.spurious;
	j["queues"] = {{"rx", queue_json(r.rxq)}, {"tx", queue_json(r.txq)}};
	j["checks"] = {{"guest_to_host", dir_json(r.to_host)},
		       {"host_to_guest", dir_json(r.to_guest)},
		       {"foreign_frames", r.foreign_frames},
		       {"header_errors", r.header_errors}};
	j["merged_frames"] = r.merged_frames;
	j["straddling_buffers"] = r.straddling_buffers;
	auto per_opt = [&](const std::optional<uint64_t> &v) {
		return v && r.packets ? nlohmann::json(double(*v) / double(r.packets))
				      : nlohmann::json(nullptr);
	};
	j["worker"] = {{"found", r.worker.found},
		       {"pid", r.worker.pid},
		       {"tid", r.worker.tid},
		       {"kthread", r.worker.kthread},
		       {"cpu_ns", opt(r.worker.cpu_ns)},
		       {"run_ns", opt(r.worker.run_ns)},
		       {"cpu_ns_per_packet", per_opt(r.worker.cpu_ns)},
		       {"run_ns_per_packet", per_opt(r.worker.run_ns)}};
	j["driver_cpu_ns"] = r.driver_cpu_ns;
	j["driver_cpu_ns_per_packet"] = per(r.driver_cpu_ns, r.packets);
	if (r.rtt)
		j["rtt_ns"] = {{"count", r.rtt->count}, {"min", r.rtt->min}, {"p50", r.rtt->p50},
			       {"p99", r.rtt->p99},	{"p999", r.rtt->p999}, {"max", r.rtt->max},
			       {"mean", r.rtt->mean}};
	j["vring_base"] = {{"rx", opt(r.rx_base)}, {"tx", opt(r.tx_base)}};
	j["err_reported"] = r.err_reported;
	j["timed_out"] = r.timed_out;
	j["ok"] = r.ok();
	j["failures"] = r.failures;
	return j;
}

std::string to_text(const RunResult &r)
{
	const RunOptions &o = r.opts;
	const uint64_t kicks = r.rxq.kicks + r.txq.kicks;
	const uint64_t irqs = r.rxq.interrupts + r.txq.interrupts;
	std::string s = "vnet " + to_string(o.mode) + ": " + std::to_string(o.frames) +
			(o.mode == Mode::rr ? " transactions" : " frames") + ", payload " +
			std::to_string(o.sizes.min) +
			(o.sizes.fixed() ? "" : "-" + std::to_string(o.sizes.max)) + " B, " +
			join(feature_names(r.neg.features), ",") + " (hdr " +
			std::to_string(r.neg.hdr_len) + ")" + (o.dev.indirect ? " indirect" : "") +
			", ring " + std::to_string(o.dev.ring) + "\n";
	s += "  delivered " + std::to_string(r.packets) + "/" + std::to_string(o.frames) + " in " +
	     fmt("%.3f", r.duration_s) + " s: " + fmt("%.0f", r.pps()) + " pps, " +
	     fmt("%.2f", r.duration_s > 0 ? double(r.frame_bytes) / r.duration_s / 1e6 : 0) +
	     " MB/s\n";
	s += "  kicks/pkt " + fmt("%.4f", per(kicks, r.packets)) + "  irqs/pkt " +
	     fmt("%.4f", per(irqs, r.packets)) + "  spurious " +
	     std::to_string(r.rxq.spurious + r.txq.spurious);
	if (r.worker.found && r.worker.run_ns)
		s += "  worker " + fmt("%.0f", per(*r.worker.run_ns, r.packets)) + " ns/pkt";
	else if (!r.worker.found)
		s += "  worker not found";
	s += "\n";
	if (o.exit_cost_ns)
		s += "  exit cost modelled: " + std::to_string(o.exit_cost_ns) + " ns per kick and per interrupt\n";
	if (r.rtt)
		s += "  rtt us: p50 " + fmt("%.1f", double(r.rtt->p50) / 1e3) + "  p99 " +
		     fmt("%.1f", double(r.rtt->p99) / 1e3) + "  p99.9 " +
		     fmt("%.1f", double(r.rtt->p999) / 1e3) + "\n";
	s += r.ok() ? "  OK\n" : "  FAIL: " + join(r.failures, "; ") + "\n";
	return s;
}

std::string to_line(const std::string &label, const RunResult &r)
{
	const uint64_t kicks = r.rxq.kicks + r.txq.kicks;
	const uint64_t irqs = r.rxq.interrupts + r.txq.interrupts;
	std::string s = (r.ok() ? "PASS " : "FAIL ") + label + ": " + std::to_string(r.packets) +
			"/" + std::to_string(r.opts.frames) + " " + fmt("%.0f", r.pps()) +
			" pps kicks/pkt " + fmt("%.3f", per(kicks, r.packets)) + " irqs/pkt " +
			fmt("%.3f", per(irqs, r.packets));
	if (r.merged_frames)
		s += " merged " + std::to_string(r.merged_frames);
	if (r.opts.inject_bad_gpa)
		s += r.err_reported ? " err-eventfd fired" : " err-eventfd silent";
	if (!r.ok())
		s += " -- " + join(r.failures, "; ");
	return s;
}

}  // namespace vnet
