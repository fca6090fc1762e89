// SPDX-License-Identifier: GPL-2.0
#include "report.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

namespace lwvhost::trace {

using nlohmann::json;

namespace {

std::string fmt(const char *f, double v)
{
	char buf[64];
	std::snprintf(buf, sizeof(buf), f, v);
	return buf;
}

std::string pad(const std::string &s, size_t w, bool left = false)
{
	if (s.size() >= w)
		return s;
	return left ? s + std::string(w - s.size(), ' ')
		    : std::string(w - s.size(), ' ') + s;
}

std::string ratio(double a, double b)
{
	if (a == 0)
		return b == 0 ? "=" : "new";
	return fmt("%.2fx", b / a);
}

std::string csv_field(const std::string &s)
{
	if (s.find_first_of(",\"\n") == std::string::npos)
		return s;
	std::string q = "\"";
	for (char c : s)
		q += c == '"' ? std::string("\"\"") : std::string(1, c);
	return q + "\"";
}

std::string columns(const TraceInfo &i)
{
	std::string s;
	auto add = [&](bool on, const char *n) {
		if (on)
			s += s.empty() ? n : std::string(" ") + n;
	};
	add(i.abstime, "abstime");
	add(i.cpu, "cpu");
	add(i.proc, "proc");
	add(i.duration, "duration");
	add(i.tail, "tail");
	return s.empty() ? "none" : s;
}

json dist_json(const Dist &d)
{
	return {{"n", d.n}, {"sum", d.sum}, {"min", d.min}, {"p50", d.p50},
		{"p99", d.p99}, {"max", d.max}, {"mean", d.mean}};
}

const PassKindStats *kind_of(const Analysis &a, const std::string &k)
{
	for (const auto &p : a.pass_kinds)
		if (p.kind == k)
			return &p;
	return nullptr;
}

const FuncStats *func_of(const Analysis &a, const std::string &f)
{
	for (const auto &s : a.functions)
		if (s.func == f)
			return &s;
	return nullptr;
}

uint64_t total_packets(const Analysis &a)
{
	uint64_t n = 0;
	for (const auto &k : a.pass_kinds)
		n += k.packets;
	return n;
}

}  // namespace

std::string fmt_us(uint64_t ns)
{
	char buf[32];
	std::snprintf(buf, sizeof(buf), "%llu.%03llu",
		      (unsigned long long)(ns / 1000), (unsigned long long)(ns % 1000));
	return buf;
}

std::string render_table(const Analysis &a, const ReportOptions &opt)
{
	std::ostringstream o;
	const TraceInfo &i = a.info;
	o << "trace: " << i.lines << " lines, " << i.events << " events, CPUs ";
	for (size_t k = 0; k < i.cpus.size(); k++)
		o << (k ? "," : "") << i.cpus[k];
	if (i.cpus.empty())
		o << "-";
	if (i.span_ns)
		o << ", span " << fmt("%.6f", double(*i.span_ns) / 1e9) << " s";
	o << ", columns: " << columns(i) << "\n";
	o << "       " << i.frames << " calls (" << i.open_frames << " never returned, "
	  << i.truncated_frames << " entered before the buffer), lost events "
	  << i.lost_events << ", irqs " << i.irqs << ", comments " << i.comments
	  << ", unrecognised lines " << i.unknown_lines << "\n";
	o << "profile: " << a.profile << "\n\n";

	o << "worker passes (outermost handler call; packets from per-packet calls)\n";
	o << pad("kind", 6, true) << pad("passes", 8) << pad("complete", 10)
	  << pad("empty", 7) << pad("packets", 9) << pad("pkt/pass", 10)
	  << pad("p50", 6) << pad("p99", 6) << pad("max", 6)
	  << pad("dur p50 us", 13) << pad("p99 us", 12) << pad("max us", 12) << "\n";
	for (const auto &k : a.pass_kinds) {
		o << pad(k.kind, 6, true) << pad(std::to_string(k.passes), 8)
		  << pad(std::to_string(k.complete), 10)
		  << pad(std::to_string(k.empty), 7)
		  << pad(std::to_string(k.packets), 9)
		  << pad(fmt("%.2f", k.packets_per_pass.mean), 10)
		  << pad(std::to_string(k.packets_per_pass.p50), 6)
		  << pad(std::to_string(k.packets_per_pass.p99), 6)
		  << pad(std::to_string(k.packets_per_pass.max), 6)
		  << pad(fmt_us(k.duration.p50), 13) << pad(fmt_us(k.duration.p99), 12)
		  << pad(fmt_us(k.duration.max), 12) << "\n";
	}
	if (a.pass_kinds.empty())
		o << "  (no pass functions of profile '" << a.profile << "' in the trace)\n";
	o << "\n";

	const WakeupStats &w = a.wakeups;
	o << "wakeups: " << w.wakeups;
	if (!w.by_func.empty()) {
		o << " (";
		bool first = true;
		for (const auto &[f, n] : w.by_func) {
			o << (first ? "" : ", ") << f << " " << n;
			first = false;
		}
		o << ")";
	}
	o << "\n";
	if (w.timer_wakeups) {
		o << "  timer wakeups " << w.timer_wakeups;
		if (w.shared_wakeups)
			o << " (and " << w.shared_wakeups << " sibling queues served)";
		o << ", kicks and socket wakeups "
		  << w.wakeups - w.timer_wakeups - w.shared_wakeups << "\n";
	}
	if (w.available) {
		o << "  per pass " << fmt("%.2f", w.wakeups_per_pass) << ", passes woken "
		  << w.woken_passes << " (by timers only " << w.timer_only_passes
		  << "), started without a wakeup " << w.unwoken_passes
		  << ", handler runs " << w.handler_runs << "\n";
		o << "  wakeup -> handler latency us: p50 " << fmt_us(w.latency.p50)
		  << "  p99 " << fmt_us(w.latency.p99) << "  max " << fmt_us(w.latency.max)
		  << "  (n " << w.latency.n << ")\n";
	} else {
		o << "  latency and wakeups per pass need funcgraph-abstime\n";
	}
	const SwitchStats &s = a.switches;
	o << "context switches: " << s.total;
	if (!s.per_cpu.empty()) {
		o << " (";
		bool first = true;
		for (const auto &[cpu, n] : s.per_cpu) {
			o << (first ? "" : ", ") << "cpu" << cpu << " " << n;
			first = false;
		}
		o << ")";
	}
	o << ", into vhost workers " << s.to_vhost << ", out of them " << s.from_vhost
	  << "\n\n";

	size_t rows = opt.top ? std::min(opt.top, a.functions.size())
			      : a.functions.size();
	o << "functions (" << rows << " of " << a.functions.size()
	  << ", by total time; times in us)\n";
	auto label = [](const FuncStats &f) {
		return f.module.empty() ? f.func : f.func + " [" + f.module + "]";
	};
	size_t nw = 8;
	for (size_t r = 0; r < rows; r++)
		nw = std::max(nw, label(a.functions[r]).size());
	o << pad("function", nw, true) << pad("calls", 8) << pad("total", 14)
	  << pad("p50", 12) << pad("p99", 12) << pad("max", 13) << pad("self", 14)
	  << pad("p50", 12) << pad("p99", 12) << pad("max", 13) << "\n";
	for (size_t r = 0; r < rows; r++) {
		const FuncStats &f = a.functions[r];
		o << pad(label(f), nw, true) << pad(std::to_string(f.calls), 8)
		  << pad(fmt_us(f.total.sum), 14) << pad(fmt_us(f.total.p50), 12)
		  << pad(fmt_us(f.total.p99), 12) << pad(fmt_us(f.total.max), 13)
		  << pad(fmt_us(f.self.sum), 14) << pad(fmt_us(f.self.p50), 12)
		  << pad(fmt_us(f.self.p99), 12) << pad(fmt_us(f.self.max), 13) << "\n";
	}
	return o.str();
}

std::string render_functions_csv(const Analysis &a)
{
	std::ostringstream o;
	o << "function,module,calls,incomplete,total_ns,total_p50_ns,total_p99_ns,"
	     "total_max_ns,self_ns,self_p50_ns,self_p99_ns,self_max_ns\n";
	for (const auto &f : a.functions) {
		o << csv_field(f.func) << ',' << csv_field(f.module) << ',' << f.calls
		  << ',' << f.incomplete << ',' << f.total.sum << ',' << f.total.p50
		  << ',' << f.total.p99 << ',' << f.total.max << ',' << f.self.sum << ','
		  << f.self.p50 << ',' << f.self.p99 << ',' << f.self.max << "\n";
	}
	return o.str();
}

std::string render_passes_csv(const Analysis &a)
{
	std::ostringstream o;
	o << "index,kind,function,cpu,start_ns,duration_ns,complete,packets,"
	     "wakeups,wakeup_latency_ns,timer_wakeups\n";
	for (size_t i = 0; i < a.passes.size(); i++) {
		const Pass &p = a.passes[i];
		o << i << ',' << p.kind << ',' << csv_field(p.func) << ',' << p.cpu << ','
		  << (p.start_ns ? std::to_string(*p.start_ns) : "") << ','
		  << (p.dur_ns ? std::to_string(*p.dur_ns) : "") << ','
		  << (p.complete ? 1 : 0) << ',' << p.packets << ',' << p.wakeups << ','
		  << (p.wakeup_latency_ns ? std::to_string(*p.wakeup_latency_ns) : "")
		  << ',' << p.timer_wakeups << "\n";
	}
	return o.str();
}

std::string render_folded(const Analysis &a)
{
	std::ostringstream o;
	for (const auto &[stack, ns] : a.folded)
		if (ns > 0)
			o << stack << ' ' << ns << "\n";
	return o.str();
}

json to_json(const Analysis &a)
{
	const TraceInfo &i = a.info;
	json info = {
		{"lines", i.lines}, {"events", i.events},
		{"unknown_lines", i.unknown_lines}, {"cpus", i.cpus},
		{"tasks", i.tasks},
		{"columns", {{"abstime", i.abstime}, {"cpu", i.cpu}, {"proc", i.proc},
			     {"duration", i.duration}, {"tail", i.tail}}},
		{"span_ns", i.span_ns ? json(*i.span_ns) : json(nullptr)},
		{"calls", i.frames}, {"open_calls", i.open_frames},
		{"truncated_calls", i.truncated_frames}, {"lost_events", i.lost_events},
		{"irqs", i.irqs}, {"comments", i.comments},
		{"tail_mismatches", i.tail_mismatches},
		{"interrupted_returns", i.displaced_returns},
	};
	json funcs = json::array();
	for (const auto &f : a.functions)
		funcs.push_back({{"function", f.func}, {"module", f.module},
				 {"calls", f.calls}, {"incomplete", f.incomplete},
				 {"total_ns", dist_json(f.total)},
				 {"self_ns", dist_json(f.self)}});
	json passes = json::object();
	for (const auto &k : a.pass_kinds)
		passes[k.kind] = {{"passes", k.passes}, {"complete", k.complete},
				  {"empty", k.empty}, {"packets", k.packets},
				  {"packets_per_pass", dist_json(k.packets_per_pass)},
				  {"duration_ns", dist_json(k.duration)},
				  {"by_function", k.by_func}};
	const WakeupStats &w = a.wakeups;
	json wake = {{"available", w.available}, {"wakeups", w.wakeups},
		     {"timer_wakeups", w.timer_wakeups},
		     {"shared_wakeups", w.shared_wakeups}, {"by_function", w.by_func}};
	if (w.available) {
		wake["handler_runs"] = w.handler_runs;
		wake["woken_passes"] = w.woken_passes;
		wake["timer_only_passes"] = w.timer_only_passes;
		wake["unwoken_passes"] = w.unwoken_passes;
		wake["unconsumed"] = w.unconsumed;
		wake["wakeups_per_pass"] = w.wakeups_per_pass;
		wake["latency_ns"] = dist_json(w.latency);
	}
	json per_cpu = json::object();
	for (const auto &[cpu, n] : a.switches.per_cpu)
		per_cpu[std::to_string(cpu)] = n;
	json sw = {{"total", a.switches.total}, {"per_cpu", per_cpu},
		   {"into_vhost", a.switches.to_vhost},
		   {"out_of_vhost", a.switches.from_vhost},
		   {"into_task", a.switches.into_task}};
	return {{"profile", a.profile}, {"trace", info}, {"passes", passes},
		{"wakeups", wake}, {"context_switches", sw}, {"functions", funcs}};
}

namespace {

struct DiffRow {
	std::string what;
	double a, b;
	bool time;  // ns, shown in us
};

std::vector<DiffRow> summary_rows(const Analysis &a, const Analysis &b)
{
	std::vector<DiffRow> rows;
	std::set<std::string> kinds;
	for (const auto &k : a.pass_kinds)
		kinds.insert(k.kind);
	for (const auto &k : b.pass_kinds)
		kinds.insert(k.kind);
	PassKindStats none;
	for (const auto &k : kinds) {
		const PassKindStats *x = kind_of(a, k), *y = kind_of(b, k);
		if (!x)
			x = &none;
		if (!y)
			y = &none;
		auto empty_pct = [](const PassKindStats *p) {
			return p->complete ? 100.0 * double(p->empty) / double(p->complete) : 0;
		};
		rows.push_back({k + " passes", double(x->passes), double(y->passes), false});
		rows.push_back({k + " packets", double(x->packets), double(y->packets), false});
		rows.push_back({k + " packets/pass mean", x->packets_per_pass.mean,
				y->packets_per_pass.mean, false});
		rows.push_back({k + " empty passes %", empty_pct(x), empty_pct(y), false});
		rows.push_back({k + " pass duration p50 us", double(x->duration.p50),
				double(y->duration.p50), true});
		rows.push_back({k + " pass duration p99 us", double(x->duration.p99),
				double(y->duration.p99), true});
	}
	rows.push_back({"wakeups", double(a.wakeups.wakeups), double(b.wakeups.wakeups),
			false});
	rows.push_back({"timer wakeups", double(a.wakeups.timer_wakeups),
			double(b.wakeups.timer_wakeups), false});
	rows.push_back({"kick/socket wakeups",
			double(a.wakeups.wakeups - a.wakeups.timer_wakeups),
			double(b.wakeups.wakeups - b.wakeups.timer_wakeups), false});
	if (a.wakeups.available || b.wakeups.available) {
		rows.push_back({"wakeups per pass", a.wakeups.wakeups_per_pass,
				b.wakeups.wakeups_per_pass, false});
		rows.push_back({"passes woken by timers only",
				double(a.wakeups.timer_only_passes),
				double(b.wakeups.timer_only_passes), false});
		rows.push_back({"passes without a wakeup", double(a.wakeups.unwoken_passes),
				double(b.wakeups.unwoken_passes), false});
		rows.push_back({"wakeup latency p50 us", double(a.wakeups.latency.p50),
				double(b.wakeups.latency.p50), true});
		rows.push_back({"wakeup latency p99 us", double(a.wakeups.latency.p99),
				double(b.wakeups.latency.p99), true});
	}
	rows.push_back({"context switches", double(a.switches.total),
			double(b.switches.total), false});
	rows.push_back({"switches into vhost workers", double(a.switches.to_vhost),
			double(b.switches.to_vhost), false});
	uint64_t pa = total_packets(a), pb = total_packets(b);
	if (pa && pb) {
		rows.push_back({"wakeups per packet", double(a.wakeups.wakeups) / double(pa),
				double(b.wakeups.wakeups) / double(pb), false});
		rows.push_back({"switches per packet", double(a.switches.total) / double(pa),
				double(b.switches.total) / double(pb), false});
	}
	return rows;
}

// The functions to compare: the top ones of either side by total time.
std::vector<std::string> diff_functions(const Analysis &a, const Analysis &b,
					size_t top)
{
	std::vector<std::string> names;
	std::set<std::string> seen;
	size_t n = std::max(a.functions.size(), b.functions.size());
	for (size_t i = 0; i < n && (top == 0 || names.size() < top); i++) {
		for (const Analysis *x : {&a, &b}) {
			if (i < x->functions.size() && seen.insert(x->functions[i].func).second)
				names.push_back(x->functions[i].func);
		}
	}
	if (top && names.size() > top)
		names.resize(top);
	return names;
}

}  // namespace

std::string render_diff(const Analysis &a, const std::string &name_a,
			const Analysis &b, const std::string &name_b,
			const ReportOptions &opt)
{
	std::ostringstream o;
	o << "A: " << name_a << "\nB: " << name_b << "\n\n";
	o << pad("", 30, true) << pad("A", 14) << pad("B", 14) << pad("B/A", 9) << "\n";
	for (const auto &r : summary_rows(a, b)) {
		auto show = [&](double v) {
			return r.time ? fmt_us(uint64_t(v)) : fmt(v == uint64_t(v) ? "%.0f" : "%.2f", v);
		};
		o << pad(r.what, 30, true) << pad(show(r.a), 14) << pad(show(r.b), 14)
		  << pad(ratio(r.a, r.b), 9) << "\n";
	}
	uint64_t pa = total_packets(a), pb = total_packets(b);
	o << "\nfunctions (times in us" << (pa && pb ? "; per packet = calls / packets" : "")
	  << ")\n";
	o << pad("function", 30, true) << pad("calls A", 9) << pad("calls B", 9);
	if (pa && pb)
		o << pad("/pkt A", 8) << pad("/pkt B", 8);
	o << pad("self A", 12) << pad("self B", 12) << pad("B/A", 8)
	  << pad("p50 A", 10) << pad("p50 B", 10) << "\n";
	FuncStats none;
	for (const auto &name : diff_functions(a, b, opt.top)) {
		const FuncStats *x = func_of(a, name), *y = func_of(b, name);
		if (!x)
			x = &none;
		if (!y)
			y = &none;
		o << pad(name, 30, true) << pad(std::to_string(x->calls), 9)
		  << pad(std::to_string(y->calls), 9);
		if (pa && pb)
			o << pad(fmt("%.2f", double(x->calls) / double(pa)), 8)
			  << pad(fmt("%.2f", double(y->calls) / double(pb)), 8);
		o << pad(fmt_us(x->self.sum), 12) << pad(fmt_us(y->self.sum), 12)
		  << pad(ratio(double(x->self.sum), double(y->self.sum)), 8)
		  << pad(fmt_us(x->total.p50), 10) << pad(fmt_us(y->total.p50), 10)
		  << "\n";
	}
	return o.str();
}

json diff_json(const Analysis &a, const std::string &name_a, const Analysis &b,
	       const std::string &name_b)
{
	json rows = json::array();
	for (const auto &r : summary_rows(a, b))
		rows.push_back({{"metric", r.what}, {"a", r.a}, {"b", r.b},
				{"ratio", r.a != 0 ? json(r.b / r.a) : json(nullptr)}});
	json funcs = json::array();
	FuncStats none;
	for (const auto &name : diff_functions(a, b, 0)) {
		const FuncStats *x = func_of(a, name), *y = func_of(b, name);
		if (!x)
			x = &none;
		if (!y)
			y = &none;
		funcs.push_back({{"function", name}, {"calls_a", x->calls},
				 {"calls_b", y->calls}, {"self_ns_a", x->self.sum},
				 {"self_ns_b", y->self.sum}, {"total_p50_ns_a", x->total.p50},
				 {"total_p50_ns_b", y->total.p50}});
	}
	return {{"a", {{"file", name_a}, {"analysis", to_json(a)}}},
		{"b", {{"file", name_b}, {"analysis", to_json(b)}}},
		{"summary", rows}, {"functions", funcs}};
}

}  // namespace lwvhost::trace
