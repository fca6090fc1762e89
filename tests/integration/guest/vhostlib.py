# SPDX-License-Identifier: GPL-2.0
"""Inside the VM: a small user-space virtio-net driver for /dev/vhost-net.

Just enough to drive the data path from Python: an anonymous mapping plays
guest memory (at a guest-physical base that differs from its address, so
translation is exercised), split rings live inside it, a tap with a vnet
header is the backend, and an AF_PACKET socket on the tap is the far end.
Used by the datapath_*.py checks; they run against stock vhost_net and
lwvhost alike.
"""

import ctypes
import errno
import fcntl
import mmap
import os
import select
import socket
import struct
import subprocess
import time

from ktap import Ktap  # noqa: F401  (the guest scripts' reporter, re-exported)

VHOST = 0xAF


def _io(nr):
    return (VHOST << 8) | nr


def _iow(nr, size):
    return (1 << 30) | (size << 16) | (VHOST << 8) | nr


def _ior(nr, size):
    return (2 << 30) | (size << 16) | (VHOST << 8) | nr


def _iowr(nr, size):
    return (3 << 30) | (size << 16) | (VHOST << 8) | nr


GET_FEATURES = _ior(0x00, 8)
SET_FEATURES = _iow(0x00, 8)
SET_OWNER = _io(0x01)
RESET_OWNER = _io(0x02)
SET_MEM_TABLE = _iow(0x03, 8)
SET_LOG_BASE = _iow(0x04, 8)
SET_LOG_FD = _iow(0x07, 4)
SET_VRING_NUM = _iow(0x10, 8)
SET_VRING_ADDR = _iow(0x11, 40)
SET_VRING_BASE = _iow(0x12, 8)
GET_VRING_BASE = _iowr(0x12, 8)
SET_VRING_ENDIAN = _iow(0x13, 8)
GET_VRING_ENDIAN = _iow(0x14, 8)
SET_VRING_KICK = _iow(0x20, 8)
SET_VRING_CALL = _iow(0x21, 8)
SET_VRING_ERR = _iow(0x22, 8)
SET_VRING_BUSYLOOP_TIMEOUT = _iow(0x23, 8)
GET_VRING_BUSYLOOP_TIMEOUT = _iow(0x24, 8)
SET_BACKEND_FEATURES = _iow(0x25, 8)
GET_BACKEND_FEATURES = _ior(0x26, 8)
NET_SET_BACKEND = _iow(0x30, 8)

F_NOTIFY_ON_EMPTY = 24
F_ANY_LAYOUT = 27
F_INDIRECT = 28
F_EVENT_IDX = 29
F_LOG_ALL = 26
F_VERSION_1 = 32
F_ACCESS_PLATFORM = 33
F_RING_PACKED = 34
F_RING_RESET = 40
NET_F_MRG_RXBUF = 15
NET_F_VIRTIO_NET_HDR = 27  # VHOST_NET_F_VIRTIO_NET_HDR

# Backend features (bit numbers) and the device IOTLB (<linux/vhost_types.h>).
BACKEND_F_IOTLB_MSG_V2 = 1
BACKEND_F_IOTLB_BATCH = 2
IOTLB_MSG, IOTLB_MSG_V2 = 1, 2
IOTLB_MISS, IOTLB_UPDATE, IOTLB_INVALIDATE, IOTLB_ACCESS_FAIL = 1, 2, 3, 4
IOTLB_BATCH_BEGIN, IOTLB_BATCH_END = 5, 6
ACCESS_RO, ACCESS_WO, ACCESS_RW = 1, 2, 3
IOTLB_MSG_SIZE = 72  # struct vhost_msg and struct vhost_msg_v2 alike


def iotlb_msg(kind, iova=0, size=0, uaddr=0, perm=0, v2=True, asid=0):
    """A struct vhost_msg_v2 (or vhost_msg) carrying one vhost_iotlb_msg."""
    head = struct.pack("<II", IOTLB_MSG_V2, asid) if v2 else struct.pack("<I4x", IOTLB_MSG)
    body = struct.pack("<QQQBB", iova, size, uaddr, perm, kind)
    return (head + body).ljust(IOTLB_MSG_SIZE, b"\0")


