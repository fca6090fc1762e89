// SPDX-License-Identifier: GPL-2.0
#include "tracedat.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/mman.h>
#include <unistd.h>

#include <event-parse.h>
#include <sched.h>
#include <trace-seq.h>
// trace-cmd.h includes tracefs.h, whose inline helpers in libtracefs 1.6
// pass an int for an enum, which C++ rejects. Nothing here uses libtracefs
// (trace-cmd.h needs only cpu_set_t from it), so its include guard is set
// to skip it.
#define _TRACE_FS_H
#include <trace-cmd.h>

namespace lwvhost::trace {

namespace {

struct FgraphFields {
	int entry_id = -1, retaddr_id = -1, exit_id = -1;
	tep_format_field *entry_func = nullptr, *entry_depth = nullptr;
	tep_format_field *retaddr_func = nullptr, *retaddr_depth = nullptr;
	tep_format_field *exit_func = nullptr, *exit_depth = nullptr;
	tep_format_field *calltime = nullptr, *rettime = nullptr, *overrun = nullptr;
};

tep_format_field *field(tep_event *ev, const char *name)
{
	return ev ? tep_find_field(ev, name) : nullptr;
}

void find_fgraph(tep_handle *tep, FgraphFields &f)
{
	if (tep_event *ev = tep_find_event_by_name(tep, "ftrace", "funcgraph_entry")) {
		f.entry_id = ev->id;
		f.entry_func = field(ev, "func");
		f.entry_depth = field(ev, "depth");
	}
	// Kernels with funcgraph-retaddr record entries as this event instead.
	if (tep_event *ev = tep_find_event_by_name(tep, "ftrace", "fgraph_retaddr_entry")) {
		f.retaddr_id = ev->id;
		f.retaddr_func = field(ev, "func");
		f.retaddr_depth = field(ev, "depth");
	}
	if (tep_event *ev = tep_find_event_by_name(tep, "ftrace", "funcgraph_exit")) {
		f.exit_id = ev->id;
		f.exit_func = field(ev, "func");
		f.exit_depth = field(ev, "depth");
		f.calltime = field(ev, "calltime");
		f.rettime = field(ev, "rettime");
		f.overrun = field(ev, "overrun");
	}
}

std::optional<unsigned long long> number(tep_format_field *f, tep_record *rec)
{
	unsigned long long v;
	if (!f || tep_read_number_field(f, rec->data, &v) != 0)
		return std::nullopt;
	return v;
}

struct Reader {
	tep_handle *tep = nullptr;
	FgraphFields f;
	std::vector<TraceEvent> events;
	trace_seq seq;
};

// The symbol as trace-cmd report prints it: its name, or the bare address
// in hex.
std::string symbol(tep_handle *tep, unsigned long long addr)
{
	if (const char *name = tep_find_function(tep, addr))
		return name;
	char buf[32];
	std::snprintf(buf, sizeof(buf), "%llx", addr);
	return buf;
}

int on_record(tracecmd_input *, tep_record *rec, int cpu, void *data)
{
	Reader &r = *static_cast<Reader *>(data);
	TraceEvent e;
	e.cpu = cpu;
	e.ts_ns = rec->ts;
	e.missed = rec->missed_events;
	e.task.pid = tep_data_pid(r.tep, rec);
	const char *comm = tep_data_comm_from_pid(r.tep, e.task.pid);
	e.task.comm = comm ? comm : "<...>";
	int type = tep_data_type(r.tep, rec);
	tep_format_field *func = nullptr, *depth = nullptr;
	if (type >= 0 && type == r.f.entry_id) {
		e.kind = TraceEvent::Kind::Entry;
		func = r.f.entry_func;
		depth = r.f.entry_depth;
	} else if (type >= 0 && type == r.f.retaddr_id) {
		e.kind = TraceEvent::Kind::Entry;
		func = r.f.retaddr_func;
		depth = r.f.retaddr_depth;
	} else if (type >= 0 && type == r.f.exit_id) {
		e.kind = TraceEvent::Kind::Exit;
		func = r.f.exit_func;
		depth = r.f.exit_depth;
		auto call = number(r.f.calltime, rec), ret = number(r.f.rettime, rec);
		if (call && ret && *ret >= *call)
			e.duration_ns = *ret - *call;
		e.overrun = number(r.f.overrun, rec).value_or(0);
	}
	if (e.kind != TraceEvent::Kind::Other) {
		auto addr = number(func, rec);
		auto d = number(depth, rec);
		if (addr) {
			e.func_addr = *addr;
			e.func = symbol(r.tep, *addr);
		}
		// depth is an int in the record; a negative one is unusable.
		if (d && int(*d) >= 0)
			e.depth = int(*d);
	} else {
		tep_event *ev = tep_find_event_by_record(r.tep, rec);
		trace_seq_reset(&r.seq);
		if (ev)
			tep_print_event(r.tep, &r.seq, rec, "%s", TEP_PRINT_INFO);
		trace_seq_terminate(&r.seq);
		e.text = std::string(ev ? ev->name : "unknown event") + ": " +
			 std::string(r.seq.buffer ? r.seq.buffer : "");
	}
	r.events.push_back(std::move(e));
	return 0;
}

}  // namespace

bool is_tracedat(std::string_view data)
{
	static constexpr std::string_view magic("\x17\x08\x44tracing", 10);
	return data.substr(0, magic.size()) == magic;
}

std::optional<std::vector<TraceEvent>> read_tracedat(const std::string &data,
						     std::string *err)
{
	// libtracecmd reads from a file descriptor, and the data may have
	// been decompressed or come from a pipe: hand it an in-memory file.
	int fd = memfd_create("trace.dat", MFD_CLOEXEC);
	if (fd < 0) {
		*err = std::string("memfd_create: ") + std::strerror(errno);
		return std::nullopt;
	}
	for (size_t done = 0; done < data.size();) {
		ssize_t n = write(fd, data.data() + done, data.size() - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*err = std::string("writing the trace.dat to memory: ") + std::strerror(errno);
			close(fd);
			return std::nullopt;
		}
		done += size_t(n);
	}
	lseek(fd, 0, SEEK_SET);

	// Failures are reported here in one line, not by the libraries.
	tracecmd_set_loglevel(TEP_LOG_NONE);
	tep_set_loglevel(TEP_LOG_NONE);
	// It owns fd from here on, and closes it even when it fails.
	tracecmd_input *in = tracecmd_open_fd(fd, TRACECMD_FL_LOAD_NO_PLUGINS);
	if (!in) {
		*err = "not a trace.dat that libtracecmd can read (truncated or corrupt?)";
		return std::nullopt;
	}
	Reader r;
	r.tep = tracecmd_get_tep(in);
	find_fgraph(r.tep, r.f);
	trace_seq_init(&r.seq);
	int rc = tracecmd_iterate_events(in, nullptr, 0, on_record, &r);
	trace_seq_destroy(&r.seq);
	tracecmd_close(in);
	if (rc < 0) {
		*err = "cannot read the events of the trace.dat (corrupt?)";
		return std::nullopt;
	}
	return std::move(r.events);
}

}  // namespace lwvhost::trace
