// SPDX-License-Identifier: GPL-2.0
#include "device.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
// The legacy vring helpers in <linux/virtio_ring.h> are C-only (void *
// arithmetic); vnet has its own ring code.
#define VIRTIO_RING_NO_LEGACY
#include <linux/vhost.h>
#include <unistd.h>

namespace vnet {

namespace {

constexpr unsigned kIndirectMax = 4;	// segments per indirect table
constexpr size_t kBufAlign = 64;
// An odd-sized allocation before the buffers so that buffer boundaries do
// not line up with region (page) boundaries: some buffers straddle two
// regions and the backend must split them.
constexpr size_t kSkew = 320;

size_t round_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

}  // namespace

Device::Device(const DeviceOptions &opt, const LinkAddrs &addrs) : opt_(opt)
{
	int fd = open(opt.vhost_path.c_str(), O_RDWR | O_CLOEXEC);
	if (fd < 0)
		throw SysError("open " + opt.vhost_path, errno);
	vhost_ = Fd(fd);
	VNET_IOCTL(fd, VHOST_SET_OWNER, nullptr);
	worker_ = lwvhost::find_vhost_worker(getpid());

	VNET_IOCTL(fd, VHOST_GET_FEATURES, &offered_);
	neg_ = negotiate(opt.requested, offered_);
	if (!neg_.ok)
		throw RunError("feature negotiation: " + neg_.error);
	if (opt.indirect && !neg_.has(F_INDIRECT_DESC))
		throw RunError("indirect descriptors need INDIRECT_DESC");
	uint64_t f = neg_.features;
	VNET_IOCTL(fd, VHOST_SET_FEATURES, &f);

	setup_memory();
	for (unsigned q = 0; q < 2; q++)
		setup_vring(q);

	TapOptions to;
	to.vnet_hdr = !neg_.vhost_adds_hdr;
	to.hdr_len = neg_.hdr_len;
	to.sndbuf = opt.sndbuf;
	tap_ = std::make_unique<Tap>(to, addrs);

	for (unsigned q = 0; q < 2; q++) {
		vhost_vring_file b{q, tap_->fd()};
		VNET_IOCTL(fd, VHOST_NET_SET_BACKEND, &b);
	}
	attached_ = true;
}

void Device::setup_memory()
{
	auto layout = ring_layout(opt_.ring, neg_.has(F_VERSION_1) ? 4 : 4096);
	if (!layout)
		throw RunError("ring size " + std::to_string(opt_.ring) + " is not a power of two <= 32768");
	const size_t n = opt_.ring;
	buf_size_[kTxQ] = round_up(neg_.hdr_len + kMaxFrame, kBufAlign);
	buf_size_[kRxQ] = mergeable() ? opt_.mrg_buf : buf_size_[kTxQ];
	if (mergeable() && opt_.mrg_buf < neg_.hdr_len + 1)
		throw RunError("mergeable RX buffer smaller than the header");

	const size_t ring_bytes = round_up(layout->total, 4096);
	const size_t table_bytes = n * kIndirectMax * 16;
	const size_t need = 2 * (ring_bytes + table_bytes) +
			    n * (round_up(buf_size_[kTxQ], kBufAlign) +
				 round_up(buf_size_[kRxQ], kBufAlign)) +
			    kSkew;
	// Four regions; each must hold the largest contiguous piece, and the
	// allocator loses at most one piece per region boundary.
	size_t region = round_up(need / 3 + std::max(ring_bytes, table_bytes) + 65536, 4096);
	mapped_ = std::make_unique<MappedGuestMemory>(map_guest_memory(region, 4));
	GuestMemory &m = mapped_->mem;

	// The memory table, as the guest-physical -> host map vhost will use.
	const auto &regs = m.regions();
	std::vector<uint8_t> buf(sizeof(vhost_memory) + regs.size() * sizeof(vhost_memory_region));
	auto *vm = reinterpret_cast<vhost_memory *>(buf.data());
	vm->nregions = static_cast<uint32_t>(regs.size());
	for (size_t i = 0; i < regs.size(); i++) {
		vm->regions[i].guest_phys_addr = regs[i].gpa;
		vm->regions[i].memory_size = regs[i].size;
		vm->regions[i].userspace_addr = reinterpret_cast<uintptr_t>(regs[i].hva);
		vm->regions[i].flags_padding = 0;
	}
	VNET_IOCTL(vhost_.get(), VHOST_SET_MEM_TABLE, vm);

	for (unsigned q = 0; q < 2; q++) {
		uint64_t ring_gpa = m.alloc_contiguous(ring_bytes, 4096);
		ring_hva_[q] = m.contiguous(ring_gpa, ring_bytes);
		uint64_t table_gpa = m.alloc_contiguous(table_bytes, 16);
		Virtqueue::Config c;
		c.layout = *layout;
		c.ring = ring_hva_[q];
		c.event_idx = neg_.has(F_EVENT_IDX);
		if (opt_.indirect) {
			c.indirect_gpa = table_gpa;
			c.indirect_hva = m.contiguous(table_gpa, table_bytes);
			c.indirect_max = kIndirectMax;
		}
		vq_[q] = std::make_unique<Virtqueue>(c);
	}
	m.alloc(kSkew, 1);
	for (unsigned q : {kTxQ, kRxQ}) {
		bufs_[q].resize(n);
		for (size_t i = 0; i < n; i++)
			bufs_[q][i] = m.alloc(buf_size_[q], kBufAlign);
	}
}

void Device::setup_vring(unsigned q)
{
	const int fd = vhost_.get();
	const RingLayout l = *ring_layout(opt_.ring, neg_.has(F_VERSION_1) ? 4 : 4096);
	vhost_vring_state num{q, opt_.ring};
	VNET_IOCTL(fd, VHOST_SET_VRING_NUM, &num);
	vhost_vring_state base{q, 0};
	VNET_IOCTL(fd, VHOST_SET_VRING_BASE, &base);
	vhost_vring_addr a{};
	a.index = q;
	a.flags = 0;
	a.desc_user_addr = reinterpret_cast<uintptr_t>(ring_hva_[q] + l.desc_off);
	a.avail_user_addr = reinterpret_cast<uintptr_t>(ring_hva_[q] + l.avail_off);
	a.used_user_addr = reinterpret_cast<uintptr_t>(ring_hva_[q] + l.used_off);
	a.log_guest_addr = 0;
	VNET_IOCTL(fd, VHOST_SET_VRING_ADDR, &a);
	kick_[q] = make_eventfd();
	call_[q] = make_eventfd();
	err_[q] = make_eventfd();
	vhost_vring_file k{q, kick_[q].get()};
	VNET_IOCTL(fd, VHOST_SET_VRING_KICK, &k);
	vhost_vring_file c{q, call_[q].get()};
	VNET_IOCTL(fd, VHOST_SET_VRING_CALL, &c);
	vhost_vring_file e{q, err_[q].get()};
	VNET_IOCTL(fd, VHOST_SET_VRING_ERR, &e);
	if (opt_.busyloop_us) {
		vhost_vring_state b{q, opt_.busyloop_us};
		VNET_IOCTL(fd, VHOST_SET_VRING_BUSYLOOP_TIMEOUT, &b);
	}
}

void Device::detach()
{
	if (!attached_)
		return;
	attached_ = false;
	for (unsigned q = 0; q < 2; q++) {
		vhost_vring_file b{q, -1};
		VNET_IOCTL(vhost_.get(), VHOST_NET_SET_BACKEND, &b);
	}
	for (unsigned q = 0; q < 2; q++) {
		vhost_vring_state s{q, 0};
		VNET_IOCTL(vhost_.get(), VHOST_GET_VRING_BASE, &s);
		vring_base[q] = static_cast<uint16_t>(s.num);
	}
}

Device::~Device()
{
	try {
		detach();
	} catch (...) {
		// Already failing; closing the fds below releases the device.
	}
	// Order as QEMU: the vhost device first (stops the worker), then the tap.
	vhost_.reset();
	tap_.reset();
}

uint64_t Device::unmapped_gpa() const
{
	const auto &regs = mapped_->mem.regions();
	for (size_t i = 0; i + 1 < regs.size(); i++)
		if (regs[i].gpa + regs[i].size < regs[i + 1].gpa)
			return regs[i].gpa + regs[i].size;
	return regs.back().gpa + regs.back().size;
}

}  // namespace vnet
