#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Inside the VM: keep TX and RX busy through /dev/vhost-net until killed.

Prints "flooding" once traffic flows. Used to check that killing the owner
mid-flood, and unloading the module afterwards, is clean.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vhostlib import *  # noqa: E402,F401,F403

d = NetDev(1 << F_VERSION_1 | 1 << NET_F_MRG_RXBUF | 1 << F_EVENT_IDX, sys.argv[1])
d.attach()
frames = [frame(i, 600) for i in range(64)]
# One TX buffer per frame, written once and queued again each round: fresh
# buffers per round would use up the guest memory within seconds.
slots = [d.tx_buffer(f) for f in frames]
tx, rx = d.rings[d.TX], d.rings[d.RX]
d.post_rx(128)
announced = False
while True:
    queued = min(len(tx.free), len(slots))
    for s in slots[:queued]:
        tx.add([s])
    tx.do_kick()
    tx.wait_used(queued, 2.0)
    for f in frames[:32]:
        try:
            d.tap.send(f)
        except BlockingIOError:
            break
    done = rx.pop_used()
    for i, _ in done:
        d.repost_rx(i)
    rx.do_kick()
    d.tap.recv_frames(64, 0.01)
    if not announced:
        print("flooding", flush=True)
        announced = True
