#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Inside the VM: readers of a device's state while its owner keeps
replacing the worker (issue 14: info and DEV_GET read the worker's thread
id; the worker is freed by VHOST_RESET_OWNER).

Usage: owner_churn.py [--seconds S] [--readers N]   (lwvhost loaded)

The owner loops SET_OWNER, rings attached to a tap, a few frames sent (the
worker runs), RESET_OWNER (the worker goes away). N reader processes loop
over /proc/lwvhost/<id>/info, .../stats and a genetlink DEV_GET of the same
device. Every read must succeed; a use-after-free shows as a kernel
complaint (KASAN on the debug kernel), which the VM harness catches.
Prints CHURN {json}; exit 1 if a read failed or nothing was exercised.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lwvhost_genl import Genl, GenlError  # noqa: E402
from vhostlib import (F_VERSION_1, RESET_OWNER, SET_FEATURES, SET_MEM_TABLE,  # noqa: E402
                      SET_OWNER, GuestMem, NetDev, Ring, Tap, frame, ioctl_ok, u64, vfile,
                      NET_SET_BACKEND)

FEATURES = 1 << F_VERSION_1
RING = 64


def owner_loop(fd, tap, seconds):
    """Cycles of owner, worker, traffic and reset until seconds pass."""
    mem = GuestMem(1 << 20)
    cycles = frames = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        mem.next = 0
        mem.w(0, bytes(64 << 10))  # fresh rings each cycle
        ioctl_ok(fd, SET_OWNER)
        ioctl_ok(fd, SET_FEATURES, u64(FEATURES))
        ioctl_ok(fd, SET_MEM_TABLE, mem.table())
        rings = [Ring(mem, 0, RING), Ring(mem, 1, RING)]
        for r in rings:
            r.setup(fd)
        for r in rings:
            ioctl_ok(fd, NET_SET_BACKEND, vfile(r.index, tap.fd))
        tx = rings[NetDev.TX]
        for i in range(4):
            data = bytes(12) + frame(cycles * 4 + i)
            off = mem.alloc(len(data))
            mem.w(off, data)
            tx.add([(mem.gpa_of(off), len(data), False)])
        tx.do_kick()
        frames += len(tx.wait_used(4, timeout=2.0))
        ioctl_ok(fd, RESET_OWNER)
        for r in rings:
            for efd in (r.kick, r.call, r.err):
                os.close(efd)
        cycles += 1
        tap.recv_frames(64, timeout=0)  # keep the far end's queue short
    return {"cycles": cycles, "frames": frames}


def reader_loop(dev, seconds, w):
    """Reads until seconds pass; writes a JSON summary to fd w."""
    genl = Genl()
    counts = {"info": 0, "stats": 0, "genl": 0}
    failures = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for kind in counts:
            try:
                if kind == "genl":
                    ok = genl.get(dev)["id"] == dev
                else:
                    with open(f"/proc/lwvhost/{dev}/{kind}") as f:
                        text = f.read()
                    ok = (f"id {dev}\n" in text) if kind == "info" else "tx_packets" in text
                if not ok:
                    failures.append(f"{kind}: unexpected content")
            except (OSError, GenlError) as e:
                failures.append(f"{kind}: {e}")
            counts[kind] += 1
    os.write(w, json.dumps({"counts": counts, "failures": failures[:10],
                            "failed": len(failures)}).encode())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--readers", type=int, default=2)
    args = ap.parse_args()

    tap = Tap("ch0")
    before = {d for d in os.listdir("/proc/lwvhost")}
    fd = os.open("/dev/vhost-net", os.O_RDWR)
    dev = int(({d for d in os.listdir("/proc/lwvhost")} - before).pop())
    readers = []
    for _ in range(args.readers):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                reader_loop(dev, args.seconds + 0.5, w)
            finally:
                os._exit(0)
        os.close(w)
        readers.append((pid, r))
    owner = owner_loop(fd, tap, args.seconds)
    results = []
    for pid, r in readers:
        data = b""
        while chunk := os.read(r, 65536):
            data += chunk
        os.waitpid(pid, 0)
        results.append(json.loads(data) if data else {"failed": -1, "counts": {}})
    os.close(fd)
    tap.close()
    doc = {"dev": dev, "owner": owner, "readers": results}
    print("CHURN " + json.dumps(doc), flush=True)
    ok = (owner["cycles"] > 0 and owner["frames"] == 4 * owner["cycles"]
          and all(x["failed"] == 0 and min(x["counts"].values(), default=0) > 0
                  for x in results))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
