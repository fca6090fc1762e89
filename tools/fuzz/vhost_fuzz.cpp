// SPDX-License-Identifier: GPL-2.0
// vhost-fuzz: seeded random sequences of every /dev/vhost-net ioctl (and the
// character device's read/write/poll: raw bytes, and device IOTLB messages
// that are well formed or nearly so, with misses answered or left
// unanswered and floods of updates) with random and boundary arguments, bad
// pointers, huge sizes, fds of the wrong type, calls out of order, from a
// non-owner (forked) process, after RESET_OWNER, on several devices at once,
// with kicks on rings that hold garbage.
//
// The kernel is the judge: the run passes if the VM shows no complaint, no
// call hangs, and the process and module can be cleaned up afterwards. The
// fuzzer itself fails (exit 1) only on an owner-check violation (a non-owner
// call that succeeded on a device another process owns) or a hang (exit 3).
// The same seed gives the same sequence of calls; a race burst (two threads
// on one device) keeps its calls but not their interleaving (--no-races).
//
//   vhost-fuzz [--seed S] [--calls N] [--devices D] [--json] [--trace]
#include "cli_start.h"
#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <iostream>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
// Only the UAPI structs; the legacy vring helpers are C-only.
#define VIRTIO_RING_NO_LEGACY
#include <linux/vhost.h>
#include <map>
#include <mutex>
#include <net/if.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <string>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "rng.h"
#include "vnet/netenv.h"

using lwvfuzz::Rng;

namespace {

// Worker ioctls of Linux 6.4+ (vhost-scsi uses them; vhost-net must refuse
// them cleanly). Not in bookworm's 6.1 UAPI headers.
struct WorkerState {
	uint32_t worker_id;
};
struct VringWorker {
	uint32_t index;
	uint32_t worker_id;
};
constexpr unsigned long kNewWorker = _IOR(VHOST_VIRTIO, 0x8, WorkerState);
constexpr unsigned long kFreeWorker = _IOW(VHOST_VIRTIO, 0x9, WorkerState);
constexpr unsigned long kAttachVringWorker = _IOW(VHOST_VIRTIO, 0x15, VringWorker);
constexpr unsigned long kGetVringWorker = _IOWR(VHOST_VIRTIO, 0x16, VringWorker);

enum class Arg { none, u64, state, addr, file, mem, worker, vring_worker, i32, raw };

struct IoctlDef {
	const char *name;
	unsigned long req;
	Arg arg;
	// Success from a process other than the owner, on an owned device, is
	// an owner-check violation (both stock and lwvhost refuse these).
	bool owner_only;
	unsigned weight;
};

const std::vector<IoctlDef> kIoctls = {
	{"GET_FEATURES", VHOST_GET_FEATURES, Arg::u64, false, 4},
	{"SET_FEATURES", VHOST_SET_FEATURES, Arg::u64, false, 6},
	{"SET_OWNER", VHOST_SET_OWNER, Arg::none, false, 5},
	{"RESET_OWNER", VHOST_RESET_OWNER, Arg::none, true, 3},
	{"SET_MEM_TABLE", VHOST_SET_MEM_TABLE, Arg::mem, true, 10},
	{"SET_LOG_BASE", VHOST_SET_LOG_BASE, Arg::u64, true, 3},
	{"SET_LOG_FD", VHOST_SET_LOG_FD, Arg::i32, true, 3},
	{"SET_VRING_NUM", VHOST_SET_VRING_NUM, Arg::state, true, 8},
	{"SET_VRING_ADDR", VHOST_SET_VRING_ADDR, Arg::addr, true, 10},
	{"SET_VRING_BASE", VHOST_SET_VRING_BASE, Arg::state, true, 6},
	{"GET_VRING_BASE", VHOST_GET_VRING_BASE, Arg::state, true, 5},
	{"SET_VRING_ENDIAN", VHOST_SET_VRING_ENDIAN, Arg::state, true, 2},
	{"GET_VRING_ENDIAN", VHOST_GET_VRING_ENDIAN, Arg::state, true, 2},
	{"SET_VRING_KICK", VHOST_SET_VRING_KICK, Arg::file, true, 8},
	{"SET_VRING_CALL", VHOST_SET_VRING_CALL, Arg::file, true, 6},
	{"SET_VRING_ERR", VHOST_SET_VRING_ERR, Arg::file, true, 5},
	{"SET_VRING_BUSYLOOP_TIMEOUT", VHOST_SET_VRING_BUSYLOOP_TIMEOUT, Arg::state, true, 4},
	{"GET_VRING_BUSYLOOP_TIMEOUT", VHOST_GET_VRING_BUSYLOOP_TIMEOUT, Arg::state, true, 3},
	{"SET_BACKEND_FEATURES", VHOST_SET_BACKEND_FEATURES, Arg::u64, false, 3},
	{"GET_BACKEND_FEATURES", VHOST_GET_BACKEND_FEATURES, Arg::u64, false, 2},
	{"NET_SET_BACKEND", VHOST_NET_SET_BACKEND, Arg::file, true, 12},
	{"NEW_WORKER", kNewWorker, Arg::worker, false, 1},
	{"FREE_WORKER", kFreeWorker, Arg::worker, false, 1},
	{"ATTACH_VRING_WORKER", kAttachVringWorker, Arg::vring_worker, false, 1},
	{"GET_VRING_WORKER", kGetVringWorker, Arg::vring_worker, false, 1},
	{"VDPA_GET_DEVICE_ID", VHOST_VDPA_GET_DEVICE_ID, Arg::raw, false, 1},
	{"SCSI_SET_ENDPOINT", VHOST_SCSI_SET_ENDPOINT, Arg::raw, false, 1},
	{"VSOCK_SET_RUNNING", VHOST_VSOCK_SET_RUNNING, Arg::raw, false, 1},
	{"TUNSETIFF(foreign)", TUNSETIFF, Arg::raw, false, 1},
	{"RANDOM_0xAF", 0, Arg::raw, false, 2},  // request number drawn per call
};

// What one step did: a name for the summary and the result.
struct Stat {
	uint64_t calls = 0, ok = 0;
	std::map<int, uint64_t> errnos;
};

struct Totals {
	std::map<std::string, Stat> by_call;
	std::atomic<uint64_t> ioctls{0};
	uint64_t calls = 0, forks = 0, races = 0, opens = 0, closes = 0,
		 kicks = 0, scribbles = 0, setups = 0, violations = 0;
	std::vector<std::string> violation_text;
	std::mutex mu;	// race bursts record from two threads