def parse_iotlb_msg(data):
    """(message type, iotlb type, iova, size, uaddr, perm) of a read message."""
    mtype = struct.unpack_from("<I", data, 0)[0]
    iova, size, uaddr, perm, kind = struct.unpack_from("<QQQBB", data, 8)
    return mtype, kind, iova, size, uaddr, perm


def iotlb_write(fd, msg):
    """write() one message: the count written, or the errno as a negative."""
    try:
        return os.write(fd, msg)
    except OSError as e:
        return -e.errno


DESC_F_NEXT = 1
DESC_F_WRITE = 2
DESC_F_INDIRECT = 4
USED_F_NO_NOTIFY = 1
AVAIL_F_NO_INTERRUPT = 1

ETH_P_TEST = 0x88B5  # IEEE local experimental
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
PAGE = 4096

TUNSETIFF = 0x400454CA
TUNSETVNETHDRSZ = 0x400454D8
TUNSETOFFLOAD = 0x400454D0
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
IFF_VNET_HDR = 0x4000


def _arg(arg):
    # Mutable buffers are passed through whatever their size (bytes: 1 KiB max).
    return bytearray(arg) if isinstance(arg, bytes) else arg


def ioctl(fd, req, arg=0):
    """ioctl that returns 0 or the errno (never raises)."""
    try:
        fcntl.ioctl(fd, req, _arg(arg))
        return 0
    except OSError as e:
        return e.errno


def ioctl_ok(fd, req, arg=0):
    fcntl.ioctl(fd, req, _arg(arg))


def u64(v):
    return struct.pack("<Q", v)


def state(index, num):
    return struct.pack("<II", index, num)


def vfile(index, fd):
    return struct.pack("<Ii", index, fd)


def mem_table(regions):
    """regions: [(gpa, size, uaddr)]"""
    b = struct.pack("<II", len(regions), 0)
    for gpa, size, uaddr in regions:
        b += struct.pack("<QQQQ", gpa, size, uaddr, 0)
    return b


