// SPDX-License-Identifier: GPL-2.0
#include "checksum.h"

namespace vnet {

uint32_t csum_add(std::span<const uint8_t> data, uint32_t sum)
{
	// 64-bit accumulator: a frame is far too short to overflow it, so the
	// carries are folded once at the end.
	uint64_t acc = sum;
	size_t i = 0;
	for (; i + 1 < data.size(); i += 2)
		acc += static_cast<uint32_t>(data[i]) << 8 | data[i + 1];
	if (i < data.size())
		acc += static_cast<uint32_t>(data[i]) << 8;
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return static_cast<uint32_t>(acc);
}

uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return static_cast<uint16_t>(~sum);
}

uint16_t inet_checksum(std::span<const uint8_t> data)
{
	return csum_fold(csum_add(data));
}

}  // namespace vnet
