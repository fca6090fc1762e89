// SPDX-License-Identifier: GPL-2.0
#include "client/procfs_text.h"

#include <charconv>
#include <map>

namespace lwvhost::client {

namespace {

bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

std::string_view trim(std::string_view s)
{
	while (!s.empty() && is_space(s.front()))
		s.remove_prefix(1);
	while (!s.empty() && is_space(s.back()))
		s.remove_suffix(1);
	return s;
}

template <typename T> std::optional<T> parse_unsigned(std::string_view s, int base)
{
	if (s.empty() || s.front() == '+' || s.front() == '-')
		return std::nullopt;
	T v{};
	auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
	if (ec != std::errc() || p != s.data() + s.size())
		return std::nullopt;
	return v;
}

std::optional<uint64_t> parse_hex(std::string_view s)
{
	if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s.remove_prefix(2);
	return parse_unsigned<uint64_t>(s, 16);
}

// Collects the pairs into a map; the first occurrence of a name wins.
std::map<std::string, std::string, std::less<>> to_map(const KvLines &kv)
{
	std::map<std::string, std::string, std::less<>> m;
	for (const auto &[k, v] : kv)
		m.emplace(k, v);
	return m;
}

}  // namespace

std::optional<uint32_t> parse_u32(std::string_view s)
{
	return parse_unsigned<uint32_t>(s, 10);
}

std::optional<uint64_t> parse_u64(std::string_view s)
{
	return parse_unsigned<uint64_t>(s, 10);
}

std::optional<KvLines> parse_kv_lines(std::string_view text, std::string *err)
{
	KvLines out;
	size_t lineno = 0;
	while (!text.empty()) {
		size_t nl = text.find('\n');
		std::string_view line = text.substr(0, nl);
		text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
		lineno++;
		line = trim(line);
		if (line.empty())
			continue;
		size_t sp = 0;
		while (sp < line.size() && !is_space(line[sp]))
			sp++;
		std::string_view value = trim(line.substr(sp));
		if (value.empty()) {
			*err = "line " + std::to_string(lineno) + ": '" + std::string(line) +
			       "' has no value";
			return std::nullopt;
		}
		out.emplace_back(std::string(line.substr(0, sp)), std::string(value));
	}
	return out;
}

bool parse_info(std::string_view text, Device &dev, std::string *err)
{
	auto kv = parse_kv_lines(text, err);
	if (!kv)
		return false;
	auto m = to_map(*kv);
	auto need = [&](const char *key) -> const std::string * {
		auto it = m.find(key);
		if (it == m.end()) {
			*err = std::string("info: no '") + key + "' line";
			return nullptr;
		}
		return &it->second;
	};
	auto bad = [&](const char *key, const std::string &v) {
		*err = std::string("info: bad ") + key + " '" + v + "'";
		return false;
	};

	Device d = dev;
	const struct {
		const char *key;
		uint32_t Device::*field;
	} ids[] = {{"id", &Device::id},
		   {"owner_pid", &Device::owner_pid},
		   {"worker_tid", &Device::worker_tid}};
	for (const auto &f : ids) {
		const std::string *v = need(f.key);
		if (!v)
			return false;
		auto n = parse_u32(*v);
		if (!n)
			return bad(f.key, *v);
		d.*f.field = *n;
	}
	const std::string *feat = need("features");
	if (!feat)
		return false;
	auto fv = parse_hex(*feat);
	if (!fv)
		return bad("features", *feat);
	d.features = *fv;

	for (Dir dir : kDirs) {
		std::string p = dir_name(dir);
		std::string ifkey = p + "_ifname", modekey = p + "_mode";
		const std::string *ifn = need(ifkey.c_str());
		if (!ifn)
			return false;
		d.at(dir).ifname = *ifn == "-" ? "" : *ifn;
		const std::string *mode = need(modekey.c_str());
		if (!mode)
			return false;
		auto mv = mode_from_name(*mode);
		if (!mv)
			return bad(modekey.c_str(), *mode);
		d.at(dir).mode = *mv;
	}
	dev = d;
	return true;
}

bool parse_stats(std::string_view text, Device &dev, std::string *err)
{
	auto kv = parse_kv_lines(text, err);
	if (!kv)
		return false;
	auto m = to_map(*kv);
	Device d = dev;
	for (Dir dir : kDirs) {
		for (const auto &s : stat_fields()) {
			std::string key = std::string(dir_name(dir)) + "_" + s.name;
			auto it = m.find(key);
			if (it == m.end()) {
				*err = "stats: no '" + key + "' line";
				return false;
			}
			auto v = parse_u64(it->second);
			if (!v) {
				*err = "stats: bad " + key + " '" + it->second + "'";
				return false;
			}
			d.at(dir).stats.*s.field = *v;
		}
	}
	dev = d;
	return true;
}

std::optional<uint32_t> parse_value_file(std::string_view text)
{
	if (!text.empty() && text.back() == '\n')
		text.remove_suffix(1);
	return parse_u32(text);
}

}  // namespace lwvhost::client
