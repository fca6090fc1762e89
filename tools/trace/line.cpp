// SPDX-License-Identifier: GPL-2.0
#include "line.h"
#include "text_scan.h"

#include <cctype>

namespace lwvhost::trace {

namespace {

// "SECONDS.MICROS |" at s[i...] (funcgraph-abstime).
bool take_abstime(std::string_view s, size_t &i, uint64_t &ns)
{
	size_t j = skip_spaces(s, i);
	auto sec = read_uint(s, j);
	if (!sec || j >= s.size() || s[j] != '.')
		return false;
	j++;
	size_t fstart = j;
	auto frac = read_uint(s, j);
	if (!frac)
		return false;
	size_t digits = j - fstart;
	if (digits > 9)
		return false;
	uint64_t frac_ns = *frac;
	for (size_t d = digits; d < 9; d++)
		frac_ns *= 10;
	j = skip_spaces(s, j);
	if (j >= s.size() || s[j] != '|')
		return false;
	ns = *sec * 1000000000ull + frac_ns;
	i = j + 1;
	return true;
}

// "N)" at s[i...] (funcgraph-cpu).
bool take_cpu(std::string_view s, size_t &i, int &cpu)
{
	size_t j = skip_spaces(s, i);
	auto n = read_uint(s, j);
	if (!n || j >= s.size() || s[j] != ')' || *n > 1000000)
		return false;
	cpu = int(*n);
	i = j + 1;
	return true;
}

// "[mark] NUMBER us |" or "|" (an empty duration cell) at s[i...].
// Returns true when a duration column was found; dur stays empty for the
// empty cell.
bool take_duration(std::string_view s, size_t &i, std::optional<uint64_t> &dur,
		   char &mark)
{
	size_t j = skip_spaces(s, i);
	if (j < s.size() && s[j] == '|') {
		i = j + 1;
		return true;
	}
	char m = ' ';
	if (j < s.size() && std::string_view("+!#*@$").find(s[j]) !=
	    std::string_view::npos) {
		m = s[j];
		j = skip_spaces(s, j + 1);
	}
	size_t nstart = j;
	while (j < s.size() && (is_digit(s[j]) || s[j] == '.'))
		j++;
	auto us = parse_usecs(s.substr(nstart, j - nstart));
	if (!us)
		return false;
	j = skip_spaces(s, j);
	if (!starts_with(s.substr(j), "us"))
		return false;
	j = skip_spaces(s, j + 2);
	if (j >= s.size() || s[j] != '|')
		return false;
	dur = us;
	mark = m;
	i = j + 1;
	return true;
}

// "comm-pid |" at s[i...] (funcgraph-proc). The comm is at most 7 characters
// but may itself contain '-' or spaces.
bool take_proc(std::string_view s, size_t &i, TaskRef &task)
{
	size_t bar = s.find('|', i);
	if (bar == std::string_view::npos)
		return false;
	std::string_view cell = trim(s.substr(i, bar - i));
	if (cell.empty() || cell.size() > 32 || starts_with(cell, "/*") ||
	    cell.find('(') != std::string_view::npos ||
	    cell.find("==========") != std::string_view::npos)
		return false;
	auto t = parse_task(cell);
	if (!t)
		return false;
	task = *t;
	i = bar + 1;
	return true;
}

// Splits "handle_tx [vhost_net]" into name and module; false if there is
// anything else after the name.
bool split_symbol(std::string_view sym, std::string &func, std::string &module)
{
	sym = trim(sym);
	size_t sp = sym.find(' ');
	if (sp != std::string_view::npos) {
		std::string_view rest = trim(sym.substr(sp));
		if (rest.size() < 3 || rest.front() != '[' || rest.back() != ']' ||
		    rest.find(' ') != std::string_view::npos)
			return false;
		module = std::string(rest.substr(1, rest.size() - 2));
		sym = sym.substr(0, sp);
	}
	func = std::string(sym);
	return true;
}

bool valid_symbol(std::string_view name)
{
	if (name.empty())
		return false;
	for (char c : name) {
		if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
		      c == '.' || c == '$'))
			return false;
	}
	return true;
}

