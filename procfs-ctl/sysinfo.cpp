// SPDX-License-Identifier: GPL-2.0
#include "sysinfo.h"

#include "client/procfs.h"
#include "proc_stat.h"
#include "rates.h"

#include <unistd.h>
#include <vector>

namespace lwvhost::ctl {

using client::Error;

std::optional<Defaults> read_defaults(Error *err, const std::string &root)
{
	Defaults d;
	for (Dir dir : client::kDirs)
		for (const auto &k : client::knobs()) {
			auto v = client::read_value_file(
				root + "/" + client::dir_name(dir) + "_" + k.name, err);
			if (!v)
				return std::nullopt;
			d[client::index(dir)].*k.field = *v;
		}
	return d;
}

bool write_defaults(const client::ParamUpdate &u, Error *err, const std::string &root)
{
	std::string done;
	for (Dir dir : client::kDirs)
		for (const auto &k : client::knobs()) {
			auto v = u.get(dir, k.knob);
			if (!v)
				continue;
			std::string name = std::string(client::dir_name(dir)) + "_" + k.name;
			Error e;
			if (!client::write_value_file(root + "/" + name, *v, &e)) {
				if (!done.empty())
					e.message += " (already written:" + done + ")";
				*err = e;
				return false;
			}
			done += " " + name + "=" + std::to_string(*v);
		}
	return true;
}

std::optional<uint64_t> worker_cpu_ns(const Device &d, const std::string &proc)
{
	std::vector<TaskId> candidates;
	if (d.worker_tid) {
		// A thread of the owner (6.4+), else a kthread of its own (6.1);
		// /proc/<tid>/task/<tid> exists in both cases on a real procfs.
		if (d.owner_pid)
			candidates.push_back({int(d.owner_pid), int(d.worker_tid)});
		candidates.push_back({int(d.worker_tid), int(d.worker_tid)});
	} else if (d.owner_pid) {
		if (auto w = find_vhost_worker(int(d.owner_pid), proc))
			candidates.push_back(*w);
	}
	for (const auto &c : candidates) {
		if (auto s = read_schedstat(c.pid, c.tid, proc))
			return s->run_ns;
		if (auto st = read_task_stat(c.pid, c.tid, proc))
			return ticks_to_ns(st->utime_ticks + st->stime_ticks,
					   sysconf(_SC_CLK_TCK));
	}
	return std::nullopt;
}

}  // namespace lwvhost::ctl
