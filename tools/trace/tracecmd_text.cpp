// SPDX-License-Identifier: GPL-2.0
#include "tracecmd_text.h"
#include "text_scan.h"

namespace lwvhost::trace {

namespace {

// "SECS.FRAC:" at s[i...]; FRAC of 1 to 9 digits.
bool take_timestamp(std::string_view s, size_t &i, uint64_t &ns)
{
	size_t j = i;
	auto sec = read_uint(s, j);
	if (!sec || j >= s.size() || s[j] != '.' || *sec > 18000000000ull)
		return false;
	size_t fstart = ++j;
	auto frac = read_uint(s, j);
	size_t digits = j - fstart;
	if (!frac || digits > 9 || j >= s.size() || s[j] != ':')
		return false;
	uint64_t frac_ns = *frac;
	for (size_t d = digits; d < 9; d++)
		frac_ns *= 10;
	ns = *sec * 1000000000ull + frac_ns;
	i = j + 1;
	return true;
}

// "[CPU]", then the timestamp, maybe after one column of latency flags.
// The comm before it may hold anything, '[' included, so each '[' is tried.
bool take_cpu_and_time(std::string_view s, size_t &i, int &cpu, uint64_t &ns,
		       size_t &bracket)
{
	for (size_t p = s.find('['); p != std::string_view::npos; p = s.find('[', p + 1)) {
		size_t j = p + 1;
		auto n = read_uint(s, j);
		if (!n || *n > 1000000 || j >= s.size() || s[j] != ']')
			continue;
		j = skip_spaces(s, j + 1);
		if (!take_timestamp(s, j, ns)) {
			while (j < s.size() && !is_space(s[j]))
				j++;
			j = skip_spaces(s, j);
			if (!take_timestamp(s, j, ns))
				continue;
		}
		cpu = int(*n);
		bracket = p;
		i = j;
		return true;
	}
	return false;
}

// Drops the " (3)" of -O fgraph:depth and the " (ret=0x0)" that newer
// trace-cmd prints after a call or return, in that order; the tracefs body
// has neither. Only when a call or return is left in front of them.
std::string_view strip_suffixes(std::string_view body)
{
	std::string_view head = trim(body);
	while (!head.empty() && head.back() == ')') {
		size_t open = head.rfind('(');
		if (open == std::string_view::npos || open < 2 || head[open - 1] != ' ')
			break;
		std::string_view inner = head.substr(open + 1, head.size() - open - 2);
		bool number = !inner.empty() && inner.find_first_not_of("0123456789") ==
			std::string_view::npos;
		if (!number && !starts_with(inner, "ret="))
			break;
		head = trim(head.substr(0, open));
	}
	if (head.size() == trim(body).size() || head.empty())
		return body;
	char last = head.back();
	return last == ';' || last == '{' || last == '}' || last == '/' ? head : body;
}

// "version = 6", "cpus=2", "CPU 0 is empty": what report prints first.
bool is_preamble(std::string_view t)
{
	if (starts_with(t, "version = ") || starts_with(t, "cpus="))
		return true;
	if (!starts_with(t, "CPU "))
		return false;
	size_t i = 4;
	return read_uint(t, i) && t.substr(i) == " is empty";
}

}  // namespace

Line parse_report_line(std::string_view raw)
{
	Line out;
	std::string_view t = trim(raw);
	if (t.empty()) {
		out.kind = LineKind::Blank;
		return out;
	}
	if (is_preamble(t)) {
		out.kind = LineKind::Header;
		out.text = std::string(t);
		return out;
	}
	if (starts_with(t, "CPU:")) {
		size_t i = 4;
		auto cpu = read_uint(t, i);
		if (cpu && starts_with(t.substr(i), " [")) {
			i += 2;
			auto n = read_uint(t, i);
			if (n)
				i = skip_spaces(t, i);
			if (t.substr(i) == "EVENTS DROPPED]") {
				out.kind = LineKind::Lost;
				out.cpu = int(*cpu);
				out.lost = n ? *n : 1;  // no count: at least one
				return out;
			}
		}
	}

	size_t i = 0, bracket = 0;
	int cpu = -1;
	uint64_t ns = 0;
	if (!take_cpu_and_time(t, i, cpu, ns, bracket))
		return out;
	auto task = parse_task(t.substr(0, bracket));
	size_t colon = t.find(':', i);
	if (!task || colon == std::string_view::npos)
		return out;
	std::string_view name = trim(t.substr(i, colon - i));
	if (name.empty() || name.find(' ') != std::string_view::npos)
		return out;
	out.cpu = cpu;
	out.task = *task;
	out.abstime_ns = ns;
	std::string_view info = t.substr(colon + 1);

	bool entry = name == "funcgraph_entry" || name == "fgraph_retaddr_entry";
	if (entry || name == "funcgraph_exit") {
		parse_graph_columns(strip_suffixes(info), 0, out);
		bool ok = entry ? out.kind == LineKind::Entry || out.kind == LineKind::Leaf
				: out.kind == LineKind::Exit;
		if (!ok)
			out.kind = LineKind::Unknown;
		return out;
	}
	out.kind = LineKind::Comment;
	out.text = std::string(name) + ": " + std::string(trim(info));
	return out;
}

bool looks_like_report(std::string_view text)
{
	size_t pos = 0;
	for (int seen = 0; pos < text.size() && seen < 200;) {
		size_t nl = text.find('\n', pos);
		if (nl == std::string_view::npos)
			nl = text.size();
		std::string_view line = trim(text.substr(pos, nl - pos));
		pos = nl + 1;
		if (line.empty())
			continue;
		seen++;
		if (line.front() == '#')
			return false;  // tracefs's "# tracer: function_graph" header
		switch (parse_report_line(line).kind) {
		case LineKind::Header:
		case LineKind::Lost:
		case LineKind::Entry:
		case LineKind::Leaf:
		case LineKind::Exit:
		case LineKind::Comment:
			return true;
		default:
			break;
		}
	}
	return false;
}

}  // namespace lwvhost::trace
