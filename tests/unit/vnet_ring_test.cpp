// SPDX-License-Identifier: GPL-2.0
#include "vnet/ring.h"

#include <cstring>
#include <gtest/gtest.h>
#include <set>
#include <vector>

using namespace vnet;

TEST(RingLayout, LegacyAlignment)
{
	auto l = ring_layout(256, 4096);
	ASSERT_TRUE(l);
	EXPECT_EQ(l->desc_off, 0u);
	EXPECT_EQ(l->desc_size, 4096u);
	EXPECT_EQ(l->avail_off, 4096u);
	EXPECT_EQ(l->avail_size, 2u + 2 + 512 + 2);
	EXPECT_EQ(l->used_event_off, 4096u + 4 + 512);
	EXPECT_EQ(l->used_off, 8192u);
	EXPECT_EQ(l->used_size, 2u + 2 + 8 * 256 + 2);
	EXPECT_EQ(l->avail_event_off, 8192u + 4 + 2048);
	EXPECT_EQ(l->total, 8192u + 2054);
}

TEST(RingLayout, Virtio1PackedTight)
{
	auto l = ring_layout(256, 4);
	ASSERT_TRUE(l);
	// avail ends at 4096 + 518 = 4614; the used ring needs 4-byte alignment.
	EXPECT_EQ(l->used_off, 4616u);
	EXPECT_EQ(l->used_off % 4, 0u);
	EXPECT_EQ(l->avail_off % 2, 0u);
	EXPECT_EQ(l->total, 4616u + 2054);
}

TEST(RingLayout, SmallAndLargest)
{
	auto a = ring_layout(1, 4096);
	ASSERT_TRUE(a);
	EXPECT_EQ(a->used_event_off, 16u + 4 + 2);
	EXPECT_EQ(a->used_off, 4096u);
	auto b = ring_layout(32768, 4096);
	ASSERT_TRUE(b);
	EXPECT_EQ(b->avail_off, 16u * 32768);
	EXPECT_EQ(b->used_off % 4096, 0u);
	EXPECT_EQ(b->avail_event_off, b->used_off + 4 + 8 * 32768u);
}

TEST(RingLayout, RejectsBadArguments)
{
	EXPECT_FALSE(ring_layout(0, 4096));
	EXPECT_FALSE(ring_layout(100, 4096));
	EXPECT_FALSE(ring_layout(65536, 4096));
	EXPECT_FALSE(ring_layout(256, 2));
	EXPECT_FALSE(ring_layout(256, 6));
}

TEST(NeedEvent, Window)
{
	// Published old=10 -> new=15: notify iff event in [10, 15).
	EXPECT_TRUE(vring_need_event(10, 15, 10));
	EXPECT_TRUE(vring_need_event(14, 15, 10));
	EXPECT_FALSE(vring_need_event(15, 15, 10));
	EXPECT_FALSE(vring_need_event(9, 15, 10));
	// Across the 16-bit wrap.
	EXPECT_TRUE(vring_need_event(65535, 3, 65534));
	EXPECT_TRUE(vring_need_event(1, 3, 65534));
	EXPECT_FALSE(vring_need_event(3, 3, 65534));
	EXPECT_FALSE(vring_need_event(65533, 3, 65534));
}

namespace {

// The device's half of a split ring, just enough to drive the driver side:
// reads the avail ring and descriptor chains, writes used entries and the
// notification-suppression fields, as the vhost backend does.
struct Device {
	RingLayout l;
	uint8_t *ring;
	uint16_t last_avail = 0, used = 0;

	struct D {
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next;
	};
	D *desc() { return reinterpret_cast<D *>(ring + l.desc_off); }
	uint16_t avail_idx() { return *reinterpret_cast<uint16_t *>(ring + l.avail_off + 2); }
	uint16_t avail_flags() { return *reinterpret_cast<uint16_t *>(ring + l.avail_off); }
	uint16_t used_event() { return *reinterpret_cast<uint16_t *>(ring + l.used_event_off); }
	void set_avail_event(uint16_t v) { *reinterpret_cast<uint16_t *>(ring + l.avail_event_off) = v; }
	void set_used_flags(uint16_t v) { *reinterpret_cast<uint16_t *>(ring + l.used_off) = v; }

