#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Try every read and write of lwvhost device DEV as whoever runs this
(an unprivileged user, root without CAP_NET_ADMIN, root of a user or pid
namespace, or root) and print what the kernel said, one JSON line:

    UNPRIV {"uid": .., "cap_eff": "..", "errno": {ACCESS: errno, ...}, "seen": {...}}

    lwvhost_unprivileged.py DEV [VALUE]

errno 0 means allowed. Writes put VALUE (default 5) into tx_poll_interval_us,
over procfs and genetlink; a caller that may write should pass the current
value. "seen" holds owner_pid/worker_tid as this caller's pid namespace gets
them, from info and DEV_GET, where those were readable. Reading device state
needs CAP_NET_ADMIN in the initial user namespace: this reports, the
caller judges.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lwvhost_genl import Genl, GenlError  # noqa: E402

ROOT = "/proc/lwvhost"
KNOB = "tx_poll_interval_us"


def attempt(fn):
    """errno of fn() (0: it worked) and its value."""
    try:
        return 0, fn()
    except GenlError as e:
        return e.errno, None
    except OSError as e:
        return e.errno, None


def read(path):
    with open(path) as f:
        return f.read()


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def info_pids(text):
    fields = dict(line.split(" ", 1) for line in text.splitlines() if " " in line)
    return {"owner_pid": int(fields["owner_pid"]), "worker_tid": int(fields["worker_tid"])}


def cap_eff():
    for line in open("/proc/self/status"):
        if line.startswith("CapEff:"):
            return line.split()[1]
    return None


def main():
    dev = int(sys.argv[1])
    value = sys.argv[2] if len(sys.argv) > 2 else "5"
    d = f"{ROOT}/{dev}"
    errs, seen = {}, {}
    errs["list_root"], _ = attempt(lambda: os.listdir(ROOT))
    errs["list_dev"], _ = attempt(lambda: os.listdir(d))
    errs["stats"], _ = attempt(lambda: read(f"{d}/stats"))
    errs["info"], info = attempt(lambda: read(f"{d}/info"))
    if info:
        seen["info"] = info_pids(info)
    errs["knob_read"], _ = attempt(lambda: read(f"{d}/{KNOB}"))
    errs["knob_write"], _ = attempt(lambda: write(f"{d}/{KNOB}", value))
    genl = Genl()
    errs["genl_get"], got = attempt(lambda: genl.get(dev))
    if got:
        seen["genl"] = {k: got.get(k) for k in ("owner_pid", "worker_tid")}
    errs["genl_dump"], devs = attempt(genl.dump)
    if devs is not None:
        seen["dump_ids"] = [x["id"] for x in devs]
    errs["genl_subscribe"], _ = attempt(Genl().subscribe)
    errs["genl_set"], _ = attempt(lambda: genl.set(dev, {"tx": {"poll_interval_us": int(value)}}))
    print("UNPRIV " + json.dumps({"uid": os.getuid(), "pid": os.getpid(), "cap_eff": cap_eff(),
                                  "errno": errs, "seen": seen}), flush=True)


if __name__ == "__main__":
    main()
