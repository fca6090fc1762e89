#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Inside the VM: dirty logging for live migration.

VHOST_F_LOG_ALL with a log bitmap and VHOST_VRING_F_LOG on both rings:
after RX and TX traffic, the bit of every guest page the device wrote (RX
buffers up to the written length, both used rings) must be set, the log
eventfd signalled, and pages the device only read (TX buffers) left clear.
"""

import ctypes
import mmap
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vhostlib import *  # noqa: E402,F401,F403

check = Ktap()
features = 1 << F_VERSION_1 | 1 << NET_F_MRG_RXBUF | 1 << F_EVENT_IDX | 1 << F_LOG_ALL

d = NetDev(features, "dpl0", log_gpa=True)
mem = d.mem
log_bytes = (mem.gpa + mem.size) // PAGE // 8 + 1
log = mmap.mmap(-1, log_bytes, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
log_addr = ctypes.addressof(ctypes.c_char.from_buffer(log))
log_fd = os.eventfd(0, os.EFD_NONBLOCK)
ioctl_ok(d.fd, SET_LOG_BASE, u64(log_addr))
ioctl_ok(d.fd, SET_LOG_FD, struct.pack("i", log_fd))


def bit(gpa):
    p = gpa // PAGE
    return bool(log[p // 8] & (1 << (p % 8)))


def pages(gpa, length):
    return range(gpa // PAGE, (gpa + length - 1) // PAGE + 1)


# TX buffers are placed first so they sit on their own pages.
tx_frames = [frame(i, 1400) for i in range(40)]
mem.alloc(0, PAGE)
d.tx_start = mem.next
d.attach()
d.tx(tx_frames)
tx_end = mem.next
got = d.tap.recv_frames(40)
d.rings[d.TX].wait_used(40)
check("TX frames delivered with logging on", got == tx_frames, f"(got {len(got)})")

# RX buffers: 3000 bytes each, so each frame spans pages.
mem.alloc(0, PAGE)
d.post_rx(30, 3000)
rx_frames = [frame(100 + i, 1400) for i in range(30)]
for f in rx_frames:
    d.tap.send(f)
used = d.rings[d.RX].wait_used(30)
check("RX frames delivered with logging on", len(used) == 30, f"(got {len(used)})")
time.sleep(0.1)

missing = []
for entry in used:
    i, ln = entry
    left = ln
    for gpa, size, _ in d.bufs[i]:
        n = min(size, left)
        if n <= 0:
            break
        missing += [p for p in pages(gpa, n) if not bit(p * PAGE)]
        left -= n
check("every written RX buffer page is dirty", not missing, f"(missing pages {missing[:5]})")

for r in d.rings:
    used_gpa = mem.gpa_of(r.used)
    ok = all(bit(p * PAGE) for p in pages(used_gpa, 4 + 8 * r.num + 2))
    check(f"used ring of ring {r.index} is dirty", ok)

tx_pages = set(pages(mem.gpa_of(d.tx_start), tx_end - d.tx_start))
dirty_tx = [p for p in tx_pages if bit(p * PAGE)]
check("TX buffer pages (only read) are clean", not dirty_tx, f"(dirty {dirty_tx[:5]})")
check("log eventfd signalled", read_eventfd(log_fd) > 0)

# Clear the log as the owner would during migration, and see it refill.
log[:] = bytes(log_bytes)
d.post_rx(1, 3000)
d.tap.send(frame(999, 600))
u = d.rings[d.RX].wait_used(1)
time.sleep(0.05)
if u:
    gpa = d.bufs[u[0][0]][0][0]
    check("after clearing, a new RX write is logged again", bit(gpa) and bit(mem.gpa_of(d.rings[0].used)))
else:
    check("after clearing, a new RX write is logged again", False, "(no RX)")
d.close()
check.exit()
