// SPDX-License-Identifier: GPL-2.0
#include "payload.h"

#include <charconv>
#include <cstring>

namespace vnet {

namespace {

uint64_t mix64(uint64_t x)
{
	// splitmix64 finaliser: cheap and every input bit affects every output bit.
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

uint32_t fnv1a(std::span<const uint8_t> p, size_t skip_at)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < p.size(); i++) {
		uint8_t b = (i >= skip_at && i < skip_at + 4) ? 0 : p[i];
		h = (h ^ b) * 16777619u;
	}
	return h;
}

void put_le(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = static_cast<uint8_t>(v >> (8 * i));
}

uint64_t get_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v |= uint64_t{p[i]} << (8 * i);
	return v;
}

bool parse_size(std::string_view s, size_t &out)
{
	auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
	return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

}  // namespace

size_t SizeSpec::size_for(uint64_t seq) const
{
	if (min >= max)
		return min;
	return min + mix64(seq ^ 0x5eed) % (max - min + 1);
}

std::optional<SizeSpec> parse_size_spec(const std::string &text)
{
	SizeSpec s;
	auto dash = text.find('-');
	if (dash == std::string::npos) {
		if (!parse_size(text, s.min))
			return std::nullopt;
		s.max = s.min;
		return s;
	}
	std::string_view v(text);
	if (!parse_size(v.substr(0, dash), s.min) ||
	    !parse_size(v.substr(dash + 1), s.max) || s.min > s.max)
		return std::nullopt;
	return s;
}

void fill_payload(std::span<uint8_t> out, uint64_t seq, uint32_t cookie)
{
	uint8_t *p = out.data();
	put_le(p, seq, 8);
	put_le(p + 8, cookie, 4);
	put_le(p + 12, 0, 4);
	uint64_t x = mix64(seq ^ (uint64_t{cookie} << 32));
	for (size_t i = kPayloadHeader; i < out.size(); i++) {
		if ((i & 7) == 0)
			x = mix64(x);
		p[i] = static_cast<uint8_t>(x >> (8 * (i & 7)));
	}
	put_le(p + 12, fnv1a(out, 12), 4);
}

std::string to_string(PayloadStatus s)
{
	switch (s) {
	case PayloadStatus::ok: return "ok";
	case PayloadStatus::too_short: return "too short";
	case PayloadStatus::wrong_cookie: return "wrong cookie";
	case PayloadStatus::bad_digest: return "bad digest";
	case PayloadStatus::wrong_length: return "wrong length";
	}
	return "?";
}

PayloadCheck check_payload(std::span<const uint8_t> p, uint32_t cookie,
			   const SizeSpec &sizes)
{
	PayloadCheck r;
	if (p.size() < kPayloadHeader) {
		r.status = PayloadStatus::too_short;
		return r;
	}
	r.seq = get_le(p.data(), 8);
	if (get_le(p.data() + 8, 4) != cookie) {
		r.status = PayloadStatus::wrong_cookie;
		return r;
	}
	if (get_le(p.data() + 12, 4) != fnv1a(p, 12)) {
		r.status = PayloadStatus::bad_digest;
		return r;
	}
	if (p.size() != sizes.size_for(r.seq)) {
		r.status = PayloadStatus::wrong_length;
		return r;
	}
	r.status = PayloadStatus::ok;
	return r;
}

SequenceChecker::SequenceChecker(uint64_t expected)
	: expected_(expected), seen_(expected, false)
{
}

bool SequenceChecker::record(uint64_t seq)
{
	if (seq >= expected_) {
		corrupted_++;
		return false;
	}
	if (seen_[seq]) {
		duplicated_++;
		return false;
	}
	seen_[seq] = true;
	unique_++;
	if (highest_ && seq < *highest_)
		out_of_order_++;
	if (!highest_ || seq > *highest_)
		highest_ = seq;
	return true;
}

}  // namespace vnet