	// Takes the next avail head; returns the chain's (addr, len, flags).
	std::vector<D> pop(uint16_t &head)
	{
		head = reinterpret_cast<uint16_t *>(ring + l.avail_off + 4)[last_avail % l.num];
		last_avail++;
		std::vector<D> chain;
		uint16_t i = head;
		for (;;) {
			D d = desc()[i];
			chain.push_back(d);
			if (!(d.flags & 1))
				break;
			i = d.next;
		}
		return chain;
	}
	// Returns true if the driver wants a call for this batch (EVENT_IDX or
	// the NO_INTERRUPT flag).
	bool push_used(uint16_t head, uint32_t len, bool event_idx)
	{
		auto *u = reinterpret_cast<uint32_t *>(ring + l.used_off + 4);
		u[2 * (used % l.num)] = head;
		u[2 * (used % l.num) + 1] = len;
		uint16_t old = used++;
		*reinterpret_cast<uint16_t *>(ring + l.used_off + 2) = used;
		if (event_idx)
			return vring_need_event(used_event(), used, old);
		return !(avail_flags() & 1);
	}
};

struct Fixture {
	explicit Fixture(unsigned num, bool event_idx, unsigned indirect_max = 0)
		: mem(ring_layout(num, 4)->total, 0),
		  tables(num * 16 * (indirect_max ? indirect_max : 1), 0)
	{
		Virtqueue::Config c;
		c.layout = *ring_layout(num, 4);
		c.ring = mem.data();
		c.event_idx = event_idx;
		c.indirect_hva = tables.data();
		c.indirect_gpa = 0x5000000;
		c.indirect_max = indirect_max;
		vq = std::make_unique<Virtqueue>(c);
		dev = {c.layout, mem.data()};
	}
	std::vector<uint8_t> mem, tables;
	std::unique_ptr<Virtqueue> vq;
	Device dev;
};

}  // namespace

TEST(Virtqueue, AddPublishConsumeChains)
{
	Fixture f(8, false);
	Segment segs[2] = {{0x1000, 12, false}, {0x2000, 100, false}};
	auto h = f.vq->add(segs, false);
	ASSERT_TRUE(h);
	EXPECT_EQ(f.vq->num_free(), 6u);
	EXPECT_EQ(f.dev.avail_idx(), 0);  // not yet visible
	EXPECT_TRUE(f.vq->publish());	  // no NO_NOTIFY flag: kick
	EXPECT_EQ(f.dev.avail_idx(), 1);
	uint16_t head;
	auto chain = f.dev.pop(head);
	EXPECT_EQ(head, *h);
	ASSERT_EQ(chain.size(), 2u);
	EXPECT_EQ(chain[0].addr, 0x1000u);
	EXPECT_EQ(chain[0].len, 12u);
	EXPECT_EQ(chain[1].addr, 0x2000u);
	EXPECT_EQ(chain[1].flags & 2, 0);  // device-readable
	EXPECT_FALSE(f.vq->has_used());
	f.dev.push_used(head, 0, false);
	auto u = f.vq->get_used();
	ASSERT_TRUE(u);
	EXPECT_EQ(u->head, head);
	EXPECT_EQ(f.vq->num_free(), 8u);
	EXPECT_FALSE(f.vq->get_used());
}

TEST(Virtqueue, WriteFlagsAndRingFull)
{
	Fixture f(4, false);
	Segment w[2] = {{0x1000, 12, true}, {0x2000, 1514, true}};
	ASSERT_TRUE(f.vq->add(w, false));
	ASSERT_TRUE(f.vq->add(w, false));
	EXPECT_FALSE(f.vq->add(w, false));  // four descriptors used
	f.vq->publish();
	uint16_t head;
	auto c = f.dev.pop(head);
	EXPECT_EQ(c[0].flags, 1 | 2);  // NEXT | WRITE
	EXPECT_EQ(c[1].flags, 2);
}

