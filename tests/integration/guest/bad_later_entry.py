#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Inside the VM: an RX ring with good buffers at avail entries 0..k-1 and an
out-of-range head at entry k, and k (or k+1) frames arriving. The frames
must fill the good buffers and be published in the used ring (stock does)
before the bad entry stops the ring (err eventfd). With k+1 frames the last
one meets the bad entry in the same handler pass as the good ones.

The same for TX. Usage: rx_bad_later_entry.py stock|lwvhost (one line per case)
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vhostlib import *  # noqa: E402,F401,F403

check = Ktap()
V1 = 1 << F_VERSION_1 | 1 << NET_F_MRG_RXBUF


def case(good, kick_first, extra):
    d = NetDev(V1, "rxb0", num=64)
    d.attach()
    rx = d.rings[d.RX]
    for i in range(good):
        off = d.mem.alloc(2048)
        rx.write_desc(i, d.mem.gpa_of(off), 2048, DESC_F_WRITE)
        rx.publish(i)
    rx.publish(64 + 1000)  # head out of range at entry `good`
    if kick_first:
        rx.do_kick()
        time.sleep(0.05)
    for s in range(good + extra):
        d.tap.send(frame(s, 200))
    if not kick_first:
        rx.do_kick()
    end = time.time() + 2
    while rx.used_idx() < good and time.time() < end:
        time.sleep(0.01)
    used, err = rx.used_idx(), read_eventfd(rx.err, 0.2)
    check(f"{good} good RX buffers before a bad head, {good + extra} frames "
          f"({'kick, then frames' if kick_first else 'frames, then kick'}): "
          f"all {good} used", used == good, f"(used {used}, err eventfd {'fired' if err else 'silent'})")
    d.close()


def tx_case(good):
    """TX: good frames at entries 0..k-1, a bad head at k, one kick: the k
    frames reach the tap and their buffers must come back in the used ring."""
    d = NetDev(V1, "txb0", num=64)
    d.attach()
    tx = d.rings[d.TX]
    for i in range(good):
        f = bytes(12) + frame(100 + i, 200)
        off = d.mem.alloc(len(f))
        d.mem.w(off, f)
        tx.write_desc(i, d.mem.gpa_of(off), len(f), 0)
        tx.publish(i)
    tx.publish(64 + 1000)
    tx.do_kick()
    got = d.tap.recv_frames(good, 2.0)
    time.sleep(0.1)
    used, err = tx.used_idx(), read_eventfd(tx.err, 0.2)
    check(f"TX: {good} good frames before a bad head: all sent and all {good} buffers used",
          len(got) == good and used == good,
          f"(sent {len(got)}, used {used}, err eventfd {'fired' if err else 'silent'})")
    d.close()


for good in (1, 3):
    for kick_first in (True, False):
        for extra in (0, 1):
            case(good, kick_first, extra)
for good in (1, 3):
    tx_case(good)
check.exit()
