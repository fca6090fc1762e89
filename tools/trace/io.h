// SPDX-License-Identifier: GPL-2.0
// The thin I/O layer: reads a trace file (plain, or xz-compressed as the
// samples in tracefile-samples/ are) into memory. "-" is standard input.
#pragma once

#include "model.h"

#include <optional>
#include <string>

namespace lwvhost::trace {

// Returns the text, or nullopt with a one-line reason in *err.
std::optional<std::string> read_trace_file(const std::string &path,
					   std::string *err);

// A trace file read and built, whatever its kind: tracefs's trace text,
// `trace-cmd report` text, or a trace.dat (told by its magic).
struct LoadedTrace {
	Trace trace;
	bool tracedat = false;
};
std::optional<LoadedTrace> load_trace(const std::string &path, std::string *err);

// Decompresses an .xz stream held in memory.
std::optional<std::string> xz_decompress(const std::string &data,
					 std::string *err);

}  // namespace lwvhost::trace