// The body after the duration column: a call, a return, a comment or an irq
// arrow. indent is the number of leading spaces.
void parse_body(std::string_view body, Line &out, int base_indent)
{
	size_t indent = 0;
	while (indent < body.size() && body[indent] == ' ')
		indent++;
	std::string_view b = trim(body);
	if (b.empty()) {
		out.kind = LineKind::Unknown;
		return;
	}
	auto set_depth = [&]() {
		int rel = int(indent) - base_indent;
		if (rel >= 0 && rel % 2 == 0)
			out.depth = rel / 2;
	};
	if (b.find("==========>") != std::string_view::npos) {
		out.kind = LineKind::IrqEnter;
		return;
	}
	if (b.find("<==========") != std::string_view::npos) {
		out.kind = LineKind::IrqExit;
		return;
	}
	if (starts_with(b, "/*")) {
		std::string_view t = b.substr(2);
		if (t.size() >= 2 && t.substr(t.size() - 2) == "*/")
			t.remove_suffix(2);
		out.kind = LineKind::Comment;
		out.text = std::string(trim(t));
		return;
	}
	if (b.front() == '}') {
		out.kind = LineKind::Exit;
		set_depth();
		std::string_view rest = trim(b.substr(1));
		// "(Overruns: N)" from funcgraph-overrun.
		size_t ov = rest.find("(Overruns:");
		if (ov != std::string_view::npos) {
			size_t j = skip_spaces(rest, ov + 10);
			auto n = read_uint(rest, j);
			if (n)
				out.overruns = *n;
			rest = trim(rest.substr(0, ov));
		}
		// "/* func [mod] */", "/* func = 0x0 */" or "/* = 0x0 */".
		if (starts_with(rest, "/*")) {
			size_t end = rest.find("*/");
			std::string_view c = trim(rest.substr(2, end == std::string_view::npos
							 ? std::string_view::npos : end - 2));
			size_t eq = c.find(" = ");
			if (starts_with(c, "="))
				c = {};
			else if (eq != std::string_view::npos)
				c = c.substr(0, eq);
			if (!c.empty()) {
				std::string f, m;
				if (split_symbol(c, f, m) && valid_symbol(f)) {
					out.func = f;
					out.module = m;
				}
			}
		}
		return;
	}
	// "sym [mod](args) {" / "sym [mod](args);" with an optional trailing
	// comment (funcgraph-retval, funcgraph-retaddr).
	size_t paren = b.find('(');
	if (paren == std::string_view::npos || paren == 0) {
		out.kind = LineKind::Unknown;
		return;
	}
	std::string_view tail = b.substr(paren);
	size_t cmt = tail.find("/*");
	std::string_view code = trim(cmt == std::string_view::npos ? tail
				     : tail.substr(0, cmt));
	size_t close = code.rfind(')');
	if (close == std::string_view::npos) {
		out.kind = LineKind::Unknown;
		return;
	}
	std::string_view after = trim(code.substr(close + 1));
	std::string f, m;
	if (!split_symbol(b.substr(0, paren), f, m) || !valid_symbol(f)) {
		out.kind = LineKind::Unknown;
		return;
	}
	if (after == "{") {
		out.kind = LineKind::Entry;
	} else if (after == ";") {
		out.kind = LineKind::Leaf;
	} else {
		out.kind = LineKind::Unknown;
		return;
	}
	out.func = std::move(f);
	out.module = std::move(m);
	set_depth();
}

}  // namespace

const char *line_kind_name(LineKind kind)
{
	switch (kind) {
	case LineKind::Blank: return "blank";
	case LineKind::Header: return "header";
	case LineKind::Separator: return "separator";
	case LineKind::Banner: return "banner";
	case LineKind::Lost: return "lost";
	case LineKind::Entry: return "entry";
	case LineKind::Leaf: return "leaf";
	case LineKind::Exit: return "exit";
	case LineKind::Comment: return "comment";
	case LineKind::IrqEnter: return "irq-enter";
	case LineKind::IrqExit: return "irq-exit";
	case LineKind::Unknown: return "unknown";
	}
	return "?";
}

std::optional<TaskRef> parse_task(std::string_view text)
{
	text = trim(text);
	size_t dash = text.rfind('-');
	if (dash == std::string_view::npos || dash + 1 >= text.size())
		return std::nullopt;
	size_t i = dash + 1;
	auto pid = read_uint(text, i);
	if (!pid || i != text.size() || *pid > 0x7fffffff)
		return std::nullopt;
	TaskRef t;
	t.comm = std::string(text.substr(0, dash));
	t.pid = int(*pid);
	return t;
}

std::optional<uint64_t> parse_usecs(std::string_view text)
{
	size_t i = 0;
	auto whole = read_uint(text, i);
	if (!whole || *whole > 18000000000000ull)
		return std::nullopt;
	uint64_t ns = *whole * 1000;
	if (i < text.size() && text[i] == '.') {
		i++;
		uint64_t scale = 100;
		size_t fstart = i;
		while (i < text.size() && is_digit(text[i])) {
			ns += uint64_t(text[i] - '0') * scale;
			scale /= 10;
			i++;
		}
		if (i == fstart || i - fstart > 3)
			return std::nullopt;
	}
	if (i != text.size())
		return std::nullopt;
	return ns;
}

