#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Inside the VM: who may read and change lwvhost devices (issue 14).

Usage: privilege.py          (lwvhost loaded; prints PRIV {json})
       privilege.py own      (internal: own a device inside a pid namespace)

A device's state (its VM's traffic, tap names, host PIDs) is the host's
business: reading it needs CAP_NET_ADMIN in the initial user namespace, as
changing it always did. This opens a device with a backend and a worker,
records the modes under /proc/lwvhost, and runs lwvhost_unprivileged.py as
root, as nobody, as root without CAP_NET_ADMIN (capsh and setpriv), and as
root of a new user+pid namespace started by nobody and by root; then checks
that PIDs are translated into the reader's pid namespace, both for a device
owned outside it (owner_pid 0) and for one owned inside it. test_control_plane.py
judges the JSON.
"""

import json
import os
import stat
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from lwvhost_genl import Genl  # noqa: E402
from vhostlib import F_VERSION_1, SET_OWNER, NetDev, Tap, frame, ioctl_ok  # noqa: E402

U = os.path.join(HERE, "lwvhost_unprivileged.py")
UNCHROOT = os.path.join(HERE, "unchroot.py")
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
USERNS = ["unshare", "--user", "--map-root-user", "--pid", "--fork"]
PIDNS = ["unshare", "--pid", "--fork", "--mount-proc"]


def dev_ids():
    return {int(d) for d in os.listdir("/proc/lwvhost") if d.isdigit()}


def info(dev):
    with open(f"/proc/lwvhost/{dev}/info") as f:
        fields = dict(line.split(" ", 1) for line in f.read().splitlines())
    return {k: int(fields[k]) for k in ("owner_pid", "worker_tid")}


def run_as(prefix, dev, value):
    """lwvhost_unprivileged.py under prefix: its UNPRIV document or the failure."""
    p = subprocess.run(prefix + ["python3", U, str(dev), str(value)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=60)
    for line in p.stdout.splitlines():
        if line.startswith("UNPRIV "):
            doc = json.loads(line[len("UNPRIV "):])
            doc["rc"] = p.returncode
            return doc
    return {"rc": p.returncode, "output": p.stdout[-2000:]}


def own():
    """In a new pid namespace: own a device, report what we see, wait."""
    before = dev_ids()
    fd = os.open("/dev/vhost-net", os.O_RDWR)
    ioctl_ok(fd, SET_OWNER)
    dev = (dev_ids() - before).pop()
    g = Genl().get(dev)
    print(json.dumps({"dev": dev, "getpid": os.getpid(), "info": info(dev),
                      "genl": {k: g[k] for k in ("owner_pid", "worker_tid")}}), flush=True)
    sys.stdin.readline()
    os.close(fd)


def nspid(pid):
    """The NSpid line of a process: its pid in each namespace, outermost first."""
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("NSpid:"):
            return [int(x) for x in line.split()[1:]]
    return []


def main():
    out = {"owner": os.getpid()}
    tap = Tap("pv0")
    before = dev_ids()
    nd = NetDev(1 << F_VERSION_1, backend=tap)
    dev = (dev_ids() - before).pop()
    nd.attach()
    nd.tx([frame(i) for i in range(4)])
    tap.recv_frames(4, timeout=5)
    out["dev"] = dev
    time.sleep(0.2)  # let the worker have run, so worker_tid is set
    out["root_info"] = info(dev)
    g = Genl().get(dev)
    out["root_genl"] = {k: g[k] for k in ("owner_pid", "worker_tid")}

    d = f"/proc/lwvhost/{dev}"
    paths = ["/proc/lwvhost", d] + [f"{d}/{f}" for f in sorted(os.listdir(d))]
    out["modes"] = {p: oct(stat.S_IMODE(os.stat(p).st_mode)) for p in paths}
    knob = f"{d}/tx_poll_interval_us"
    value = open(knob).read().strip()
    out["knob_before"] = value

    out["as"] = {
        "root": run_as([], dev, value),
        "nobody": run_as(NOBODY, dev, value),
        "capsh_drop": run_as(["capsh", "--drop=cap_net_admin", "--", "-c", 'exec "$0" "$@"'],
                             dev, value),
        "setpriv_drop": run_as(["setpriv", "--inh-caps=-net_admin",
                                "--bounding-set=-net_admin"], dev, value),
        "userns_by_nobody": run_as(["python3", UNCHROOT] + NOBODY + USERNS, dev, value),
        "userns_by_root": run_as(["python3", UNCHROOT] + USERNS, dev, value),
        "pidns_root": run_as(PIDNS, dev, value),
    }
    out["knob_after"] = open(knob).read().strip()

    # A device owned inside a new pid namespace, read from inside and out.
    p = subprocess.Popen(PIDNS + ["python3", os.path.abspath(__file__), "own"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    try:
        inside = json.loads(line)
        outside = info(inside["dev"])
        inside["outside_info"] = outside
        inside["outside_nspid"] = nspid(outside["owner_pid"]) if outside["owner_pid"] else []
    except (ValueError, KeyError, OSError) as e:
        inside = {"error": f"{type(e).__name__}: {e}", "line": line}
    p.stdin.write("done\n")
    p.stdin.close()
    p.wait(timeout=30)
    out["pidns_own"] = inside

    nd.close()
    print("PRIV " + json.dumps(out), flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["own"]:
        own()
    else:
        main()
