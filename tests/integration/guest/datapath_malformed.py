#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Inside the VM: malformed rings must stop the ring with the err eventfd
signalled, never use a buffer, never read outside the memory table, never
hang. Each case uses a fresh device; the VM runner fails the test on any
kernel complaint.

Usage: datapath_malformed.py stock|lwvhost
(lwvhost additionally stops the ring: later kicks do not re-signal.)
"""

import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vhostlib import *  # noqa: E402,F401,F403

impl = sys.argv[1] if len(sys.argv) > 1 else "lwvhost"
check = Ktap()
V1 = 1 << F_VERSION_1 | 1 << NET_F_MRG_RXBUF | 1 << F_INDIRECT


def run_case(name, build, ring_index=1):
    d = NetDev(V1, "dpm0", num=16)
    d.attach()
    ring = d.rings[ring_index]
    read_eventfd(ring.err, 0.05)
    build(d, ring)
    ring.do_kick()
    signalled = read_eventfd(ring.err, 2.0) > 0
    check(f"{name}: err eventfd signalled", signalled)
    check(f"{name}: no buffer used", ring.used_idx() == 0, f"(used idx {ring.used_idx()})")
    if impl == "lwvhost":
        ring.do_kick()
        time.sleep(0.1)
        check(f"{name}: ring stays stopped (no new error on kick)", read_eventfd(ring.err) == 0)
    # Good traffic on the other ring still flows.
    if ring_index == 1:
        d.post_rx(4)
        d.tap.send(frame(9))
        check(f"{name}: the RX ring still works", len(d.rings[0].wait_used(1)) == 1)
    t = time.time()
    d.close()
    check(f"{name}: device closes promptly", time.time() - t < 2.0)


def tx_buf(d, size=64):
    off = d.mem.alloc(size)
    d.mem.w(off, bytes(12) + frame(1, size - 12))
    return d.mem.gpa_of(off)


def loop(d, r):
    g = tx_buf(d)
    r.write_desc(0, g, 64, DESC_F_NEXT, 1)
    r.write_desc(1, g, 64, DESC_F_NEXT, 0)
    r.publish(0)


def outside(d, r):
    r.write_desc(0, 0x1000, 64, 0)  # below the table (gpa base 0x40000000)
    r.publish(0)


def past_end(d, r):
    r.write_desc(0, d.mem.gpa + d.mem.size - 32, 64, 0)  # straddles the end
    r.publish(0)


def huge_len(d, r):
    r.write_desc(0, d.mem.gpa, 0xFFFFFFFF, 0)
    r.publish(0)


def wrap_addr(d, r):
    r.write_desc(0, 0xFFFFFFFFFFFFFFF0, 64, 0)
    r.publish(0)


def next_oob(d, r):
    r.write_desc(0, tx_buf(d), 64, DESC_F_NEXT, 16)
    r.publish(0)


def head_oob(d, r):
    d.mem.w16(r.avail + 4, 16)
    r.avail_idx = 1
    d.mem.w16(r.avail + 2, 1)


def idx_jump(d, r):
    r.write_desc(0, tx_buf(d), 64, 0)
    d.mem.w16(r.avail + 2, 17)  # 17 new entries in a 16-entry ring


def ind_len(d, r):
    t = d.mem.alloc(64)
    d.mem.w(t, struct.pack("<QIHH", tx_buf(d), 64, 0, 0))
    r.write_desc(0, d.mem.gpa_of(t), 24, DESC_F_INDIRECT)  # not a multiple of 16
    r.publish(0)


def ind_nested(d, r):
    t = d.mem.alloc(32)
    d.mem.w(t, struct.pack("<QIHH", d.mem.gpa_of(t), 16, DESC_F_INDIRECT, 0))
    r.write_desc(0, d.mem.gpa_of(t), 16, DESC_F_INDIRECT)
    r.publish(0)


def ind_loop(d, r):
    t = d.mem.alloc(32)
    g = tx_buf(d)
    d.mem.w(t, struct.pack("<QIHH", g, 64, DESC_F_NEXT, 1) + struct.pack("<QIHH", g, 64, DESC_F_NEXT, 0))
    r.write_desc(0, d.mem.gpa_of(t), 32, DESC_F_INDIRECT)
    r.publish(0)


def ind_next(d, r):
    # Chaining past an indirect table (the spec forbids it; stock follows
    # next, lwvhost refuses: see vhost_vq_get_desc).
    t = d.mem.alloc(16)
    d.mem.w(t, struct.pack("<QIHH", tx_buf(d), 64, 0, 0))
    r.write_desc(0, d.mem.gpa_of(t), 16, DESC_F_INDIRECT | DESC_F_NEXT, 1)
    r.write_desc(1, tx_buf(d), 64, 0)
    r.publish(0)


def ind_outside(d, r):
    r.write_desc(0, 0x2000, 64, DESC_F_INDIRECT)
    r.publish(0)


def tx_writable(d, r):
    r.write_desc(0, tx_buf(d), 64, DESC_F_WRITE)
    r.publish(0)


def rx_readable(d, r):
    off = d.mem.alloc(2048)
    r.write_desc(0, d.mem.gpa_of(off), 2048, 0)
    r.publish(0)
    d.tap.send(frame(3))


run_case("descriptor loop", loop)
run_case("buffer outside the memory table", outside)
run_case("buffer running past the table end", past_end)
run_case("4 GiB descriptor length", huge_len)
run_case("buffer address wrapping 2^64", wrap_addr)
run_case("next pointer out of the ring", next_oob)
run_case("avail head out of the ring", head_oob)
run_case("avail idx jumping more than the ring size", idx_jump)
run_case("indirect table length not a multiple of 16", ind_len)
run_case("nested indirect table", ind_nested)
run_case("loop inside an indirect table", ind_loop)
run_case("indirect table outside the memory table", ind_outside)
if impl == "lwvhost":
    run_case("indirect descriptor that also has NEXT", ind_next)
run_case("writable descriptor on TX", tx_writable)
run_case("readable descriptor on RX", rx_readable, ring_index=0)
check.exit()