char duration_mark(uint64_t ns)
{
	if (ns > 1000000000ull)
		return '$';
	if (ns > 100000000ull)
		return '@';
	if (ns > 10000000ull)
		return '*';
	if (ns > 1000000ull)
		return '#';
	if (ns > 100000ull)
		return '!';
	if (ns > 10000ull)
		return '+';
	return ' ';
}

std::string_view base_name(std::string_view func)
{
	size_t dot = func.find('.');
	return dot == std::string_view::npos || dot == 0 ? func : func.substr(0, dot);
}

Line parse_line(std::string_view raw)
{
	Line out;
	std::string_view s = raw;
	while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
		s.remove_suffix(1);
	std::string_view t = trim(s);
	if (t.empty()) {
		out.kind = LineKind::Blank;
		return out;
	}
	if (t.front() == '#') {
		out.kind = LineKind::Header;
		out.text = std::string(t);
		return out;
	}
	if (starts_with(t, "CPU:") && t.find("[LOST") != std::string_view::npos) {
		size_t i = 4;
		auto cpu = read_uint(t, i);
		size_t j = t.find("[LOST") + 5;
		j = skip_spaces(t, j);
		auto n = read_uint(t, j);
		if (cpu && n) {
			out.kind = LineKind::Lost;
			out.cpu = int(*cpu);
			out.lost = *n;
		}
		return out;
	}
	if (t.size() >= 10 && t.find_first_not_of('-') == std::string_view::npos) {
		out.kind = LineKind::Separator;
		return out;
	}
	// Context-switch banner: "N)  prev-pid  =>  next-pid", no '|' column.
	size_t arrow = t.find("=>");
	if (arrow != std::string_view::npos && t.find('|') == std::string_view::npos &&
	    t.find("==========") == std::string_view::npos) {
		size_t i = 0;
		int cpu = -1;
		std::string_view left = t.substr(0, arrow);
		if (take_cpu(left, i, cpu))
			left = left.substr(i);
		auto prev = parse_task(left);
		auto next = parse_task(t.substr(arrow + 2));
		if (prev && next) {
			out.kind = LineKind::Banner;
			out.cpu = cpu;
			out.prev = *prev;
			out.next = *next;
		}
		return out;
	}

	// An event line: peel the optional columns off the front, in the order
	// the kernel prints them.
	size_t i = 0;
	uint64_t ns;
	if (take_abstime(s, i, ns))
		out.abstime_ns = ns;
	int cpu;
	if (take_cpu(s, i, cpu))
		out.cpu = cpu;
	TaskRef task;
	{
		// The proc cell must not be mistaken for a duration cell.
		size_t j = i;
		std::optional<uint64_t> d;
		char m;
		if (!take_duration(s, j, d, m) && take_proc(s, i, task))
			out.task = task;
	}
	parse_graph_columns(s, i, out);
	return out;
}

void parse_graph_columns(std::string_view s, size_t i, Line &out)
{
	// Irq arrows sit in the duration column: "  ==========> |".
	{
		std::string_view rest = trim(s.substr(i));
		if (starts_with(rest, "==========>")) {
			out.kind = LineKind::IrqEnter;
			return;
		}
		if (starts_with(rest, "<==========")) {
			out.kind = LineKind::IrqExit;
			return;
		}
	}
	std::optional<uint64_t> dur;
	char mark = ' ';
	int base_indent;
	if (take_duration(s, i, dur, mark)) {
		out.has_duration_column = true;
		out.duration_ns = dur;
		out.mark = mark;
		base_indent = 2;  // "|  " then depth * 2 spaces
	} else {
		// No duration column (funcgraph-duration off): the body follows the
		// "N) " or " | " directly, which end in one space; with neither
		// there is no reliable reference, so depth stays unknown.
		base_indent = (out.cpu >= 0 || out.task) ? 1 : -1000;
	}
	parse_body(s.substr(i), out, base_indent);
	if (out.kind == LineKind::Leaf || out.kind == LineKind::Exit) {
		if (!out.duration_ns && out.has_duration_column)
			out.kind = LineKind::Unknown;  // a return always has a duration
	} else if (out.duration_ns) {
		out.kind = LineKind::Unknown;  // only returns carry durations
	}
}

}  // namespace lwvhost::trace
