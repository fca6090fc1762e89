// SPDX-License-Identifier: GPL-2.0
// One line of ftrace function_graph output (/sys/kernel/tracing/trace),
// classified and split into its columns.
//
// The kernel prints, per event and each column optional:
//
//   [ABSTIME |]  [CPU)]  [COMM-PID |]  [MARK DURATION us |]  BODY
//
// where BODY is "func() {", "func();", "}" (optionally "} /* func */" with
// funcgraph-tail), "/* comment */", or an irq arrow. Around the events come
// "#" headers, context-switch banners and "CPU:N [LOST M EVENTS]" lines.
// parse_line() is a pure function; it never throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lwvhost::trace {

enum class LineKind {
	Blank,
	Header,     // "# ..." (also "##### CPU 1 buffer started ####")
	Separator,  // " -------------" around a context-switch banner
	Banner,     // " 1)  comm-12  =>  comm-34 "
	Lost,       // "CPU:1 [LOST 1234 EVENTS]"
	Entry,      // "func() {"
	Leaf,       // "func();"
	Exit,       // "}" or "} /* func */"
	Comment,    // "/* text */" (trace_printk, trace_marker, other events)
	IrqEnter,   // "==========>"
	IrqExit,    // "<=========="
	Unknown,
};

const char *line_kind_name(LineKind kind);

// A task as function_graph prints it: comm cut to 7 characters, then -pid.
struct TaskRef {
	std::string comm;
	int pid = -1;

	std::string key() const { return comm + "-" + std::to_string(pid); }
	bool operator==(const TaskRef &) const = default;
};

// "vhost-1-147" -> {"vhost-1", 147}; the pid follows the last '-'.
std::optional<TaskRef> parse_task(std::string_view text);

struct Line {
	LineKind kind = LineKind::Unknown;
	std::optional<uint64_t> abstime_ns;  // funcgraph-abstime
	int cpu = -1;                        // funcgraph-cpu (on by default)
	std::optional<TaskRef> task;         // funcgraph-proc
	std::optional<uint64_t> duration_ns; // Leaf and Exit
	char mark = ' ';                     // ' ' + ! # * @ $
	bool has_duration_column = false;
	int depth = -1;                      // nesting from indentation, -1 unknown
	std::string func;    // Entry, Leaf; Exit when the tail comment names it
	std::string module;  // "[vhost_net]" suffix of module symbols, no brackets
	std::string text;    // Comment text, Header text
	TaskRef prev, next;  // Banner
	uint64_t lost = 0;   // Lost
	uint64_t overruns = 0;  // "(Overruns: N)" after '}' (funcgraph-overrun)
};

Line parse_line(std::string_view line);

// What follows the abstime/cpu/proc columns, from line[i...]: the duration
// column and the call, return, comment or irq arrow. trace-cmd report
// prints the same after the event name. Sets kind, duration, mark, depth,
// func and module of out and keeps the rest.
void parse_graph_columns(std::string_view line, size_t i, Line &out);

// "12.345 us" style number (microseconds with up to 3 decimals) in ns.
std::optional<uint64_t> parse_usecs(std::string_view text);

// The duration mark the kernel prints for a duration (trace_find_mark).
char duration_mark(uint64_t ns);

// "get_tx_bufs.constprop.0" -> "get_tx_bufs": strips the compiler's clone
// suffixes (.constprop.N, .isra.N, .part.N, .cold, ...).
std::string_view base_name(std::string_view func);

}  // namespace lwvhost::trace