TEST(Virtqueue, IndirectUsesOneRingDescriptor)
{
	Fixture f(4, false, 4);
	Segment s[3] = {{0x1000, 12, false}, {0x2000, 50, false}, {0x3000, 60, false}};
	auto h = f.vq->add(s, true);
	ASSERT_TRUE(h);
	EXPECT_EQ(f.vq->num_free(), 3u);
	f.vq->publish();
	uint16_t head;
	auto c = f.dev.pop(head);
	ASSERT_EQ(c.size(), 1u);
	EXPECT_EQ(c[0].flags, 4);  // INDIRECT
	EXPECT_EQ(c[0].len, 3u * 16);
	EXPECT_EQ(c[0].addr, 0x5000000u + head * 4u * 16);
	auto *t = reinterpret_cast<Device::D *>(f.tables.data() + head * 4 * 16);
	EXPECT_EQ(t[0].addr, 0x1000u);
	EXPECT_EQ(t[0].flags, 1);
	EXPECT_EQ(t[0].next, 1);
	EXPECT_EQ(t[2].addr, 0x3000u);
	EXPECT_EQ(t[2].flags, 0);
	Segment too_many[5] = {};
	EXPECT_THROW(f.vq->add(too_many, true), std::invalid_argument);
}

TEST(Virtqueue, FreeListSurvivesOutOfOrderCompletion)
{
	Fixture f(8, false);
	std::vector<uint16_t> heads;
	Segment s[2] = {{0x1000, 10, false}, {0x2000, 10, false}};
	for (int i = 0; i < 4; i++)
		heads.push_back(*f.vq->add(s, false));
	EXPECT_EQ(f.vq->num_free(), 0u);
	f.vq->publish();
	for (int i = 0; i < 4; i++) {
		uint16_t h;
		f.dev.pop(h);
	}
	// Complete in reverse order, then reuse every descriptor many times.
	for (int i = 3; i >= 0; i--)
		f.dev.push_used(heads[i], 0, false);
	for (int i = 0; i < 4; i++)
		ASSERT_TRUE(f.vq->get_used());
	EXPECT_EQ(f.vq->num_free(), 8u);
	for (int round = 0; round < 50000; round++) {
		auto h = f.vq->add(s, false);
		ASSERT_TRUE(h);
		f.vq->publish();
		uint16_t dh;
		auto c = f.dev.pop(dh);
		ASSERT_EQ(dh, *h);
		ASSERT_EQ(c.size(), 2u);
		f.dev.push_used(dh, 0, false);
		ASSERT_TRUE(f.vq->get_used());
	}
	EXPECT_EQ(f.vq->num_free(), 8u);
	EXPECT_EQ(f.vq->avail_idx(), uint16_t(4 + 50000));
}

TEST(Virtqueue, BadUsedIdThrows)
{
	Fixture f(4, false);
	Segment s[1] = {{0x1000, 10, false}};
	auto h = f.vq->add(s, false);
	f.vq->publish();
	uint16_t head;
	f.dev.pop(head);
	f.dev.push_used(uint16_t(*h + 1), 0, false);  // never added
	EXPECT_THROW(f.vq->get_used(), RingError);
	Fixture g(4, false);
	g.dev.push_used(7, 0, false);  // out of range
	EXPECT_THROW(g.vq->get_used(), RingError);
}

TEST(Virtqueue, KickSuppressionByFlag)
{
	Fixture f(8, false);
	Segment s[1] = {{0x1000, 10, false}};
	f.vq->add(s, false);
	f.dev.set_used_flags(1);  // VRING_USED_F_NO_NOTIFY
	EXPECT_FALSE(f.vq->publish());
	f.vq->add(s, false);
	f.dev.set_used_flags(0);
	EXPECT_TRUE(f.vq->publish());
	EXPECT_FALSE(f.vq->publish());	// nothing new
}

TEST(Virtqueue, KickSuppressionByEventIdx)
{
	Fixture f(8, true);
	Segment s[1] = {{0x1000, 10, false}};
	f.dev.set_avail_event(0);
	f.vq->add(s, false);
	f.vq->add(s, false);
	EXPECT_TRUE(f.vq->publish());  // 0 -> 2 crosses event 0
	f.dev.set_avail_event(5);      // device wants a kick once idx passes 5
	f.vq->add(s, false);
	EXPECT_FALSE(f.vq->publish());	// 2 -> 3
	for (int i = 0; i < 3; i++)
		f.vq->add(s, false);
	EXPECT_TRUE(f.vq->publish());  // 3 -> 6 crosses 5
}