class GuestMem:
    """Anonymous memory standing in for guest RAM, at guest-physical gpa."""

    def __init__(self, size=4 << 20, gpa=0x40000000):
        self.size = size
        self.gpa = gpa
        self.mm = mmap.mmap(-1, size, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        self.addr = ctypes.addressof(ctypes.c_char.from_buffer(self.mm))
        self.next = 0

    def alloc(self, size, align=16):
        off = (self.next + align - 1) & ~(align - 1)
        self.next = off + size
        assert self.next <= self.size, "guest memory exhausted"
        return off

    def uaddr(self, off):
        return self.addr + off

    def gpa_of(self, off):
        return self.gpa + off

    def table(self):
        return mem_table([(self.gpa, self.size, self.addr)])

    def w(self, off, data):
        self.mm[off:off + len(data)] = data

    def r(self, off, n):
        return bytes(self.mm[off:off + n])

    def w16(self, off, v):
        self.w(off, struct.pack("<H", v & 0xFFFF))

    def r16(self, off):
        return struct.unpack("<H", self.r(off, 2))[0]

    def r32(self, off):
        return struct.unpack("<I", self.r(off, 4))[0]


class Ring:
    """A split virtqueue inside GuestMem, driver side."""

    def __init__(self, mem, index, num=256):
        self.mem, self.index, self.num = mem, index, num
        self.desc = mem.alloc(16 * num, PAGE)
        self.avail = mem.alloc(6 + 2 * num, 2)
        self.used = mem.alloc(6 + 8 * num, PAGE)
        self.avail_idx = 0
        self.used_seen = 0
        self.free = list(range(num))
        self.chains = {}
        self.kick = os.eventfd(0, os.EFD_NONBLOCK)
        self.call = os.eventfd(0, os.EFD_NONBLOCK)
        self.err = os.eventfd(0, os.EFD_NONBLOCK)

    def setup(self, fd, log_gpa=None, iova=False):
        """SET_VRING_*; iova: the ring's addresses are IOVAs (gpa_of), as
        with the device IOTLB, not host addresses."""
        ioctl_ok(fd, SET_VRING_NUM, state(self.index, self.num))
        flags = 1 if log_gpa is not None else 0
        addr = self.mem.gpa_of if iova else self.mem.uaddr
        ioctl_ok(fd, SET_VRING_ADDR, struct.pack(
            "<IIQQQQ", self.index, flags, addr(self.desc), addr(self.used), addr(self.avail),
            log_gpa if log_gpa is not None else 0))
        ioctl_ok(fd, SET_VRING_BASE, state(self.index, self.avail_idx))
        ioctl_ok(fd, SET_VRING_KICK, vfile(self.index, self.kick))
        ioctl_ok(fd, SET_VRING_CALL, vfile(self.index, self.call))
        ioctl_ok(fd, SET_VRING_ERR, vfile(self.index, self.err))

    def write_desc(self, i, gpa, length, flags, nxt=0):
        self.mem.w(self.desc + 16 * i, struct.pack("<QIHH", gpa, length, flags, nxt))

    def add(self, bufs, indirect_table_off=None):
        """bufs: [(gpa, len, writable)]. Returns the head."""
        if indirect_table_off is not None:
            for k, (gpa, ln, wr) in enumerate(bufs):
                flags = (DESC_F_WRITE if wr else 0) | (DESC_F_NEXT if k + 1 < len(bufs) else 0)
                self.mem.w(indirect_table_off + 16 * k,
                           struct.pack("<QIHH", gpa, ln, flags, k + 1 if k + 1 < len(bufs) else 0))
            head = self.free.pop(0)
            self.write_desc(head, self.mem.gpa_of(indirect_table_off), 16 * len(bufs),
                            DESC_F_INDIRECT)
            self.chains[head] = [head]
        else:
            ids = [self.free.pop(0) for _ in bufs]
            for k, (gpa, ln, wr) in enumerate(bufs):
                last = k + 1 == len(bufs)
                flags = (DESC_F_WRITE if wr else 0) | (0 if last else DESC_F_NEXT)
                self.write_desc(ids[k], gpa, ln, flags, 0 if last else ids[k + 1])
            head = ids[0]
            self.chains[head] = ids
        self.publish(head)
        return head

    def publish(self, head):
        self.mem.w16(self.avail + 4 + 2 * (self.avail_idx % self.num), head)
        self.avail_idx = (self.avail_idx + 1) & 0xFFFF
        self.mem.w16(self.avail + 2, self.avail_idx)

    def do_kick(self):
        os.eventfd_write(self.kick, 1)

    def used_idx(self):
        return self.mem.r16(self.used + 2)

    def used_flags(self):
        return self.mem.r16(self.used)

    def avail_event(self):
        return self.mem.r16(self.used + 4 + 8 * self.num)

    def set_used_event(self, v):
        self.mem.w16(self.avail + 4 + 2 * self.num, v)

    def set_avail_flags(self, v):
        self.mem.w16(self.avail, v)

    def pop_used(self):
        """New used entries as [(id, len)], freeing their descriptors."""
        out = []
        idx = self.used_idx()
        while self.used_seen != idx:
            e = self.used + 4 + 8 * (self.used_seen % self.num)
            i, ln = struct.unpack("<II", self.mem.r(e, 8))
            out.append((i, ln))
            self.free.extend(self.chains.pop(i, []))
            self.used_seen = (self.used_seen + 1) & 0xFFFF
        return out

    def wait_used(self, count, timeout=5.0):
        got = []
        end = time.time() + timeout
        while len(got) < count and time.time() < end:
            got += self.pop_used()
            if len(got) < count:
                time.sleep(0.002)
        return got


def read_eventfd(fd, timeout=0.0):
    r, _, _ = select.select([fd], [], [], timeout)
    if not r:
        return 0
    try:
        return os.eventfd_read(fd)
    except BlockingIOError:
        return 0


class Tap:
    """A tap with a vnet header, up, with an AF_PACKET socket as far end."""

    def __init__(self, name, hdr_len=12, offload=0):
        self.name = name
        self.fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
        ifr = struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)
        fcntl.ioctl(self.fd, TUNSETIFF, ifr)
        fcntl.ioctl(self.fd, TUNSETVNETHDRSZ, struct.pack("i", hdr_len))
        fcntl.ioctl(self.fd, TUNSETOFFLOAD, offload)
        subprocess.run(["sysctl", "-qw", f"net.ipv6.conf.{name}.disable_ipv6=1"],
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["ip", "link", "set", name, "up"], check=True)
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
        self.sock.bind((name, 0))
        self.sock.setblocking(False)
        self.mac = open(f"/sys/class/net/{name}/address").read().strip()

    def send(self, frame):
        self.sock.send(frame)

    def recv_frames(self, count, timeout=5.0, ethertype=ETH_P_TEST):
        """Frames the tap delivered to the host (guest TX), test type only."""
        got = []
        end = time.time() + timeout
        while len(got) < count and time.time() < end:
            r, _, _ = select.select([self.sock], [], [], max(0.0, end - time.time()))
            if not r:
                break
            while True:
                try:
                    data, addr = self.sock.recvfrom(65536)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue
                if len(data) >= 14 and struct.unpack("!H", data[12:14])[0] == ethertype:
                    got.append(data)
        return got

    def close(self):
        self.sock.close()
        os.close(self.fd)


