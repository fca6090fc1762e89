// SPDX-License-Identifier: GPL-2.0
// "Guest memory": host memory presented to vhost as guest-physical regions.
//
// Regions sit at guest-physical addresses unrelated to their host addresses,
// in a different order, with holes, and with neighbours in guest-physical
// space that are not neighbours in host space, so a buffer that crosses a
// region boundary needs two host pieces: the backend's translation is really
// exercised. Translation and allocation are pure (unit tested over caller
// memory); map_guest_memory() does the one mmap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

namespace vnet {

struct MemRegion {
	uint64_t gpa = 0;
	uint64_t size = 0;
	uint8_t *hva = nullptr;
};

struct HostPiece {
	uint8_t *hva;
	size_t len;
};

struct GuestMemError : std::runtime_error {
	using std::runtime_error::runtime_error;
};

class GuestMemory {
public:
	// Regions must not overlap in guest-physical or host space; throws
	// GuestMemError otherwise.
	explicit GuestMemory(std::vector<MemRegion> regions);

	const std::vector<MemRegion> &regions() const { return regions_; }

	// Host pieces backing [gpa, gpa+len), in order; nullopt if any byte is
	// outside every region.
	std::optional<std::vector<HostPiece>> translate(uint64_t gpa, size_t len) const;
	// Host address of [gpa, gpa+len) if it lies inside one region.
	uint8_t *contiguous(uint64_t gpa, size_t len) const;
	// Host address -> guest-physical; nullopt outside every region.
	std::optional<uint64_t> gpa_of(const uint8_t *hva) const;

	// Copies across region boundaries; throw GuestMemError on a bad range.
	void write(uint64_t gpa, std::span<const uint8_t> data) const;
	void read(uint64_t gpa, std::span<uint8_t> out) const;

	// Bump allocation in guest-physical order, skipping holes.
	// alloc(): the range may span regions that are adjacent in guest-physical
	// space (that is the point); alloc_contiguous(): it lies in one region
	// (for rings and indirect tables, which vnet addresses by host pointer).
	// Both throw GuestMemError when memory runs out.
	uint64_t alloc(size_t size, size_t align);
	uint64_t alloc_contiguous(size_t size, size_t align);

	// Buffers handed out by alloc() that straddle a region boundary.
	unsigned straddling() const { return straddling_; }

private:
	const MemRegion *find(uint64_t gpa) const;

	std::vector<MemRegion> regions_;  // sorted by gpa
	uint64_t cursor_ = 0;		  // next free gpa
	size_t cursor_region_ = 0;
	unsigned straddling_ = 0;
};

// The standard layout: `count` regions of `region_size` bytes (page
// multiple) in one anonymous mapping, region i at host offset i*size, placed
// in guest-physical space at base + slot(i)*size with the slots permuted and
// one left empty. Returns the memory and keeps the mapping alive.
struct MappedGuestMemory {
	std::shared_ptr<void> mapping;
	GuestMemory mem;
};
MappedGuestMemory map_guest_memory(size_t region_size, unsigned count = 4,
				   uint64_t gpa_base = 0x100000000ull);

// The permutation map_guest_memory() uses: guest-physical slot of region i.
std::vector<unsigned> region_slots(unsigned count);

}  // namespace vnet
