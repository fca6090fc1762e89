// SPDX-License-Identifier: GPL-2.0
// The Internet checksum (RFC 1071): one's complement sum of 16-bit words.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace vnet {

// Adds the bytes to a running 32-bit one's complement accumulator. Bytes are
// taken as big-endian 16-bit words; an odd trailing byte is padded with zero.
// `sum` may be chained only across spans of even length.
uint32_t csum_add(std::span<const uint8_t> data, uint32_t sum = 0);

// Folds the accumulator to 16 bits and complements it: the value to store in
// a header (in host order; store big-endian).
uint16_t csum_fold(uint32_t sum);

// One-shot: csum_fold(csum_add(data)).
uint16_t inet_checksum(std::span<const uint8_t> data);

}  // namespace vnet