def frame(seq, size=128, src="02:00:00:00:00:01"):
    """A test frame: broadcast dst, test ethertype, payload carrying seq."""
    dst = b"\xff" * 6
    s = bytes(int(x, 16) for x in src.split(":"))
    body = struct.pack("!I", seq)
    body += bytes((seq + i) & 0xFF for i in range(size - 14 - 4))
    return dst + s + struct.pack("!H", ETH_P_TEST) + body


def frame_seq(data):
    return struct.unpack("!I", data[14:18])[0]


def is_test_frame(eth):
    """Whether an Ethernet frame has frame()'s ethertype (and not, say, the
    kernel's own IPv6 neighbour discovery on the tap)."""
    return len(eth) >= 14 and struct.unpack("!H", eth[12:14])[0] == ETH_P_TEST


def worker_cpu_s(owner_pid=None):
    """CPU seconds (user+system) used so far by the vhost worker of owner_pid:
    a kthread named vhost-<pid> (6.1) or a thread of the owner (6.12)."""
    name = f"vhost-{owner_pid or os.getpid()}"
    hz = os.sysconf("SC_CLK_TCK")
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                if open(f"/proc/{p}/task/{t}/comm").read().strip() != name:
                    continue
                f = open(f"/proc/{p}/task/{t}/stat").read().rsplit(")", 1)[1].split()
                return (int(f[11]) + int(f[12])) / hz
        except OSError:
            continue
    return None


