// SPDX-License-Identifier: GPL-2.0
#include "vnet/guest_mem.h"

#include <algorithm>
#include <gtest/gtest.h>
#include <numeric>
#include <set>
#include <vector>

using namespace vnet;

namespace {

// Three regions over one host buffer, in a different order in guest-physical
// space: host [A|B|C], guest  C@0x10000 A@0x11000 (hole) B@0x20000.
struct Mem {
	std::vector<uint8_t> host = std::vector<uint8_t>(3 * 4096);
	uint8_t *A = host.data(), *B = host.data() + 4096, *C = host.data() + 8192;
	GuestMemory m{{{0x11000, 4096, A}, {0x20000, 4096, B}, {0x10000, 4096, C}}};
};

}  // namespace

TEST(GuestMemory, TranslateWithinOneRegion)
{
	Mem t;
	auto p = t.m.translate(0x11010, 100);
	ASSERT_TRUE(p);
	ASSERT_EQ(p->size(), 1u);
	EXPECT_EQ((*p)[0].hva, t.A + 0x10);
	EXPECT_EQ((*p)[0].len, 100u);
	EXPECT_EQ(t.m.contiguous(0x20000, 4096), t.B);
	EXPECT_EQ(t.m.contiguous(0x10ff0, 16), t.C + 0xff0);
}

TEST(GuestMemory, TranslateAcrossAdjacentRegions)
{
	Mem t;
	// C ends at 0x11000 where A starts: in host space they are not adjacent.
	auto p = t.m.translate(0x10f00, 0x200);
	ASSERT_TRUE(p);
	ASSERT_EQ(p->size(), 2u);
	EXPECT_EQ((*p)[0].hva, t.C + 0xf00);
	EXPECT_EQ((*p)[0].len, 0x100u);
	EXPECT_EQ((*p)[1].hva, t.A);
	EXPECT_EQ((*p)[1].len, 0x100u);
	EXPECT_EQ(t.m.contiguous(0x10f00, 0x200), nullptr);
}

TEST(GuestMemory, HolesAndOutOfRange)
{
	Mem t;
	EXPECT_FALSE(t.m.translate(0x12000, 1));      // hole after A
	EXPECT_FALSE(t.m.translate(0x11f00, 0x200));  // runs into the hole
	EXPECT_FALSE(t.m.translate(0x0, 1));
	EXPECT_FALSE(t.m.translate(0x21000, 1));
	EXPECT_TRUE(t.m.translate(0x20fff, 1));
	EXPECT_EQ(t.m.contiguous(0x12000, 1), nullptr);
	EXPECT_THROW(t.m.write(0x11f00, std::vector<uint8_t>(0x200)), GuestMemError);
}

TEST(GuestMemory, WriteReadRoundTripAcrossRegions)
{
	Mem t;
	std::vector<uint8_t> data(0x300);
	std::iota(data.begin(), data.end(), 0);
	t.m.write(0x10e80, data);
	EXPECT_EQ(t.C[0xe80], 0);
	EXPECT_EQ(t.A[0], data[0x180]);
	std::vector<uint8_t> back(0x300);
	t.m.read(0x10e80, back);
	EXPECT_EQ(back, data);
}

TEST(GuestMemory, HostToGuest)
{
	Mem t;
	EXPECT_EQ(t.m.gpa_of(t.A), 0x11000u);
	EXPECT_EQ(t.m.gpa_of(t.B + 5), 0x20005u);
	EXPECT_EQ(t.m.gpa_of(t.C + 4095), 0x10fffu);
	EXPECT_FALSE(t.m.gpa_of(t.host.data() + t.host.size()));
}

TEST(GuestMemory, RejectsOverlaps)
{
	std::vector<uint8_t> h(8192);
	EXPECT_THROW(GuestMemory({{0x1000, 4096, h.data()}, {0x1800, 4096, h.data() + 4096}}),
		     GuestMemError);
	EXPECT_THROW(GuestMemory({{0x1000, 4096, h.data()}, {0x9000, 4096, h.data() + 100}}),
		     GuestMemError);
	EXPECT_THROW(GuestMemory({}), GuestMemError);
}

TEST(GuestMemory, AllocSpansAdjacentRegionsAndSkipsHoles)
{
	Mem t;
	// 0x10000..0x12000 is one span (C then A), 0x20000.. another (B).
	uint64_t a = t.m.alloc(3000, 64);
	EXPECT_EQ(a, 0x10000u);
	uint64_t b = t.m.alloc(3000, 64);  // crosses C|A
	EXPECT_EQ(b, 0x10bc0u);
	EXPECT_EQ(t.m.straddling(), 1u);
	uint64_t c = t.m.alloc(2000, 64);  // fits before the hole at 0x12000
	EXPECT_EQ(c, 0x11780u);
	uint64_t d = t.m.alloc(1000, 64);  // does not: jumps over the hole
	EXPECT_EQ(d, 0x20000u);
	EXPECT_THROW(t.m.alloc(4000, 64), GuestMemError);
}

TEST(GuestMemory, AllocContiguousStaysInOneRegion)
{
	Mem t;
	t.m.alloc(3000, 1);
	uint64_t r = t.m.alloc_contiguous(2048, 4096);
	// 0x11000 is the first page-aligned start whose 2048 bytes lie in one region.
	EXPECT_EQ(r, 0x11000u);
	EXPECT_NE(t.m.contiguous(r, 2048), nullptr);
	uint64_t s = t.m.alloc_contiguous(3000, 16);  // A has 2048 left: go to B
	EXPECT_EQ(s, 0x20000u);
	EXPECT_EQ(t.m.straddling(), 0u);
}

TEST(GuestMemory, StandardLayoutProperties)
{
	auto slots = region_slots(4);
	EXPECT_EQ(slots, (std::vector<unsigned>{1, 3, 0, 4}));
	auto eight = region_slots(8);
	EXPECT_EQ(std::set<unsigned>(eight.begin(), eight.end()).size(), 8u);

	auto mm = map_guest_memory(64 * 1024, 4);
	const auto &r = mm.mem.regions();  // sorted by guest-physical address
	ASSERT_EQ(r.size(), 4u);
	bool hole = false, neighbours_apart = false, reordered = false;
	for (size_t i = 0; i + 1 < r.size(); i++) {
		if (r[i].gpa + r[i].size < r[i + 1].gpa)
			hole = true;
		if (r[i].gpa + r[i].size == r[i + 1].gpa && r[i].hva + r[i].size != r[i + 1].hva)
			neighbours_apart = true;
		if (r[i].hva > r[i + 1].hva)
			reordered = true;
	}
	EXPECT_TRUE(hole);
	EXPECT_TRUE(neighbours_apart);
	EXPECT_TRUE(reordered);
	for (auto &x : r)
		EXPECT_NE(x.gpa, reinterpret_cast<uintptr_t>(x.hva));
	// The mapping is usable through the translation.
	std::vector<uint8_t> d(1000, 0xa5), back(1000);
	uint64_t g = r[0].gpa + r[0].size - 500;
	mm.mem.write(g, d);
	mm.mem.read(g, back);
	EXPECT_EQ(d, back);
	EXPECT_THROW(map_guest_memory(1000, 4), GuestMemError);
}
