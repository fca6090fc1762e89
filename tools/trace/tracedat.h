// SPDX-License-Identifier: GPL-2.0
// The thin I/O layer for trace.dat files (trace-cmd record or extract):
// libtracecmd decodes the records and each becomes a TraceEvent (events.h),
// which the pure code turns into the model the text parsers feed.
#pragma once

#include "events.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lwvhost::trace {

// Whether data starts like a trace.dat: 0x17 0x08 0x44 "tracing".
bool is_tracedat(std::string_view data);

// Decodes a trace.dat held in memory (so an .xz one or standard input
// works too). nullopt with a one-line reason in *err when libtracecmd
// cannot read it.
std::optional<std::vector<TraceEvent>> read_tracedat(const std::string &data,
						     std::string *err);

}  // namespace lwvhost::trace