class NetDev:
    """/dev/vhost-net with guest memory, RX/TX rings and a tap backend."""

    RX, TX = 0, 1

    # In IOTLB mode guest memory appears to the device at this IOVA, so the
    # rings' and buffers' addresses (GuestMem.gpa_of) are IOVAs.
    IOVA = 0x200000000

    def __init__(self, features, tap_name="dp0", num=256, mem_size=4 << 20,
                 hdr_len=None, log_gpa=False, backend=None, before_owner=None,
                 iotlb=None):
        """backend: an already-open backend (anything with .fd and .close(),
        its vnet header size set by the caller) used instead of a new tap.
        before_owner(fd) runs between the open and VHOST_SET_OWNER.
        iotlb: None, or "all" / "used" for the device IOTLB (ACCESS_PLATFORM,
        MSG_V2): all of guest memory mapped RW, or only the used rings
        (the rest is left to misses, see iotlb_update())."""
        self.fd = os.open("/dev/vhost-net", os.O_RDWR)
        self.features = features
        if iotlb:
            self.features = features = features | 1 << F_ACCESS_PLATFORM
            ioctl_ok(self.fd, SET_BACKEND_FEATURES, u64(1 << BACKEND_F_IOTLB_MSG_V2))
        if before_owner:
            before_owner(self.fd)
        ioctl_ok(self.fd, SET_OWNER)
        ioctl_ok(self.fd, SET_FEATURES, u64(features))
        self.mem = GuestMem(mem_size, gpa=self.IOVA) if iotlb else GuestMem(mem_size)
        ioctl_ok(self.fd, SET_MEM_TABLE, self.mem.table())
        self.rings = [Ring(self.mem, 0, num), Ring(self.mem, 1, num)]
        self.log_gpa = log_gpa
        for r in self.rings:
            r.setup(self.fd, self.mem.gpa_of(r.used) if log_gpa else None, iova=bool(iotlb))
        if iotlb == "all":
            self.iotlb_update(0, mem_size)
        elif iotlb:
            for r in self.rings:
                self.iotlb_update(r.used, 4 + 8 * r.num + 2)
        if hdr_len is None:
            hdr_len = 12 if features & ((1 << NET_F_MRG_RXBUF) | (1 << F_VERSION_1)) else 10
        self.hdr_len = hdr_len
        if backend is not None:
            self.tap = backend
        else:
            self.tap = Tap(tap_name,
                           hdr_len if not features & (1 << NET_F_VIRTIO_NET_HDR) else 10)
        self.bufs = {}

    def iotlb_update(self, off, size, perm=ACCESS_RW):
        """Map guest memory [off, off + size) at its IOVA: the count
        written, or the errno as a negative."""
        return iotlb_write(self.fd, iotlb_msg(IOTLB_UPDATE, self.mem.gpa_of(off), size,
                                              self.mem.uaddr(off), perm))

    def iotlb_invalidate(self, off, size):
        return iotlb_write(self.fd, iotlb_msg(IOTLB_INVALIDATE, self.mem.gpa_of(off), size))

    def iotlb_read(self, timeout=0.0):
        """The next message from the device (parse_iotlb_msg()), or None."""
        if not select.select([self.fd], [], [], timeout)[0]:
            return None
        try:
            return parse_iotlb_msg(os.read(self.fd, IOTLB_MSG_SIZE))
        except BlockingIOError:
            return None

    def attach(self, fd=None):
        for r in self.rings:
            ioctl_ok(self.fd, NET_SET_BACKEND, vfile(r.index, self.tap.fd if fd is None else fd))

    def detach(self):
        for r in self.rings:
            ioctl_ok(self.fd, NET_SET_BACKEND, vfile(r.index, -1))

    def tx_buffer(self, frame):
        """A new guest buffer holding a zero vnet header and frame, as a
        (gpa, len, writable) TX descriptor part; it may be queued again."""
        data = bytes(self.hdr_len) + frame
        off = self.mem.alloc(len(data))
        self.mem.w(off, data)
        return (self.mem.gpa_of(off), len(data), False)

    def tx(self, frames, indirect=False, split_header=False):
        """Queue frames (each with a zero vnet header) on TX and kick."""
        ring = self.rings[self.TX]
        for f in frames:
            hdr = bytes(self.hdr_len)
            if split_header:
                h = self.mem.alloc(len(hdr))
                d = self.mem.alloc(len(f))
                self.mem.w(h, hdr)
                self.mem.w(d, f)
                bufs = [(self.mem.gpa_of(h), len(hdr), False), (self.mem.gpa_of(d), len(f), False)]
            else:
                bufs = [self.tx_buffer(f)]
            table = self.mem.alloc(16 * len(bufs)) if indirect else None
            ring.add(bufs, table)
        ring.do_kick()

    def post_rx(self, count, size=2048, chunks=1):
        ring = self.rings[self.RX]
        for _ in range(count):
            parts = []
            for _ in range(chunks):
                off = self.mem.alloc(size // chunks)
                parts.append((self.mem.gpa_of(off), size // chunks, True))
            head = ring.add(parts)
            self.bufs[head] = parts
        ring.do_kick()

    def repost_rx(self, head):
        """Queue the RX buffer of a used entry (its head) again."""
        parts = self.bufs.pop(head)
        self.bufs[self.rings[self.RX].add(parts)] = parts

    def rx_read(self, entry):
        """Bytes the device wrote for a used RX entry (id, len)."""
        i, ln = entry
        out = b""
        for gpa, size, _ in self.bufs[i]:
            take = min(size, ln - len(out))
            out += self.mem.r(gpa - self.mem.gpa, take)
            if len(out) >= ln:
                break
        return out

    def rx_test_frames(self, count, timeout=5.0):
        """Test frames the device delivered into RX buffers (one buffer
        each, vnet header stripped), until count or timeout."""
        got, end = [], time.time() + timeout
        while len(got) < count and time.time() < end:
            for e in self.rings[self.RX].pop_used():
                data = self.rx_read(e)[self.hdr_len:]
                if is_test_frame(data):
                    got.append(data)
            time.sleep(0.002)
        return got

    def close(self):
        os.close(self.fd)
        self.tap.close()


def get64(fd, req):
    """A u64 an ioctl returns (GET_FEATURES, GET_BACKEND_FEATURES, ...)."""
    buf = bytearray(8)
    fcntl.ioctl(fd, req, buf)
    return struct.unpack("<Q", buf)[0]


def in_child(fn):
    """Run fn() in a forked child (another mm); return what it returns (a byte)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            v = fn()
        except Exception:  # noqa: BLE001
            v = 255
        os.write(w, bytes([v & 0xFF]))
        os._exit(0)
    os.waitpid(pid, 0)
    v = os.read(r, 1)[0]
    os.close(r)
    os.close(w)
    return v


def read_kv(path):
    """A /proc/lwvhost/<id>/{stats,info} file as a dict (numbers as int)."""
    out = {}
    with open(path) as f:
        for line in f:
            k, v = line.split()
            out[k] = int(v) if v.lstrip("-").isdigit() else v
    return out


# VHOST_{SET,GET}_FORK_FROM_OWNER (6.12.118's UAPI): the worker kind.
SET_FORK_FROM_OWNER = _iow(0x84, 1)
GET_FORK_FROM_OWNER = _ior(0x85, 1)
FORK_OWNER_KTHREAD, FORK_OWNER_TASK = 0, 1


def _build_tree_file(rel):
    """A file of the running kernel's build tree: Debian splits it into
    -amd64 (config) and -common (headers); the debug kernel's has src/."""
    build = os.path.realpath(f"/lib/modules/{os.uname().release}/build")
    for d in (build, build.removesuffix("-amd64") + "-common", os.path.join(build, "..", "src")):
        if os.path.exists(os.path.join(d, rel)):
            return os.path.join(d, rel)
    return None


def fork_from_owner_expected(impl):
    """Whether impl answers the fork-from-owner ioctls on this kernel.
    lwvhost: where the kernel's UAPI defines them. Stock: also only when
    built with CONFIG_VHOST_ENABLE_FORK_OWNER_CONTROL."""
    header = _build_tree_file("include/uapi/linux/vhost.h")
    in_uapi = bool(header) and "VHOST_SET_FORK_FROM_OWNER" in open(header).read()
    if impl == "lwvhost":
        return in_uapi
    config = _build_tree_file(".config")
    return in_uapi and bool(config) and \
        "CONFIG_VHOST_ENABLE_FORK_OWNER_CONTROL=y" in open(config).read()


def worker_threads(pid):
    """Names of tasks called vhost-<pid>: kthreads or threads of pid."""
    name = f"vhost-{pid}"
    found = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                comm = open(f"/proc/{p}/task/{t}/comm").read().strip()
                if comm == name:
                    found.append((int(p), int(t)))
        except OSError:
            continue
    return found


def worker_gone(pid, timeout=2.0):
    """Whether pid's worker leaves /proc within timeout. kthread_stop() and
    vhost_task_stop() return once the worker has finished, which is a
    moment before the exiting task is unlisted."""
    end = time.time() + timeout
    while worker_threads(pid) and time.time() < end:
        time.sleep(0.02)
    return not worker_threads(pid)
