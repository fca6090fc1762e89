// SPDX-License-Identifier: GPL-2.0
// Parsers for /proc/<pid>/task/<tid>/{stat,schedstat,comm}.
//
// Pure functions over text so they are unit tested with fixture files; the
// thin readers take the /proc root as a parameter (default "/proc").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lwvhost {

// The fields of /proc/.../stat that CPU accounting needs.
struct TaskStat {
	int pid = 0;
	std::string comm;  // without the parentheses
	char state = '?';
	int ppid = 0;
	uint64_t utime_ticks = 0;  // field 14
	uint64_t stime_ticks = 0;  // field 15
	int processor = -1;        // field 39, CPU last run on
	uint32_t flags = 0;        // field 9, PF_* (PF_KTHREAD = 0x00200000)

	bool is_kthread() const { return flags & 0x00200000u; }
};

// /proc/.../schedstat: time on CPU, time waiting on a runqueue (both ns),
// and the number of timeslices run.
struct SchedStat {
	uint64_t run_ns = 0;
	uint64_t wait_ns = 0;
	uint64_t timeslices = 0;
};

// comm may contain spaces and ')' so the name ends at the *last* ')'.
std::optional<TaskStat> parse_task_stat(std::string_view text);
std::optional<SchedStat> parse_schedstat(std::string_view text);

// Readers: root is the procfs mount point.
std::optional<TaskStat> read_task_stat(int pid, int tid,
				       const std::string &root = "/proc");
std::optional<SchedStat> read_schedstat(int pid, int tid,
					const std::string &root = "/proc");
std::vector<int> list_tasks(int pid, const std::string &root = "/proc");
std::vector<int> list_pids(const std::string &root = "/proc");

// The vhost worker of the device owned by owner_pid: a thread of the owner
// named "vhost-<owner_pid>" (vhost_task, Linux 6.4+) or a kernel thread of
// that name (Linux 6.1). Returns {pid, tid} (pid == tid for a kthread).
struct TaskId {
	int pid = 0;
	int tid = 0;
};
std::optional<TaskId> find_vhost_worker(int owner_pid,
					const std::string &root = "/proc");

// The worker the kernel names by tid (lwvhost reports worker_tid): a thread
// of the owner (6.4+) or a kernel thread (6.1), accepted only if its comm is
// "vhost-<owner_pid>". Without a tid (0) or if that task is not it, falls
// back to find_vhost_worker.
std::optional<TaskId> locate_vhost_worker(int owner_pid, int worker_tid,
					  const std::string &root = "/proc");

// /proc/<pid>/comm without the trailing newline.
std::optional<std::string> parse_comm(std::string_view text);
std::optional<std::string> read_comm(int pid, const std::string &root = "/proc");

}  // namespace lwvhost
