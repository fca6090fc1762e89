#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Inside the VM: ioctl-level behaviour of /dev/vhost-net.

Usage: datapath_ioctl.py stock|lwvhost

Where lwvhost deliberately differs from stock (stricter memory-table
validation, IOTLB batching offered), the expected value depends on the
argument; everything else must be identical.
"""

import errno
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vhostlib import *  # noqa: E402,F401,F403
from vhostlib import _io  # noqa: E402

impl = sys.argv[1] if len(sys.argv) > 1 else "lwvhost"
ours = impl == "lwvhost"
check = Ktap()


# ioctl numbers lwvhost does not implement: an unused number, and the
# fork-from-owner pair where this kernel's UAPI lacks it (where it has it,
# datapath_worker_mode.py tests them). They get ENOTTY whoever asks and
# whatever the device's state, before any ownership or argument check.
UNKNOWN_IOCTLS = {"_IO(VHOST, 0x7f)": (_io(0x7F), 0)}
if not fork_from_owner_expected("lwvhost"):
    UNKNOWN_IOCTLS["SET_FORK_FROM_OWNER"] = (SET_FORK_FROM_OWNER, bytes([1]))
    UNKNOWN_IOCTLS["GET_FORK_FROM_OWNER"] = (GET_FORK_FROM_OWNER, bytearray(1))


def check_unknown_ioctls(fd, when, caller=lambda fn: fn()):
    """Each unknown ioctl on fd, issued through caller, gives ENOTTY on
    lwvhost; stock's answers are recorded only (it checks the owner
    first)."""
    for name, (req, arg) in UNKNOWN_IOCTLS.items():
        got = caller(lambda: ioctl(fd, req, arg))
        if ours:
            check(f"{name} {when}: ENOTTY", got == errno.ENOTTY,
                  errno.errorcode.get(got, str(got)))
        else:
            print(f"info stock: {name} {when} -> {errno.errorcode.get(got, got)}")




mem = GuestMem(1 << 20)
fd = os.open("/dev/vhost-net", os.O_RDWR)

features = get64(fd, GET_FEATURES)
want = [F_NOTIFY_ON_EMPTY, F_ANY_LAYOUT, F_INDIRECT, F_EVENT_IDX, F_LOG_ALL, F_VERSION_1,
        NET_F_MRG_RXBUF, NET_F_VIRTIO_NET_HDR]
check("GET_FEATURES before owner offers the data-path features",
      all(features & (1 << b) for b in want), hex(features))
check("no packed rings offered", not features & (1 << F_RING_PACKED))
# The device IOTLB: ACCESS_PLATFORM is offered by both; stock vhost-net's
# backend features are MSG_V2 only, lwvhost adds IOTLB_BATCH
# (docs/compatibility.md). Bit 3, IOTLB_ASID, is vDPA's: refused by both.
check("ACCESS_PLATFORM offered", bool(features & (1 << F_ACCESS_PLATFORM)), hex(features))
backend = get64(fd, GET_BACKEND_FEATURES)
want_backend = (1 << BACKEND_F_IOTLB_MSG_V2) | ((1 << BACKEND_F_IOTLB_BATCH) if ours else 0)
check("GET_BACKEND_FEATURES: IOTLB message formats", backend == want_backend, hex(backend))
check("SET_BACKEND_FEATURES IOTLB_MSG_V2 accepted",
      ioctl(fd, SET_BACKEND_FEATURES, u64(1 << BACKEND_F_IOTLB_MSG_V2)) == 0)
check("SET_BACKEND_FEATURES IOTLB_ASID refused",
      ioctl(fd, SET_BACKEND_FEATURES, u64(1 << 3)) == errno.EOPNOTSUPP)
check("SET_BACKEND_FEATURES 0 accepted", ioctl(fd, SET_BACKEND_FEATURES, u64(0)) == 0)
check("SET_FEATURES with an unknown bit refused",
      ioctl(fd, SET_FEATURES, u64(1 << F_RING_PACKED)) == errno.EOPNOTSUPP)

check_unknown_ioctls(fd, "before SET_OWNER")
check("SET_MEM_TABLE before owner: EPERM", ioctl(fd, SET_MEM_TABLE, mem.table()) == errno.EPERM)
check("SET_VRING_NUM before owner: EPERM",
      ioctl(fd, SET_VRING_NUM, state(0, 256)) == errno.EPERM)
check("SET_OWNER", ioctl(fd, SET_OWNER) == 0)
check("second SET_OWNER: EBUSY", ioctl(fd, SET_OWNER) == errno.EBUSY)
check_unknown_ioctls(fd, "by the owner")
workers = worker_threads(os.getpid())
check("one worker named vhost-<owner pid>", len(workers) == 1, str(workers))
check("SET_FEATURES by owner", ioctl(fd, SET_FEATURES, u64(1 << F_VERSION_1)) == 0)

# Memory table validation.
A = mem.addr
check("empty memory table accepted", ioctl(fd, SET_MEM_TABLE, mem_table([])) == 0)
check("one region accepted", ioctl(fd, SET_MEM_TABLE, mem.table()) == 0)
check("two disjoint regions accepted", ioctl(fd, SET_MEM_TABLE, mem_table(
    [(0x100000, 0x80000, A), (0x0, 0x80000, A + 0x80000)])) == 0)
check("64 regions accepted", ioctl(fd, SET_MEM_TABLE, mem_table(
    [(i * 0x4000, 0x4000, A + i * 0x4000) for i in range(64)])) == 0)
check("65 regions: E2BIG", ioctl(fd, SET_MEM_TABLE, mem_table(
    [(i * 0x4000, 0x4000, A) for i in range(65)])) == errno.E2BIG)
check("padding set: EOPNOTSUPP",
      ioctl(fd, SET_MEM_TABLE, struct.pack("<II", 0, 1)) == errno.EOPNOTSUPP)
kernel = ioctl(fd, SET_MEM_TABLE, mem_table([(0, 0x1000, 0xFFFF888000000000)]))
zero = ioctl(fd, SET_MEM_TABLE, mem_table([(0, 0, A)]))
overlap = ioctl(fd, SET_MEM_TABLE, mem_table([(0, 0x2000, A), (0x1000, 0x2000, A)]))
wrap = ioctl(fd, SET_MEM_TABLE, mem_table([(0xFFFFFFFFFFFFF000, 0x2000, A)]))
if ours:
    check("region in kernel space: EFAULT", kernel == errno.EFAULT, str(kernel))
    check("zero-size region: EINVAL", zero == errno.EINVAL, str(zero))
    check("overlapping regions: EINVAL", overlap == errno.EINVAL, str(overlap))
    check("guest range wrapping 2^64: EINVAL", wrap == errno.EINVAL, str(wrap))
else:
    # Stock checks regions only against running rings, and its interval
    # tree takes overlaps; record what it does.
    print(f"info stock: kernel-space -> {kernel}, zero-size -> {zero}, "
          f"overlap -> {overlap}, wrap -> {wrap}")
check("failed SET_MEM_TABLE keeps the old table usable",
      ioctl(fd, SET_MEM_TABLE, mem.table()) == 0)

# Ring setup validation.
check("ring index 2: ENOBUFS", ioctl(fd, SET_VRING_NUM, state(2, 256)) == errno.ENOBUFS)
for n in (0, 3, 0x10000):
    check(f"SET_VRING_NUM {n}: EINVAL", ioctl(fd, SET_VRING_NUM, state(0, n)) == errno.EINVAL)
check("SET_VRING_NUM 256", ioctl(fd, SET_VRING_NUM, state(0, 256)) == 0)
check("SET_VRING_BASE 0x10000: EINVAL",
      ioctl(fd, SET_VRING_BASE, state(0, 0x10000)) == errno.EINVAL)
check("SET_VRING_BASE 7", ioctl(fd, SET_VRING_BASE, state(0, 7)) == 0)
buf = bytearray(state(0, 0))
fcntl.ioctl(fd, GET_VRING_BASE, buf)
check("GET_VRING_BASE returns 7", struct.unpack("<II", buf) == (0, 7), str(struct.unpack("<II", buf)))
check("SET_VRING_ADDR with unknown flag: EOPNOTSUPP", ioctl(fd, SET_VRING_ADDR, struct.pack(
    "<IIQQQQ", 0, 2, A, A + 8192, A + 4096, 0)) == errno.EOPNOTSUPP)
check("SET_VRING_ADDR misaligned used: EINVAL", ioctl(fd, SET_VRING_ADDR, struct.pack(
    "<IIQQQQ", 0, 0, A, A + 8194, A + 4096, 0)) == errno.EINVAL)
check("SET_VRING_ADDR misaligned avail: EINVAL", ioctl(fd, SET_VRING_ADDR, struct.pack(
    "<IIQQQQ", 0, 0, A, A + 8192, A + 4097, 0)) == errno.EINVAL)
check("SET_VRING_ENDIAN: ENOTTY (LE-only build)",
      ioctl(fd, SET_VRING_ENDIAN, state(0, 0)) == errno.ENOTTY)
check("GET_VRING_ENDIAN: ENOTTY (LE-only build)",
      ioctl(fd, GET_VRING_ENDIAN, bytearray(state(0, 0))) == errno.ENOTTY)

# Busyloop timeout: stored per ring, echoed with the ring index.
check("SET_VRING_BUSYLOOP_TIMEOUT 50 on ring 1",
      ioctl(fd, SET_VRING_BUSYLOOP_TIMEOUT, state(1, 50)) == 0)
buf = bytearray(state(1, 0))
fcntl.ioctl(fd, GET_VRING_BUSYLOOP_TIMEOUT, buf)
check("GET_VRING_BUSYLOOP_TIMEOUT ring 1 is 50", struct.unpack("<II", buf) == (1, 50))
buf = bytearray(state(0, 0))
fcntl.ioctl(fd, GET_VRING_BUSYLOOP_TIMEOUT, buf)
check("ring 0 timeout still 0", struct.unpack("<II", buf) == (0, 0))
ioctl_ok(fd, SET_VRING_BUSYLOOP_TIMEOUT, state(1, 0))

# Backend attach rules.
reg = os.open("/proc/self/status", os.O_RDONLY)
check("SET_BACKEND with a non-tap fd: ENOTSOCK",
      ioctl(fd, NET_SET_BACKEND, vfile(0, reg)) == errno.ENOTSOCK)
check("SET_BACKEND ring 2: ENOBUFS", ioctl(fd, NET_SET_BACKEND, vfile(2, -1)) == errno.ENOBUFS)
ring = Ring(mem, 0, 256)
ring.setup(fd)
tap = Tap("dpi0")
check("SET_BACKEND tap", ioctl(fd, NET_SET_BACKEND, vfile(0, tap.fd)) == 0)
check("SET_VRING_NUM while running: EBUSY",
      ioctl(fd, SET_VRING_NUM, state(0, 128)) == errno.EBUSY)
check("SET_VRING_BASE while running: EBUSY",
      ioctl(fd, SET_VRING_BASE, state(0, 0)) == errno.EBUSY)
check("SET_BACKEND same tap again", ioctl(fd, NET_SET_BACKEND, vfile(0, tap.fd)) == 0)
check("SET_BACKEND -1 detaches", ioctl(fd, NET_SET_BACKEND, vfile(0, -1)) == 0)
check("SET_VRING_NUM after detach", ioctl(fd, SET_VRING_NUM, state(0, 256)) == 0)

# Another process on the same fd.
check("child SET_MEM_TABLE: EPERM",
      in_child(lambda: ioctl(fd, SET_MEM_TABLE, mem.table())) == errno.EPERM)
check("child SET_VRING_NUM: EPERM",
      in_child(lambda: ioctl(fd, SET_VRING_NUM, state(0, 256))) == errno.EPERM)
check("child NET_SET_BACKEND: EPERM",
      in_child(lambda: ioctl(fd, NET_SET_BACKEND, vfile(0, -1))) == errno.EPERM)
check("child RESET_OWNER: EPERM", in_child(lambda: ioctl(fd, RESET_OWNER)) == errno.EPERM)
check_unknown_ioctls(fd, "by a non-owner", in_child)

# Reset owner: device back to fresh, any process may own it.
check("RESET_OWNER", ioctl(fd, RESET_OWNER) == 0)
check("worker gone after RESET_OWNER", worker_gone(os.getpid()))
check("after reset, SET_MEM_TABLE needs an owner",
      ioctl(fd, SET_MEM_TABLE, mem.table()) == errno.EPERM)
check("child can become owner after reset", in_child(lambda: ioctl(fd, SET_OWNER)) == 0)
check("parent now refused: EPERM", ioctl(fd, SET_MEM_TABLE, mem.table()) == errno.EPERM)
os.close(fd)

# Close with a running backend and owner set: everything released.
fd = os.open("/dev/vhost-net", os.O_RDWR)
ioctl_ok(fd, SET_OWNER)
ioctl_ok(fd, SET_FEATURES, u64(1 << F_VERSION_1))
ioctl_ok(fd, SET_MEM_TABLE, mem.table())
ring = Ring(mem, 0, 256)
ring.setup(fd)
check("attach before close", ioctl(fd, NET_SET_BACKEND, vfile(0, tap.fd)) == 0)
os.close(fd)
check("worker gone after close", worker_gone(os.getpid()))
tap.close()
check.exit()
