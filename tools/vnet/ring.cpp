// SPDX-License-Identifier: GPL-2.0
#include "ring.h"

#include <cstring>
#include <string>

namespace vnet {

namespace {

constexpr uint16_t kDescNext = 1;      // VRING_DESC_F_NEXT
constexpr uint16_t kDescWrite = 2;     // VRING_DESC_F_WRITE
constexpr uint16_t kDescIndirect = 4;  // VRING_DESC_F_INDIRECT
constexpr uint16_t kAvailNoInterrupt = 1;  // VRING_AVAIL_F_NO_INTERRUPT
constexpr uint16_t kUsedNoNotify = 1;      // VRING_USED_F_NO_NOTIFY

size_t align_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

bool power_of_two(size_t v) { return v && !(v & (v - 1)); }

// The ring is shared with the device (another CPU): every index is accessed
// with explicit ordering.
uint16_t load_acquire(const uint16_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
uint16_t load_relaxed(const uint16_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
void store_release(uint16_t *p, uint16_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
void store_relaxed(uint16_t *p, uint16_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
// virtio_mb(): orders our index/event store before the load of the other
// side's event/flags (a store->load ordering, so a full fence).
void full_fence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

}  // namespace

std::optional<RingLayout> ring_layout(unsigned num, size_t align)
{
	if (!power_of_two(num) || num > kMaxRingNum || !power_of_two(align) || align < 4)
		return std::nullopt;
	RingLayout l;
	l.num = num;
	l.align = align;
	l.desc_off = 0;
	l.desc_size = 16 * size_t{num};
	l.avail_off = l.desc_off + l.desc_size;
	l.avail_size = 2 + 2 + 2 * size_t{num} + 2;
	l.used_event_off = l.avail_off + 4 + 2 * size_t{num};
	l.used_off = align_up(l.avail_off + l.avail_size, align);
	l.used_size = 2 + 2 + 8 * size_t{num} + 2;
	l.avail_event_off = l.used_off + 4 + 8 * size_t{num};
	l.total = l.used_off + l.used_size;
	return l;
}

Virtqueue::Virtqueue(const Config &cfg)
	: layout_(cfg.layout), ring_(cfg.ring), event_idx_(cfg.event_idx),
	  indirect_hva_(cfg.indirect_hva), indirect_gpa_(cfg.indirect_gpa),
	  indirect_max_(cfg.indirect_max), num_free_(cfg.layout.num),
	  chain_len_(cfg.layout.num, 0)
{
	// Free list threaded through desc.next, like the device will see it.
	for (unsigned i = 0; i < layout_.num; i++)
		desc()[i].next = static_cast<uint16_t>(i + 1 == layout_.num ? 0 : i + 1);
}

std::optional<uint16_t> Virtqueue::add(std::span<const Segment> segs, bool indirect)
{
	if (segs.empty())
		throw std::invalid_argument("virtqueue: empty buffer");
	if (indirect && (indirect_max_ == 0 || segs.size() > indirect_max_))
		throw std::invalid_argument("virtqueue: indirect table too small");
	const unsigned need = cost(segs.size(), indirect);
	if (num_free_ < need)
		return std::nullopt;

	const uint16_t head = free_head_;
	Desc *d = desc();
	if (indirect) {
		const size_t table_bytes = size_t{indirect_max_} * sizeof(Desc);
		auto *t = reinterpret_cast<Desc *>(indirect_hva_ + head * table_bytes);
		for (size_t i = 0; i < segs.size(); i++) {
			t[i].addr = segs[i].gpa;
			t[i].len = segs[i].len;
			t[i].flags = static_cast<uint16_t>((segs[i].device_writes ? kDescWrite : 0) |
							   (i + 1 < segs.size() ? kDescNext : 0));
			t[i].next = static_cast<uint16_t>(i + 1);
		}
		d[head].addr = indirect_gpa_ + head * table_bytes;
		d[head].len = static_cast<uint32_t>(segs.size() * sizeof(Desc));
		d[head].flags = kDescIndirect;
		free_head_ = d[head].next;
	} else {
		uint16_t i = head, last = head;
		for (size_t s = 0; s < segs.size(); s++) {
			d[i].addr = segs[s].gpa;
			d[i].len = segs[s].len;
			d[i].flags = static_cast<uint16_t>((segs[s].device_writes ? kDescWrite : 0) |
							   (s + 1 < segs.size() ? kDescNext : 0));
			last = i;
			i = d[i].next;
		}
		free_head_ = d[last].next;
	}
	num_free_ -= need;
	chain_len_[head] = static_cast<uint16_t>(need);
	avail_ring()[avail_idx_ & (layout_.num - 1)] = head;
	avail_idx_++;
	return head;
}

bool Virtqueue::publish()
{
	const uint16_t old = published_, now = avail_idx_;
	if (old == now)
		return false;
	store_release(avail_idx_p(), now);
	published_ = now;
	full_fence();
	if (event_idx_)
		return vring_need_event(load_relaxed(avail_event()), now, old);
	return !(load_relaxed(used_flags()) & kUsedNoNotify);
}

bool Virtqueue::has_used() const
{
	return load_acquire(used_idx_p()) != last_used_;
}

std::optional<UsedElem> Virtqueue::get_used()
{
	if (!has_used())
		return std::nullopt;
	const unsigned slot = last_used_ & (layout_.num - 1);
	const uint32_t id = used_ring()[2 * slot];
	const uint32_t len = used_ring()[2 * slot + 1];
	if (id >= layout_.num || chain_len_[id] == 0)
		throw RingError("used ring entry " + std::to_string(last_used_) +
				" names descriptor " + std::to_string(id) +
				", which is not in flight");
	// Return the chain to the free list.
	Desc *d = desc();
	uint16_t tail = static_cast<uint16_t>(id);
	for (unsigned i = 1; i < chain_len_[id]; i++)
		tail = d[tail].next;
	d[tail].next = free_head_;
	free_head_ = static_cast<uint16_t>(id);
	num_free_ += chain_len_[id];
	chain_len_[id] = 0;
	last_used_++;
	// While calls are wanted, keep asking for the next entry.
	if (!(avail_flags_shadow_ & kAvailNoInterrupt)) {
		armed_from_ = armed_event_ = last_used_;
		if (event_idx_)
			store_relaxed(used_event(), last_used_);
	}
	return UsedElem{static_cast<uint16_t>(id), len};
}

void Virtqueue::disable_cb()
{
	if (avail_flags_shadow_ & kAvailNoInterrupt)
		return;
	avail_flags_shadow_ |= kAvailNoInterrupt;
	if (event_idx_)
		// Half the index space ahead: the device can be at most num entries
		// past last_used_, so it never crosses this.
		store_relaxed(used_event(), static_cast<uint16_t>(last_used_ + 0x8000));
	else
		store_relaxed(avail_flags(), avail_flags_shadow_);
}

bool Virtqueue::enable_cb()
{
	avail_flags_shadow_ &= static_cast<uint16_t>(~kAvailNoInterrupt);
	armed_from_ = armed_event_ = last_used_;
	if (event_idx_)
		store_relaxed(used_event(), last_used_);
	else
		store_relaxed(avail_flags(), avail_flags_shadow_);
	full_fence();
	return !has_used();
}

bool Virtqueue::signal_due() const
{
	if (!cb_enabled())
		return false;
	const uint16_t used = load_acquire(used_idx_p());
	if (event_idx_)
		return vring_need_event(armed_event_, used, armed_from_);
	return used != armed_from_;
}

bool Virtqueue::enable_cb_delayed()
{
	if (!event_idx_)
		return enable_cb();
	avail_flags_shadow_ &= static_cast<uint16_t>(~kAvailNoInterrupt);
	const uint16_t bufs = static_cast<uint16_t>((avail_idx_ - last_used_) * 3 / 4);
	armed_from_ = last_used_;
	armed_event_ = static_cast<uint16_t>(last_used_ + bufs);
	store_relaxed(used_event(), armed_event_);
	full_fence();
	return static_cast<uint16_t>(load_acquire(used_idx_p()) - last_used_) <= bufs;
}

}  // namespace vnet
