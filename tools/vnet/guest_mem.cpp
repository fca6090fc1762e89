// SPDX-License-Identifier: GPL-2.0
#include "guest_mem.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <sys/mman.h>

namespace vnet {

namespace {

uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

}  // namespace

GuestMemory::GuestMemory(std::vector<MemRegion> regions) : regions_(std::move(regions))
{
	if (regions_.empty())
		throw GuestMemError("guest memory: no regions");
	std::sort(regions_.begin(), regions_.end(),
		  [](const MemRegion &a, const MemRegion &b) { return a.gpa < b.gpa; });
	for (size_t i = 0; i < regions_.size(); i++) {
		const auto &r = regions_[i];
		if (!r.size || !r.hva || r.gpa + r.size < r.gpa)
			throw GuestMemError("guest memory: bad region");
		if (i && regions_[i - 1].gpa + regions_[i - 1].size > r.gpa)
			throw GuestMemError("guest memory: regions overlap in guest-physical space");
		for (size_t j = 0; j < i; j++) {
			const auto &o = regions_[j];
			if (r.hva < o.hva + o.size && o.hva < r.hva + r.size)
				throw GuestMemError("guest memory: regions overlap in host space");
		}
	}
	cursor_ = regions_[0].gpa;
}

const MemRegion *GuestMemory::find(uint64_t gpa) const
{
	for (const auto &r : regions_)
		if (gpa >= r.gpa && gpa - r.gpa < r.size)
			return &r;
	return nullptr;
}

std::optional<std::vector<HostPiece>> GuestMemory::translate(uint64_t gpa, size_t len) const
{
	std::vector<HostPiece> out;
	while (len) {
		const MemRegion *r = find(gpa);
		if (!r)
			return std::nullopt;
		const uint64_t off = gpa - r->gpa;
		const size_t n = static_cast<size_t>(std::min<uint64_t>(len, r->size - off));
		out.push_back({r->hva + off, n});
		gpa += n;
		len -= n;
	}
	return out;
}

uint8_t *GuestMemory::contiguous(uint64_t gpa, size_t len) const
{
	const MemRegion *r = find(gpa);
	if (!r || r->size - (gpa - r->gpa) < len)
		return nullptr;
	return r->hva + (gpa - r->gpa);
}

std::optional<uint64_t> GuestMemory::gpa_of(const uint8_t *hva) const
{
	for (const auto &r : regions_)
		if (hva >= r.hva && hva < r.hva + r.size)
			return r.gpa + static_cast<uint64_t>(hva - r.hva);
	return std::nullopt;
}

void GuestMemory::write(uint64_t gpa, std::span<const uint8_t> data) const
{
	auto pieces = translate(gpa, data.size());
	if (!pieces)
		throw GuestMemError("guest memory: write outside memory");
	size_t done = 0;
	for (auto &p : *pieces) {
		std::memcpy(p.hva, data.data() + done, p.len);
		done += p.len;
	}
}

void GuestMemory::read(uint64_t gpa, std::span<uint8_t> out) const
{
	auto pieces = translate(gpa, out.size());
	if (!pieces)
		throw GuestMemError("guest memory: read outside memory");
	size_t done = 0;
	for (auto &p : *pieces) {
		std::memcpy(out.data() + done, p.hva, p.len);
		done += p.len;
	}
}

uint64_t GuestMemory::alloc(size_t size, size_t align)
{
	if (!size || !align)
		throw GuestMemError("guest memory: bad allocation");
	for (size_t i = cursor_region_; i < regions_.size(); i++) {
		const auto &r = regions_[i];
		uint64_t start = align_up(std::max(cursor_, r.gpa), align);
		// Extend through regions that follow without a hole.
		size_t last = i;
		uint64_t end = r.gpa + r.size;
		while (end < start + size && last + 1 < regions_.size() &&
		       regions_[last + 1].gpa == end) {
			last++;
			end = regions_[last].gpa + regions_[last].size;
		}
		if (start >= end || end - start < size)
			continue;
		if (find(start) != find(start + size - 1))
			straddling_++;
		cursor_ = start + size;
		cursor_region_ = static_cast<size_t>(find(cursor_ - 1) - regions_.data());
		return start;
	}
	throw GuestMemError("guest memory: out of memory (" + std::to_string(size) + " bytes)");
}

uint64_t GuestMemory::alloc_contiguous(size_t size, size_t align)
{
	if (!size || !align)
		throw GuestMemError("guest memory: bad allocation");
	for (size_t i = cursor_region_; i < regions_.size(); i++) {
		const auto &r = regions_[i];
		uint64_t start = align_up(std::max(cursor_, r.gpa), align);
		if (start < r.gpa + r.size && r.gpa + r.size - start >= size) {
			cursor_ = start + size;
			cursor_region_ = i;
			return start;
		}
	}
	throw GuestMemError("guest memory: out of memory (" + std::to_string(size) +
			    " contiguous bytes)");
}

std::vector<unsigned> region_slots(unsigned count)
{
	// Groups of four regions over five slots: {1, 3, 0, 4}, slot 2 a hole.
	// Guest-physical order is then r2 r0 _ r1 r3: r2|r0 and r1|r3 are
	// neighbours in guest-physical space but not in host space, and the
	// order differs from the host order.
	static constexpr unsigned kPattern[4] = {1, 3, 0, 4};
	std::vector<unsigned> slots(count);
	for (unsigned i = 0; i < count; i++)
		slots[i] = 5 * (i / 4) + kPattern[i % 4];
	return slots;
}

MappedGuestMemory map_guest_memory(size_t region_size, unsigned count, uint64_t gpa_base)
{
	if (!count || region_size % 4096)
		throw GuestMemError("guest memory: region size must be a page multiple");
	const size_t total = region_size * count;
	void *p = mmap(nullptr, total, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED)
		throw GuestMemError(std::string("mmap guest memory: ") + std::strerror(errno));
	std::shared_ptr<void> mapping(p, [total](void *q) { munmap(q, total); });
	auto slots = region_slots(count);
	std::vector<MemRegion> regions;
	for (unsigned i = 0; i < count; i++)
		regions.push_back({gpa_base + uint64_t{slots[i]} * region_size, region_size,
				   static_cast<uint8_t *>(p) + size_t{i} * region_size});
	return {mapping, GuestMemory(std::move(regions))};
}

}  // namespace vnet
