// SPDX-License-Identifier: GPL-2.0
// Character-level scanning that both trace text parsers (line.cpp for the
// kernel's trace file, tracecmd_text.cpp for `trace-cmd report`) share.
// Pure and header-only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace lwvhost::trace {

inline bool is_space(char c) { return c == ' ' || c == '\t'; }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

// s without leading and trailing blanks and line ends.
inline std::string_view trim(std::string_view s)
{
	auto blank = [](char c) { return is_space(c) || c == '\r' || c == '\n'; };
	while (!s.empty() && blank(s.front()))
		s.remove_prefix(1);
	while (!s.empty() && blank(s.back()))
		s.remove_suffix(1);
	return s;
}

inline bool starts_with(std::string_view s, std::string_view p)
{
	return s.substr(0, p.size()) == p;
}

// The first index at or after i that is not a blank (s.size() if none).
inline size_t skip_spaces(std::string_view s, size_t i)
{
	while (i < s.size() && is_space(s[i]))
		i++;
	return i;
}

// An unsigned decimal at s[i...]; advances i. Fails on no digits or on
// more than 19 (which could overflow).
inline std::optional<uint64_t> read_uint(std::string_view s, size_t &i)
{
	size_t start = i;
	uint64_t v = 0;
	while (i < s.size() && is_digit(s[i])) {
		if (i - start >= 19)
			return std::nullopt;
		v = v * 10 + uint64_t(s[i] - '0');
		i++;
	}
	if (i == start)
		return std::nullopt;
	return v;
}

}  // namespace lwvhost::trace
