// SPDX-License-Identifier: GPL-2.0
#include "analysis.h"
#include "percentile.h"

#include <algorithm>
#include <tuple>

namespace lwvhost::trace {

namespace {

// One table for the built-in profiles: Linux's vhost_net (6.1 and 6.12
// names) and lwvhost's (checked against recordings of both in
// tracefile-samples/). A row belongs to the profiles named in `in`.
struct PassRow {
	const char *func, *kind, *in;
};
const PassRow kPassRows[] = {
	// Work functions the worker runs; the outermost one is the pass.
	{"handle_tx_kick", "tx", "stock"},
	{"handle_tx_net", "tx", "stock"},
	{"handle_tx", "tx", "stock"},
	{"handle_tx_copy", "tx", "stock"},
	{"handle_tx_zerocopy", "tx", "stock"},
	{"handle_rx_kick", "rx", "stock"},
	{"handle_rx_net", "rx", "stock"},
	{"handle_rx", "rx", "stock"},
	// lwvhost: *_kick run for a guest kick or a poll-timer expiry (both
	// queue vq->poll.work), *_sock for a tap socket wakeup; each calls
	// the pass proper, vhost_net_handle_{tx,rx}.
	{"vhost_net_tx_kick", "tx", "lwvhost"},
	{"vhost_net_tx_sock", "tx", "lwvhost"},
	{"vhost_net_handle_tx", "tx", "lwvhost"},
	{"vhost_net_rx_kick", "rx", "lwvhost"},
	{"vhost_net_rx_sock", "rx", "lwvhost"},
	{"vhost_net_handle_rx", "rx", "lwvhost"},
};

struct PacketRow {
	const char *kind, *spec, *in;
};
const PacketRow kPacketRows[] = {
	// TX: every descriptor chain the guest posted is fetched once; the
	// final fetch that finds the ring empty translates nothing. (tun's
	// sendmsg is called once per batch of up to 64 frames in stock, so it
	// does not count packets.)
	{"tx", "vhost_get_vq_desc/translate_desc", "stock"},
	// lwvhost maps every direct descriptor with vhost_vq_map_desc and an
	// indirect table through vhost_vq_walk_indirect; the empty fetch
	// calls neither.
	{"tx", "vhost_vq_get_desc/vhost_vq_map_desc", "lwvhost"},
	{"tx", "vhost_vq_get_desc/vhost_vq_walk_indirect", "lwvhost"},
	// RX: one recvmsg on the tap socket per frame.
	{"rx", "tun_recvmsg", "stock lwvhost"},
	{"rx", "tap_recvmsg", "stock lwvhost"},
};

struct NameRow {
	const char *func, *in;
};
const NameRow kWakeupRows[] = {
	{"vhost_poll_wakeup", "stock lwvhost"},  // eventfd kick, socket ready
	{"vhost_poll_queue", "stock lwvhost"},   // handler re-queues itself
	{"vhost_work_queue", "stock lwvhost"},   // 6.1; lwvhost: flush, signal
	{"vhost_vq_work_queue", "stock"},        // 6.12
	{"vhost_worker_queue", "stock"},         // 6.12 (static, not inlined)
};
// hrtimer callbacks that queue work: the pacing poll timer (queues the
// vq's handler, instead of a kick) and the coalescing release timer.
const NameRow kTimerWakeupRows[] = {
	{"vhost_pace_poll_timer_fn", "lwvhost"},
	{"vhost_pace_signal_timer_fn", "lwvhost"},
};
// Wakeup calls inside these are not wakeups: lwvhost's open applies the
// default pacing through the same setter knob writes use, which queues the
// handlers, but the device has no worker yet, so nothing is queued.
const NameRow kNoWakeupUnderRows[] = {
	{"vhost_net_register", "lwvhost"},
};
const NameRow kOtherWorkRows[] = {
	{"vhost_flush_work", "stock"},  // 6.1 and 6.12
	{"vhost_attach_cgroups_work", "stock"},
	{"vhost_flush_fn", "lwvhost"},
	{"vhost_pace_signal_work_fn", "lwvhost"},  // held interrupt released
};

bool in_profile(const char *in, const std::string &name)
{
	if (name == "all")
		return true;
	std::string_view s(in);
	size_t pos = 0;
	while (pos < s.size()) {
		size_t sp = s.find(' ', pos);
		if (sp == std::string_view::npos)
			sp = s.size();
		if (s.substr(pos, sp - pos) == name)
			return true;
		pos = sp + 1;
	}
	return false;
}

bool name_is(const std::string &func, const std::string &name)
{
	return func == name || base_name(func) == name;
}

template <typename Map>
auto find_name(const Map &m, const std::string &func)
{
	auto it = m.find(func);
	if (it == m.end())
		it = m.find(std::string(base_name(func)));
	return it;
}

bool set_has(const std::set<std::string> &s, const std::string &func)
{
	return s.count(func) || s.count(std::string(base_name(func)));
}

bool packet_match(const Trace &t, const Frame &f, const std::string &spec)
{
	size_t slash = spec.find('/');
	if (slash == std::string::npos)
		return name_is(f.func, spec);
	if (!name_is(f.func, spec.substr(0, slash)))
		return false;
	std::string child = spec.substr(slash + 1);
	for (int c : f.children)
		if (name_is(t.frames[c].func, child))
			return true;
	return false;
}

// Outermost per-packet calls under `idx`; also tells whether the whole
// subtree is in the trace.
void count_packets(const Trace &t, int idx, const std::vector<std::string> &specs,
		   uint64_t &packets, bool &complete)
{
	const Frame &f = t.frames[idx];
	if (f.open || f.start_truncated)
		complete = false;
	for (const auto &s : specs) {
		if (packet_match(t, f, s)) {
			packets++;
			// Still walk the subtree for completeness.
			std::vector<std::string> none;
			for (int c : f.children)
				count_packets(t, c, none, packets, complete);
			return;
		}
	}
	for (int c : f.children)
		count_packets(t, c, specs, packets, complete);
}

std::string stack_of(const Trace &t, int idx)
{
	std::vector<const std::string *> names;
	for (int i = idx; i >= 0; i = t.frames[i].parent)
		names.push_back(&t.frames[i].func);
	std::string s;
	for (auto it = names.rbegin(); it != names.rend(); ++it) {
		if (!s.empty())
			s += ';';
		s += **it;
	}
	return s;
}

}  // namespace

std::vector<std::string> builtin_profile_names()
{
	return {"all", "stock", "lwvhost"};
}

std::optional<Profile> builtin_profile(const std::string &name)
{
	auto names = builtin_profile_names();
	if (std::find(names.begin(), names.end(), name) == names.end())
		return std::nullopt;
	Profile p;
	p.name = name;
	for (const auto &r : kPassRows)
		if (in_profile(r.in, name))
			p.pass_funcs[r.func] = r.kind;
	for (const auto &r : kPacketRows)
		if (in_profile(r.in, name))
			p.packet_funcs[r.kind].push_back(r.spec);
	for (const auto &r : kWakeupRows)
		if (in_profile(r.in, name))
			p.wakeup_funcs.insert(r.func);
	for (const auto &r : kTimerWakeupRows)
		if (in_profile(r.in, name))
			p.timer_wakeup_funcs.insert(r.func);
	for (const auto &r : kNoWakeupUnderRows)
		if (in_profile(r.in, name))
			p.no_wakeup_under.insert(r.func);
	for (const auto &r : kOtherWorkRows)
		if (in_profile(r.in, name))
			p.other_work_funcs.insert(r.func);
	return p;
}

Dist make_dist(std::vector<uint64_t> v)
{
	Dist d;
	if (v.empty())
		return d;
	std::sort(v.begin(), v.end());
	d.n = v.size();
	for (uint64_t x : v)
		d.sum += x;
	d.min = v.front();
	d.max = v.back();
	d.p50 = lwvhost::percentile_sorted(v, 50);
	d.p99 = lwvhost::percentile_sorted(v, 99);
	d.mean = double(d.sum) / double(d.n);
	return d;
}

namespace {

// What the input was: its lines, formats, tasks and damage.
TraceInfo trace_info(const Trace &t)
{
	TraceInfo info;
	info.lines = t.lines;
	info.events = t.events();
	info.unknown_lines = t.unknown_lines();
	info.unknown_samples = t.unknown_samples;
	info.cpus = t.cpus;
	for (const auto &task : t.tasks)
		if (task.known())
			info.tasks.push_back(task.name());
	info.abstime = t.has_abstime;
	info.cpu = t.has_cpu;
	info.proc = t.has_proc;
	info.duration = t.has_duration;
	info.tail = t.has_tail;
	if (t.first_ns && t.last_ns)
		info.span_ns = *t.last_ns - *t.first_ns;
	info.frames = t.frames.size();
	for (const auto &f : t.frames) {
		info.open_frames += f.open;
		info.truncated_frames += f.start_truncated;
	}
	for (const auto &[cpu, n] : t.lost_events)
		info.lost_events += n;
	info.irqs = t.irq_enters;
	info.comments = t.comments.size();
	info.tail_mismatches = t.tail_mismatches;
	info.displaced_returns = t.displaced_returns;

	return info;
}

// Calls, total and self time per function, by total time.
std::vector<FuncStats> function_stats(const Trace &t)
{
	std::vector<FuncStats> out;
	struct Acc {
		uint64_t calls = 0, incomplete = 0;
		std::vector<uint64_t> total, self;
	};
	std::map<std::pair<std::string, std::string>, Acc> acc;
	for (size_t i = 0; i < t.frames.size(); i++) {
		const Frame &f = t.frames[i];
		Acc &x = acc[{f.func, f.module}];
		x.calls++;
		if (!f.complete()) {
			x.incomplete++;
			continue;
		}
		x.total.push_back(*f.dur_ns);
		uint64_t kids = 0;
		bool exact = true;
		for (int c : f.children) {
			if (!t.frames[c].dur_ns) {
				exact = false;
				break;
			}
			kids += *t.frames[c].dur_ns;
		}
		if (exact)
			x.self.push_back(*f.dur_ns > kids ? *f.dur_ns - kids : 0);
	}
	for (auto &[key, x] : acc) {
		FuncStats s;
		s.func = key.first;
		s.module = key.second;
		s.calls = x.calls;
		s.incomplete = x.incomplete;
		s.total = make_dist(std::move(x.total));
		s.self = make_dist(std::move(x.self));
		out.push_back(std::move(s));
	}
	std::sort(out.begin(), out.end(),
		  [](const FuncStats &l, const FuncStats &r) {
			  return std::tie(r.total.sum, r.calls, l.func) <
				 std::tie(l.total.sum, l.calls, r.func);
		  });

	return out;
}

struct Wakeup {
	uint64_t start;
	bool timer;
};

// What the walk over the call trees found besides the passes themselves.
struct Walk {
	std::vector<Wakeup> wakeups;
	std::vector<std::pair<uint64_t, int>> handlers;  // start, pass index or -1
	uint64_t no_time = 0;  // wakeups without a timestamp
};

// The worker's passes (outermost pass functions, with their packets),
// the wakeup calls (outermost only, and each queue call past the first
// under one timer callback) and the handler starts, in one walk.
Walk walk_passes(const Trace &t, const Profile &profile, Analysis &a)
{
	Walk w;
	std::vector<Wakeup> &wakeups = w.wakeups;
	auto &handlers = w.handlers;
	uint64_t &wakeups_no_time = w.no_time;
	// Walk each tree once, remembering whether we are inside a pass or a
	// wakeup call already, inside a timer callback, and under one of its
	// queue calls.
	struct Item {
		int idx;
		bool in_pass, in_wakeup, in_timer, in_queue_call;
	};
	// Outermost queue calls under the timer callback being walked: the
	// walk is depth-first and a timer under a wakeup is not counted, so
	// one callback's subtree ends before the next callback begins.
	int timer_queue_calls = 0;
	std::vector<Item> todo;
	auto roots = t.roots();
	for (auto it = roots.rbegin(); it != roots.rend(); ++it)
		todo.push_back({*it, false, false, false, false});
	// Depth-first in trace order: children pushed in reverse.
	while (!todo.empty()) {
		Item it = todo.back();
		todo.pop_back();
		const Frame &f = t.frames[it.idx];
		bool in_pass = it.in_pass, in_wakeup = it.in_wakeup;
		bool in_timer = it.in_timer, in_queue_call = it.in_queue_call;
		if (!in_pass) {
			auto pk = find_name(profile.pass_funcs, f.func);
			if (pk != profile.pass_funcs.end()) {
				Pass p;
				p.frame = it.idx;
				p.func = f.func;
				p.kind = pk->second;
				p.cpu = f.cpu;
				p.task = f.task;
				p.start_ns = f.start_ns;
				p.dur_ns = f.dur_ns;
				bool complete = true;
				auto specs = profile.packet_funcs.find(p.kind);
				count_packets(t, it.idx, specs == profile.packet_funcs.end()
					      ? std::vector<std::string>{} : specs->second,
					      p.packets, complete);
				p.complete = complete && f.complete();
				if (p.start_ns)
					handlers.emplace_back(*p.start_ns, int(a.passes.size()));
				a.passes.push_back(std::move(p));
				in_pass = true;
			} else if (set_has(profile.other_work_funcs, f.func) && f.start_ns) {
				handlers.emplace_back(*f.start_ns, -1);
			}
		}
		if (set_has(profile.no_wakeup_under, f.func))
			in_wakeup = true;
		bool timer = set_has(profile.timer_wakeup_funcs, f.func);
		bool queue_call = set_has(profile.wakeup_funcs, f.func);
		if (!in_wakeup && (timer || queue_call)) {
			in_wakeup = true;
			a.wakeups.by_func[std::string(base_name(f.func))]++;
			a.wakeups.timer_wakeups += timer;
			if (f.start_ns)
				wakeups.push_back({*f.start_ns, timer});
			else
				wakeups_no_time++;
			if (timer) {
				in_timer = true;
				timer_queue_calls = 0;
			}
		} else if (in_timer && !in_queue_call && queue_call &&
			   ++timer_queue_calls > 1) {
			// One poll-timer expiry may also queue a sibling queue's
			// handler: every queue call past the first is a wakeup too.
			a.wakeups.shared_wakeups++;
			if (f.start_ns)
				wakeups.push_back({*f.start_ns, true});
			else
				wakeups_no_time++;
		}
		in_queue_call = in_queue_call || (in_timer && queue_call);
		for (auto c = f.children.rbegin(); c != f.children.rend(); ++c)
			todo.push_back({*c, in_pass, in_wakeup, in_timer, in_queue_call});
	}

	return w;
}

// Pass statistics per kind (tx, rx).
std::vector<PassKindStats> pass_kind_stats(const std::vector<Pass> &passes)
{
	std::vector<PassKindStats> out;
	std::map<std::string, std::pair<std::vector<uint64_t>, std::vector<uint64_t>>> per;
	std::map<std::string, PassKindStats> kinds;
	for (const auto &p : passes) {
		PassKindStats &k = kinds[p.kind];
		k.kind = p.kind;
		k.passes++;
		k.by_func[p.func]++;
		k.packets += p.packets;
		if (!p.complete)
			continue;
		k.complete++;
		if (p.packets == 0)
			k.empty++;
		per[p.kind].first.push_back(p.packets);
		per[p.kind].second.push_back(*p.dur_ns);
	}
	for (auto &[kind, k] : kinds) {
		k.packets_per_pass = make_dist(per[kind].first);
		k.duration = make_dist(per[kind].second);
		out.push_back(k);
	}

	return out;
}

// Wakeup -> next handler start: every handler run takes all wakeups
// queued since the previous one.
void wakeup_latency(const Trace &t, Walk &walk, Analysis &a)
{
	std::vector<Wakeup> &wakeups = walk.wakeups;
	auto &handlers = walk.handlers;
	WakeupStats &w = a.wakeups;
	w.wakeups = wakeups.size() + walk.no_time;
	w.available = t.has_abstime;
	if (w.available) {
		std::stable_sort(wakeups.begin(), wakeups.end(),
				 [](auto &l, auto &r) { return l.start < r.start; });
		std::stable_sort(handlers.begin(), handlers.end(),
				 [](auto &l, auto &r) { return l.first < r.first; });
		std::vector<uint64_t> lat, per_pass;
		size_t wi = 0;
		for (const auto &[start, pass] : handlers) {
			size_t first = wi;
			uint64_t timers = 0;
			while (wi < wakeups.size() && wakeups[wi].start <= start)
				timers += wakeups[wi++].timer;
			uint64_t n = wi - first;
			w.handler_runs++;
			if (n > 0)
				lat.push_back(start - wakeups[first].start);
			if (pass < 0)
				continue;
			Pass &p = a.passes[pass];
			p.wakeups = n;
			p.timer_wakeups = timers;
			if (n > 0) {
				p.wakeup_latency_ns = start - wakeups[first].start;
				w.woken_passes++;
				if (timers == n)
					w.timer_only_passes++;
			} else {
				w.unwoken_passes++;
			}
			per_pass.push_back(n);
		}
		w.unconsumed = wakeups.size() - wi;
		w.latency = make_dist(lat);
		Dist pp = make_dist(per_pass);
		w.wakeups_per_pass = pp.mean;
	}

}

// Context switches, per CPU and into the vhost workers.
SwitchStats switch_stats(const Trace &t)
{
	SwitchStats s;
	for (const auto &sw : t.switches) {
		s.total++;
		s.per_cpu[sw.cpu]++;
		const Task &next = t.tasks[sw.next];
		const Task &prev = t.tasks[sw.prev];
		if (next.comm.rfind("vhost-", 0) == 0)
			s.to_vhost++;
		if (prev.comm.rfind("vhost-", 0) == 0)
			s.from_vhost++;
		s.into_task[next.name()]++;
	}

	return s;
}

// Folded stacks: the self time of every call with a duration.
std::map<std::string, uint64_t> folded_stacks(const Trace &t)
{
	std::map<std::string, uint64_t> folded;
	for (size_t i = 0; i < t.frames.size(); i++) {
		const Frame &f = t.frames[i];
		if (!f.dur_ns)
			continue;
		uint64_t kids = 0;
		for (int c : f.children)
			if (t.frames[c].dur_ns)
				kids += *t.frames[c].dur_ns;
		uint64_t self = *f.dur_ns > kids ? *f.dur_ns - kids : 0;
		folded[stack_of(t, int(i))] += self;
	}
	return folded;
}

}  // namespace

Analysis analyze(const Trace &t, const Profile &profile)
{
	Analysis a;
	a.profile = profile.name;
	a.info = trace_info(t);
	a.functions = function_stats(t);
	Walk walk = walk_passes(t, profile, a);
	a.pass_kinds = pass_kind_stats(a.passes);
	wakeup_latency(t, walk, a);
	a.switches = switch_stats(t);
	a.folded = folded_stacks(t);
	return a;
}

}  // namespace lwvhost::trace
