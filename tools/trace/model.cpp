// SPDX-License-Identifier: GPL-2.0
#include "model.h"
#include "tracecmd_text.h"

#include <algorithm>

namespace lwvhost::trace {

std::string Task::name() const
{
	return known() ? comm + "-" + std::to_string(pid) : comm;
}

std::vector<int> Trace::roots() const
{
	std::vector<int> r;
	for (size_t i = 0; i < frames.size(); i++)
		if (frames[i].parent < 0)
			r.push_back(int(i));
	return r;
}

uint64_t Trace::unknown_lines() const
{
	auto it = line_kinds.find(LineKind::Unknown);
	return it == line_kinds.end() ? 0 : it->second;
}

uint64_t Trace::events() const
{
	uint64_t n = 0;
	for (auto k : {LineKind::Entry, LineKind::Leaf, LineKind::Exit}) {
		auto it = line_kinds.find(k);
		if (it != line_kinds.end())
			n += it->second;
	}
	return n;
}

int TraceBuilder::task_index(const TaskRef &ref)
{
	std::string key = ref.key();
	auto it = task_by_key_.find(key);
	if (it != task_by_key_.end())
		return it->second;
	int idx = int(t_.tasks.size());
	t_.tasks.push_back(Task{ref.comm, ref.pid});
	task_by_key_[key] = idx;
	return idx;
}

// A task we have not been told the name of yet: what ran on `cpu` before the
// first banner there (or after lost events).
int TraceBuilder::placeholder_task(int cpu)
{
	int idx = int(t_.tasks.size());
	t_.tasks.push_back(Task{"?cpu" + std::to_string(cpu), -1});
	return idx;
}

int TraceBuilder::current_task(const Line &line)
{
	CpuState &c = cpus_[line.cpu];
	if (line.task) {
		c.task = task_index(*line.task);
		return c.task;
	}
	if (c.task < 0) {
		c.task = continuing_task(line);
		if (c.task < 0)
			c.task = placeholder_task(line.cpu);
	} else if (t_.tasks[c.task].known() && states_[c.task].stack.empty()) {
		// A task switched in by a banner, with nothing open, continuing a
		// call: it migrated here from a CPU where we never learnt its name.
		int cand = continuing_task(line);
		if (cand >= 0 && !t_.tasks[cand].known())
			merge_placeholder(cand, c.task);
	}
	return c.task;
}

// What we recorded for an unnamed task belongs to `known`.
bool TraceBuilder::merge_placeholder(int ph_idx, int known)
{
	TaskState &ph = states_[ph_idx];
	TaskState &kn = states_[known];
	if (!kn.stack.empty() || !kn.pending.empty())
		return false;
	kn = ph;
	ph = TaskState{};
	for (auto &f : t_.frames)
		if (f.task == ph_idx)
			f.task = known;
	for (auto &[cpu, cs] : cpus_)
		if (cs.task == ph_idx)
			cs.task = known;
	return true;
}

// The first event of a CPU comes without a banner (and so does the first
// after lost events). If it continues an open call (it is nested, or it is
// a return), it belongs to a task that was running that call elsewhere and
// migrated here: the one whose innermost open call sits one level up (for a
// return, at the same level and, with funcgraph-tail, of the same name).
int TraceBuilder::continuing_task(const Line &line)
{
	bool exit = line.kind == LineKind::Exit;
	if (line.depth < 0 || (!exit && line.depth == 0))
		return -1;
	int want = exit ? line.depth : line.depth - 1;
	int best = -1;
	bool best_idle = false;
	for (auto &[task, st] : states_) {
		if (st.stack.empty())
			continue;
		const Frame &top = t_.frames[st.stack.back()];
		if (top.depth != want || (exit && !line.func.empty() && top.func != line.func))
			continue;
		bool idle = true;
		for (auto &[cpu, cs] : cpus_)
			if (cs.task == task && cpu != line.cpu)
				idle = false;
		// Prefer a task no CPU is running; among equals the first seen.
		if (best < 0 || (idle && !best_idle)) {
			best = task;
			best_idle = idle;
		}
	}
	return best;
}

// Pops the calls deeper than `limit` whose return was lost.
void TraceBuilder::unwind_to(int task, int limit)
{
	auto &stack = states_[task].stack;
	while (!stack.empty()) {
		const Frame &top = t_.frames[stack.back()];
		if (top.depth < 0 || limit < -1 || top.depth <= limit)
			break;
		stack.pop_back();
	}
}

int TraceBuilder::new_frame(const Line &line, int task)
{
	Frame f;
	f.func = line.func;
	f.module = line.module;
	f.cpu = line.cpu;
	f.task = task;
	f.depth = line.depth;
	t_.frames.push_back(std::move(f));
	return int(t_.frames.size() - 1);
}

void TraceBuilder::attach(int task, int idx)
{
	TaskState &st = states_[task];
	Frame &f = t_.frames[idx];
	if (!st.stack.empty()) {
		f.parent = st.stack.back();
		t_.frames[f.parent].children.push_back(idx);
		return;
	}
	if (f.depth > 0)
		st.pending.push_back(idx);
	else if (f.depth == 0)
		st.pending.clear();
}

// Unwinds for a call printed at line.depth; remembers an open call at that
// very depth that the new call displaces.
void TraceBuilder::unwind_for_call(int task, const Line &line)
{
	TaskState &st = states_[task];
	if (line.depth >= 0 && !st.stack.empty()) {
		const Frame &top = t_.frames[st.stack.back()];
		if (top.depth == line.depth)
			st.displaced = st.stack.back();
		else if (top.depth > line.depth)
			st.displaced = -1;
	}
	if (st.displaced >= 0 && line.depth >= 0 &&
	    line.depth < t_.frames[st.displaced].depth)
		st.displaced = -1;
	unwind_to(task, line.depth < 0 ? -2 : line.depth - 1);
}

// A return at a depth where nothing is open, right after an open call at
// that depth was displaced by calls printed at its depth: an interrupt
// ran while it returned. The return is its, and the calls printed since
// (the interrupt's, at its depth) become its children.
bool TraceBuilder::return_of_displaced(int task, const Line &line)
{
	TaskState &st = states_[task];
	int d = st.displaced;
	st.displaced = -1;
	if (d < 0 || line.depth < 0)
		return false;
	Frame &f = t_.frames[d];
	if (!f.open || f.depth != line.depth ||
	    (!line.func.empty() && line.func != f.func))
		return false;
	int parent_now = st.stack.empty() ? -1 : st.stack.back();
	if (f.parent != parent_now)
		return false;
	std::vector<int> moved;
	for (size_t i = size_t(d) + 1; i < t_.frames.size(); i++) {
		const Frame &g = t_.frames[i];
		if (g.task == task && g.parent == f.parent && g.depth == f.depth)
			moved.push_back(int(i));
	}
	if (f.parent >= 0) {
		auto &kids = t_.frames[f.parent].children;
		kids.erase(std::remove_if(kids.begin(), kids.end(), [&](int k) {
			return std::find(moved.begin(), moved.end(), k) != moved.end();
		}), kids.end());
	} else {
		auto &pend = st.pending;
		pend.erase(std::remove_if(pend.begin(), pend.end(), [&](int k) {
			return std::find(moved.begin(), moved.end(), k) != moved.end();
		}), pend.end());
	}
	for (int k : moved) {
		t_.frames[k].parent = d;
		f.children.push_back(k);
	}
	f.dur_ns = line.duration_ns;
	f.end_ns = line.abstime_ns;
	f.open = false;
	t_.displaced_returns++;
	return true;
}

void TraceBuilder::on_entry(const Line &line)
{
	int task = current_task(line);
	unwind_for_call(task, line);
	int idx = new_frame(line, task);
	Frame &f = t_.frames[idx];
	f.start_ns = line.abstime_ns;
	f.open = true;
	attach(task, idx);
	states_[task].stack.push_back(idx);
}

void TraceBuilder::on_leaf(const Line &line)
{
	int task = current_task(line);
	unwind_for_call(task, line);
	int idx = new_frame(line, task);
	Frame &f = t_.frames[idx];
	f.leaf = true;
	f.start_ns = line.abstime_ns;
	f.dur_ns = line.duration_ns;
	if (f.start_ns && f.dur_ns)
		f.end_ns = *f.start_ns + *f.dur_ns;
	attach(task, idx);
}

void TraceBuilder::on_exit(const Line &line)
{
	int task = current_task(line);
	unwind_to(task, line.depth < 0 ? -2 : line.depth);
	TaskState &st = states_[task];
	if (!st.stack.empty()) {
		Frame &top = t_.frames[st.stack.back()];
		if (line.depth < 0 || top.depth < 0 || top.depth == line.depth) {
			if (!line.func.empty() && line.func != top.func)
				t_.tail_mismatches++;
			top.dur_ns = line.duration_ns;
			top.end_ns = line.abstime_ns;
			top.open = false;
			if (st.displaced >= 0 && top.depth >= 0 &&
			    top.depth < t_.frames[st.displaced].depth)
				st.displaced = -1;
			st.stack.pop_back();
			return;
		}
	}
	if (return_of_displaced(task, line))
		return;
	// A return whose entry is not in the buffer.
	int idx = new_frame(line, task);
	{
		Frame &f = t_.frames[idx];
		if (f.func.empty())
			f.func = "[unknown]";
		f.start_truncated = true;
		f.dur_ns = line.duration_ns;
		f.end_ns = line.abstime_ns;
		if (f.end_ns && f.dur_ns && *f.end_ns >= *f.dur_ns)
			f.start_ns = *f.end_ns - *f.dur_ns;
	}
	// It adopts the deeper calls that ran just before it.
	if (line.depth >= 0) {
		std::vector<int> &cand = st.stack.empty()
			? st.pending : t_.frames[st.stack.back()].children;
		size_t first = cand.size();
		while (first > 0 && first - 1 < cand.size()) {
			const Frame &c = t_.frames[cand[first - 1]];
			if (c.depth <= line.depth || c.depth < 0)
				break;
			first--;
		}
		for (size_t k = first; k < cand.size(); k++) {
			t_.frames[cand[k]].parent = idx;
			t_.frames[idx].children.push_back(cand[k]);
		}
		cand.resize(first);
	}
	attach(task, idx);
}

void TraceBuilder::on_banner(const Line &line)
{
	CpuState &c = cpus_[line.cpu];
	int prev = task_index(line.prev);
	// What ran here before the first banner was `prev`.
	if (c.task >= 0 && c.task != prev && !t_.tasks[c.task].known())
		merge_placeholder(c.task, prev);
	ContextSwitch sw;
	sw.cpu = line.cpu;
	sw.prev = prev;
	sw.next = task_index(line.next);
	sw.after_ns = last_ns_;
	t_.switches.push_back(sw);
	c.task = sw.next;
}

// The kernel prints a banner when a CPU's event is of another task than
// its previous event (the first event of a CPU has none); events of every
// kind count. Called before last_ns_ moves to this line, as for a banner
// line.
void TraceBuilder::derive_switch(const Line &line)
{
	switch (line.kind) {
	case LineKind::Entry:
	case LineKind::Leaf:
	case LineKind::Exit:
	case LineKind::Comment:
		break;
	default:
		return;
	}
	if (line.cpu < 0 || !line.task)
		return;
	auto it = last_task_.find(line.cpu);
	if (it != last_task_.end() && it->second.pid != line.task->pid) {
		Line banner;
		banner.kind = LineKind::Banner;
		banner.cpu = line.cpu;
		banner.prev = it->second;
		banner.next = *line.task;
		on_banner(banner);
	}
	last_task_[line.cpu] = *line.task;
}

void TraceBuilder::add_line(std::string_view text)
{
	add(parse_line(text), text);
}

void TraceBuilder::add(const Line &line, std::string_view text)
{
	t_.lines++;
	t_.line_kinds[line.kind]++;
	if (derive_switches_)
		derive_switch(line);
	if (line.abstime_ns) {
		t_.has_abstime = true;
		if (!t_.first_ns || *line.abstime_ns < *t_.first_ns)
			t_.first_ns = line.abstime_ns;
		if (!t_.last_ns || *line.abstime_ns > *t_.last_ns)
			t_.last_ns = line.abstime_ns;
		last_ns_ = line.abstime_ns;
	}
	if (line.task)
		t_.has_proc = true;
	if (line.has_duration_column)
		t_.has_duration = true;
	if (line.cpu >= 0 && line.kind != LineKind::Unknown) {
		if (line.kind != LineKind::Banner && line.kind != LineKind::Lost)
			t_.has_cpu = true;
		if (std::find(t_.cpus.begin(), t_.cpus.end(), line.cpu) == t_.cpus.end())
			t_.cpus.push_back(line.cpu);
	}
	switch (line.kind) {
	case LineKind::Entry:
		on_entry(line);
		break;
	case LineKind::Leaf:
		on_leaf(line);
		break;
	case LineKind::Exit:
		if (!line.func.empty())
			t_.has_tail = true;
		t_.overruns = std::max(t_.overruns, line.overruns);
		on_exit(line);
		break;
	case LineKind::Banner:
		on_banner(line);
		break;
	case LineKind::Lost:
		t_.lost_events[line.cpu] += line.lost;
		// Context switches may be among the lost events: without the proc
		// column we no longer know who runs here.
		cpus_[line.cpu].task = -1;
		break;
	case LineKind::Comment:
		t_.comments.push_back(Comment{line.cpu, current_task(line),
					      line.abstime_ns, line.text});
		break;
	case LineKind::IrqEnter:
		t_.irq_enters++;
		break;
	case LineKind::IrqExit:
		t_.irq_exits++;
		break;
	case LineKind::Unknown:
		if (t_.unknown_samples.size() < 10)
			t_.unknown_samples.emplace_back(t_.lines, std::string(text));
		break;
	default:
		break;
	}
}

Trace TraceBuilder::finish()
{
	std::sort(t_.cpus.begin(), t_.cpus.end());
	Trace out = std::move(t_);
	t_ = Trace{};
	task_by_key_.clear();
	cpus_.clear();
	states_.clear();
	last_ns_.reset();
	last_task_.clear();
	return out;
}

Trace build_trace(std::string_view text)
{
	bool report = looks_like_report(text);
	TraceBuilder b(report);
	size_t pos = 0;
	while (pos < text.size()) {
		size_t nl = text.find('\n', pos);
		if (nl == std::string_view::npos)
			nl = text.size();
		std::string_view line = text.substr(pos, nl - pos);
		if (report)
			b.add(parse_report_line(line), line);
		else
			b.add_line(line);
		pos = nl + 1;
	}
	return b.finish();
}

}  // namespace lwvhost::trace