	void record(const std::string &name, int rc, int err)
	{
		std::lock_guard<std::mutex> g(mu);
		Stat &s = by_call[name];
		s.calls++;
		calls++;
		if (rc >= 0)
			s.ok++;
		else
			s.errnos[err]++;
	}
};

enum Owner : uint8_t { kNone, kUs, kOther };

struct Dev {
	int fd = -1;
	Owner owner = kNone;
};

constexpr size_t kPage = 4096;
constexpr size_t kGuestSize = 1 << 20;
constexpr uint64_t kGuestGpa = 0x100000000ull;
constexpr unsigned kRingNum = 64;
// With ACCESS_PLATFORM the rings' addresses are IOVAs: guest offset o is
// IOVA kIova + o, mapped (or not) by the fuzzer's own IOTLB messages.
constexpr uint64_t kIova = 0x7000000000ull;
constexpr unsigned kAccessPlatform = 33;

// Last operations, printed when a call hangs.
struct Recent {
	std::mutex mu;
	std::deque<std::string> ops;
	void push(std::string s)
	{
		std::lock_guard<std::mutex> g(mu);
		ops.push_back(std::move(s));
		if (ops.size() > 40)
			ops.pop_front();
	}
	void dump()
	{
		std::lock_guard<std::mutex> g(mu);
		for (auto &o : ops)
			std::fprintf(stderr, "  %s\n", o.c_str());
	}
};

std::atomic<uint64_t> g_op_started_ns{0};
std::atomic<uint64_t> g_op_no{0};

uint64_t mono_ns()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return uint64_t(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

std::string errno_name(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "E" + std::to_string(e);
}

class Fuzzer {
public:
	Fuzzer(uint64_t seed, unsigned ndev, bool races, bool trace)
		: rng_(seed), races_(races), trace_(trace)
	{
		devs_.resize(ndev);
		map_memory();
		open_resources();
	}

	~Fuzzer() { cleanup(); }

	void step(Rng &r, bool child = false);
	void cleanup();
	Totals &totals() { return t_; }
	Recent &recent() { return recent_; }
	Rng &rng() { return rng_; }

private:
	void map_memory();
	void open_resources();
	int pick_fd_arg(Rng &r, bool backend);
	uint64_t pick_uaddr(Rng &r, size_t size, size_t align);
	void *place(Rng &r, const void *src, size_t size, bool out, std::string &how);
	// One ioctl's argument: the request (raw picks its own), the bytes,
	// whether the kernel writes them, and the description for the log.
	struct IoctlArg {
		unsigned long req = 0;
		uint8_t buf[8 + 32 * 64 + 64] = {};
		size_t size = 0;
		bool out = false;
		std::string desc;
	};
	void arg_u64(Rng &r, IoctlArg &a);
	void arg_state(Rng &r, IoctlArg &a);
	void arg_addr(Rng &r, IoctlArg &a);
	void arg_file(Rng &r, IoctlArg &a);
	void arg_mem(Rng &r, IoctlArg &a);
	void arg_worker(Rng &r, IoctlArg &a);
	void arg_vring_worker(Rng &r, IoctlArg &a);
	void arg_i32(Rng &r, IoctlArg &a);
	void arg_raw(Rng &r, IoctlArg &a);
	void do_ioctl(Rng &r, size_t di, const IoctlDef &d, bool child);
	void do_open(Rng &r);
	void do_close(Rng &r);
	void do_setup(Rng &r, size_t di);
	void do_kick(Rng &r);
	void do_scribble(Rng &r);
	void do_fork(Rng &r);
	void do_race(Rng &r);
	void do_rw(Rng &r, size_t di);
	int write_iotlb(size_t di, const vhost_iotlb_msg &m, bool v2, size_t len, const char *what);
	void do_iotlb(Rng &r, size_t di);
	void do_answer(Rng &r, size_t di);
	void do_iotlb_flood(Rng &r, size_t di);
	void do_foreign(Rng &r);
	size_t pick_dev(Rng &r, bool open_only = true);
	void note(const std::string &s)
	{
		recent_.push(s);
		if (trace_)
			std::fprintf(stderr, "%s\n", s.c_str());
	}

	Rng rng_;
	bool races_, trace_;
	std::vector<Dev> devs_;
	uint8_t *guest_ = nullptr;   // guest memory, kGuestSize, RW
	uint8_t *guard_ = nullptr;   // one RW page followed by a PROT_NONE page
	uint8_t *ro_ = nullptr;	     // one read-only page
	uint8_t *hole_ = nullptr;    // PROT_NONE page (user address, unmapped for copies)
	std::vector<int> eventfds_;
	std::vector<int> taps_;
	std::vector<int> wrong_;     // fds of other types
	int closed_fd_ = -1;
	bool in_child_ = false;
	Totals t_;
	Recent recent_;
};

void Fuzzer::map_memory()
{
	void *g = mmap(nullptr, kGuestSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *w = mmap(nullptr, 2 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *ro = mmap(nullptr, kPage, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *h = mmap(nullptr, kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g == MAP_FAILED || w == MAP_FAILED || ro == MAP_FAILED || h == MAP_FAILED)
		throw std::runtime_error("mmap failed");
	guest_ = static_cast<uint8_t *>(g);
	guard_ = static_cast<uint8_t *>(w);
	mprotect(guard_ + kPage, kPage, PROT_NONE);
	ro_ = static_cast<uint8_t *>(ro);
	hole_ = static_cast<uint8_t *>(h);
}

int open_tap(const char *name, short flags)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ifreq ifr{};
	std::strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	ifr.ifr_flags = flags;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		close(fd);
		return -1;
	}
	if (flags & IFF_VNET_HDR) {
		int sz = 12;
		ioctl(fd, TUNSETVNETHDRSZ, &sz);
	}
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ifreq up{};
	std::memcpy(up.ifr_name, ifr.ifr_name, IFNAMSIZ);
	if (s >= 0 && ioctl(s, SIOCGIFFLAGS, &up) == 0) {
		up.ifr_flags |= IFF_UP;
		ioctl(s, SIOCSIFFLAGS, &up);
	}
	if (s >= 0)
		close(s);
	return fd;
}

void Fuzzer::open_resources()
{
	for (int i = 0; i < 6; i++)
		eventfds_.push_back(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
	// Backends: two taps with a vnet header, one without, one tun.
	for (auto [name, fl] : std::vector<std::pair<const char *, short>>{
		     {"fz0", IFF_TAP | IFF_NO_PI | IFF_VNET_HDR},
		     {"fz1", IFF_TAP | IFF_NO_PI | IFF_VNET_HDR},
		     {"fz2", IFF_TAP | IFF_NO_PI},
		     {"fz3", IFF_TUN | IFF_NO_PI | IFF_VNET_HDR}}) {
		int fd = open_tap(name, fl);
		if (fd < 0)
			throw std::runtime_error(std::string("tap ") + name + ": " + std::strerror(errno));
		taps_.push_back(fd);
	}
	int p[2];
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) {
		wrong_.push_back(p[0]);
		wrong_.push_back(p[1]);
	}
	wrong_.push_back(open("/dev/null", O_RDWR | O_CLOEXEC));
	wrong_.push_back(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	wrong_.push_back(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)));
	wrong_.push_back(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	wrong_.push_back(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	wrong_.push_back(epoll_create1(EPOLL_CLOEXEC));
	wrong_.push_back(memfd_create("vhost-fuzz", MFD_CLOEXEC));
	// A number that was an fd once.
	closed_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
	close(closed_fd_);
}

void Fuzzer::cleanup()
{
	for (auto &d : devs_)
		if (d.fd >= 0) {
			close(d.fd);
			d.fd = -1;
		}
	for (int fd : eventfds_)
		close(fd);
	for (int fd : taps_)
		close(fd);
	for (int fd : wrong_)
		if (fd >= 0)
			close(fd);
	eventfds_.clear();
	taps_.clear();
	wrong_.clear();
}

size_t Fuzzer::pick_dev(Rng &r, bool open_only)
{
	std::vector<size_t> open;
	for (size_t i = 0; i < devs_.size(); i++)
		if (devs_[i].fd >= 0)
			open.push_back(i);
	if (open_only && !open.empty())
		return r.pick(open);
	return r.below(devs_.size());
}

// A vq index: mostly a real one (0 or 1), sometimes any 32-bit boundary.
uint32_t pick_index(Rng &r)
{
	return static_cast<uint32_t>(r.chance(7, 8) ? r.below(2) : r.boundary(32));
}

int Fuzzer::pick_fd_arg(Rng &r, bool backend)
{
	switch (r.weighted({backend ? 1u : 10u, backend ? 10u : 1u, 3, 3, 1, 1, 1, 1})) {
	case 0:
		return r.pick(eventfds_);
	case 1:
		return r.pick(taps_);
	case 2:
		return -1;  // unbind / detach
	case 3:
		return r.pick(wrong_);
	case 4:
		return closed_fd_;
	case 5: {
		// Another vhost-net device, or this process's own fd table gaps.
		size_t d = pick_dev(r);
		return devs_[d].fd >= 0 ? devs_[d].fd : -1;
	}
	case 6:
		return static_cast<int>(r.pick<int64_t>({-2, INT32_MIN, INT32_MAX, 65535, 1024}));
	default:
		return static_cast<int>(r.boundary(32));
	}
}

// A user address for a ring part or region: inside guest memory (aligned or
// not), or somewhere hostile.
uint64_t Fuzzer::pick_uaddr(Rng &r, size_t size, size_t align)
{
	const uint64_t g = reinterpret_cast<uintptr_t>(guest_);
	switch (r.weighted({12, 2, 1, 1, 1, 1, 1, 1, 1})) {
	case 0: {
		uint64_t off = r.below(kGuestSize > size ? kGuestSize - size : 1);
		return g + (off & ~uint64_t(align ? align - 1 : 0));
	}
	case 1:
		return g + r.below(kGuestSize);	 // unaligned
	case 2:
		return g + kGuestSize - size / 2;  // runs past the mapping
	case 3:
		return 0;
	case 4:
		return 0xffffffff81000000ull;  // kernel text
	case 5:
		return 0xffff888000000000ull;  // direct map
	case 6:
		return 0x00007ffffffff000ull;  // top of user space
	case 7:
		return reinterpret_cast<uintptr_t>(hole_);
	default:
		return r.boundary(64);
	}
}

// Puts an ioctl argument of `size` bytes somewhere: usually right before
// the guard page (so over-long reads fault), sometimes straddling it, at a
// read-only page (for ioctls that write back), or at a bad pointer.
void *Fuzzer::place(Rng &r, const void *src, size_t size, bool out, std::string &how)
{
	switch (r.weighted({85, 3, 3, 3, 2, 2, out ? 2u : 0u, 1})) {
	case 0: {
		uint8_t *p = guard_ + kPage - size;
		std::memcpy(p, src, size);
		how = "";
		return p;
	}
	case 1: {
		size_t keep = size > 1 ? 1 + r.below(size - 1) : 0;
		uint8_t *p = guard_ + kPage - keep;
		std::memcpy(p, src, keep);
		how = " arg=straddles-guard";
		return p;
	}
	case 2:
		how = " arg=NULL";
		return nullptr;
	case 3:
		how = " arg=kernel";
		return reinterpret_cast<void *>(r.pick<uintptr_t>({0xffffffff81000000ull, 0xffff888000000000ull}));
	case 4:
		how = " arg=unmapped";
		return hole_;
	case 5:
		how = " arg=noncanonical";
		return reinterpret_cast<void *>(0x8000000000000000ull);
	case 6:
		how = " arg=read-only";
		return ro_;
	default:
		how = " arg=misaligned";
		return guard_ + kPage - size - 1;
	}
}

void Fuzzer::arg_u64(Rng &r, IoctlArg &a)
{
	uint64_t v;
	if (a.req == VHOST_SET_FEATURES) {
		// Mostly real feature combinations, sometimes anything.
		const uint64_t known = (1ull << 15) | (1ull << 24) | (1ull << 26) |
				       (1ull << 27) | (1ull << 28) | (1ull << 29) |
				       (1ull << 32) | (1ull << 33) | (1ull << 34) |
				       (1ull << 35) | (1ull << 40);
		v = r.chance(3, 4) ? (r.next() & known) : r.boundary(64);
	} else if (a.req == VHOST_SET_LOG_BASE) {
		v = r.chance(1, 2) ? pick_uaddr(r, 4096, 8) : r.boundary(64);
	} else {
		v = r.boundary(64);
	}
	std::memcpy(a.buf, &v, 8);
	a.size = 8;
	a.out = a.req == VHOST_GET_FEATURES || a.req == VHOST_GET_BACKEND_FEATURES;
}

void Fuzzer::arg_state(Rng &r, IoctlArg &a)
{
	vhost_vring_state s{pick_index(r), 0};
	if (a.req == VHOST_SET_VRING_BUSYLOOP_TIMEOUT)
		// Mostly short: a stock worker busy-polls this many us per pass.
		s.num = static_cast<uint32_t>(r.chance(7, 8) ? r.below(200) : r.boundary(32));
	else if (a.req == VHOST_SET_VRING_NUM)
		s.num = r.chance(1, 2) ? r.pick<uint32_t>({1, 2, 64, 256, 1024, 32768, 65535, 65536, 3, 0})
				       : static_cast<uint32_t>(r.boundary(32));
	else
		s.num = static_cast<uint32_t>(r.boundary(r.chance(1, 2) ? 16 : 32));
	std::memcpy(a.buf, &s, sizeof(s));
	a.size = sizeof(s);
	a.out = a.req == VHOST_GET_VRING_BASE || a.req == VHOST_GET_VRING_BUSYLOOP_TIMEOUT ||
	      a.req == VHOST_GET_VRING_ENDIAN;
	a.desc += " index=" + std::to_string(s.index) + " num=" + std::to_string(s.num);
}

void Fuzzer::arg_addr(Rng &r, IoctlArg &a)
{
	vhost_vring_addr v{};
	v.index = pick_index(r);
	v.flags = r.chance(7, 8) ? (r.chance(1, 4) ? 1u << VHOST_VRING_F_LOG : 0u)
				 : static_cast<uint32_t>(r.boundary(32));
	v.desc_user_addr = pick_uaddr(r, 16 * kRingNum, 16);
	v.avail_user_addr = pick_uaddr(r, 6 + 2 * kRingNum, 2);
	v.used_user_addr = pick_uaddr(r, 6 + 8 * kRingNum, 4);
	v.log_guest_addr = r.chance(1, 2) ? kGuestGpa + r.below(kGuestSize) : r.boundary(64);
	std::memcpy(a.buf, &v, sizeof(v));
	a.size = sizeof(v);
	a.desc += " index=" + std::to_string(v.index);
}

void Fuzzer::arg_file(Rng &r, IoctlArg &a)
{
	vhost_vring_file f{pick_index(r), pick_fd_arg(r, a.req == VHOST_NET_SET_BACKEND)};
	std::memcpy(a.buf, &f, sizeof(f));
	a.size = sizeof(f);
	a.desc += " index=" + std::to_string(f.index) + " fd=" + std::to_string(f.fd);
}

void Fuzzer::arg_mem(Rng &r, IoctlArg &a)
{
	// Region count: realistic, at the limit, beyond it, or huge (the
	// array then runs into the guard page).
	uint32_t n = r.chance(3, 4) ? static_cast<uint32_t>(r.range(0, 4))
				    : r.pick<uint32_t>({0, 63, 64, 65, 509, 510, 511, 0x7fffffff,
							0xffffffff});
	const size_t cap = (sizeof(a.buf) - 8) / 32;
	uint32_t pad = r.chance(15, 16) ? 0 : static_cast<uint32_t>(r.boundary(32));
	std::memcpy(a.buf, &n, 4);
	std::memcpy(a.buf + 4, &pad, 4);
	const uint64_t g = reinterpret_cast<uintptr_t>(guest_);
	for (size_t i = 0; i < std::min<size_t>(n, cap); i++) {
		uint64_t reg[4];
		const uint64_t slice = kGuestSize / 4;
		switch (r.weighted({8, 2, 1, 1, 1, 1, 1})) {
		case 0:	 // a sane, disjoint slice
			reg[0] = kGuestGpa + i * slice;
			reg[1] = slice;
			reg[2] = g + i * slice;
			break;
		case 1:	 // overlaps the previous slice in gpa
			reg[0] = kGuestGpa + i * slice / 2;
			reg[1] = slice;
			reg[2] = g + (i % 4) * slice;
			break;
		case 2:	 // size 0
			reg[0] = kGuestGpa + i * slice;
			reg[1] = 0;
			reg[2] = g;
			break;
		case 3:	 // gpa + size wraps
			reg[0] = ~0ull - r.below(4096);
			reg[1] = slice;
			reg[2] = g;
			break;
		case 4:	 // uaddr + size wraps or is a kernel address
			reg[0] = kGuestGpa + i * slice;
			reg[1] = r.pick<uint64_t>({slice, ~0ull, 1ull << 47});
			reg[2] = r.pick<uint64_t>({0xffff888000000000ull, ~0ull - 4095, g});
			break;
		case 5:	 // unaligned
			reg[0] = kGuestGpa + i * slice + r.below(4096);
			reg[1] = slice - r.below(4096);
			reg[2] = g + r.below(4096);
			break;
		default:
			reg[0] = r.boundary(64);
			reg[1] = r.boundary(64);
			reg[2] = r.chance(1, 2) ? g + r.below(kGuestSize) : r.boundary(64);
			break;
		}
		reg[3] = r.chance(15, 16) ? 0 : r.boundary(64);  // flags_padding
		std::memcpy(a.buf + 8 + 32 * i, reg, 32);
	}
	a.size = 8 + 32 * std::min<size_t>(n, cap);
	a.desc += " nregions=" + std::to_string(n);
}

void Fuzzer::arg_worker(Rng &r, IoctlArg &a)
{
	WorkerState w{static_cast<uint32_t>(r.boundary(32))};
	std::memcpy(a.buf, &w, sizeof(w));
	a.size = sizeof(w);
	a.out = a.req == kNewWorker;
}

void Fuzzer::arg_vring_worker(Rng &r, IoctlArg &a)
{
	VringWorker w{pick_index(r), static_cast<uint32_t>(r.boundary(32))};
	std::memcpy(a.buf, &w, sizeof(w));
	a.size = sizeof(w);
	a.out = a.req == kGetVringWorker;
}

void Fuzzer::arg_i32(Rng &r, IoctlArg &a)
{
	int32_t v = pick_fd_arg(r, false);
	std::memcpy(a.buf, &v, 4);
	a.size = 4;
}

void Fuzzer::arg_raw(Rng &r, IoctlArg &a)
{
	if (!a.req) {
		// Any number in the vhost ioctl space, any direction/size.
		a.req = (r.below(4) << 30) | (r.below(512) << 16) | (VHOST_VIRTIO << 8) | r.below(256);
		a.desc += " req=0x" + ([&] {
			char b[20];
			std::snprintf(b, sizeof(b), "%lx", a.req);
			return std::string(b);
		})();
	}
	for (size_t i = 0; i < 64; i++)
		a.buf[i] = static_cast<uint8_t>(r.next());
	a.size = 64;
}

// One ioctl: the builder for its argument kind (above) fills the
// argument, then the call, its errno tally and the owner bookkeeping.
void Fuzzer::do_ioctl(Rng &r, size_t di, const IoctlDef &d, bool child)
{
	using Builder = void (Fuzzer::*)(Rng &, IoctlArg &);
	static constexpr Builder kBuilders[] = {
		nullptr, // Arg::none
		&Fuzzer::arg_u64,
		&Fuzzer::arg_state,
		&Fuzzer::arg_addr,
		&Fuzzer::arg_file,
		&Fuzzer::arg_mem,
		&Fuzzer::arg_worker,
		&Fuzzer::arg_vring_worker,
		&Fuzzer::arg_i32,
		&Fuzzer::arg_raw,
	};
	static_assert(std::size(kBuilders) == size_t(Arg::raw) + 1);
	const int fd = devs_[di].fd;
	IoctlArg a;
	a.req = d.req;
	a.desc = std::string(d.name) + " dev" + std::to_string(di);
	if (Builder b = kBuilders[size_t(d.arg)])
		(this->*b)(r, a);
	const unsigned long req = a.req;
	std::string &desc = a.desc;
	std::string how;
	void *argp = a.size ? place(r, a.buf, a.size, a.out, how) : reinterpret_cast<void *>(r.boundary(64));
	desc += how;
	note((child ? "child " : "") + desc);
	g_op_started_ns = mono_ns();
	int rc = ioctl(fd, req, argp);
	int err = errno;
	g_op_started_ns = 0;
	t_.ioctls++;
	const std::string name = (child ? "nonowner:" : "") + std::string(d.name);
	t_.record(name, rc, err);
	if (!child && rc == 0 && (req == VHOST_SET_OWNER || req == VHOST_RESET_OWNER)) {
		std::lock_guard<std::mutex> g(t_.mu);
		devs_[di].owner = req == VHOST_SET_OWNER ? kUs : kNone;
	}
	if (child && rc == 0 && d.owner_only && devs_[di].owner == kUs) {
		// Reported to the parent through the exit status and stderr.
		std::fprintf(stderr, "VIOLATION non-owner %s succeeded on a device the parent owns\n",
			     desc.c_str());
		t_.violations++;
	}
}

void Fuzzer::do_open(Rng &r)
{
	size_t di = pick_dev(r, false);
	if (devs_[di].fd >= 0) {
		close(devs_[di].fd);
		t_.closes++;
	}
	int flags = O_RDWR | O_CLOEXEC | (r.chance(1, 4) ? O_NONBLOCK : 0);
	note("open dev" + std::to_string(di));
	devs_[di].fd = open("/dev/vhost-net", flags);
	devs_[di].owner = kNone;
	t_.record("open", devs_[di].fd, errno);
	t_.opens++;
}

void Fuzzer::do_close(Rng &r)
{
	size_t di = pick_dev(r);
	if (devs_[di].fd < 0)
		return;
	note("close dev" + std::to_string(di));
	g_op_started_ns = mono_ns();
	int rc = close(devs_[di].fd);
	g_op_started_ns = 0;
	t_.record("close", rc, errno);
	devs_[di].fd = -1;
	devs_[di].owner = kNone;
	t_.closes++;
}

// A complete, valid configuration (as QEMU would do it) so that later random
// calls hit a running device: owner, features, memory table, both rings with
// their eventfds in guest memory, tap backends.
void Fuzzer::do_setup(Rng &r, size_t di)
{
	const int fd = devs_[di].fd;
	note("setup dev" + std::to_string(di));
	t_.setups++;
	auto call = [&](const char *name, unsigned long req, const void *arg) {
		int rc = ioctl(fd, req, arg);
		t_.record(std::string("setup:") + name, rc, errno);
		t_.ioctls++;
		return rc;
	};
	if (devs_[di].owner == kNone && call("SET_OWNER", VHOST_SET_OWNER, nullptr) == 0)
		devs_[di].owner = kUs;
	uint64_t f = (1ull << 32) | (r.chance(1, 2) ? 1ull << 28 : 0) | (r.chance(1, 2) ? 1ull << 29 : 0) |
		     (r.chance(1, 2) ? 1ull << 15 : 0);
	// One setup in three puts the device in IOTLB mode, as QEMU does for
	// a guest with a vIOMMU: MSG_V2 (and BATCH where offered) first.
	const bool iotlb = r.chance(1, 3);
	if (iotlb) {
		uint64_t bf = 1ull << VHOST_BACKEND_F_IOTLB_MSG_V2;
		if (r.chance(1, 2))
			bf |= 1ull << VHOST_BACKEND_F_IOTLB_BATCH;
		if (call("SET_BACKEND_FEATURES", VHOST_SET_BACKEND_FEATURES, &bf) < 0) {
			bf = 1ull << VHOST_BACKEND_F_IOTLB_MSG_V2;
			call("SET_BACKEND_FEATURES", VHOST_SET_BACKEND_FEATURES, &bf);
		}
		f |= 1ull << kAccessPlatform;
	}
	call("SET_FEATURES", VHOST_SET_FEATURES, &f);
	alignas(8) uint8_t mem[8 + 32 * 2] = {};
	uint32_t n = 2;
	std::memcpy(mem, &n, 4);
	const uint64_t g = reinterpret_cast<uintptr_t>(guest_);
	uint64_t regs[8] = {kGuestGpa, kGuestSize / 2, g, 0,
			    kGuestGpa + kGuestSize, kGuestSize / 2, g + kGuestSize / 2, 0};
	std::memcpy(mem + 8, regs, sizeof(regs));
	call("SET_MEM_TABLE", VHOST_SET_MEM_TABLE, mem);
	for (uint32_t q = 0; q < 2; q++) {
		// Ring q lives at guest offset q * 16 KiB; its contents are
		// whatever earlier scribbles left there.
		uint8_t *ring = guest_ + q * 16384;
		vhost_vring_state num{q, kRingNum};
		call("SET_VRING_NUM", VHOST_SET_VRING_NUM, &num);
		vhost_vring_state base{q, static_cast<uint32_t>(r.chance(3, 4) ? 0 : r.below(65536))};
		call("SET_VRING_BASE", VHOST_SET_VRING_BASE, &base);
		vhost_vring_addr a{};
		a.index = q;
		const uint64_t base_addr = iotlb ? kIova + q * 16384 : reinterpret_cast<uintptr_t>(ring);
		a.desc_user_addr = base_addr;
		a.avail_user_addr = base_addr + 16 * kRingNum;
		a.used_user_addr = base_addr + 8192;
		call("SET_VRING_ADDR", VHOST_SET_VRING_ADDR, &a);
		if (iotlb && r.chance(3, 4)) {
			// Map the ring (as QEMU maps the used ring before
			// SET_BACKEND); the buffers are left to misses.
			vhost_iotlb_msg m{};
			m.iova = base_addr;
			m.size = 16384;
			m.uaddr = reinterpret_cast<uintptr_t>(ring);
			m.perm = VHOST_ACCESS_RW;
			m.type = VHOST_IOTLB_UPDATE;
			write_iotlb(di, m, true, sizeof(vhost_msg_v2), "setup:iotlb-ring");
		}
		vhost_vring_file k{q, eventfds_[q]}, c{q, eventfds_[2 + q]}, e{q, eventfds_[4 + (q & 1)]};
		call("SET_VRING_KICK", VHOST_SET_VRING_KICK, &k);
		call("SET_VRING_CALL", VHOST_SET_VRING_CALL, &c);
		call("SET_VRING_ERR", VHOST_SET_VRING_ERR, &e);
		vhost_vring_file b{q, taps_[r.below(2)]};
		call("NET_SET_BACKEND", VHOST_NET_SET_BACKEND, &b);
	}
	// A pass over rings and buffers the IOTLB may not map yet: misses
	// for do_answer() to find.
	for (uint32_t q = 0; iotlb && q < 2; q++) {
		uint64_t one = 1;
		if (write(eventfds_[q], &one, 8) == 8)
			t_.kicks++;
	}
}

void Fuzzer::do_kick(Rng &r)
{
	int fd = eventfds_[r.below(2)];
	uint64_t one = 1;
	note("kick");
	if (write(fd, &one, 8) == 8)
		t_.kicks++;
	// Keep the call/err counters from saturating.
	for (size_t i = 2; i < eventfds_.size(); i++) {
		uint64_t v;
		while (read(eventfds_[i], &v, 8) == 8) {
		}
	}
}

// Random bytes into a ring area (descriptors, avail ring, its index) or a
// plausible descriptor, so kicked rings hold anything.
void Fuzzer::do_scribble(Rng &r)
{
	uint32_t q = static_cast<uint32_t>(r.below(2));
	uint8_t *ring = guest_ + q * 16384;
	note("scribble q" + std::to_string(q));
	t_.scribbles++;
	switch (r.below(4)) {
	case 0: {  // a descriptor pointing somewhere in or near guest memory
		uint64_t addr = r.chance(3, 4) ? kGuestGpa + r.below(2 * kGuestSize) : r.boundary(64);
		uint32_t len = static_cast<uint32_t>(r.chance(3, 4) ? r.below(4096) : r.boundary(32));
		uint16_t flags = static_cast<uint16_t>(r.below(8)), next = static_cast<uint16_t>(r.boundary(16) % (2 * kRingNum));
		uint8_t *d = ring + 16 * r.below(kRingNum);
		std::memcpy(d, &addr, 8);
		std::memcpy(d + 8, &len, 4);
		std::memcpy(d + 12, &flags, 2);
		std::memcpy(d + 14, &next, 2);
		break;
	}
	case 1: {  // avail ring entry and index
		uint16_t head = static_cast<uint16_t>(r.chance(3, 4) ? r.below(kRingNum) : r.boundary(16));
		uint16_t idx;
		std::memcpy(&idx, ring + 16 * kRingNum + 2, 2);
		std::memcpy(ring + 16 * kRingNum + 4 + 2 * (idx % kRingNum), &head, 2);
		idx = static_cast<uint16_t>(r.chance(3, 4) ? idx + 1 + r.below(4) : r.boundary(16));
		std::memcpy(ring + 16 * kRingNum + 2, &idx, 2);
		break;
	}
	default: {  // raw bytes
		size_t off = r.below(16384 - 64);
		for (size_t i = 0, n = 1 + r.below(64); i < n; i++)
			ring[off + i] = static_cast<uint8_t>(r.next());
		break;
	}
	}
}

// read/write/poll on the character device: stock vhost-net and lwvhost
// both take IOTLB messages there.
void Fuzzer::do_rw(Rng &r, size_t di)
{
	const int fd = devs_[di].fd;
	uint8_t msg[96] = {};
	for (auto &b : msg)
		b = static_cast<uint8_t>(r.next());
	uint32_t type = r.pick<uint32_t>({1, 2, 0, 3, 0xffffffff});
	std::memcpy(msg, &type, 4);
	switch (r.below(3)) {
	case 0: {
		note("write dev" + std::to_string(di));
		size_t len = r.pick<size_t>({0, 1, 48, 64, 68, 96});
		g_op_started_ns = mono_ns();
		ssize_t n = write(fd, r.chance(7, 8) ? static_cast<void *>(msg) : static_cast<void *>(hole_), len);
		g_op_started_ns = 0;
		t_.record("write", n < 0 ? -1 : 0, errno);
		break;
	}
	case 1: {
		// Never block: a stock device waits for IOTLB misses on read.
		note("read dev" + std::to_string(di));
		int fl = fcntl(fd, F_GETFL);
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
		g_op_started_ns = mono_ns();
		ssize_t n = read(fd, msg, r.pick<size_t>({0, 1, 64, 96}));
		g_op_started_ns = 0;
		t_.record("read", n < 0 ? -1 : 0, errno);
		fcntl(fd, F_SETFL, fl);
		break;
	}
	default: {
		note("poll dev" + std::to_string(di));
		pollfd p{fd, POLLIN | POLLOUT, 0};
		int n = poll(&p, 1, 0);
		t_.record("poll", n, errno);
		break;
	}
	}
}

// One IOTLB message, as struct vhost_msg_v2 or the older vhost_msg (both
// 72 bytes), written with len bytes.
int Fuzzer::write_iotlb(size_t di, const vhost_iotlb_msg &m, bool v2, size_t len, const char *what)
{
	alignas(8) uint8_t buf[sizeof(vhost_msg_v2) + 8] = {};
	if (v2) {
		vhost_msg_v2 msg{};
		msg.type = VHOST_IOTLB_MSG_V2;
		msg.iotlb = m;
		std::memcpy(buf, &msg, sizeof(msg));
	} else {
		vhost_msg msg{};
		msg.type = VHOST_IOTLB_MSG;
		msg.iotlb = m;
		std::memcpy(buf, &msg, sizeof(msg));
	}
	g_op_started_ns = mono_ns();
	ssize_t n = write(devs_[di].fd, buf, std::min(len, sizeof(buf)));
	g_op_started_ns = 0;
	t_.record(what, n < 0 ? -1 : 0, errno);
	return n < 0 ? -errno : 0;
}

// A device IOTLB message that is well formed or off by one thing: an IOVA
// in or near the rings' window, sizes at the boundaries, a host address
// inside guest memory or somewhere hostile, any permission, every type
// (MISS and ACCESS_FAIL are the kernel's to send), a short write.
void Fuzzer::do_iotlb(Rng &r, size_t di)
{
	vhost_iotlb_msg m{};
	const unsigned kind = r.weighted({8, 5, 1, 1, 1, 1, 1});
	m.type = static_cast<uint8_t>(std::array<unsigned, 7>{VHOST_IOTLB_UPDATE, VHOST_IOTLB_INVALIDATE,
							      VHOST_IOTLB_BATCH_BEGIN, VHOST_IOTLB_BATCH_END,
							      VHOST_IOTLB_MISS, VHOST_IOTLB_ACCESS_FAIL,
							      static_cast<unsigned>(r.next())}[kind]);
	const uint64_t off = r.below(kGuestSize / kPage) * kPage;
	m.iova = r.chance(7, 8) ? kIova + off + (r.chance(1, 8) ? r.below(kPage) : 0) : r.boundary(64);
	m.size = r.pick<uint64_t>({kPage, 2 * kPage, 16384, 1, 0, kGuestSize, ~0ull, r.below(kGuestSize) + 1});
	m.uaddr = r.chance(3, 4) ? reinterpret_cast<uintptr_t>(guest_) + off : pick_uaddr(r, m.size, kPage);
	m.perm = static_cast<uint8_t>(r.chance(7, 8) ? 1 + r.below(3) : r.next());
	const bool v2 = r.chance(3, 4);
	const size_t len = r.chance(9, 10) ? sizeof(vhost_msg_v2) : r.pick<size_t>({0, 8, 39, 40, 71, 80});
	note("iotlb dev" + std::to_string(di) + " type " + std::to_string(m.type) + (v2 ? " v2" : " v1"));
	write_iotlb(di, m, v2, len, "iotlb-write");
}

// Read the MISS messages waiting on the device and answer some of them
// with an UPDATE: mostly the mapping the rings' window implies, sometimes
// read-only (a write through it must break the queue, not the kernel), or
// a mapping of the wrong place.
void Fuzzer::do_answer(Rng &r, size_t di)
{
	const int fd = devs_[di].fd;
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	for (int i = 0; i < 8; i++) {
		alignas(8) uint8_t buf[sizeof(vhost_msg_v2)];
		g_op_started_ns = mono_ns();
		ssize_t n = read(fd, buf, sizeof(buf));
		g_op_started_ns = 0;
		t_.record("iotlb-read", n < 0 ? -1 : 0, errno);
		if (n != static_cast<ssize_t>(sizeof(buf)))
			break;
		// v1 and v2 both put the iotlb message at offset 8.
		vhost_iotlb_msg miss;
		std::memcpy(&miss, buf + 8, sizeof(miss));
		if (miss.type != VHOST_IOTLB_MISS || r.chance(1, 4))
			continue;
		const uint64_t page = miss.iova & ~uint64_t(kPage - 1);
		vhost_iotlb_msg m{};
		m.type = VHOST_IOTLB_UPDATE;
		m.iova = page;
		m.size = kPage;
		m.perm = r.chance(7, 8) ? VHOST_ACCESS_RW : VHOST_ACCESS_RO;
		if (page >= kIova && page < kIova + kGuestSize && r.chance(7, 8))
			m.uaddr = reinterpret_cast<uintptr_t>(guest_) + (page - kIova);
		else
			m.uaddr = pick_uaddr(r, kPage, kPage);
		note("answer dev" + std::to_string(di) + " iova " + std::to_string(page));
		write_iotlb(di, m, r.chance(3, 4), sizeof(vhost_msg_v2), "iotlb-answer");
	}
	fcntl(fd, F_SETFL, fl);
}

// More single-page UPDATEs than the table holds (lwvhost refuses the
// excess with ENOSPC; stock retires old entries), then one INVALIDATE of
// everything.
void Fuzzer::do_iotlb_flood(Rng &r, size_t di)
{
	note("iotlb flood dev" + std::to_string(di));
	const unsigned n = 2048 + 64 + static_cast<unsigned>(r.below(256));
	for (unsigned i = 0; i < n && devs_[di].fd >= 0; i++) {
		vhost_iotlb_msg m{};
		m.type = VHOST_IOTLB_UPDATE;
		m.iova = kIova + 2 * kGuestSize + uint64_t(i) * 2 * kPage;	// disjoint
		m.size = kPage;
		m.uaddr = reinterpret_cast<uintptr_t>(guest_) + (i % (kGuestSize / kPage)) * kPage;
		m.perm = VHOST_ACCESS_RO;
		if (write_iotlb(di, m, true, sizeof(vhost_msg_v2), "iotlb-flood") == -EFAULT)
			return;	 // no IOTLB on this device
	}
	vhost_iotlb_msg inv{};
	inv.type = VHOST_IOTLB_INVALIDATE;
	inv.iova = kIova + 2 * kGuestSize;
	inv.size = uint64_t(n) * 2 * kPage;
	write_iotlb(di, inv, true, sizeof(vhost_msg_v2), "iotlb-flood");
}

// vhost ioctls on fds that are not vhost devices (tap, eventfd, ...).
void Fuzzer::do_foreign(Rng &r)
{
	const IoctlDef &d = kIoctls[r.below(kIoctls.size() - 2)];
	int fd = r.chance(1, 2) ? r.pick(taps_) : r.chance(1, 2) ? r.pick(eventfds_) : r.pick(wrong_);
	uint8_t *arg = guard_ + kPage - 64;
	for (size_t i = 0; i < 64; i++)
		arg[i] = static_cast<uint8_t>(r.next());
	note(std::string("foreign ") + d.name);
	int rc = ioctl(fd, d.req, arg);
	t_.record("wrong-fd:" + std::string(d.name), rc, errno);
	t_.ioctls++;
}

// A forked child is not the owner: it inherits the device fds and issues a
// burst of random calls, which must not succeed on a device the parent
// owns. The child's counts come back through a pipe.
void Fuzzer::do_fork(Rng &r)
{
	const uint64_t child_seed = r.next();
	const unsigned burst = static_cast<unsigned>(r.range(5, 40));
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return;
	note("fork burst=" + std::to_string(burst));
	t_.forks++;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		in_child_ = true;
		Rng cr(child_seed);
		Totals &ct = t_;
		ct.by_call.clear();
		ct.violations = 0;
		for (unsigned i = 0; i < burst; i++) {
			size_t di = pick_dev(cr);
			if (devs_[di].fd < 0)
				continue;
			const IoctlDef &d = kIoctls[cr.weighted([] {
				std::vector<unsigned> w;
				for (auto &x : kIoctls)
					w.push_back(x.weight);
				return w;
			}())];
			do_ioctl(cr, di, d, true);
		}
		// name \t ok \t errno:count ... per line
		std::string out = "violations\t" + std::to_string(ct.violations) + "\n";
		for (auto &[name, s] : ct.by_call) {
			out += name + "\t" + std::to_string(s.calls) + "\t" + std::to_string(s.ok);
			for (auto &[e, c] : s.errnos)
				out += "\t" + std::to_string(e) + ":" + std::to_string(c);
			out += "\n";
		}
		(void)!write(p[1], out.data(), out.size());
		_exit(0);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return;
	}
	std::string text;
	char b[4096];
	g_op_started_ns = mono_ns();
	for (ssize_t n; (n = read(p[0], b, sizeof(b))) > 0;)
		text.append(b, n);
	close(p[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	g_op_started_ns = 0;
	size_t pos = 0;
	while (pos < text.size()) {
		size_t nl = text.find('\n', pos);
		std::string line = text.substr(pos, nl - pos);
		pos = nl == std::string::npos ? text.size() : nl + 1;
		std::vector<std::string> f;
		for (size_t s = 0, t; s <= line.size(); s = t + 1) {
			t = line.find('\t', s);
			if (t == std::string::npos)
				t = line.size();
			f.push_back(line.substr(s, t - s));
		}
		if (f.size() == 2 && f[0] == "violations") {
			uint64_t v = std::stoull(f[1]);
			t_.violations += v;
			if (v)
				t_.violation_text.push_back("non-owner child (seed " + std::to_string(child_seed) + ")");
			continue;
		}
		if (f.size() < 3)
			continue;
		std::lock_guard<std::mutex> g(t_.mu);
		Stat &s = t_.by_call[f[0]];
		uint64_t calls = std::stoull(f[1]);
		s.calls += calls;
		s.ok += std::stoull(f[2]);
		t_.calls += calls;
		t_.ioctls += calls;
		for (size_t i = 3; i < f.size(); i++) {
			auto c = f[i].find(':');
			s.errnos[std::stoi(f[i].substr(0, c))] += std::stoull(f[i].substr(c + 1));
		}
	}
	// Ownership the child took (SET_OWNER on an unowned device) is not
	// tracked per device; treat every unowned device as someone's.
	for (auto &d : devs_)
		if (d.owner == kNone && d.fd >= 0)
			d.owner = kOther;
}

// Two threads of the owner (same mm, so both pass the owner check) issue
// random calls on one device at the same time.
void Fuzzer::do_race(Rng &r)
{
	size_t di = pick_dev(r);
	if (devs_[di].fd < 0)
		return;
	const uint64_t s1 = r.next(), s2 = r.next();
	const unsigned burst = static_cast<unsigned>(r.range(10, 60));
	note("race dev" + std::to_string(di) + " burst=" + std::to_string(burst));
	t_.races++;
	std::vector<unsigned> w;
	for (auto &x : kIoctls)
		w.push_back(x.weight);
	auto body = [&, di](uint64_t seed) {
		Rng tr(seed);
		for (unsigned i = 0; i < burst; i++) {
			do_ioctl(tr, di, kIoctls[tr.weighted(w)], false);
		}
	};
	std::thread th(body, s2);
	body(s1);
	th.join();
}

void Fuzzer::step(Rng &r, bool child)
{
	(void)child;
	g_op_no++;
	std::vector<unsigned> w;
	for (auto &x : kIoctls)
		w.push_back(x.weight);
	switch (r.weighted({80, 3, 2, 3, 5, 5, 1, races_ ? 1u : 0u, 2, 1, 6, 6})) {
	case 0: {
		size_t di = pick_dev(r);
		if (devs_[di].fd < 0) {
			do_open(r);
			return;
		}
		do_ioctl(r, di, kIoctls[r.weighted(w)], false);
		return;
	}
	case 1:
		do_open(r);
		return;
	case 2:
		do_close(r);
		return;
	case 3: {
		size_t di = pick_dev(r);
		if (devs_[di].fd >= 0)
			do_setup(r, di);
		return;
	}
	case 4:
		do_kick(r);
		return;
	case 5:
		do_scribble(r);
		return;
	case 6:
		do_fork(r);
		return;
	case 7:
		do_race(r);
		return;
	case 8: {
		size_t di = pick_dev(r);
		if (devs_[di].fd >= 0)
			do_rw(r, di);
		return;
	}
	case 9:
		do_foreign(r);
		return;
	case 10: {
		size_t di = pick_dev(r);
		if (devs_[di].fd >= 0)
			do_iotlb(r, di);
		return;
	}
	default: {
		size_t di = pick_dev(r);
		if (devs_[di].fd < 0)
			return;
		if (r.chance(1, 100))
			do_iotlb_flood(r, di);
		else
			do_answer(r, di);
		return;
	}
	}
}

}  // namespace

int main(int argc, char **argv)
{
	CLI::App app{"vhost-fuzz: seeded random /dev/vhost-net ioctl sequences"};
	app.name("vhost-fuzz");
	lwvhost::cli::add_version(app);
	uint64_t seed = 1, calls = 10000;
	unsigned devices = 3, hang_s = 20;
	bool json = false, trace = false, no_races = false;
	app.add_option("--seed", seed, "random seed (same seed, same call sequence)");
	app.add_option("--calls", calls, "fuzzing steps to run")->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
	app.add_option("--devices", devices, "device slots (open /dev/vhost-net files)")
		->check(CLI::Range(1u, 64u));
	app.add_option("--hang-s", hang_s, "a call taking longer than this is a hang (exit 3)")
		->check(CLI::Range(1u, 3600u));
	app.add_flag("--json", json, "summary as JSON on stdout");
	app.add_flag("--trace", trace, "print every step on stderr");
	app.add_flag("--no-races", no_races, "no two-thread bursts (fully reproducible order)");
	if (auto status = lwvhost::cli::parse(app, argc, argv))
		return *status;
	try {
		// Taps and their traffic stay in a namespace of our own.
		vnet::enter_private_netns();
		signal(SIGPIPE, SIG_IGN);
		auto *fz = new Fuzzer(seed, devices, !no_races, trace);
		std::atomic<bool> done{false};
		std::thread watchdog([&] {
			while (!done) {
				std::this_thread::sleep_for(std::chrono::milliseconds(200));
				uint64_t t0 = g_op_started_ns;
				if (t0 && mono_ns() - t0 > uint64_t(hang_s) * 1000000000ull) {
					std::fprintf(stderr, "vhost-fuzz: HANG: step %llu blocked for more than %u s; last steps:\n",
						     static_cast<unsigned long long>(g_op_no.load()), hang_s);
					fz->recent().dump();
					std::fflush(stderr);
					_exit(3);
				}
			}
		});
		const uint64_t t_start = mono_ns();
		for (uint64_t i = 0; i < calls; i++)
			fz->step(fz->rng());
		const uint64_t t_fuzz = mono_ns();
		g_op_started_ns = t_fuzz;  // closing everything must not hang either
		fz->cleanup();
		g_op_started_ns = 0;
		const uint64_t t_end = mono_ns();
		done = true;
		watchdog.join();

		Totals &t = fz->totals();
		nlohmann::json j;
		j["seed"] = seed;
		j["steps"] = calls;
		j["calls"] = t.calls;
		j["ioctls"] = t.ioctls.load();
		j["opens"] = t.opens;
		j["closes"] = t.closes;
		j["setups"] = t.setups;
		j["kicks"] = t.kicks;
		j["scribbles"] = t.scribbles;
		j["forks"] = t.forks;
		j["races"] = t.races;
		j["violations"] = t.violations;
		j["fuzz_s"] = double(t_fuzz - t_start) / 1e9;
		j["cleanup_ms"] = double(t_end - t_fuzz) / 1e6;
		nlohmann::json per = nlohmann::json::object();
		for (auto &[name, s] : t.by_call) {
			nlohmann::json e = nlohmann::json::object();
			for (auto &[err, c] : s.errnos)
				e[errno_name(err)] = c;
			per[name] = {{"calls", s.calls}, {"ok", s.ok}, {"errors", e}};
		}
		j["per_call"] = per;
		if (json) {
			std::cout << j.dump(1) << "\n";
		} else {
			std::printf("%-36s %8s %8s  errors\n", "call", "calls", "ok");
			for (auto &[name, s] : t.by_call) {
				std::string errs;
				for (auto &[err, c] : s.errnos)
					errs += " " + errno_name(err) + "=" + std::to_string(c);
				std::printf("%-36s %8llu %8llu %s\n", name.c_str(),
					    static_cast<unsigned long long>(s.calls),
					    static_cast<unsigned long long>(s.ok), errs.c_str());
			}
			std::printf("vhost-fuzz: seed %llu, %llu steps, %llu calls (%llu ioctls), %llu forks, "
				    "%llu races, %llu setups, %llu kicks, %llu violations, cleanup %.1f ms\n",
				    static_cast<unsigned long long>(seed), static_cast<unsigned long long>(calls),
				    static_cast<unsigned long long>(t.calls), static_cast<unsigned long long>(t.ioctls.load()),
				    static_cast<unsigned long long>(t.forks), static_cast<unsigned long long>(t.races),
				    static_cast<unsigned long long>(t.setups), static_cast<unsigned long long>(t.kicks),
				    static_cast<unsigned long long>(t.violations), double(t_end - t_fuzz) / 1e6);
		}
		bool violated = t.violations != 0;
		delete fz;
		return violated ? 1 : 0;
	} catch (const std::exception &e) {
		std::cerr << "vhost-fuzz: " << e.what() << "\n";
		return 1;
	}
}
