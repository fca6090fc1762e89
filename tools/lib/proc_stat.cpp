// SPDX-License-Identifier: GPL-2.0
#include "proc_stat.h"

#include <charconv>
#include <dirent.h>
#include <fstream>
#include <sstream>

namespace lwvhost {

namespace {

std::optional<std::string> slurp(const std::string &path)
{
	std::ifstream in(path);
	if (!in)
		return std::nullopt;
	std::ostringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

template <typename T> bool to_number(std::string_view s, T &out)
{
	auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
	return ec == std::errc() && p == s.data() + s.size();
}

std::vector<std::string_view> split_ws(std::string_view s)
{
	std::vector<std::string_view> out;
	size_t i = 0;
	while (i < s.size()) {
		while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t'))
			i++;
		size_t j = i;
		while (j < s.size() && s[j] != ' ' && s[j] != '\n' && s[j] != '\t')
			j++;
		if (j > i)
			out.push_back(s.substr(i, j - i));
		i = j;
	}
	return out;
}

std::vector<int> numeric_entries(const std::string &dir)
{
	std::vector<int> out;
	DIR *d = opendir(dir.c_str());
	if (!d)
		return out;
	while (dirent *e = readdir(d)) {
		int v;
		if (to_number(std::string_view(e->d_name), v))
			out.push_back(v);
	}
	closedir(d);
	return out;
}

}  // namespace

std::optional<TaskStat> parse_task_stat(std::string_view text)
{
	auto open = text.find('(');
	auto close = text.rfind(')');
	if (open == std::string_view::npos || close == std::string_view::npos ||
	    close < open)
		return std::nullopt;
	TaskStat st;
	if (!to_number(text.substr(0, open > 0 ? open - 1 : 0), st.pid))
		return std::nullopt;
	st.comm = std::string(text.substr(open + 1, close - open - 1));
	// Fields after the comm start at field 3 (state).
	auto f = split_ws(text.substr(close + 1));
	// Index into f: field N is f[N - 3].
	auto field = [&](int n) -> std::string_view {
		return f[static_cast<size_t>(n - 3)];
	};
	if (f.size() < 39 - 2)
		return std::nullopt;
	if (field(3).size() != 1)
		return std::nullopt;
	st.state = field(3)[0];
	if (!to_number(field(4), st.ppid) || !to_number(field(9), st.flags) ||
	    !to_number(field(14), st.utime_ticks) ||
	    !to_number(field(15), st.stime_ticks) ||
	    !to_number(field(39), st.processor))
		return std::nullopt;
	return st;
}

std::optional<SchedStat> parse_schedstat(std::string_view text)
{
	auto f = split_ws(text);
	SchedStat s;
	if (f.size() != 3 || !to_number(f[0], s.run_ns) ||
	    !to_number(f[1], s.wait_ns) || !to_number(f[2], s.timeslices))
		return std::nullopt;
	return s;
}

static std::string task_dir(int pid, int tid, const std::string &root)
{
	return root + "/" + std::to_string(pid) + "/task/" + std::to_string(tid);
}

std::optional<TaskStat> read_task_stat(int pid, int tid, const std::string &root)
{
	auto text = slurp(task_dir(pid, tid, root) + "/stat");
	return text ? parse_task_stat(*text) : std::nullopt;
}

std::optional<SchedStat> read_schedstat(int pid, int tid, const std::string &root)
{
	auto text = slurp(task_dir(pid, tid, root) + "/schedstat");
	return text ? parse_schedstat(*text) : std::nullopt;
}

std::vector<int> list_tasks(int pid, const std::string &root)
{
	return numeric_entries(root + "/" + std::to_string(pid) + "/task");
}

std::vector<int> list_pids(const std::string &root)
{
	return numeric_entries(root);
}

std::optional<TaskId> find_vhost_worker(int owner_pid, const std::string &root)
{
	const std::string name = "vhost-" + std::to_string(owner_pid);
	// 6.4+: a thread of the owner process.
	for (int tid : list_tasks(owner_pid, root)) {
		auto st = read_task_stat(owner_pid, tid, root);
		if (st && st->comm == name)
			return TaskId{owner_pid, tid};
	}
	// 6.1: a kernel thread (child of kthreadd, pid 2).
	for (int pid : list_pids(root)) {
		auto st = read_task_stat(pid, pid, root);
		if (st && st->comm == name && st->is_kthread())
			return TaskId{pid, pid};
	}
	return std::nullopt;
}

std::optional<TaskId> locate_vhost_worker(int owner_pid, int worker_tid,
					  const std::string &root)
{
	if (worker_tid > 0) {
		const std::string name = "vhost-" + std::to_string(owner_pid);
		for (int pid : {owner_pid, worker_tid}) {
			auto st = read_task_stat(pid, worker_tid, root);
			if (st && st->comm == name)
				return TaskId{pid, worker_tid};
		}
	}
	return find_vhost_worker(owner_pid, root);
}

std::optional<std::string> parse_comm(std::string_view text)
{
	if (!text.empty() && text.back() == '\n')
		text.remove_suffix(1);
	// TASK_COMM_LEN is 16 including the terminator.
	if (text.empty() || text.size() > 15 || text.find('\n') != std::string_view::npos)
		return std::nullopt;
	return std::string(text);
}

std::optional<std::string> read_comm(int pid, const std::string &root)
{
	auto text = slurp(root + "/" + std::to_string(pid) + "/comm");
	return text ? parse_comm(*text) : std::nullopt;
}

}  // namespace lwvhost
