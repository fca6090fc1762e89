// SPDX-License-Identifier: GPL-2.0
#include "events.h"

#include <algorithm>
#include <map>

namespace lwvhost::trace {

namespace {

Line event_line(const TraceEvent &e)
{
	Line l;
	l.cpu = e.cpu;
	l.task = e.task;
	l.abstime_ns = e.ts_ns;
	switch (e.kind) {
	case TraceEvent::Kind::Entry:
		l.kind = LineKind::Entry;
		l.has_duration_column = true;
		l.depth = e.depth;
		l.func = e.func;
		break;
	case TraceEvent::Kind::Exit:
		l.kind = LineKind::Exit;
		l.has_duration_column = true;
		l.depth = e.depth;
		l.func = e.func;  // as funcgraph-tail prints it
		l.duration_ns = e.duration_ns;
		l.mark = e.duration_ns ? duration_mark(*e.duration_ns) : ' ';
		l.overruns = e.overrun;
		break;
	case TraceEvent::Kind::Other:
		l.kind = LineKind::Comment;
		l.text = e.text;
		break;
	}
	return l;
}

// The return that makes entry a leaf: it follows on the same CPU with
// nothing lost in between, and is of the same task and function.
bool returns_at_once(const TraceEvent &entry, const TraceEvent &next)
{
	return next.kind == TraceEvent::Kind::Exit && next.missed == 0 &&
	       next.task.pid == entry.task.pid && next.func_addr == entry.func_addr;
}

}  // namespace

std::vector<Line> lines_from_events(std::vector<TraceEvent> events)
{
	std::stable_sort(events.begin(), events.end(),
			 [](const TraceEvent &a, const TraceEvent &b) {
		if (a.ts_ns != b.ts_ns)
			return a.ts_ns < b.ts_ns;
		return a.cpu < b.cpu;
	});
	// next_on_cpu[i]: the index of the event after i on i's CPU.
	std::vector<size_t> next_on_cpu(events.size(), events.size());
	std::map<int, size_t> later;
	for (size_t i = events.size(); i-- > 0;) {
		auto it = later.find(events[i].cpu);
		if (it != later.end())
			next_on_cpu[i] = it->second;
		later[events[i].cpu] = i;
	}

	std::vector<Line> out;
	out.reserve(events.size());
	std::vector<bool> merged(events.size(), false);
	for (size_t i = 0; i < events.size(); i++) {
		if (merged[i])
			continue;
		const TraceEvent &e = events[i];
		if (e.missed != 0) {
			Line lost;
			lost.kind = LineKind::Lost;
			lost.cpu = e.cpu;
			lost.lost = e.missed > 0 ? uint64_t(e.missed) : 1;  // at least one
			out.push_back(std::move(lost));
		}
		Line l = event_line(e);
		size_t n = next_on_cpu[i];
		if (e.kind == TraceEvent::Kind::Entry && n < events.size() &&
		    returns_at_once(e, events[n])) {
			l.kind = LineKind::Leaf;
			l.duration_ns = events[n].duration_ns;
			l.mark = l.duration_ns ? duration_mark(*l.duration_ns) : ' ';
			merged[n] = true;
		}
		out.push_back(std::move(l));
	}
	return out;
}

Trace build_trace(std::vector<TraceEvent> events)
{
	TraceBuilder b(true);
	for (const Line &l : lines_from_events(std::move(events)))
		b.add(l);
	return b.finish();
}

}  // namespace lwvhost::trace
