#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Inside the VM: VIRTIO_F_RING_RESET, driven the way QEMU drives it for a
guest's per-queue reset (`ethtool -G`, AF_XDP): detach the one ring's
backend (NET_SET_BACKEND -1), read its base (GET_VRING_BASE), set it up
again at new addresses with a new size and index 0 (SET_VRING_*), attach
it again. The other ring must not notice: frames it was moving when the
reset began all arrive, in order, and its calls keep coming. Then the
reset ring carries traffic from its new start. lwvhost runs it once more
with pacing and coalescing on (module defaults for the new device).

Usage: datapath_ring_reset.py stock|lwvhost  (that backend loaded)
"""

import fcntl
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vhostlib import *  # noqa: E402,F401,F403

impl = sys.argv[1] if len(sys.argv) > 1 else "lwvhost"
check = Ktap()
FEATURES = 1 << F_VERSION_1 | 1 << NET_F_MRG_RXBUF | 1 << F_EVENT_IDX | 1 << F_RING_RESET
PARAMS = "/sys/module/vhost_net/parameters"
PACING = {"rx_poll_interval_us": 200, "tx_poll_interval_us": 200,
          "rx_coalesce_usecs": 100, "rx_coalesce_frames": 16, "tx_coalesce_usecs": 100}


def reset_ring(d, index, num):
    """QEMU's queue reset of ring index; returns the base it read."""
    ioctl_ok(d.fd, NET_SET_BACKEND, vfile(index, -1))
    buf = bytearray(state(index, 0))
    fcntl.ioctl(d.fd, GET_VRING_BASE, buf)
    d.rings[index] = Ring(d.mem, index, num)
    d.rings[index].setup(d.fd)
    if index == d.RX:
        d.bufs = {}  # the buffers of the old ring are forgotten with it
    ioctl_ok(d.fd, NET_SET_BACKEND, vfile(index, d.tap.fd))
    return struct.unpack("<II", buf)[1]


def scenario(label):
    d = NetDev(FEATURES, "drr0", mem_size=8 << 20)
    d.post_rx(200)
    d.attach()
    tx, rx = d.rings[d.TX], d.rings[d.RX]

    # Reset RX while TX frames are in flight.
    out = [frame(i, 400) for i in range(150)]
    d.tx(out)
    used_before = rx.used_idx()
    base = reset_ring(d, d.RX, 128)
    check(f"{label}: RX reset: GET_VRING_BASE gave the buffers the old ring used",
          base == used_before, f"base {base}, used {used_before}")
    check(f"{label}: RX reset: every TX frame in flight left the tap, in order",
          d.tap.recv_frames(150) == out)
    check(f"{label}: RX reset: TX used all 150", len(tx.wait_used(150)) == 150)
    check(f"{label}: RX reset: TX still signalled", read_eventfd(tx.call, 1.0) > 0)
    d.post_rx(100)
    into = [frame(1000 + i, 300) for i in range(100)]
    for f in into:
        d.tap.send(f)
    check(f"{label}: RX reset: the new 128-entry ring receives from index 0",
          d.rx_test_frames(100) == into)
    check(f"{label}: RX reset: RX signalled", read_eventfd(d.rings[d.RX].call, 1.0) > 0)

    # Reset TX while RX frames arrive.
    d.post_rx(80)
    into = [frame(2000 + i, 300) for i in range(80)]
    for f in into[:40]:
        d.tap.send(f)
    base = reset_ring(d, d.TX, 128)
    check(f"{label}: TX reset: GET_VRING_BASE gave the 150 frames sent", base == 150, str(base))
    for f in into[40:]:
        d.tap.send(f)
    check(f"{label}: TX reset: RX got every frame sent around it, in order",
          d.rx_test_frames(80) == into)
    out = [frame(3000 + i, 500) for i in range(100)]
    d.tx(out)
    check(f"{label}: TX reset: the new 128-entry ring sends", d.tap.recv_frames(100) == out)
    check(f"{label}: TX reset: TX used all 100", len(d.rings[d.TX].wait_used(100)) == 100)
    check(f"{label}: no ring error on either ring",
          read_eventfd(d.rings[d.RX].err) == 0 and read_eventfd(d.rings[d.TX].err) == 0)
    d.close()


fd = os.open("/dev/vhost-net", os.O_RDWR)
buf = bytearray(8)
fcntl.ioctl(fd, GET_FEATURES, buf)
os.close(fd)
offered = bool(struct.unpack("<Q", buf)[0] & (1 << F_RING_RESET))
if impl == "stock" and not offered:
    # Debian's 6.1 stock vhost_net does not offer it (6.12's does);
    # lwvhost offers it on both.
    check.skip("ring reset", "stock vhost_net on this kernel does not offer RING_RESET")
    check.exit()
check("GET_FEATURES offers RING_RESET", offered)
scenario("event mode")
if impl == "lwvhost":
    saved = {k: open(f"{PARAMS}/{k}").read().strip() for k in PACING}
    try:
        for k, v in PACING.items():
            open(f"{PARAMS}/{k}", "w").write(str(v))
        scenario("paced")
    finally:
        for k, v in saved.items():
            open(f"{PARAMS}/{k}", "w").write(v)
check.exit()
