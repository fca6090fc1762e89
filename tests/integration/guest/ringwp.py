# SPDX-License-Identifier: GPL-2.0
"""Inside the VM: userfaultfd traps on ring pages.

The vhost worker reads and writes the rings with get_user()/put_user(), so
on a write-protected page it stops in its next store, and on a page we
dropped it stops in its next load, until we let it go. Those are points in
the handler we can stop at, change the ring, and resume: races a timing
test would hit only by luck become deterministic.
"""

import ctypes
import errno
import fcntl
import os
import select
import struct
import time

NR_USERFAULTFD = 323  # x86-64
UFFD_API = 0xAA
MODE_MISSING = 1 << 0
MODE_WP = 1 << 1
WRITEPROTECT_MODE_WP = 1 << 0
EVENT_PAGEFAULT = 0x12
PAGE = 4096
MADV_DONTNEED = 4
MADV_NOHUGEPAGE = 15


def _ioc(direction, nr, size):
    return (direction << 30) | (size << 16) | (0xAA << 8) | nr


UFFDIO_API = _ioc(3, 0x3F, 24)
UFFDIO_REGISTER = _ioc(3, 0x00, 32)
UFFDIO_UNREGISTER = _ioc(2, 0x01, 16)
UFFDIO_COPY = _ioc(3, 0x03, 40)
UFFDIO_WRITEPROTECT = _ioc(3, 0x06, 24)

_libc = ctypes.CDLL(None, use_errno=True)


def page_range(addr, length):
    start = addr & ~(PAGE - 1)
    return start, ((addr + length + PAGE - 1) & ~(PAGE - 1)) - start


class Uffd:
    """One userfaultfd; ranges are registered write-protect or missing."""

    def __init__(self):
        fd = _libc.syscall(NR_USERFAULTFD, os.O_CLOEXEC | os.O_NONBLOCK)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "userfaultfd")
        self.fd = fd
        self.ranges = []
        fcntl.ioctl(fd, UFFDIO_API, bytearray(struct.pack("<QQQ", UFFD_API, 0, 0)))

    def register(self, addr, length, mode):
        start, n = page_range(addr, length)
        # A huge page would be trapped (and faulted) as a whole.
        _libc.madvise(ctypes.c_void_p(start), ctypes.c_size_t(n), MADV_NOHUGEPAGE)
        fcntl.ioctl(self.fd, UFFDIO_REGISTER, bytearray(struct.pack("<QQQQ", start, n, mode, 0)))
        self.ranges.append((start, n))
        return start, n

    def protect(self, rng, on=True):
        """Write-protect a WP range; off wakes a writer waiting in a fault.
        Only a populated page is protected: touch it first."""
        fcntl.ioctl(self.fd, UFFDIO_WRITEPROTECT,
                    bytearray(struct.pack("<QQQ", rng[0], rng[1], WRITEPROTECT_MODE_WP if on else 0)))

    def drop(self, rng):
        """Drop the pages of a missing-mode range: the next access faults."""
        if _libc.madvise(ctypes.c_void_p(rng[0]), ctypes.c_size_t(rng[1]), MADV_DONTNEED):
            raise OSError(ctypes.get_errno(), "madvise(MADV_DONTNEED)")

    def fill(self, rng, data):
        """Put data back into a dropped range (waking a reader waiting in a
        fault); False if the pages were present already."""
        src = ctypes.create_string_buffer(bytes(data), rng[1])
        arg = bytearray(struct.pack("<QQQQq", rng[0], ctypes.addressof(src), rng[1], 0, 0))
        try:
            fcntl.ioctl(self.fd, UFFDIO_COPY, arg)
        except OSError as e:
            if e.errno == errno.EEXIST:
                return False
            raise
        return True

    def wait_fault(self, timeout, spin=False):
        """The address of the next fault, or None after timeout s. spin:
        poll instead of sleeping (a sleeping vCPU is slow to wake in TCG)."""
        if spin:
            end = time.monotonic() + timeout
            while True:
                try:
                    msg = os.read(self.fd, 32)
                    break
                except BlockingIOError:
                    if time.monotonic() > end:
                        return None
        else:
            r, _, _ = select.select([self.fd], [], [], timeout)
            if not r:
                return None
            try:
                msg = os.read(self.fd, 32)
            except BlockingIOError:
                return None
        if msg[0] != EVENT_PAGEFAULT:
            raise RuntimeError(f"unexpected userfaultfd event {msg[0]:#x}")
        return struct.unpack("<QQ", msg[8:24])[1]

    def close(self):
        """Forget every range (waking anyone still waiting) and close."""
        try:
            for start, n in self.ranges:
                fcntl.ioctl(self.fd, UFFDIO_UNREGISTER, bytearray(struct.pack("<QQ", start, n)))
        finally:
            os.close(self.fd)


def within(addr, rng):
    return rng[0] <= addr < rng[0] + rng[1]
