// SPDX-License-Identifier: GPL-2.0
// One line of `trace-cmd report` output for a function_graph recording,
// classified into the same Line that the tracefs parser (line.h) gives.
//
// trace-cmd prints every event with its task, CPU and timestamp, then the
// event's name and its fields:
//
//   version = 6                       (preamble: version, cpus=N, ...)
//   CPU:1 [123 EVENTS DROPPED]        (or "[EVENTS DROPPED]", no count)
//   COMM-PID [CPU] [FLAGS] SECS.FRAC: funcgraph_entry:   DURATION  |  BODY
//   COMM-PID [CPU] [FLAGS] SECS.FRAC: sched_switch: ...
//
// FLAGS are the latency columns of `report -l`; FRAC has 6 digits, 9 with
// `report -t`. The funcgraph columns after the event name are the kernel's
// (parse_graph_columns), with names but no [module] suffix, and optional
// " (N)" depth (-O fgraph:depth) and " (ret=...)" suffixes. Other events
// become Comment lines "name: fields". It prints no context-switch banners:
// TraceBuilder(true) derives them from the tasks. Pure functions.
#pragma once

#include "line.h"

#include <string_view>

namespace lwvhost::trace {

Line parse_report_line(std::string_view line);

// Whether text is `trace-cmd report` output rather than tracefs's trace
// file: decided by the first lines that are one or the other.
bool looks_like_report(std::string_view text);

}  // namespace lwvhost::trace
