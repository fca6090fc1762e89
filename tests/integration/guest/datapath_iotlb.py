#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Inside the VM: the device IOTLB (VIRTIO_F_ACCESS_PLATFORM).

Usage: datapath_iotlb.py stock|lwvhost

Drives the protocol on /dev/vhost-net as QEMU with a vIOMMU does: acks
ACCESS_PLATFORM and the MSG_V2 message format, sets the ring addresses as
IOVAs (guest memory appears at IOVA, neither its GPA nor its address), maps
the used rings before attaching, then answers each VHOST_IOTLB_MISS it
read() with a VHOST_IOTLB_UPDATE it write()s, and sees the traffic go.
Then: an INVALIDATE makes the next access miss again; a write through a
read-only mapping is a ring error (err eventfd); a flood of updates past
max_iotlb_entries; malformed messages; writes from another process;
RESET_OWNER; dirty logging of IOVA writes by GPA. lwvhost only: BATCH,
at most one unread MISS per queue, pacing (a pass that misses does not
spin), the iotlb_* counters.

Where lwvhost deliberately differs from stock (docs/compatibility.md, "The
device IOTLB"), the expectation depends on the argument, and the reason
is written next to it.
"""

import ctypes
import errno
import fcntl
import glob
import mmap
import os
import select
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vhostlib import *  # noqa: E402,F401,F403

impl = sys.argv[1] if len(sys.argv) > 1 else "lwvhost"
ours = impl == "lwvhost"
check = Ktap()

IOVA = 0x200000000      # where guest memory appears to the device
FAR = 0x900000000       # IOVAs no ring or buffer uses (malformed cases)
NUM = 64
PLATFORM = 1 << F_VERSION_1 | 1 << F_ACCESS_PLATFORM
# Stock vhost-net offers MSG_V2 only; lwvhost also IOTLB_BATCH.
BACKEND = 1 << BACKEND_F_IOTLB_MSG_V2 | ((1 << BACKEND_F_IOTLB_BATCH) if ours else 0)



def read_errno(fd):
    """A non-blocking read(): 0 if a message came, else its errno."""
    try:
        os.read(fd, IOTLB_MSG_SIZE)
        return 0
    except OSError as e:
        return e.errno


def wait_miss(fd, timeout=2.0):
    """The next message read from fd (parse_iotlb_msg()), or None."""
    r, _, _ = select.select([fd], [], [], timeout)
    if not r:
        return None
    try:
        return parse_iotlb_msg(os.read(fd, IOTLB_MSG_SIZE))
    except BlockingIOError:
        return None


def drain(fd):
    n = 0
    while read_errno(fd) == 0:
        n += 1
    return n


def settle(fd, what):
    """Read what is left unread before a step that must miss anew. Stock
    queues a MISS on every pass that misses, so repeats of answered
    misses may still wait; lwvhost keeps at most one per queue, read by
    then."""
    n = drain(fd)
    if ours:
        check(f"no MISS left unread before {what}", n == 0, str(n))
    elif n:
        print(f"info stock: {n} stale MISS read before {what}")


def is_miss(m, iova, perm=None):
    return (m is not None and m[1] == IOTLB_MISS and m[2] == iova
            and (perm is None or m[5] == perm))


class Iotlb:
    """The owner's side of one device's IOTLB over guest memory mem."""

    def __init__(self, fd, mem):
        self.fd, self.mem = fd, mem
        self.updates = self.invalidations = 0

    def update(self, off, size, perm, v2=True):
        r = iotlb_write(self.fd, iotlb_msg(IOTLB_UPDATE, IOVA + off, size,
                                           self.mem.uaddr(off), perm, v2))
        self.updates += r == IOTLB_MSG_SIZE
        return r

    def invalidate(self, off, size):
        r = iotlb_write(self.fd, iotlb_msg(IOTLB_INVALIDATE, IOVA + off, size))
        self.invalidations += r == IOTLB_MSG_SIZE
        return r


def setup_ring(fd, ring, log=False):
    """SET_VRING_* with the ring's addresses as IOVAs."""
    ioctl_ok(fd, SET_VRING_NUM, state(ring.index, ring.num))
    ioctl_ok(fd, SET_VRING_ADDR, struct.pack(
        "<IIQQQQ", ring.index, 1 if log else 0, IOVA + ring.desc, IOVA + ring.used,
        IOVA + ring.avail, ring.mem.gpa_of(ring.used) if log else 0))
    ioctl_ok(fd, SET_VRING_BASE, state(ring.index, 0))
    ioctl_ok(fd, SET_VRING_KICK, vfile(ring.index, ring.kick))
    ioctl_ok(fd, SET_VRING_CALL, vfile(ring.index, ring.call))
    ioctl_ok(fd, SET_VRING_ERR, vfile(ring.index, ring.err))


def ring_sizes(ring):
    """Byte sizes of desc, avail and used (no EVENT_IDX)."""
    return 16 * ring.num, 4 + 2 * ring.num, 4 + 8 * ring.num


def tx_buffer(mem, f):
    data = bytes(12) + f
    off = mem.alloc(len(data), PAGE)
    mem.w(off, data)
    return off, len(data)


def proc_dir_of_mine():
    for p in glob.glob("/proc/lwvhost/[0-9]*"):
        try:
            if read_kv(f"{p}/info")["owner_pid"] == os.getpid():
                return p
        except OSError:
            continue
    return None


# ---- before ACCESS_PLATFORM ----------------------------------------------

mem = GuestMem(1 << 20)
tap = Tap("dpi0", 12)
fd = os.open("/dev/vhost-net", os.O_RDWR | os.O_NONBLOCK)
tlb = Iotlb(fd, mem)

features = get64(fd, GET_FEATURES)
check("ACCESS_PLATFORM offered", features & (1 << F_ACCESS_PLATFORM), hex(features))
backend = get64(fd, GET_BACKEND_FEATURES)
check("backend features: MSG_V2" + (" and IOTLB_BATCH" if ours else ""), backend == BACKEND,
      hex(backend))
# No IOTLB until ACCESS_PLATFORM is acked: EFAULT in both, nothing to read.
check("UPDATE before ACCESS_PLATFORM: EFAULT",
      tlb.update(0, PAGE, ACCESS_RW) == -errno.EFAULT)
check("read before ACCESS_PLATFORM: EAGAIN", read_errno(fd) == errno.EAGAIN)
check("poll before ACCESS_PLATFORM: not readable", not select.select([fd], [], [], 0)[0])
# BATCH_* need IOTLB_BATCH acked (not yet): lwvhost EINVAL; stock has no
# batching at all and answers every failed message EFAULT.
got = iotlb_write(fd, iotlb_msg(IOTLB_BATCH_BEGIN))
check("BATCH_BEGIN without IOTLB_BATCH acked refused",
      got == (-errno.EINVAL if ours else -errno.EFAULT), str(got))

ioctl_ok(fd, SET_BACKEND_FEATURES, u64(BACKEND))
ioctl_ok(fd, SET_OWNER)
check("SET_FEATURES with ACCESS_PLATFORM", ioctl(fd, SET_FEATURES, u64(PLATFORM)) == 0)
ioctl_ok(fd, SET_MEM_TABLE, mem.table())
proc = proc_dir_of_mine() if ours else None
rx, tx = Ring(mem, 0, NUM), Ring(mem, 1, NUM)
for r in (rx, tx):
    setup_ring(fd, r)

# ---- attaching: the used ring must be mapped (QEMU maps it first) ---------

got = ioctl(fd, NET_SET_BACKEND, vfile(tx.index, tap.fd))
check("SET_BACKEND before its used ring is mapped: EFAULT", got == errno.EFAULT, str(got))
m = wait_miss(fd)
check("... and the owner is asked for the used ring", is_miss(m, IOVA + tx.used), str(m))
check("MISS comes as struct vhost_msg_v2 (MSG_V2 acked)", m and m[0] == IOTLB_MSG_V2, str(m))
drain(fd)

for r in (rx, tx):
    check(f"UPDATE of ring {r.index}'s used ring (RW)",
          tlb.update(r.used, ring_sizes(r)[2], ACCESS_RW) == IOTLB_MSG_SIZE)
# RX's descriptor table and avail ring too, so that only TX misses below.
tlb.update(rx.desc, ring_sizes(rx)[0], ACCESS_RO)
tlb.update(rx.avail, ring_sizes(rx)[1], ACCESS_RO)
for r in (rx, tx):
    check(f"SET_BACKEND of ring {r.index} once its used ring is mapped",
          ioctl(fd, NET_SET_BACKEND, vfile(r.index, tap.fd)) == 0)

# ---- TX: ring and buffer misses, answered one by one -----------------------

f1 = frame(1, 200)
off1, len1 = tx_buffer(mem, f1)
tx.add([(IOVA + off1, len1, False)])
tx.do_kick()
readable = select.select([fd], [], [], 2.0)[0]
check("poll: readable once a MISS is pending", bool(readable))
tx.do_kick()
time.sleep(0.05)
tx.do_kick()
time.sleep(0.2)
m = wait_miss(fd, 0)
check("TX with its ring unmapped: a MISS for the descriptor table (read access)",
      is_miss(m, IOVA + tx.desc, ACCESS_RO), str(m))
extra = read_errno(fd)
if ours:
    # One unread MISS per queue: kicks before the owner reads it add none.
    check("no second MISS for the same IOVA before the first is read",
          extra == errno.EAGAIN, errno.errorcode.get(extra, str(extra)))
else:
    # Stock queues a MISS on every pass that misses.
    print(f"info stock: after 3 kicks, a second read -> {errno.errorcode.get(extra, extra)}, "
          f"{drain(fd) + (extra == 0)} more")
check("TX: nothing consumed while the ring misses", tx.used_idx() == 0 and not tx.pop_used())

# avail first: it answers no waiting MISS; the descriptor table's UPDATE
# does and requeues the queue, which then misses on the buffer.
check("UPDATE of the TX avail ring (RO)",
      tlb.update(tx.avail, ring_sizes(tx)[1], ACCESS_RO) == IOTLB_MSG_SIZE)
check("UPDATE of the TX descriptor table (RO)",
      tlb.update(tx.desc, ring_sizes(tx)[0], ACCESS_RO) == IOTLB_MSG_SIZE)
m = wait_miss(fd)
check("then a MISS for the TX buffer, read access", is_miss(m, IOVA + off1, ACCESS_RO), str(m))
check("TX: still nothing consumed", not tx.pop_used())
check("UPDATE of the TX buffer (RO), as struct vhost_msg",
      tlb.update(off1, len1, ACCESS_RO, v2=False) == IOTLB_MSG_SIZE)
got = tap.recv_frames(1)
check("TX: the frame goes out once every IOVA is mapped", got == [f1], f"(got {len(got)})")
check("TX: the buffer is completed", len(tx.wait_used(1)) == 1)

# ---- RX: a write miss ----------------------------------------------------

settle(fd, "RX")
roff = mem.alloc(2048, PAGE)
rx.add([(IOVA + roff, 2048, True)])
rx.do_kick()
f2 = frame(2, 300)
tap.send(f2)
m = wait_miss(fd)
check("RX: a MISS for the guest buffer, write access", is_miss(m, IOVA + roff, ACCESS_WO), str(m))
check("RX: nothing consumed", not rx.pop_used())
check("UPDATE of the RX buffer (RW)", tlb.update(roff, 2048, ACCESS_RW) == IOTLB_MSG_SIZE)
used = rx.wait_used(1)
check("RX: the frame lands once its buffer is mapped",
      len(used) == 1 and mem.r(roff + 12, len(f2)) == f2, str(used))

# ---- INVALIDATE: the next access misses again ------------------------------

settle(fd, "INVALIDATE")
check("INVALIDATE of the TX descriptor table",
      tlb.invalidate(tx.desc, ring_sizes(tx)[0]) == IOTLB_MSG_SIZE)
f3 = frame(3, 200)
off3, len3 = tx_buffer(mem, f3)
tlb.update(off3, len3, ACCESS_RO)
tx.add([(IOVA + off3, len3, False)])
tx.do_kick()
m = wait_miss(fd)
check("after INVALIDATE the next access misses again", is_miss(m, IOVA + tx.desc), str(m))
check("... with nothing consumed", not tx.pop_used() and not tap.recv_frames(1, timeout=0.1))
tlb.update(tx.desc, ring_sizes(tx)[0], ACCESS_RO)
check("TX resumes after the new UPDATE", tap.recv_frames(1) == [f3])
tx.wait_used(1)

# ---- BATCH (lwvhost only: stock vhost-net does not offer IOTLB_BATCH) -------

if ours:
    tlb.invalidate(tx.desc, ring_sizes(tx)[0])
    f4 = frame(4, 200)
    off4, len4 = tx_buffer(mem, f4)
    tlb.update(off4, len4, ACCESS_RO)
    tx.add([(IOVA + off4, len4, False)])
    tx.do_kick()
    m = wait_miss(fd)
    check("batch: the queue misses on its descriptor table", is_miss(m, IOVA + tx.desc), str(m))
    check("BATCH_BEGIN accepted", iotlb_write(fd, iotlb_msg(IOTLB_BATCH_BEGIN)) == IOTLB_MSG_SIZE)
    tlb.update(tx.desc, ring_sizes(tx)[0], ACCESS_RO)
    check("inside a batch the covered queue waits for BATCH_END",
          not tap.recv_frames(1, timeout=0.3) and not tx.pop_used())
    check("BATCH_END accepted", iotlb_write(fd, iotlb_msg(IOTLB_BATCH_END)) == IOTLB_MSG_SIZE)
    check("BATCH_END requeues it: the frame goes", tap.recv_frames(1) == [f4])
    tx.wait_used(1)
else:
    print(f"info stock: BATCH_BEGIN -> {iotlb_write(fd, iotlb_msg(IOTLB_BATCH_BEGIN))}")

# ---- pacing (lwvhost only): a timer pass that misses does not spin ----------

if ours and proc:
    with open(f"{proc}/tx_poll_interval_us", "w") as f:
        f.write("50")
    f5 = frame(5, 200)
    off5, len5 = tx_buffer(mem, f5)
    tlb.update(off5, len5, ACCESS_RO)
    tx.add([(IOVA + off5, len5, False)])
    tx.do_kick()
    check("poll mode: the frame goes", tap.recv_frames(1) == [f5])
    tx.wait_used(1)
    tlb.invalidate(tx.desc, ring_sizes(tx)[0])
    f6 = frame(6, 200)
    off6, len6 = tx_buffer(mem, f6)
    tlb.update(off6, len6, ACCESS_RO)
    tx.add([(IOVA + off6, len6, False)])
    tx.do_kick()
    m = wait_miss(fd)
    check("poll mode: a MISS for the invalidated ring", is_miss(m, IOVA + tx.desc), str(m))
    cpu0 = worker_cpu_s()
    time.sleep(0.5)
    cpu1 = worker_cpu_s()
    spent = (cpu1 - cpu0) if cpu0 is not None and cpu1 is not None else None
    check("poll mode: waiting for the UPDATE costs the worker no CPU",
          spent is not None and spent < 0.1, f"worker CPU {spent} s in 0.5 s")
    check("poll mode: at most one more MISS meanwhile", drain(fd) <= 1)
    tlb.update(tx.desc, ring_sizes(tx)[0], ACCESS_RO)
    check("poll mode: the UPDATE requeues the queue", tap.recv_frames(1) == [f6])
    tx.wait_used(1)
    with open(f"{proc}/tx_poll_interval_us", "w") as f:
        f.write("0")

# ---- the counters (lwvhost only) -------------------------------------------

if ours and proc:
    st = read_kv(f"{proc}/stats")
    check("tx_iotlb_misses counts the TX queue's MISS messages", st["tx_iotlb_misses"] >= 4,
          str(st["tx_iotlb_misses"]))
    check("rx_iotlb_misses counts the RX queue's", st["rx_iotlb_misses"] >= 1,
          str(st["rx_iotlb_misses"]))
    check("iotlb_updates: every UPDATE, on both queues",
          st["rx_iotlb_updates"] == st["tx_iotlb_updates"] == tlb.updates,
          f"{st['rx_iotlb_updates']} {st['tx_iotlb_updates']} want {tlb.updates}")
    check("iotlb_invalidations: every INVALIDATE, on both queues",
          st["rx_iotlb_invalidations"] == st["tx_iotlb_invalidations"] == tlb.invalidations,
          f"{st['rx_iotlb_invalidations']} want {tlb.invalidations}")

# ---- a device write through a read-only mapping ----------------------------

roff2 = mem.alloc(2048, PAGE)
tlb.update(roff2, 2048, ACCESS_RO)
read_eventfd(rx.err)
rx.add([(IOVA + roff2, 2048, True)])
rx.do_kick()
tap.send(frame(7, 300))
check("RX into a read-only mapping: ring error (err eventfd)", read_eventfd(rx.err, 2.0) > 0)
check("... and the buffer is not used", not rx.pop_used())

# ---- malformed messages ----------------------------------------------------

U = mem.uaddr(0)
W = 2**64 - PAGE
# (what, message, lwvhost's answer, stock's). Stock answers every failed
# UPDATE/INVALIDATE EFAULT, checks no permission and accepts an empty or
# wrapping INVALIDATE; lwvhost says EINVAL for all that is malformed.
CASES = [
    ("unknown IOTLB type", iotlb_msg(9, FAR, PAGE, U, ACCESS_RW), -errno.EINVAL, -errno.EFAULT),
    ("MISS from the owner", iotlb_msg(IOTLB_MISS, FAR, PAGE, U, ACCESS_RW),
     -errno.EINVAL, -errno.EFAULT),
    ("ACCESS_FAIL from the owner", iotlb_msg(IOTLB_ACCESS_FAIL, FAR, PAGE, U, ACCESS_RW),
     -errno.EINVAL, -errno.EFAULT),
    ("UPDATE of size 0", iotlb_msg(IOTLB_UPDATE, FAR, 0, U, ACCESS_RW),
     -errno.EINVAL, -errno.EINVAL),
    ("UPDATE whose iova + size wraps", iotlb_msg(IOTLB_UPDATE, W, 2 * PAGE, U, ACCESS_RW),
     -errno.EINVAL, -errno.EFAULT),
    ("UPDATE whose uaddr + size wraps", iotlb_msg(IOTLB_UPDATE, FAR, 2 * PAGE, W, ACCESS_RW),
     -errno.EINVAL, -errno.EFAULT),
    ("UPDATE without permission", iotlb_msg(IOTLB_UPDATE, FAR, PAGE, U, 0),
     -errno.EINVAL, IOTLB_MSG_SIZE),
    ("UPDATE with an unknown permission bit", iotlb_msg(IOTLB_UPDATE, FAR, PAGE, U, 7),
     -errno.EINVAL, IOTLB_MSG_SIZE),
    ("INVALIDATE whose iova + size wraps", iotlb_msg(IOTLB_INVALIDATE, W, 2 * PAGE),
     -errno.EINVAL, IOTLB_MSG_SIZE),
    ("unknown message format", struct.pack("<I", 7) + iotlb_msg(IOTLB_UPDATE, FAR, PAGE, U,
                                                                 ACCESS_RW)[4:],
     -errno.EINVAL, -errno.EINVAL),
    ("a 20-byte message", iotlb_msg(IOTLB_UPDATE, FAR, PAGE, U, ACCESS_RW)[:20],
     -errno.EINVAL, -errno.EINVAL),
    ("UPDATE of kernel addresses", iotlb_msg(IOTLB_UPDATE, FAR, PAGE, 0xFFFF888000000000,
                                             ACCESS_RW), -errno.EFAULT, -errno.EFAULT),
]
for what, msg, mine, stock in CASES:
    got = iotlb_write(fd, msg)
    want = mine if ours else stock
    check(f"malformed: {what}: {errno.errorcode.get(-want, want)}", got == want, str(got))
check("a whole v1 message is accepted",
      iotlb_write(fd, iotlb_msg(IOTLB_UPDATE, FAR, PAGE, U, ACCESS_RW, v2=False))
      == IOTLB_MSG_SIZE)

# A buffer that faults: lwvhost EFAULT; stock EINVAL (its short copy).
libc = ctypes.CDLL(None, use_errno=True)
libc.write.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
n = libc.write(fd, ctypes.c_void_p(PAGE), IOTLB_MSG_SIZE)
got = ctypes.get_errno() if n < 0 else 0
check("write() from a bad buffer: " + ("EFAULT" if ours else "EINVAL"),
      got == (errno.EFAULT if ours else errno.EINVAL), errno.errorcode.get(got, str(got)))

# ---- another process may write, as in stock: the file is the capability ----



def child_update():
    got = iotlb_write(fd, iotlb_msg(IOTLB_UPDATE, FAR + 4 * PAGE, PAGE, U, ACCESS_RW))
    return 0 if got == IOTLB_MSG_SIZE else -got


got = in_child(child_update)
check("UPDATE from a non-owner process accepted (as stock)", got == 0, str(got))
os.close(fd)
tap.close()

# ---- the bound: max_iotlb_entries ------------------------------------------

try:
    limit = int(open("/sys/module/vhost/parameters/max_iotlb_entries").read())
except OSError:
    limit = 2048
mem2 = GuestMem(1 << 16)
fd2 = os.open("/dev/vhost-net", os.O_RDWR | os.O_NONBLOCK)
ioctl_ok(fd2, SET_OWNER)
ioctl_ok(fd2, SET_FEATURES, u64(PLATFORM))


def flood_update(i):
    return iotlb_write(fd2, iotlb_msg(IOTLB_UPDATE, FAR + 2 * PAGE * i, PAGE,
                                      mem2.uaddr(0), ACCESS_RW))


answers = [flood_update(i) for i in range(limit + 1)]
ok = sum(a == IOTLB_MSG_SIZE for a in answers[:limit])
check(f"{limit} disjoint UPDATEs fit (max_iotlb_entries)", ok == limit, f"{ok} accepted")
if ours:
    check("one more: ENOSPC", answers[limit] == -errno.ENOSPC, str(answers[limit]))
    iotlb_write(fd2, iotlb_msg(IOTLB_INVALIDATE, FAR, PAGE))
    check("after an INVALIDATE one fits again", flood_update(limit + 1) == IOTLB_MSG_SIZE)
else:
    # Stock retires its oldest entry instead (docs/compatibility.md).
    check("stock: one more is accepted (the oldest is retired)",
          answers[limit] == IOTLB_MSG_SIZE, str(answers[limit]))

# An INVALIDATE of size 0 at 0 is QEMU's flush of a whole device-TLB (its
# address mask ~0 plus one): both drop every entry (stock by wrapping).
check("INVALIDATE at 0 of size 0 accepted",
      iotlb_write(fd2, iotlb_msg(IOTLB_INVALIDATE, 0, 0)) == IOTLB_MSG_SIZE)
if ours:
    answers = [flood_update(i) for i in range(limit)]
    check("... and it emptied the table: a full table fits again",
          all(a == IOTLB_MSG_SIZE for a in answers),
          f"{sum(a == IOTLB_MSG_SIZE for a in answers)} accepted")

# RESET_OWNER frees the table and the IOTLB with it, as in stock.
check("RESET_OWNER", ioctl(fd2, RESET_OWNER) == 0)
check("after RESET_OWNER: UPDATE EFAULT (no IOTLB)", flood_update(0) == -errno.EFAULT)
check("after RESET_OWNER: nothing to read", read_errno(fd2) == errno.EAGAIN)
ioctl_ok(fd2, SET_OWNER)
ioctl_ok(fd2, SET_FEATURES, u64(PLATFORM))
check("a new owner starts with an empty table", flood_update(0) == IOTLB_MSG_SIZE)
os.close(fd2)

# ---- a full table (lwvhost only) ---------------------------------------------
# An UPDATE refused with ENOSPC leaves its queue waiting with guest
# notifications off; the next INVALIDATE frees room and the queue asks
# again. Stock retires its oldest entry instead: never full.

if ours:
    mem4 = GuestMem(1 << 20)
    tap4 = Tap("dpi2", 12)
    fd4 = os.open("/dev/vhost-net", os.O_RDWR | os.O_NONBLOCK)
    tlb4 = Iotlb(fd4, mem4)
    ioctl_ok(fd4, SET_BACKEND_FEATURES, u64(1 << BACKEND_F_IOTLB_MSG_V2))
    ioctl_ok(fd4, SET_OWNER)
    ioctl_ok(fd4, SET_FEATURES, u64(PLATFORM))
    ioctl_ok(fd4, SET_MEM_TABLE, mem4.table())
    rx4, tx4 = Ring(mem4, 0, NUM), Ring(mem4, 1, NUM)
    for r in (rx4, tx4):
        setup_ring(fd4, r)
        for part, size in zip((r.desc, r.avail, r.used), ring_sizes(r)):
            tlb4.update(part, size, ACCESS_RW)
        ioctl_ok(fd4, NET_SET_BACKEND, vfile(r.index, tap4.fd))
    junk = 0
    while iotlb_write(fd4, iotlb_msg(IOTLB_UPDATE, FAR + 2 * PAGE * junk, PAGE,
                                     mem4.uaddr(0), ACCESS_RW)) == IOTLB_MSG_SIZE:
        junk += 1
        if junk > limit:
            break
    check("full table: filled up to max_iotlb_entries", junk + 6 == limit, f"{junk} + 6")
    f9 = frame(9, 200)
    off9, len9 = tx_buffer(mem4, f9)
    tx4.add([(IOVA + off9, len9, False)])
    tx4.do_kick()
    m = wait_miss(fd4)
    check("full table: a MISS for the TX buffer", is_miss(m, IOVA + off9), str(m))
    check("full table: its UPDATE gets ENOSPC",
          tlb4.update(off9, len9, ACCESS_RO) == -errno.ENOSPC)
    check("full table: nothing goes", not tap4.recv_frames(1, timeout=0.3))
    check("INVALIDATE of one entry",
          iotlb_write(fd4, iotlb_msg(IOTLB_INVALIDATE, FAR, PAGE)) == IOTLB_MSG_SIZE)
    m = wait_miss(fd4)
    check("after the INVALIDATE the waiting queue asks again", is_miss(m, IOVA + off9), str(m))
    check("now its UPDATE fits", tlb4.update(off9, len9, ACCESS_RO) == IOTLB_MSG_SIZE)
    check("and the frame goes", tap4.recv_frames(1) == [f9])
    os.close(fd4)
    tap4.close()

# ---- dirty logging of IOVA writes, by GPA ----------------------------------

mem3 = GuestMem(1 << 20)
tap3 = Tap("dpi1", 12)
fd3 = os.open("/dev/vhost-net", os.O_RDWR | os.O_NONBLOCK)
tlb3 = Iotlb(fd3, mem3)
ioctl_ok(fd3, SET_BACKEND_FEATURES, u64(1 << BACKEND_F_IOTLB_MSG_V2))
ioctl_ok(fd3, SET_OWNER)
ioctl_ok(fd3, SET_FEATURES, u64(PLATFORM | 1 << F_LOG_ALL))
ioctl_ok(fd3, SET_MEM_TABLE, mem3.table())
log_bytes = (mem3.gpa + mem3.size) // PAGE // 8 + 1
log = mmap.mmap(-1, log_bytes, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
log_addr = ctypes.addressof(ctypes.c_char.from_buffer(log))
log_fd = os.eventfd(0, os.EFD_NONBLOCK)
ioctl_ok(fd3, SET_LOG_BASE, u64(log_addr))
ioctl_ok(fd3, SET_LOG_FD, struct.pack("i", log_fd))
rx3, tx3 = Ring(mem3, 0, NUM), Ring(mem3, 1, NUM)
for r in (rx3, tx3):
    setup_ring(fd3, r, log=True)
check("log: one UPDATE maps all guest memory",
      tlb3.update(0, mem3.size, ACCESS_RW) == IOTLB_MSG_SIZE)
check("log: SET_BACKEND (RX)", ioctl(fd3, NET_SET_BACKEND, vfile(rx3.index, tap3.fd)) == 0)


def bit(gpa):
    p = gpa // PAGE
    return bool(log[p // 8] & (1 << (p % 8)))


roff3 = mem3.alloc(3 * PAGE, PAGE)
rx3.add([(IOVA + roff3, 3 * PAGE, True)])
rx3.do_kick()
f8 = frame(8, 1400)
tap3.send(f8)
used = rx3.wait_used(1)
check("log: RX frame delivered", len(used) == 1, str(used))
time.sleep(0.1)
written = 12 + len(f8)
gpa = mem3.gpa_of(roff3)
pages = range(gpa // PAGE, (gpa + written - 1) // PAGE + 1)
check("log: the written buffer's pages are dirty, by GPA", all(bit(p * PAGE) for p in pages))
if ours:
    # lwvhost logs the bytes written; stock, with an IOTLB, logs every
    # byte of the buffers it mapped (more than needed, harmless).
    check("log: the buffer's untouched last page is clean", not bit(gpa + 2 * PAGE))
check("log: the used ring's page is dirty, by GPA", bit(mem3.gpa_of(rx3.used)))
check("log: the log eventfd was signalled", read_eventfd(log_fd, 1.0) > 0)
os.close(fd3)
tap3.close()

check.exit()
