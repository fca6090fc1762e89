// SPDX-License-Identifier: GPL-2.0
#include "hostile.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
// vnet has its own ring code; only the UAPI structs are wanted here.
#define VIRTIO_RING_NO_LEGACY
#include <linux/vhost.h>

#include "engine.h"
#include "fuzz/rng.h"
#include "guest_mem.h"
#include "netenv.h"
#include "proc_stat.h"
#include "ring.h"
#include "sys.h"

namespace vnet {

namespace {

using lwvfuzz::Rng;

constexpr size_t kPage = 4096;
constexpr uint64_t kRegion = 256 * 1024;
constexpr uint64_t kGpa = 0x100000000ull;  // R0; R1 follows; a hole; then R2
constexpr uint64_t kR0 = kGpa, kR1 = kGpa + kRegion, kHole = kGpa + 2 * kRegion,
		   kR2 = kGpa + 3 * kRegion, kEnd = kGpa + 4 * kRegion;
constexpr uint64_t kRingGpa[2] = {kR0 + 64 * 1024, kR0};  // RX, TX
constexpr uint64_t kTables = kR0 + 128 * 1024;		 // indirect tables, 64 KiB
constexpr uint64_t kBufs = kR1 + 8192;			 // case buffers
constexpr size_t kHdr = 12;  // VERSION_1 / MRG_RXBUF virtio-net header
constexpr uint16_t kEthTest = 0x88B5;
constexpr uint16_t F_NEXT = 1, F_WRITE = 2, F_INDIRECT = 4;
const uint8_t kCanary[8] = {'C', 'A', 'N', 'A', 'R', 'Y', '!', 0xA5};

uint32_t fnv1a(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

// A test frame: broadcast, ethertype 0x88B5, then "LWVH", case, seq, size,
// filler, and an FNV-1a digest of everything before it.
std::vector<uint8_t> make_frame(uint32_t cid, uint32_t seq, size_t size)
{
	size = std::max<size_t>(size, 32);
	std::vector<uint8_t> f(size);
	std::memset(f.data(), 0xff, 6);
	const uint8_t src[6] = {0x02, 0, 0, 0x77, 0, 0x09};
	std::memcpy(f.data() + 6, src, 6);
	f[12] = kEthTest >> 8;
	f[13] = kEthTest & 0xff;
	std::memcpy(f.data() + 14, "LWVH", 4);
	std::memcpy(f.data() + 18, &cid, 4);
	std::memcpy(f.data() + 22, &seq, 4);
	for (size_t i = 26; i + 4 < size; i++)
		f[i] = static_cast<uint8_t>(cid * 7 + seq * 13 + i);
	uint32_t h = fnv1a(f.data(), size - 4);
	std::memcpy(f.data() + size - 4, &h, 4);
	return f;
}

struct FrameCheck {
	bool ours = false, intact = false;
	uint32_t cid = 0, seq = 0;
};

FrameCheck check_frame(const uint8_t *p, size_t n)
{
	FrameCheck c;
	if (n < 32 || p[12] != (kEthTest >> 8) || p[13] != (kEthTest & 0xff) || std::memcmp(p + 14, "LWVH", 4))
		return c;
	c.ours = true;
	std::memcpy(&c.cid, p + 18, 4);
	std::memcpy(&c.seq, p + 22, 4);
	uint32_t h;
	std::memcpy(&h, p + n - 4, 4);
	c.intact = h == fnv1a(p, n - 4);
	return c;
}

bool has_canary(const uint8_t *p, size_t n)
{
	return n >= sizeof(kCanary) &&
	       std::search(p, p + n, kCanary, kCanary + sizeof(kCanary)) != p + n;
}

struct Seg {
	uint64_t gpa;
	uint32_t len;
};

struct HRing {
	unsigned q = 0;
	RingLayout L;
	uint8_t *hva = nullptr;
	uint16_t avail_idx = 0;
	Fd kick, call, err;
};

struct Captured {
	std::vector<uint8_t> data;
};

enum Kind {
	k_loop,
	k_loop_indirect,
	k_next_oob,
	k_next_oob_indirect,
	k_nested_indirect,
	k_len_overflow,
	k_addr_outside,
	k_addr_straddle_hole,
	k_indirect_outside,
	k_indirect_bad_len,
	k_avail_jump,
	k_head_oob,
	k_wrong_direction,
	k_used_event_garbage,
	k_zero_length,
	k_longer_than_ring,
	k_mutate,
	k_count
};

const char *kKindNames[k_count] = {
	"loop",		    "loop-indirect",	  "next-oob",	      "next-oob-indirect",
	"nested-indirect",  "len-overflow",	  "addr-outside",     "addr-straddle-hole",
	"indirect-outside", "indirect-bad-len",	  "avail-jump",	      "head-oob",
	"wrong-direction",  "used-event-garbage", "zero-length",      "longer-than-ring",
	"mutate",
};

// "gpa 0x1234" for a case's description.
std::string gpa_text(uint64_t gpa)
{
	char b[32];
	std::snprintf(b, sizeof(b), "gpa 0x%llx", static_cast<unsigned long long>(gpa));
	return b;
}

bool must_fail(Kind k)
{
	return k <= k_wrong_direction;
}

// What a case expects beyond "nothing malformed delivered".
struct CaseSpec {
	Kind kind;
	unsigned q;
	uint32_t cid;
	bool check_intact = true;  // every delivered frame of this case intact
	unsigned expect = 0;	   // benign: frames that must be delivered
	std::vector<std::vector<uint8_t>> inject;  // RX: frames the host sends
	std::map<uint16_t, std::vector<Seg>> rx_bufs;  // RX: good buffers by head
	std::string what;
};

class Hostile {
public:
	explicit Hostile(const HostileOptions &o) : o_(o), rng_(o.seed) { map_memory(); }
	~Hostile() { close_device(); }

	void run(HostileResult &res);

private:
	void map_memory();
	void open_device(HostileResult &res);
	void close_device();
	void stop_ring(unsigned q);
	void start_ring(unsigned q);
	void reset_ring(unsigned q);
	void drain_tap();
	std::vector<Captured> capture(unsigned wait_ms);
	bool check_canary_pages();
	uint8_t *hva(uint64_t gpa, size_t len) { return mem_->contiguous(gpa, len); }
	void wdesc(unsigned q, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next);
	void wtable(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next);
	void publish(unsigned q, uint16_t head);
	void set_avail_idx(unsigned q, uint16_t idx);
	uint16_t used_idx(unsigned q);
	uint64_t put(const std::vector<uint8_t> &data);
	uint64_t alloc(size_t n);
	std::vector<uint8_t> hdr_frame(uint32_t cid, uint32_t seq, size_t size);
	// What every builder of one case starts from.
	struct RingCase {
		RingCase(Hostile &h, const CaseSpec &c);
		// A good frame of this case, with its virtio-net header.
		std::vector<uint8_t> good(uint32_t seq) const;
		// A plausible buffer for the ring's direction: TX holds a frame,
		// RX is room for one.
		Seg buffer(uint32_t seq) const;

		Hostile &h;
		uint32_t cid;
		unsigned q, num;
		bool tx;
		uint16_t wr;	// F_WRITE on RX: the device writes there
		size_t fsize;	// drawn first, then table: the seed's order
		uint64_t table; // an indirect table's place
	};
	void build(CaseSpec &c);
	void build_loop(CaseSpec &c, const RingCase &x);
	void build_loop_indirect(CaseSpec &c, const RingCase &x);
	void build_next_oob(CaseSpec &c, const RingCase &x);
	void build_next_oob_indirect(CaseSpec &c, const RingCase &x);
	void build_nested_indirect(CaseSpec &c, const RingCase &x);
	void build_len_overflow(CaseSpec &c, const RingCase &x);
	void build_addr_outside(CaseSpec &c, const RingCase &x);
	void build_addr_straddle_hole(CaseSpec &c, const RingCase &x);
	void build_indirect_outside(CaseSpec &c, const RingCase &x);
	void build_indirect_bad_len(CaseSpec &c, const RingCase &x);
	void build_avail_jump(CaseSpec &c, const RingCase &x);
	void build_head_oob(CaseSpec &c, const RingCase &x);
	void build_wrong_direction(CaseSpec &c, const RingCase &x);
	void build_used_event_garbage(CaseSpec &c, const RingCase &x);
	void build_zero_length(CaseSpec &c, const RingCase &x);
	void build_longer_than_ring(CaseSpec &c, const RingCase &x);
	void build_mutate(CaseSpec &c, const RingCase &x);
	void run_case(CaseSpec &c, HostileResult &res);
	bool probe(HostileResult &res);
	uint64_t worker_run_ns();

	HostileOptions o_;
	Rng rng_;
	std::shared_ptr<void> mapping_;
	uint8_t *base_ = nullptr;
	size_t map_size_ = 0;
	std::vector<uint8_t *> canaries_;
	std::unique_ptr<GuestMemory> mem_;
	Fd vhost_, tap_, pkt_;
	int ifindex_ = 0;
	HRing ring_[2];
	bool event_idx_ = false;
	std::optional<lwvhost::TaskId> worker_;
	uint64_t cursor_ = kBufs;
	uint32_t next_cid_ = 1;
	unsigned cases_on_device_ = 0;
};

// Host layout: canary, R0, canary, R2, canary, R1, canary. R0 and R1 are
// neighbours in guest-physical space but not in host memory, so a buffer
// across them must be split; a translation that assumed host contiguity
// would read a canary page.
void Hostile::map_memory()
{
	map_size_ = 4 * kPage + 3 * kRegion;
	void *m = mmap(nullptr, map_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		throw SysError("mmap(guest memory)", errno);
	const size_t sz = map_size_;
	mapping_ = std::shared_ptr<void>(m, [sz](void *p) { munmap(p, sz); });
	base_ = static_cast<uint8_t *>(m);
	uint8_t *c0 = base_, *r0 = c0 + kPage, *c1 = r0 + kRegion, *r2 = c1 + kPage,
		*c2 = r2 + kRegion, *r1 = c2 + kPage, *c3 = r1 + kRegion;
	canaries_ = {c0, c1, c2, c3};
	for (uint8_t *c : canaries_)
		for (size_t i = 0; i < kPage; i += sizeof(kCanary))
			std::memcpy(c + i, kCanary, sizeof(kCanary));
	mem_ = std::make_unique<GuestMemory>(std::vector<MemRegion>{
		{kR0, kRegion, r0}, {kR1, kRegion, r1}, {kR2, kRegion, r2}});
}

bool Hostile::check_canary_pages()
{
	bool ok = true;
	for (uint8_t *c : canaries_)
		for (size_t i = 0; i < kPage; i += sizeof(kCanary))
			if (std::memcmp(c + i, kCanary, sizeof(kCanary))) {
				ok = false;
				std::memcpy(c + i, kCanary, sizeof(kCanary));
			}
	return ok;
}

void Hostile::open_device(HostileResult &res)
{
	close_device();
	res.devices++;
	cases_on_device_ = 0;
	int fd = open(o_.vhost_path.c_str(), O_RDWR | O_CLOEXEC);
	if (fd < 0)
		throw SysError("open " + o_.vhost_path, errno);
	vhost_ = Fd(fd);
	VNET_IOCTL(fd, VHOST_SET_OWNER, nullptr);
	worker_ = lwvhost::find_vhost_worker(getpid());
	uint64_t offered = 0;
	VNET_IOCTL(fd, VHOST_GET_FEATURES, &offered);
	event_idx_ = rng_.chance(1, 2);
	uint64_t f = (fbit(F_VERSION_1) | fbit(F_INDIRECT_DESC) | fbit(F_MRG_RXBUF) |
		      (event_idx_ ? fbit(F_EVENT_IDX) : 0)) &
		     offered;
	event_idx_ = f & fbit(F_EVENT_IDX);
	VNET_IOCTL(fd, VHOST_SET_FEATURES, &f);

	std::vector<uint8_t> tbl(sizeof(vhost_memory) + 3 * sizeof(vhost_memory_region));
	auto *vm = reinterpret_cast<vhost_memory *>(tbl.data());
	vm->nregions = 3;
	for (size_t i = 0; i < 3; i++) {
		const MemRegion &r = mem_->regions()[i];
		vm->regions[i] = {r.gpa, r.size, reinterpret_cast<uintptr_t>(r.hva), 0};
	}
	VNET_IOCTL(fd, VHOST_SET_MEM_TABLE, vm);

	for (unsigned q = 0; q < 2; q++) {
		HRing &r = ring_[q];
		r.q = q;
		r.L = *ring_layout(o_.ring_num, 4096);
		r.hva = hva(kRingGpa[q], r.L.total);
		std::memset(r.hva, 0, r.L.total);
		r.avail_idx = 0;
		r.kick = make_eventfd();
		r.call = make_eventfd();
		r.err = make_eventfd();
		vhost_vring_state num{q, o_.ring_num};
		VNET_IOCTL(fd, VHOST_SET_VRING_NUM, &num);
		vhost_vring_state base{q, 0};
		VNET_IOCTL(fd, VHOST_SET_VRING_BASE, &base);
		vhost_vring_addr a{};
		a.index = q;
		a.desc_user_addr = reinterpret_cast<uintptr_t>(r.hva + r.L.desc_off);
		a.avail_user_addr = reinterpret_cast<uintptr_t>(r.hva + r.L.avail_off);
		a.used_user_addr = reinterpret_cast<uintptr_t>(r.hva + r.L.used_off);
		VNET_IOCTL(fd, VHOST_SET_VRING_ADDR, &a);
		vhost_vring_file k{q, r.kick.get()}, c{q, r.call.get()}, e{q, r.err.get()};
		VNET_IOCTL(fd, VHOST_SET_VRING_KICK, &k);
		VNET_IOCTL(fd, VHOST_SET_VRING_CALL, &c);
		VNET_IOCTL(fd, VHOST_SET_VRING_ERR, &e);
	}

	int t = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (t < 0)
		throw SysError("open /dev/net/tun", errno);
	tap_ = Fd(t);
	ifreq ifr{};
	std::strncpy(ifr.ifr_name, "hostile%d", IFNAMSIZ - 1);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	VNET_IOCTL(t, TUNSETIFF, &ifr);
	int hl = kHdr;
	VNET_IOCTL(t, TUNSETVNETHDRSZ, &hl);
	std::ofstream(std::string("/proc/sys/net/ipv6/conf/") + ifr.ifr_name + "/disable_ipv6") << "1";
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	Fd ctl(s);
	VNET_IOCTL(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	VNET_IOCTL(s, SIOCSIFFLAGS, &ifr);
	ifindex_ = if_nametoindex(ifr.ifr_name);
	int p = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));
	if (p < 0)
		throw SysError("socket(AF_PACKET)", errno);
	pkt_ = Fd(p);
	int big = 8 << 20;
	setsockopt(p, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	sockaddr_ll sll{};
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifindex_;
	if (bind(p, reinterpret_cast<sockaddr *>(&sll), sizeof(sll)) < 0)
		throw SysError("bind(AF_PACKET)", errno);
	for (unsigned q = 0; q < 2; q++) {
		vhost_vring_file b{q, t};
		VNET_IOCTL(fd, VHOST_NET_SET_BACKEND, &b);
	}
}

void Hostile::close_device()
{
	const uint64_t t0 = now_ns();
	vhost_.reset();
	tap_.reset();
	pkt_.reset();
	for (auto &r : ring_) {
		r.kick.reset();
		r.call.reset();
		r.err.reset();
	}
	(void)t0;
}

void Hostile::drain_tap()
{
	uint8_t buf[65536];
	while (read(tap_.get(), buf, sizeof(buf)) > 0) {
	}
}

// Stop the ring (backend detached: the device cannot look at it), clear it
// and rewind it to index 0; start_ring() attaches the backend again. A case
// writes its ring in between, so the device only ever sees the finished
// (malformed) ring, whatever the worker's timing.
void Hostile::stop_ring(unsigned q)
{
	HRing &r = ring_[q];
	vhost_vring_file off{q, -1};
	VNET_IOCTL(vhost_.get(), VHOST_NET_SET_BACKEND, &off);
	std::memset(r.hva, 0, r.L.total);
	r.avail_idx = 0;
	vhost_vring_state base{q, 0};
	VNET_IOCTL(vhost_.get(), VHOST_SET_VRING_BASE, &base);
	if (q == kRxQ)
		drain_tap();
	eventfd_take(r.err.get());
	eventfd_take(r.call.get());
}

void Hostile::start_ring(unsigned q)
{
	vhost_vring_file on{q, tap_.get()};
	VNET_IOCTL(vhost_.get(), VHOST_NET_SET_BACKEND, &on);
}

void Hostile::reset_ring(unsigned q)
{
	stop_ring(q);
	start_ring(q);
}

std::vector<Captured> Hostile::capture(unsigned wait_ms)
{
	std::vector<Captured> out;
	const uint64_t end = now_ns() + uint64_t(wait_ms) * 1000000;
	uint8_t buf[65536];
	for (;;) {
		sockaddr_ll from{};
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(pkt_.get(), buf, sizeof(buf), 0, reinterpret_cast<sockaddr *>(&from), &fl);
		if (n < 0) {
			if (now_ns() >= end)
				break;
			pollfd p{pkt_.get(), POLLIN, 0};
			poll(&p, 1, 2);
			continue;
		}
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		out.push_back({std::vector<uint8_t>(buf, buf + n)});
	}
	return out;
}

void Hostile::wdesc(unsigned q, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	HRing &r = ring_[q];
	uint8_t *d = r.hva + r.L.desc_off + 16 * (i % r.L.num);
	std::memcpy(d, &addr, 8);
	std::memcpy(d + 8, &len, 4);
	std::memcpy(d + 12, &flags, 2);
	std::memcpy(d + 14, &next, 2);
}

void Hostile::wtable(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t d[16];
	std::memcpy(d, &addr, 8);
	std::memcpy(d + 8, &len, 4);
	std::memcpy(d + 12, &flags, 2);
	std::memcpy(d + 14, &next, 2);
	mem_->write(table + 16 * uint64_t(i), d);
}

void Hostile::publish(unsigned q, uint16_t head)
{
	HRing &r = ring_[q];
	uint16_t *ring = reinterpret_cast<uint16_t *>(r.hva + r.L.avail_off + 4);
	ring[r.avail_idx % r.L.num] = head;
	r.avail_idx++;
	set_avail_idx(q, r.avail_idx);
}

void Hostile::set_avail_idx(unsigned q, uint16_t idx)
{
	HRing &r = ring_[q];
	__atomic_store_n(reinterpret_cast<uint16_t *>(r.hva + r.L.avail_off + 2), idx, __ATOMIC_RELEASE);
}

uint16_t Hostile::used_idx(unsigned q)
{
	HRing &r = ring_[q];
	return __atomic_load_n(reinterpret_cast<uint16_t *>(r.hva + r.L.used_off + 2), __ATOMIC_ACQUIRE);
}

// Buffers come from R1 (and, when they wrap, the start of R1 again), past
// the probes' buffers that straddle R0/R1.
uint64_t Hostile::alloc(size_t n)
{
	n = (n + 15) & ~size_t(15);
	if (cursor_ + n > kR1 + kRegion - kPage)
		cursor_ = kBufs;
	uint64_t g = cursor_;
	cursor_ += n;
	return g;
}

uint64_t Hostile::put(const std::vector<uint8_t> &data)
{
	uint64_t g = alloc(data.size());
	mem_->write(g, data);
	return g;
}

std::vector<uint8_t> Hostile::hdr_frame(uint32_t cid, uint32_t seq, size_t size)
{
	std::vector<uint8_t> b(kHdr, 0);
	auto f = make_frame(cid, seq, size);
	b.insert(b.end(), f.begin(), f.end());
	return b;
}

uint64_t Hostile::worker_run_ns()
{
	if (!worker_)
		return 0;
	auto s = lwvhost::read_schedstat(worker_->pid, worker_->tid);
	return s ? s->run_ns : 0;
}

// Writes case c's ring contents (not yet kicked).
void Hostile::build_loop(CaseSpec &c, const RingCase &x)
{
	Rng &r = rng_;
	unsigned len = static_cast<unsigned>(r.range(1, std::min(x.num, 8u)));
	unsigned first = static_cast<unsigned>(r.below(x.num));
	Seg s = x.buffer(0);
	for (unsigned i = 0; i < len; i++) {
		unsigned d = (first + i) % x.num, nx = (first + (i + 1) % len) % x.num;
		wdesc(x.q, d, s.gpa, i ? 1 : s.len, F_NEXT | x.wr, static_cast<uint16_t>(nx));
	}
	publish(x.q, static_cast<uint16_t>(first));
	c.what = "direct loop of " + std::to_string(len);
}

void Hostile::build_loop_indirect(CaseSpec &c, const RingCase &x)
{
	Rng &r = rng_;
	unsigned len = static_cast<unsigned>(r.range(1, 16));
	Seg s = x.buffer(0);
	for (unsigned i = 0; i < len; i++)
		wtable(x.table, i, s.gpa, i ? 1 : s.len, F_NEXT | x.wr, static_cast<uint16_t>((i + 1) % len));
	wdesc(x.q, 0, x.table, 16 * len, F_INDIRECT, 0);
	publish(x.q, 0);
	c.what = "indirect loop of " + std::to_string(len);
}

void Hostile::build_next_oob(CaseSpec &c, const RingCase &x)
{
	Rng &r = rng_;
	Seg s = x.buffer(0);
	uint16_t nx = static_cast<uint16_t>(x.num + r.below(65536 - x.num));
	wdesc(x.q, 0, s.gpa, s.len, F_NEXT | x.wr, nx);
	publish(x.q, 0);
	c.what = "next=" + std::to_string(nx);
}

void Hostile::build_next_oob_indirect(CaseSpec &c, const RingCase &x)
{
	Rng &r = rng_;
	unsigned len = static_cast<unsigned>(r.range(1, 8));
	Seg s = x.buffer(0);
	uint16_t nx = static_cast<uint16_t>(len + r.below(65536 - len));
	for (unsigned i = 0; i < len; i++)
		wtable(x.table, i, s.gpa, i ? 1 : s.len, F_NEXT | x.wr,
		       i + 1 < len ? static_cast<uint16_t>(i + 1) : nx);
	wdesc(x.q, 0, x.table, 16 * len, F_INDIRECT, 0);
	publish(x.q, 0);
	c.what = "indirect next=" + std::to_string(nx) + " of " + std::to_string(len);
}

void Hostile::build_nested_indirect(CaseSpec &c, const RingCase &x)
{
	Rng &r = rng_;
	Seg s = x.buffer(0);
	const uint64_t inner = kTables + 32768;
	wtable(inner, 0, s.gpa, s.len, x.wr, 0);
	unsigned where = static_cast<unsigned>(r.below(3));
	// The nested x.table entry first, last, or in the middle.
	unsigned n = 3;
	for (unsigned i = 0; i < n; i++) {
		bool nest = i == where;
		wtable(x.table, i, nest ? inner : s.gpa, nest ? 16 : 1,
		       (nest ? F_INDIRECT : x.wr) | (i + 1 < n ? F_NEXT : 0), static_cast<uint16_t>(i + 1));
	}
	wdesc(x.q, 0, x.table, 16 * n, F_INDIRECT, 0);
	publish(x.q, 0);
	c.what = "indirect entry " + std::to_string(where) + " is indirect";
}

void Hostile::build_len_overflow(CaseSpec &c, const RingCase &x)
{
	Rng &r = rng_;
	Seg s = x.buffer(0);
	switch (r.below(4)) {
	case 0:
		wdesc(x.q, 0, s.gpa, 0xffffffffu, x.wr, 0);
		c.what = "len 4 GiB-1";
		break;
	case 1:
		wdesc(x.q, 0, ~uint64_t(0) - r.below(64), s.len, x.wr, 0);
		c.what = "addr+len wraps 2^64";
		break;
	case 2:
		// Each length fits memory's 32-bit view, their sum does not.
		for (unsigned i = 0; i < 3; i++)
			wdesc(x.q, i, s.gpa, 0x7fffffffu + i, x.wr | (i < 2 ? F_NEXT : 0), static_cast<uint16_t>(i + 1));
		c.what = "3 x 2 GiB";
		break;
	default:
		wdesc(x.q, 0, x.table, 0xfffffff0u, F_INDIRECT, 0);
		c.what = "indirect len 4 GiB-16";
		break;
	}
	publish(x.q, 0);
}

void Hostile::build_addr_outside(CaseSpec &c, const RingCase &x)
{
	Rng &r = rng_;
	uint64_t a = r.pick<uint64_t>({0, 0x1000, kGpa - 64, kHole + r.below(kRegion - 4096), kEnd,
				       kEnd + r.below(1ull << 30), 0xffff888000000000ull,
				       reinterpret_cast<uintptr_t>(base_)});
	wdesc(x.q, 0, a, static_cast<uint32_t>(r.range(1, 1600)), x.wr, 0);
	publish(x.q, 0);
	c.what = gpa_text(a);
}

void Hostile::build_addr_straddle_hole(CaseSpec &c, const RingCase &x)
{
	Rng &r = rng_;
	uint64_t a;
	switch (r.below(3)) {
	case 0:
		a = kHole - r.range(1, 512);  // end of R1 into the hole
		break;
	case 1:
		a = kR2 - r.range(1, 512);  // the hole into R2
		break;
	default:
		a = kEnd - r.range(1, 512);  // past the end of memory
		break;
	}
	if (x.tx) {
		auto b = x.good(0);
		uint64_t in = std::min<uint64_t>(b.size(), (a < kHole ? kHole : kEnd) - a);
		if (a < kHole || a >= kR2)
			mem_->write(a, std::span<const uint8_t>(b.data(), in));
	}
	wdesc(x.q, 0, a, 1024, x.wr, 0);
	publish(x.q, 0);
	c.what = gpa_text(a) + " len 1024";
}

void Hostile::build_indirect_outside(CaseSpec &c, const RingCase &x)
{
	Rng &r = rng_;
	uint64_t t = r.chance(1, 2) ? kHole + 16 * r.below(1024) : kHole - 16 * r.range(1, 2);
	wdesc(x.q, 0, t, 64, F_INDIRECT, 0);
	publish(x.q, 0);
	c.what = t < kHole ? "table straddles into the hole" : "table in the hole";
}

void Hostile::build_indirect_bad_len(CaseSpec &c, const RingCase &x)
{
	Rng &r = rng_;
	Seg s = x.buffer(0);
	wtable(x.table, 0, s.gpa, s.len, x.wr, 0);
	uint32_t len = r.pick<uint32_t>({0, 1, 8, 15, 17, 24});
	wdesc(x.q, 0, x.table, len, F_INDIRECT, 0);
	publish(x.q, 0);
	c.what = "indirect len " + std::to_string(len);
}

void Hostile::build_avail_jump(CaseSpec &c, const RingCase &x)
{
	Rng &r = rng_;
	Seg s = x.buffer(0);
	wdesc(x.q, 0, s.gpa, s.len, x.wr, 0);
	uint16_t idx = static_cast<uint16_t>(x.num + 1 + r.below(65536 - x.num - 1));
	reinterpret_cast<uint16_t *>(ring_[x.q].hva + ring_[x.q].L.avail_off + 4)[0] = 0;
	set_avail_idx(x.q, idx);
	c.what = "avail idx 0 -> " + std::to_string(idx);
}

void Hostile::build_head_oob(CaseSpec &c, const RingCase &x)
{
	Rng &r = rng_;
	uint16_t head = static_cast<uint16_t>(x.num + r.below(65536 - x.num));
	publish(x.q, head);
	c.what = "head " + std::to_string(head);
}

void Hostile::build_wrong_direction(CaseSpec &c, const RingCase &x)
{
	Rng &r = rng_;
	Seg s = x.buffer(0);
	if (x.tx && r.chance(1, 2)) {
		wdesc(x.q, 0, s.gpa, s.len, F_WRITE, 0);
		c.what = "TX buffer device-writable";
	} else if (x.tx) {
		wdesc(x.q, 0, s.gpa, s.len, F_NEXT, 1);
		wdesc(x.q, 1, alloc(64), 64, F_WRITE | F_NEXT, 2);
		wdesc(x.q, 2, s.gpa, 16, 0, 0);
		c.what = "TX readable after writable";
	} else if (r.chance(1, 2)) {
		wdesc(x.q, 0, s.gpa, s.len, 0, 0);
		c.what = "RX buffer device-readable";
	} else {
		wdesc(x.q, 0, s.gpa, 1024, F_WRITE | F_NEXT, 1);
		wdesc(x.q, 1, alloc(1024), 1024, F_NEXT, 0);
		c.what = "RX readable after writable";
	}
	publish(x.q, 0);
}

void Hostile::build_used_event_garbage(CaseSpec &c, const RingCase &x)
{
	Rng &r = rng_;
	unsigned k = static_cast<unsigned>(r.range(1, std::min(x.num, 8u)));
	for (unsigned i = 0; i < k; i++) {
		Seg s = x.buffer(i);
		wdesc(x.q, i, s.gpa, s.len, x.wr, 0);
		if (!x.tx)
			c.rx_bufs[static_cast<uint16_t>(i)] = {s};
		publish(x.q, static_cast<uint16_t>(i));
		if (!x.tx && i)
			c.inject.push_back(make_frame(c.cid, i, x.fsize));
	}
	uint16_t ue = static_cast<uint16_t>(r.boundary(16));
	std::memcpy(ring_[x.q].hva + ring_[x.q].L.used_event_off, &ue, 2);
	c.expect = k;
	c.what = std::to_string(k) + " buffers, used_event " + std::to_string(ue);
}

void Hostile::build_zero_length(CaseSpec &c, const RingCase &x)
{
	Rng &r = rng_;
	if (x.tx && r.chance(1, 3)) {
		wdesc(x.q, 0, alloc(16), 0, 0, 0);
		c.what = "one zero-length descriptor";
	} else if (x.tx) {
		auto b = x.good(0);
		uint64_t g = put(b);
		wdesc(x.q, 0, g, kHdr, F_NEXT, 1);
		wdesc(x.q, 1, alloc(16), 0, F_NEXT, 2);
		wdesc(x.q, 2, g + kHdr, static_cast<uint32_t>(b.size() - kHdr), 0, 0);
		c.what = "zero-length descriptor inside a frame";
	} else if (r.chance(1, 2)) {
		wdesc(x.q, 0, alloc(16), 0, F_WRITE, 0);
		c.what = "zero-length RX buffer";
	} else {
		uint64_t a = alloc(2048), b = alloc(16);
		wdesc(x.q, 0, a, kHdr, F_WRITE | F_NEXT, 1);
		wdesc(x.q, 1, b, 0, F_WRITE | F_NEXT, 2);
		wdesc(x.q, 2, a + kHdr, 2048 - kHdr, F_WRITE, 0);
		c.rx_bufs[0] = {{a, kHdr}, {b, 0}, {a + kHdr, 2048 - kHdr}};
		c.what = "zero-length descriptor inside an RX buffer";
	}
	publish(x.q, 0);
}

void Hostile::build_longer_than_ring(CaseSpec &c, const RingCase &x)
{
	Rng &r = rng_;
	// More segments than the ring has entries (via an indirect
	// table), up to beyond UIO_MAXIOV.
	unsigned n = r.pick<unsigned>({x.num + 1, 2 * x.num, 1023, 1024, 1025, 1400});
	if (x.tx) {
		auto b = hdr_frame(c.cid, 0, std::max<size_t>(n, 60) + 4);
		uint64_t g = put(b);
		size_t off = 0;
		for (unsigned i = 0; i < n; i++) {
			size_t piece = i + 1 < n ? (b.size() - off) / (n - i) : b.size() - off;
			piece = std::max<size_t>(piece, 1);
			if (off + piece > b.size())
				piece = b.size() - off;
			wtable(kTables, i, g + off, static_cast<uint32_t>(piece), i + 1 < n ? F_NEXT : 0,
			       static_cast<uint16_t>(i + 1));
			off += piece;
		}
	} else {
		uint64_t g = alloc(2 * n);
		for (unsigned i = 0; i < n; i++)
			wtable(kTables, i, g + 2 * i, 2, F_WRITE | (i + 1 < n ? F_NEXT : 0),
			       static_cast<uint16_t>(i + 1));
	}
	wdesc(x.q, 0, kTables, 16 * n, F_INDIRECT, 0);
	publish(x.q, 0);
	c.what = std::to_string(n) + " segments in one indirect table (ring " + std::to_string(x.num) + ")";
}

void Hostile::build_mutate(CaseSpec &c, const RingCase &x)
{
	Rng &r = rng_;
	// Good buffers, then seeded random damage to descriptors, indirect
	// entries, the avail ring or its index.
	unsigned k = static_cast<unsigned>(r.range(1, std::min(x.num / 2, 6u)));
	unsigned d = 0;
	for (unsigned i = 0; i < k; i++) {
		Seg s = x.buffer(i);
		if (r.chance(1, 3)) {
			uint64_t t = kTables + 256 * i;
			wtable(t, 0, s.gpa, s.len / 2, F_NEXT | x.wr, 1);
			wtable(t, 1, s.gpa + s.len / 2, s.len - s.len / 2, x.wr, 0);
			wdesc(x.q, d, t, 32, F_INDIRECT, 0);
		} else {
			wdesc(x.q, d, s.gpa, s.len, x.wr, 0);
		}
		publish(x.q, static_cast<uint16_t>(d));
		d++;
		if (!x.tx && i)
			c.inject.push_back(make_frame(c.cid, i, x.fsize));
	}
	unsigned m = static_cast<unsigned>(r.range(1, 4));
	HRing &hr = ring_[x.q];
	std::string log;
	for (unsigned i = 0; i < m; i++) {
		uint8_t *p;
		size_t span;
		const unsigned target = static_cast<unsigned>(r.below(4));
		switch (target) {
		case 0:
			p = hr.hva + hr.L.desc_off;
			span = 16 * std::max(d, 1u);
			break;
		case 1:
			p = hva(kTables, 256 * k);
			span = 256 * k;
			break;
		case 2:
			p = hr.hva + hr.L.avail_off + 4;
			span = 2 * std::max(d, 1u);
			break;
		default:
			p = hr.hva + hr.L.avail_off + 2;
			span = 2;
			break;
		}
		size_t at = r.below(span);
		const uint8_t was = p[at];
		if (r.chance(1, 2))
			p[at] ^= static_cast<uint8_t>(1u << r.below(8));
		else
			p[at] = static_cast<uint8_t>(r.next());
		char b[64];
		static const char *names[] = {"desc", "indirect", "avail.ring", "avail.idx"};
		std::snprintf(b, sizeof(b), " %s+%zu:%02x->%02x", names[target], at, was, p[at]);
		log += b;
	}
	c.check_intact = false;
	c.what = std::to_string(k) + " buffers, " + std::to_string(m) + " mutations:" + log;
}

Hostile::RingCase::RingCase(Hostile &h, const CaseSpec &c)
	: h(h), cid(c.cid), q(c.q), num(h.ring_[c.q].L.num), tx(c.q == kTxQ),
	  wr(tx ? 0 : F_WRITE), fsize(h.rng_.range(60, 1514)),
	  table(kTables + 16 * h.rng_.below(64))
{
}

std::vector<uint8_t> Hostile::RingCase::good(uint32_t seq) const
{
	return h.hdr_frame(cid, seq, fsize);
}

Seg Hostile::RingCase::buffer(uint32_t seq) const
{
	if (tx) {
		auto b = good(seq);
		return {h.put(b), static_cast<uint32_t>(b.size())};
	}
	return {h.alloc(2048), 2048};
}

// Each kind of ring is one builder; they write the case's descriptors and
// avail entries and say in c.what what they did.
void Hostile::build(CaseSpec &c)
{
	using Builder = void (Hostile::*)(CaseSpec &, const RingCase &);
	static constexpr Builder kBuilders[k_count] = {
		&Hostile::build_loop,
		&Hostile::build_loop_indirect,
		&Hostile::build_next_oob,
		&Hostile::build_next_oob_indirect,
		&Hostile::build_nested_indirect,
		&Hostile::build_len_overflow,
		&Hostile::build_addr_outside,
		&Hostile::build_addr_straddle_hole,
		&Hostile::build_indirect_outside,
		&Hostile::build_indirect_bad_len,
		&Hostile::build_avail_jump,
		&Hostile::build_head_oob,
		&Hostile::build_wrong_direction,
		&Hostile::build_used_event_garbage,
		&Hostile::build_zero_length,
		&Hostile::build_longer_than_ring,
		&Hostile::build_mutate,
	};
	RingCase x(*this, c);
	if (!x.tx)
		c.inject.push_back(make_frame(c.cid, 0, x.fsize));
	(this->*kBuilders[c.kind < k_count ? c.kind : k_mutate])(c, x);
}

void Hostile::run_case(CaseSpec &c, HostileResult &res)
{
	const unsigned q = c.q;
	const bool tx = q == kTxQ;
	KindTally &tally = res.kinds[std::string(kKindNames[c.kind]) + (tx ? "/tx" : "/rx")];
	tally.tried++;
	res.cases++;
	stop_ring(q);
	build(c);
	if (o_.trace)
		std::fprintf(stderr, "case %u %s %s: %s\n", c.cid, kKindNames[c.kind], tx ? "tx" : "rx",
			     c.what.c_str());
	start_ring(q);
	eventfd_kick(ring_[q].kick.get());
	for (auto &f : c.inject) {
		std::vector<uint8_t> eth = f;
		send(pkt_.get(), eth.data(), eth.size(), 0);
	}
	// Wait for an error, or for used entries (all the expected ones).
	const uint64_t end = now_ns() + uint64_t(o_.case_ms) * 1000000;
	bool err = false;
	for (;;) {
		err = err || eventfd_take(ring_[q].err.get()) > 0;
		uint16_t u = used_idx(q);
		if (err || (u && u >= std::max(1u, c.expect)) || now_ns() >= end)
			break;
		pollfd p{ring_[q].err.get(), POLLIN, 0};
		poll(&p, 1, 2);
	}
	auto caught = capture(tx ? 15 : 2);
	const uint16_t used = used_idx(q);
	// An error may be signalled just after the used entry (a drop with a
	// report): look once more.
	err = err || eventfd_take(ring_[q].err.get()) > 0;

	unsigned delivered = 0, intact = 0;
	for (auto &f : caught) {
		if (has_canary(f.data.data(), f.data.size()))
			res.failures.push_back("case " + std::to_string(c.cid) + " (" + kKindNames[c.kind] + ": " + c.what +
					       "): a frame carried bytes from outside the memory table");
		FrameCheck fc = check_frame(f.data.data(), f.data.size());
		if (!fc.ours || fc.cid != c.cid)
			continue;
		delivered++;
		intact += fc.intact;
		if (c.check_intact && !fc.intact)
			res.failures.push_back("case " + std::to_string(c.cid) + " (" + kKindNames[c.kind] + ": " +
					       c.what + "): corrupted frame delivered");
	}
	if (!tx) {
		// RX: a used entry with data is a delivery; check the good
		// buffers' contents where the case knows them.
		HRing &hr = ring_[q];
		for (uint16_t i = 0; i != used; i++) {
			const uint8_t *e = hr.hva + hr.L.used_off + 4 + 8 * (i % hr.L.num);
			uint32_t id, len;
			std::memcpy(&id, e, 4);
			std::memcpy(&len, e + 4, 4);
			if (!len)
				continue;
			delivered++;
			auto it = c.rx_bufs.find(static_cast<uint16_t>(id));
			if (it == c.rx_bufs.end() || len < kHdr)
				continue;
			std::vector<uint8_t> data;
			for (auto &s : it->second) {
				size_t take = std::min<size_t>(s.len, len - data.size());
				std::vector<uint8_t> piece(take);
				mem_->read(s.gpa, piece);
				data.insert(data.end(), piece.begin(), piece.end());
				if (data.size() >= len)
					break;
			}
			FrameCheck fc = check_frame(data.data() + kHdr, data.size() - kHdr);
			intact += fc.intact && fc.cid == c.cid;
			if (c.check_intact && !(fc.intact && fc.cid == c.cid))
				res.failures.push_back("case " + std::to_string(c.cid) + " (" + kKindNames[c.kind] +
						       "/rx: " + c.what + "): RX buffer holds a corrupted frame");
		}
	}
	res.frames_checked += intact;
	if (must_fail(c.kind) && delivered)
		res.failures.push_back("case " + std::to_string(c.cid) + " (" + kKindNames[c.kind] + (tx ? "/tx: " : "/rx: ") +
				       c.what + "): malformed chain was delivered");
	if (c.expect && intact < c.expect)
		res.failures.push_back("case " + std::to_string(c.cid) + " (" + kKindNames[c.kind] + (tx ? "/tx: " : "/rx: ") +
				       c.what + "): " + std::to_string(intact) + " of " + std::to_string(c.expect) +
				       " good frames arrived");
	const char *outcome = delivered ? "delivered" : err ? "err" : used ? "dropped" : "ignored";
	if (delivered)
		tally.delivered++;
	else if (err)
		tally.err++;
	else if (used)
		tally.dropped++;
	else
		tally.ignored++;
	if (o_.trace)
		std::fprintf(stderr, "case %u -> %s (used %u, delivered %u, intact %u)\n", c.cid, outcome,
			     used, delivered, intact);

	// The worker must be idle now: no kicks, nothing to do.
	const uint64_t w0 = worker_run_ns(), t0 = now_ns();
	std::this_thread::sleep_for(std::chrono::milliseconds(o_.quiet_ms));
	const uint64_t busy = worker_run_ns() - w0, window = now_ns() - t0;
	res.worker_quiet_ns += busy;
	res.quiet_window_ns += window;
	tally.worker_quiet_ns += busy;
	tally.quiet_window_ns += window;

	if (!check_canary_pages())
		res.failures.push_back("case " + std::to_string(c.cid) + " (" + kKindNames[c.kind] + ": " + c.what +
				       "): host memory outside the memory table was written");
}

// Good frames both ways after resetting both rings; one buffer per
// direction straddles R0/R1 (neighbours in guest-physical space only).
bool Hostile::probe(HostileResult &res)
{
	res.probes++;
	if (!worker_) {
		res.failures.push_back("vhost worker of this process not found (worker CPU not measurable)");
		return false;
	}
	const uint64_t w0 = worker_run_ns();
	reset_ring(kTxQ);
	reset_ring(kRxQ);
	capture(0);
	const uint32_t cid = next_cid_++;
	auto a = hdr_frame(cid, 1, rng_.range(60, 1514)), b = hdr_frame(cid, 2, 1000);
	uint64_t ga = put(a), gb = kR1 - 400;
	mem_->write(gb, b);
	wdesc(kTxQ, 0, ga, static_cast<uint32_t>(a.size()), 0, 0);
	wdesc(kTxQ, 1, gb, static_cast<uint32_t>(b.size()), 0, 0);
	publish(kTxQ, 0);
	publish(kTxQ, 1);
	eventfd_kick(ring_[kTxQ].kick.get());
	// TX first: the RX buffer below reuses the straddling spot.
	uint64_t end = now_ns() + 3000000000ull;
	while (used_idx(kTxQ) < 2 && now_ns() < end)
		std::this_thread::sleep_for(std::chrono::milliseconds(1));

	uint64_t ra = alloc(2048), rb = kR1 - 700;
	wdesc(kRxQ, 0, ra, 2048, F_WRITE, 0);
	wdesc(kRxQ, 1, rb, 2048, F_WRITE, 0);
	publish(kRxQ, 0);
	publish(kRxQ, 1);
	eventfd_kick(ring_[kRxQ].kick.get());
	auto fa = make_frame(cid, 3, 900), fb = make_frame(cid, 4, 1400);
	send(pkt_.get(), fa.data(), fa.size(), 0);
	send(pkt_.get(), fb.data(), fb.size(), 0);

	end = now_ns() + 3000000000ull;
	while ((used_idx(kTxQ) < 2 || used_idx(kRxQ) < 2) && now_ns() < end)
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
	unsigned good = 0;
	for (auto &f : capture(20)) {
		FrameCheck fc = check_frame(f.data.data(), f.data.size());
		good += fc.ours && fc.cid == cid && fc.intact;
	}
	HRing &rx = ring_[kRxQ];
	for (uint16_t i = 0; i < std::min<uint16_t>(used_idx(kRxQ), 2); i++) {
		const uint8_t *e = rx.hva + rx.L.used_off + 4 + 8 * i;
		uint32_t id, len;
		std::memcpy(&id, e, 4);
		std::memcpy(&len, e + 4, 4);
		if (id > 1 || len <= kHdr || len > 2048)
			continue;
		std::vector<uint8_t> d(len);
		mem_->read(id ? rb : ra, d);
		FrameCheck fc = check_frame(d.data() + kHdr, len - kHdr);
		good += fc.ours && fc.cid == cid && fc.intact;
	}
	res.frames_checked += good;
	res.probe_frames += good;
	res.worker_probe_ns += worker_run_ns() - w0;
	if (good != 4) {
		res.failures.push_back("probe after case " + std::to_string(cid - 1) + ": " + std::to_string(good) +
				       " of 4 good frames (2 TX, 2 RX) passed after resetting the rings");
		return false;
	}
	return true;
}

void Hostile::run(HostileResult &res)
{
	std::vector<Kind> kinds;
	for (int k = 0; k < k_count; k++)
		if (o_.only.empty() || std::string(kKindNames[k]).find(o_.only) != std::string::npos)
			kinds.push_back(static_cast<Kind>(k));
	if (kinds.empty())
		throw RunError("no hostile kind matches '" + o_.only + "'");
	open_device(res);
	if (!probe(res))
		return;
	for (unsigned i = 0; i < o_.rings; i++) {
		if (cases_on_device_ >= o_.device_cases) {
			open_device(res);
		}
		CaseSpec c;
		c.kind = kinds[i % kinds.size()];
		c.q = rng_.chance(1, 2) ? kTxQ : kRxQ;
		if (c.kind == k_longer_than_ring && c.q == kRxQ && rng_.chance(1, 2))
			c.q = kTxQ;
		c.cid = next_cid_++;
		// run_case() starts from a clean ring (the previous case or a
		// probe may have left used entries or a stopped ring behind).
		run_case(c, res);
		cases_on_device_++;
		if ((i + 1) % o_.probe_every == 0 || i + 1 == o_.rings)
			if (!probe(res))
				open_device(res);
	}
	const uint64_t t0 = now_ns();
	close_device();
	if (now_ns() - t0 > 2000000000ull)
		res.failures.push_back("closing the device took more than 2 s");
}

// A second device passes checked traffic in a child process for as long as
// the hostile cases run: rounds of lwvhost-vnet tx and rx.
struct Healthy {
	pid_t pid = -1;
	int stop_w = -1, result_r = -1;

	void start(const std::string &path)
	{
		int stop[2], result[2];
		if (pipe2(stop, O_CLOEXEC) || pipe2(result, O_CLOEXEC))
			throw SysError("pipe2", errno);
		pid = fork();
		if (pid < 0)
			throw SysError("fork", errno);
		if (pid == 0) {
			close(stop[1]);
			close(result[0]);
			uint64_t rounds = 0, frames = 0, failed = 0;
			std::string first;
			for (;;) {
				pollfd p{stop[0], POLLIN, 0};
				if (poll(&p, 1, 0) > 0)
					break;
				RunOptions o;
				o.mode = rounds % 2 ? Mode::rx : Mode::tx;
				o.frames = 300;
				o.rate = 3000;
				o.sizes = {16, kMaxUdpPayload};
				o.timeout_ms = 5000;
				o.dev.requested = fbit(F_VERSION_1) | fbit(F_EVENT_IDX) | fbit(F_MRG_RXBUF);
				o.dev.vhost_path = path;
				try {
					RunResult r = vnet::run(o);
					frames += r.packets;
					if (!r.ok()) {
						failed++;
						if (first.empty())
							first = r.failures.front();
					}
				} catch (const std::exception &e) {
					failed++;
					if (first.empty())
						first = e.what();
				}
				rounds++;
			}
			std::string out = std::to_string(rounds) + " " + std::to_string(frames) + " " +
					  std::to_string(failed) + "\n" + first;
			(void)!write(result[1], out.data(), out.size());
			_exit(0);
		}
		close(stop[0]);
		close(result[1]);
		stop_w = stop[1];
		result_r = result[0];
	}

	void finish(HostileResult &res)
	{
		if (pid <= 0)
			return;
		(void)!write(stop_w, "x", 1);
		close(stop_w);
		std::string text;
		char b[1024];
		for (ssize_t n; (n = read(result_r, b, sizeof(b))) > 0;)
			text.append(b, n);
		close(result_r);
		int st = 0;
		waitpid(pid, &st, 0);
		unsigned long long rounds = 0, frames = 0, failed = 0;
		int used = 0;
		if (std::sscanf(text.c_str(), "%llu %llu %llu%n", &rounds, &frames, &failed, &used) != 3) {
			res.failures.push_back("healthy device: no report from its process");
			return;
		}
		res.healthy_rounds = rounds;
		res.healthy_frames = frames;
		if (failed)
			res.failures.push_back("healthy device failed " + std::to_string(failed) + " of " +
					       std::to_string(rounds) + " rounds; first: " + text.substr(text.find('\n') + 1));
		if (rounds < 2)
			res.failures.push_back("healthy device ran only " + std::to_string(rounds) +
					       " rounds alongside the hostile rings");
	}
};

}  // namespace

const std::vector<std::string> &hostile_kinds()
{
	static const std::vector<std::string> v(kKindNames, kKindNames + k_count);
	return v;
}

HostileResult run_hostile(const HostileOptions &opt)
{
	enter_private_netns();
	HostileResult res;
	Healthy healthy;
	if (opt.healthy)
		healthy.start(opt.vhost_path);
	try {
		Hostile h(opt);
		h.run(res);
	} catch (...) {
		healthy.finish(res);
		throw;
	}
	healthy.finish(res);
	if (res.probes && !res.worker_probe_ns)
		res.failures.push_back("the worker's CPU time never moved, not even during probes");
	if (res.quiet_window_ns && res.worker_quiet_ns * 5 > res.quiet_window_ns)
		res.failures.push_back("worker busy " + std::to_string(res.worker_quiet_ns / 1000000) + " ms of " +
				       std::to_string(res.quiet_window_ns / 1000000) +
				       " ms of quiet windows after the cases (spinning?)");
	// The total hides a kind that spins on a few rings only: each kind
	// against its own quiet windows, same limit.
	for (auto &[k, t] : res.kinds)
		if (t.quiet_window_ns && t.worker_quiet_ns * 5 > t.quiet_window_ns)
			res.failures.push_back("worker busy " + std::to_string(t.worker_quiet_ns / 1000000) + " ms of " +
					       std::to_string(t.quiet_window_ns / 1000000) + " ms of quiet windows after " +
					       std::to_string(t.tried) + " " + k + " rings (spinning?)");
	return res;
}

nlohmann::json to_json(const HostileResult &r)
{
	nlohmann::json kinds = nlohmann::json::object();
	for (auto &[k, t] : r.kinds)
		kinds[k] = {{"tried", t.tried},
			    {"err", t.err},
			    {"dropped", t.dropped},
			    {"delivered", t.delivered},
			    {"ignored", t.ignored},
			    {"worker_quiet_ms", t.worker_quiet_ns / 1e6},
			    {"quiet_window_ms", t.quiet_window_ns / 1e6}};
	return {{"cases", r.cases},
		{"kinds", kinds},
		{"probes", r.probes},
		{"probe_frames", r.probe_frames},
		{"devices", r.devices},
		{"frames_checked", r.frames_checked},
		{"worker_quiet_ms", r.worker_quiet_ns / 1e6},
		{"quiet_window_ms", r.quiet_window_ns / 1e6},
		{"worker_probe_ms", r.worker_probe_ns / 1e6},
		{"healthy_rounds", r.healthy_rounds},
		{"healthy_frames", r.healthy_frames},
		{"failures", r.failures},
		{"ok", r.ok()}};
}

}  // namespace vnet