TEST(Virtqueue, InterruptSuppressionWithFlags)
{
	Fixture f(8, false);
	Segment s[1] = {{0x1000, 10, true}};
	for (int i = 0; i < 3; i++)
		f.vq->add(s, false);
	f.vq->publish();
	f.vq->disable_cb();
	EXPECT_EQ(f.dev.avail_flags(), 1);
	uint16_t h;
	f.dev.pop(h);
	EXPECT_FALSE(f.dev.push_used(h, 10, false));
	EXPECT_FALSE(f.vq->enable_cb());  // an entry is pending: do not sleep
	EXPECT_EQ(f.dev.avail_flags(), 0);
	ASSERT_TRUE(f.vq->get_used());
	EXPECT_TRUE(f.vq->enable_cb());
	f.dev.pop(h);
	EXPECT_TRUE(f.dev.push_used(h, 10, false));
}

TEST(Virtqueue, InterruptSuppressionWithEventIdx)
{
	Fixture f(8, true);
	Segment s[1] = {{0x1000, 10, true}};
	for (int i = 0; i < 8; i++)
		f.vq->add(s, false);
	f.vq->publish();
	f.vq->disable_cb();
	uint16_t h;
	for (int i = 0; i < 8; i++) {
		f.dev.pop(h);
		EXPECT_FALSE(f.dev.push_used(h, 10, true)) << i;
	}
	while (f.vq->get_used())
		;
	for (int i = 0; i < 8; i++)
		f.vq->add(s, false);
	f.vq->publish();
	EXPECT_TRUE(f.vq->enable_cb());
	EXPECT_EQ(f.dev.used_event(), f.vq->last_used());
	f.dev.pop(h);
	EXPECT_TRUE(f.dev.push_used(h, 10, true));  // the first one calls
	f.dev.pop(h);
	EXPECT_FALSE(f.dev.push_used(h, 10, true));  // not the next until reaped
	ASSERT_TRUE(f.vq->get_used());		     // moves used_event along
	ASSERT_TRUE(f.vq->get_used());
	f.dev.pop(h);
	EXPECT_TRUE(f.dev.push_used(h, 10, true));
}

TEST(Virtqueue, DelayedInterruptAtThreeQuarters)
{
	Fixture f(8, true);
	Segment s[1] = {{0x1000, 10, false}};
	for (int i = 0; i < 8; i++)
		f.vq->add(s, false);
	f.vq->publish();
	f.vq->disable_cb();
	EXPECT_TRUE(f.vq->enable_cb_delayed());  // 8 in flight: call after 6
	EXPECT_EQ(f.dev.used_event(), uint16_t(f.vq->last_used() + 6));
	uint16_t h;
	int calls = 0, at = -1;
	for (int i = 0; i < 8; i++) {
		f.dev.pop(h);
		if (f.dev.push_used(h, 0, true)) {
			calls++;
			at = i;
		}
	}
	EXPECT_EQ(calls, 1);
	EXPECT_EQ(at, 6);  // the 7th completion crosses used_event = 6
}

TEST(Virtqueue, SignalDueWithFlags)
{
	Fixture f(8, false);
	Segment s[1] = {{0x1000, 10, true}};
	for (int i = 0; i < 4; i++)
		f.vq->add(s, false);
	f.vq->publish();
	f.vq->disable_cb();
	uint16_t h;
	f.dev.pop(h);
	f.dev.push_used(h, 10, false);
	EXPECT_FALSE(f.vq->signal_due());  // calls were off
	while (f.vq->get_used())
		;
	ASSERT_TRUE(f.vq->enable_cb());
	EXPECT_FALSE(f.vq->signal_due());
	f.dev.pop(h);
	f.dev.push_used(h, 10, false);
	EXPECT_TRUE(f.vq->signal_due());  // flags were 0: the device had to call
}

TEST(Virtqueue, SignalDueWithEventIdx)
{
	Fixture f(8, true);
	Segment s[1] = {{0x1000, 10, false}};
	for (int i = 0; i < 8; i++)
		f.vq->add(s, false);
	f.vq->publish();
	f.vq->disable_cb();
	ASSERT_TRUE(f.vq->enable_cb_delayed());  // due at the 7th completion
	uint16_t h;
	for (int i = 0; i < 6; i++) {
		f.dev.pop(h);
		f.dev.push_used(h, 0, true);
		EXPECT_FALSE(f.vq->signal_due()) << i;
	}
	f.dev.pop(h);
	EXPECT_TRUE(f.dev.push_used(h, 0, true));
	EXPECT_TRUE(f.vq->signal_due());
	f.vq->disable_cb();
	EXPECT_FALSE(f.vq->signal_due());
}
