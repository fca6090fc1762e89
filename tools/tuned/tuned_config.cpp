// SPDX-License-Identifier: GPL-2.0
#include "tuned_config.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fnmatch.h>
#include <fstream>
#include <ini.h>
#include <sstream>

#include <linux/lwvhost.h>

namespace lwvhost::tuned {

namespace {

std::string trim(std::string_view s)
{
	while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
		s.remove_prefix(1);
	while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
		s.remove_suffix(1);
	return std::string(s);
}

template <typename T>
std::string parse_number(const std::string &key, const std::string &v, T lo, T hi, T &out)
{
	T x{};
	auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
	if (ec != std::errc() || p != v.data() + v.size() || v.empty())
		return key + ": expected a number, got '" + v + "'";
	if (x < lo || x > hi) {
		std::ostringstream m;
		m << key << ": " << v << " is out of range " << lo << ".." << hi;
		return m.str();
	}
	out = x;
	return "";
}

std::string parse_bool(const std::string &key, const std::string &v, bool &out)
{
	std::string l = v;
	std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
	if (l == "yes" || l == "true" || l == "on" || l == "1")
		out = true;
	else if (l == "no" || l == "false" || l == "off" || l == "0")
		out = false;
	else
		return key + ": expected yes or no, got '" + v + "'";
	return "";
}

// Applies one device-level key; "" on success, else the message.
std::string apply_setting(Settings &s, const std::string &key, const std::string &v)
{
	if (key == "manage")
		return parse_bool(key, v, s.manage);
	if (key == "max-latency-us")
		return parse_number<uint32_t>(key, v, 0, LWVHOST_POLL_INTERVAL_MAX_US, s.max_latency_us);
	if (key == "tolerance")
		return parse_number<double>(key, v, 0.0, 0.5, s.tolerance);
	if (key == "idle-pps")
		return parse_number<double>(key, v, 0.0, 1e9, s.idle_pps);
	if (key == "law") {
		for (auto n : kLawNames)
			if (v == n) {
				s.law = v;
				return "";
			}
		std::string names;
		for (auto n : kLawNames)
			names += (names.empty() ? "" : ", ") + std::string(n);
		return "law: unknown law '" + v + "' (known: " + names + ")";
	}
	if (key == "directions") {
		bool tx = false, rx = false;
		std::istringstream in(v);
		std::string w;
		while (in >> w) {
			if (!w.empty() && w.back() == ',')
				w.pop_back();
			if (w == "tx")
				tx = true;
			else if (w == "rx")
				rx = true;
			else if (!w.empty())
				return "directions: expected tx and/or rx, got '" + w + "'";
		}
		if (!tx && !rx)
			return "directions: expected tx and/or rx";
		s.tx = tx;
		s.rx = rx;
		return "";
	}
	return "unknown key '" + key + "'";
}

struct ParseState {
	std::string_view text;  // what the reader has not handed out yet
	int line = 0;           // line the reader handed out last
	int error_line = 0;
	Config cfg;
	std::string cur_section = "\x01";  // no section seen yet
	Section *sec = nullptr;            // null: global
	std::string error;
};

bool handle_key(ParseState *st, const char *section, const char *name, const char *value);

// fgets() over the text, counting lines so errors name the right one
// (Debian's libinih is built without handler line numbers).
char *read_line(char *buf, int size, void *user)
{
	auto *st = static_cast<ParseState *>(user);
	if (st->text.empty() || size < 2)
		return nullptr;
	size_t n = std::min(st->text.find('\n'), st->text.size() - 1) + 1;
	n = std::min(n, size_t(size - 1));
	std::memcpy(buf, st->text.data(), n);
	buf[n] = '\0';
	if (buf[n - 1] == '\n' || n == st->text.size())
		st->line++;
	st->text.remove_prefix(n);
	return buf;
}

bool fail(ParseState *st, std::string msg)
{
	if (st->error_line == 0) {
		st->error_line = st->line;
		st->error = std::move(msg);
	}
	return false;
}

int on_key(void *user, const char *section, const char *name, const char *value)
{
	auto *st = static_cast<ParseState *>(user);
	return handle_key(st, section, name, value) ? 1 : 0;
}

bool handle_key(ParseState *st, const char *section, const char *name, const char *value)
{
	const std::string key = trim(name);
	std::string v = value;
	// Inline comments: inih strips " ;..."; allow " #..." too.
	if (auto pos = v.find(" #"); pos != std::string::npos)
		v.erase(pos);
	v = trim(v);

	if (section != st->cur_section) {
		st->cur_section = section;
		const std::string sname = trim(section);
		if (sname.empty() || sname == "global") {
			st->sec = nullptr;
		} else {
			auto sp = sname.find_first_of(" \t");
			const std::string kind = sname.substr(0, sp);
			const std::string pat = sp == std::string::npos ? "" : trim(sname.substr(sp));
			Section s;
			if (kind == "ifname")
				s.match = Section::Match::Ifname;
			else if (kind == "comm")
				s.match = Section::Match::Comm;
			else {
				return fail(st, "unknown section [" + sname +
						    "] (expected [global], [ifname PATTERN] or [comm PATTERN])");
			}
			if (pat.empty()) {
				return fail(st, "section [" + sname + "] needs a pattern");
			}
			s.pattern = pat;
			st->cfg.sections.push_back(std::move(s));
			st->sec = &st->cfg.sections.back();
		}
	}

	if (!st->sec) {
		std::string e;
		if (key == "period-ms")
			e = parse_number<uint32_t>(key, v, 10, 10000, st->cfg.period_ms);
		else if (key == "restore-on-exit")
			e = parse_bool(key, v, st->cfg.restore_on_exit);
		else
			e = apply_setting(st->cfg.defaults, key, v);
		return e.empty() || fail(st, e);
	}
	if (key == "period-ms" || key == "restore-on-exit")
		return fail(st, key + " is a [global] setting");
	Settings scratch;
	if (std::string e = apply_setting(scratch, key, v); !e.empty())
		return fail(st, e);
	st->sec->keys.emplace_back(key, v);
	return true;
}

}  // namespace

LawConfig Settings::law_config() const
{
	LawConfig c;
	c.max_latency_us = max_latency_us;
	c.throughput_tolerance = tolerance;
	c.idle_pps = idle_pps;
	return c;
}

Settings Config::settings_for(const std::vector<std::string> &ifnames,
			      const std::string &comm) const
{
	Settings s = defaults;
	for (const Section &sec : sections) {
		bool hit = false;
		if (sec.match == Section::Match::Comm)
			hit = !comm.empty() && fnmatch(sec.pattern.c_str(), comm.c_str(), 0) == 0;
		else
			for (const std::string &n : ifnames)
				hit |= !n.empty() && fnmatch(sec.pattern.c_str(), n.c_str(), 0) == 0;
		if (!hit)
			continue;
		for (auto &[k, v] : sec.keys)
			apply_setting(s, k, v);  // validated when parsed
	}
	return s;
}

std::optional<Config> parse_config(const std::string &text, const std::string &source,
				   std::string *err)
{
	// Sections are pushed while parsing; reserve so the pointer stays valid.
	ParseState st;
	st.text = text;
	st.cfg.sections.reserve(std::count(text.begin(), text.end(), '[') + 1);
	int line = ini_parse_stream(read_line, &st, on_key, &st);
	if (line != 0) {
		if (err) {
			if (line > 0 && st.error_line == line)
				*err = source + ":" + std::to_string(line) + ": " + st.error;
			else
				*err = source + ":" + std::to_string(line) +
				       ": syntax error (expected key = value or [section])";
		}
		return std::nullopt;
	}
	return std::move(st.cfg);
}

std::optional<Config> load_config(const std::string &path, bool missing_ok, std::string *err)
{
	std::ifstream in(path);
	if (!in) {
		if (missing_ok && errno == ENOENT)
			return Config{};
		if (err)
			*err = path + ": " + std::strerror(errno);
		return std::nullopt;
	}
	std::ostringstream ss;
	ss << in.rdbuf();
	return parse_config(ss.str(), path, err);
}

}  // namespace lwvhost::tuned
