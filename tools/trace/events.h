// SPDX-License-Identifier: GPL-2.0
// Trace events as a trace.dat stores them, turned into the lines the kernel
// would print for them, so that a trace.dat feeds the same TraceBuilder and
// analysis as tracefs's text.
//
// A trace.dat holds the raw ring buffer: one funcgraph_entry record per
// call and one funcgraph_exit per return, per CPU. The kernel's text output
// merges an entry with its return into one leaf line "f();" when the next
// record on that CPU is that return (same task, same function), orders the
// CPUs' records by timestamp, and says where records were lost; the same
// is done here. Context switches come from TraceBuilder(true). Pure
// functions: the reading is tracedat.cpp's.
#pragma once

#include "line.h"
#include "model.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lwvhost::trace {

struct TraceEvent {
	enum class Kind { Entry, Exit, Other };
	Kind kind = Kind::Other;
	int cpu = -1;
	uint64_t ts_ns = 0;
	TaskRef task;
	uint64_t func_addr = 0;  // Entry, Exit
	std::string func;        // its symbol (trace.dat keeps no module name)
	int depth = -1;          // Entry, Exit
	std::optional<uint64_t> duration_ns;  // Exit: rettime - calltime
	uint64_t overrun = 0;    // Exit
	std::string text;        // Other: "name: fields"
	// Records the buffer lost on this CPU just before this one; -1 when it
	// lost some but did not count them.
	int64_t missed = 0;
};

// The lines for events, in the kernel's order: by timestamp, the lower CPU
// first on a tie, each CPU's own order kept.
std::vector<Line> lines_from_events(std::vector<TraceEvent> events);

// The call trees of a trace.dat's events.
Trace build_trace(std::vector<TraceEvent> events);

}  // namespace lwvhost::trace
