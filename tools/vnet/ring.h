// SPDX-License-Identifier: GPL-2.0
// Split virtqueues, driver side: layout maths (pure) and a Virtqueue that
// adds buffers, publishes them, decides whether to kick, reaps used entries
// and manages interrupt suppression — the part of a guest's virtio_ring that
// a device sees.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

namespace vnet {

// The three parts of a split ring laid out in one area, as a legacy (0.9.5)
// device requires (used ring aligned to `align`, 4096 for legacy PCI) or as a
// virtio 1 driver may choose (align 4). Offsets are from the area's start.
struct RingLayout {
	unsigned num = 0;
	size_t align = 0;
	size_t desc_off = 0, desc_size = 0;    // 16 * num
	size_t avail_off = 0, avail_size = 0;  // flags, idx, ring[num], used_event
	size_t used_off = 0, used_size = 0;    // flags, idx, ring[num], avail_event
	size_t used_event_off = 0;   // u16 after the avail ring
	size_t avail_event_off = 0;  // u16 after the used ring
	size_t total = 0;
};

constexpr unsigned kMaxRingNum = 32768;

// nullopt unless num is a power of two in [1, 32768] and align a power of two
// >= 4 (the used ring's own alignment).
std::optional<RingLayout> ring_layout(unsigned num, size_t align);

// The virtio rule for EVENT_IDX: notify iff `event` lies in [old, new_idx),
// all modulo 2^16.
inline bool vring_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return static_cast<uint16_t>(new_idx - event - 1) <
	       static_cast<uint16_t>(new_idx - old);
}

// The device broke the ring protocol (bad used id, ...).
struct RingError : std::runtime_error {
	using std::runtime_error::runtime_error;
};

// One buffer segment in guest-physical space.
struct Segment {
	uint64_t gpa = 0;
	uint32_t len = 0;
	bool device_writes = false;
};

struct UsedElem {
	uint16_t head = 0;
	uint32_t len = 0;
};

// Driver-side split virtqueue over memory the caller owns. The ring area must
// be laid out as `layout` says and be zeroed; indirect tables (if any) are
// `indirect_max` descriptors per head, one table per possible head, at
// indirect_hva/indirect_gpa (contiguous in both).
class Virtqueue {
public:
	struct Config {
		RingLayout layout;
		uint8_t *ring = nullptr;  // host address of the ring area
		bool event_idx = false;
		uint8_t *indirect_hva = nullptr;
		uint64_t indirect_gpa = 0;
		unsigned indirect_max = 0;  // 0: no indirect descriptors
	};
	explicit Virtqueue(const Config &cfg);

	unsigned num() const { return layout_.num; }
	unsigned num_free() const { return num_free_; }
	unsigned in_flight() const { return layout_.num - num_free_; }
	// Descriptors one buffer of `segs` segments takes from the ring.
	unsigned cost(size_t segs, bool indirect) const
	{
		return indirect ? 1 : static_cast<unsigned>(segs);
	}

	// Adds a buffer (device-readable segments must come before
	// device-writable ones). Returns the head, or nullopt if the ring lacks
	// room. Not visible to the device until publish().
	std::optional<uint16_t> add(std::span<const Segment> segs, bool indirect);

	// Makes added buffers visible (release-store of avail->idx), then tells
	// whether the device asked to be notified (EVENT_IDX: avail_event in the
	// published window; otherwise !VRING_USED_F_NO_NOTIFY).
	bool publish();
	uint16_t avail_idx() const { return avail_idx_; }
	uint16_t unpublished() const { return static_cast<uint16_t>(avail_idx_ - published_); }

	// Next used entry, freeing its descriptors; nullopt if none. A used id
	// that is out of range or not in flight is a device bug and throws
	// RingError.
	std::optional<UsedElem> get_used();
	bool has_used() const;
	uint16_t last_used() const { return last_used_; }

	// Interrupt suppression, like a guest driver. disable_cb() asks for no
	// calls; enable_cb() re-arms them for the next used entry and returns
	// false if entries are already pending (caller must process instead of
	// sleeping); enable_cb_delayed() re-arms for when ~3/4 of the in-flight
	// buffers are used (EVENT_IDX only, else like enable_cb()).
	void disable_cb();
	bool enable_cb();
	bool enable_cb_delayed();
	bool cb_enabled() const { return !(avail_flags_shadow_ & 1); }

	// While calls are armed: has the device published a used entry that the
	// spec says it MUST signal (without EVENT_IDX: any entry, as the
	// NO_INTERRUPT flag is clear; with it: the entry at index used_event)?
	// A true result with no call received is a missed interrupt.
	bool signal_due() const;

private:
	struct Desc {
		uint64_t addr;
		uint32_t len;
		uint16_t flags;
		uint16_t next;
	};
	static_assert(sizeof(Desc) == 16);

	Desc *desc() const { return reinterpret_cast<Desc *>(ring_ + layout_.desc_off); }
	uint16_t *avail_flags() const { return reinterpret_cast<uint16_t *>(ring_ + layout_.avail_off); }
	uint16_t *avail_idx_p() const { return avail_flags() + 1; }
	uint16_t *avail_ring() const { return avail_flags() + 2; }
	uint16_t *used_event() const { return reinterpret_cast<uint16_t *>(ring_ + layout_.used_event_off); }
	uint16_t *used_flags() const { return reinterpret_cast<uint16_t *>(ring_ + layout_.used_off); }
	uint16_t *used_idx_p() const { return used_flags() + 1; }
	uint32_t *used_ring() const { return reinterpret_cast<uint32_t *>(ring_ + layout_.used_off + 4); }
	uint16_t *avail_event() const { return reinterpret_cast<uint16_t *>(ring_ + layout_.avail_event_off); }

	RingLayout layout_;
	uint8_t *ring_;
	bool event_idx_;
	uint8_t *indirect_hva_;
	uint64_t indirect_gpa_;
	unsigned indirect_max_;

	uint16_t free_head_ = 0;
	unsigned num_free_;
	uint16_t avail_idx_ = 0;   // next avail slot (shadow)
	uint16_t published_ = 0;   // last value stored to avail->idx
	uint16_t last_used_ = 0;
	uint16_t avail_flags_shadow_ = 0;
	uint16_t armed_from_ = 0;   // last_used_ when calls were armed
	uint16_t armed_event_ = 0;  // used_event written then (EVENT_IDX)
	std::vector<uint16_t> chain_len_;  // per head: ring descriptors used, 0 = free
};

}  // namespace vnet
