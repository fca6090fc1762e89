// SPDX-License-Identifier: GPL-2.0
// Self-checking UDP payloads and the per-direction sequence checker. Pure.
//
// Layout (little-endian):
//   0  u64 seq      sequence number, 0 .. count-1
//   8  u32 cookie   identifies the run (a stray datagram from elsewhere fails)
//  12  u32 digest   FNV-1a over the whole payload with this field zeroed
//  16  ...          pattern bytes derived from (seq, offset)
// A payload's length is itself a function of seq (SizeSpec), so truncation
// and padding are detected as well as flipped bits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace vnet {

constexpr size_t kPayloadHeader = 16;

// Payload sizes: fixed (min == max) or varying per frame in [min, max],
// chosen deterministically from seq so the receiver knows what to expect.
struct SizeSpec {
	size_t min = 64, max = 64;
	size_t size_for(uint64_t seq) const;
	bool fixed() const { return min == max; }
};
// Parses "S" or "A-B"; nullopt on syntax error or A > B.
std::optional<SizeSpec> parse_size_spec(const std::string &text);

// Writes a payload of out.size() bytes (>= kPayloadHeader).
void fill_payload(std::span<uint8_t> out, uint64_t seq, uint32_t cookie);

enum class PayloadStatus {
	ok,
	too_short,
	wrong_cookie,  // someone else's datagram, or the header was hit
	bad_digest,    // content changed in flight
	wrong_length,  // digest fine but the length is not the one for seq
};
std::string to_string(PayloadStatus s);

struct PayloadCheck {
	PayloadStatus status = PayloadStatus::too_short;
	uint64_t seq = 0;
};
PayloadCheck check_payload(std::span<const uint8_t> p, uint32_t cookie,
			   const SizeSpec &sizes);

// Counts what arrived against what was sent, for seq 0 .. expected-1.
class SequenceChecker {
public:
	explicit SequenceChecker(uint64_t expected = 0);

	// A payload that passed check_payload. Returns false for a duplicate or a
	// sequence number outside the run (counted as corrupted).
	bool record(uint64_t seq);
	void record_corrupted() { corrupted_++; }

	uint64_t expected() const { return expected_; }
	uint64_t received() const { return unique_; }  // distinct, valid
	uint64_t duplicated() const { return duplicated_; }
	uint64_t corrupted() const { return corrupted_; }
	uint64_t out_of_order() const { return out_of_order_; }
	uint64_t lost() const { return expected_ - unique_; }
	bool seen(uint64_t seq) const { return seq < expected_ && seen_[seq]; }
	bool clean() const
	{
		return lost() == 0 && duplicated_ == 0 && corrupted_ == 0 &&
		       out_of_order_ == 0;
	}

private:
	uint64_t expected_;
	std::vector<bool> seen_;
	uint64_t unique_ = 0, duplicated_ = 0, corrupted_ = 0, out_of_order_ = 0;
	std::optional<uint64_t> highest_;
};

}  // namespace vnet
