// SPDX-License-Identifier: GPL-2.0
// Call trees built from function_graph lines.
//
// Lines from all CPUs are interleaved in time order; every task has its own
// stack of open calls and every CPU knows which task it is running (from the
// funcgraph-proc column or the context-switch banners), so a task switched
// out in the middle of a call and resumed on another CPU still closes its
// calls correctly. The indentation (call depth) repairs what the ring buffer
// lost: a return whose entry fell off the start of the buffer becomes a
// "start-truncated" frame that adopts the calls seen before it, and calls
// whose return never came are "open". An interrupt that arrives while a
// call is returning (after the depth was dropped, before the return event
// was written) prints its calls at the returning call's depth, before that
// call's `}`; those calls become its children.
#pragma once

#include "line.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lwvhost::trace {

struct Frame {
	std::string func;
	std::string module;
	int cpu = -1;   // CPU of the entry (of the return for start-truncated)
	int task = -1;  // index into Trace::tasks
	int depth = -1;
	std::optional<uint64_t> start_ns;  // abstime of the entry
	std::optional<uint64_t> end_ns;    // abstime of the return
	std::optional<uint64_t> dur_ns;    // printed duration
	bool leaf = false;
	bool open = false;             // entry seen, return never seen
	bool start_truncated = false;  // return seen, entry never seen
	int parent = -1;
	std::vector<int> children;

	bool complete() const { return dur_ns.has_value() && !start_truncated; }
};

struct Task {
	std::string comm;  // as printed (7 characters at most); "?" if unknown
	int pid = -1;      // -1 if unknown
	bool known() const { return pid >= 0; }
	std::string name() const;
};

struct ContextSwitch {
	int cpu = -1;
	int prev = -1;  // task indices
	int next = -1;
	std::optional<uint64_t> after_ns;  // abstime of the last event before it
};

struct Comment {
	int cpu = -1;
	int task = -1;
	std::optional<uint64_t> abstime_ns;
	std::string text;
};

struct Trace {
	std::vector<Frame> frames;
	std::vector<Task> tasks;
	std::vector<ContextSwitch> switches;
	std::vector<Comment> comments;
	std::map<int, uint64_t> lost_events;  // per CPU
	uint64_t irq_enters = 0, irq_exits = 0;
	uint64_t overruns = 0;  // largest "(Overruns: N)" seen

	// What the input looked like.
	uint64_t lines = 0;
	std::map<LineKind, uint64_t> line_kinds;
	std::vector<std::pair<uint64_t, std::string>> unknown_samples;  // first few
	bool has_abstime = false, has_cpu = false, has_proc = false;
	bool has_duration = false, has_tail = false;
	uint64_t tail_mismatches = 0;  // "} /* f */" closing a call to g
	uint64_t displaced_returns = 0;  // returns after an interrupt's calls
	std::optional<uint64_t> first_ns, last_ns;
	std::vector<int> cpus;

	std::vector<int> roots() const;
	uint64_t unknown_lines() const;
	uint64_t events() const;  // entries + leaves + exits
};

class TraceBuilder {
public:
	// derive_switches: the input names the task of every event but prints
	// no context-switch banners (trace-cmd). A CPU whose events change task
	// switched there, as the kernel's own output would have shown it.
	explicit TraceBuilder(bool derive_switches = false)
		: derive_switches_(derive_switches) {}

	void add_line(std::string_view line);  // tracefs text
	// A line parsed elsewhere (trace-cmd report, trace.dat events); raw is
	// what the unknown-line samples quote.
	void add(const Line &line, std::string_view raw = {});
	Trace finish();

private:
	struct TaskState {
		std::vector<int> stack;    // open frames, innermost last
		std::vector<int> pending;  // finished roots above depth 0
		// The frame an entry or leaf at its own depth last closed as
		// never returned: its return may still come (see on_exit).
		int displaced = -1;
	};
	struct CpuState {
		int task = -1;
	};

	int task_index(const TaskRef &ref);
	int placeholder_task(int cpu);
	int current_task(const Line &line);
	int continuing_task(const Line &line);
	bool merge_placeholder(int placeholder, int known);
	void unwind_to(int task, int depth);
	void unwind_for_call(int task, const Line &line);
	bool return_of_displaced(int task, const Line &line);
	int new_frame(const Line &line, int task);
	void attach(int task, int frame);
	void on_entry(const Line &line);
	void on_leaf(const Line &line);
	void on_exit(const Line &line);
	void on_banner(const Line &line);
	void derive_switch(const Line &line);

	bool derive_switches_ = false;
	std::map<int, TaskRef> last_task_;  // per CPU, derive_switches only
	Trace t_;
	std::map<std::string, int> task_by_key_;
	std::map<int, CpuState> cpus_;
	std::map<int, TaskState> states_;
	std::optional<uint64_t> last_ns_;
};

// Builds the call trees of a whole trace text: tracefs's trace file, or
// `trace-cmd report` output (looks_like_report).
Trace build_trace(std::string_view text);

}  // namespace lwvhost::trace
