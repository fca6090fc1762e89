#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Inside the VM: an owner stuck inside an ioctl must not stall anything
but its own device (issue 14: nothing global is held while waiting on a
per-device lock).

Usage: wedge.py   (lwvhost loaded; prints a KTAP stream and WEDGE {json})

A child process, the wedger, owns two devices and wedges one of its threads
in each: W1 in VHOST_SET_MEM_TABLE (dev->mutex held), W2 in
VHOST_SET_VRING_ADDR (dev->mutex and the ring's mutex held; the ring index,
read before the ring mutex is taken, sits at the end of an ordinary page and
the rest of the argument on the next one). Both block in copy_from_user() on
a userfaultfd-registered page nobody resolves, the way a VMM's ioctl blocks
when its memory is on a stuck remote/postcopy page. Meanwhile every probe of
the control plane runs in a forked child with a time limit: a probe that
hangs (a global lock held while waiting for a device mutex) is reported and
left behind instead of hanging the VM. Then the faults are resolved: the
wedged ioctls must return, the left-behind probes must finish, and
vhost_net and vhost must unload.
"""

import ctypes
import fcntl
import json
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lwvhost_genl import Genl  # noqa: E402
from vhostlib import (F_VERSION_1, SET_MEM_TABLE, SET_OWNER, SET_VRING_ADDR,  # noqa: E402
                      Ktap, NetDev, Tap, frame, ioctl_ok)

LIMIT = 1.0  # seconds any control-plane operation may take
CTL = "build/bin/lwvhostctl"
FEATURES = 1 << F_VERSION_1
PAGE = 4096

# userfaultfd, x86-64 (linux/userfaultfd.h).
NR_USERFAULTFD = 323
UFFD_API = 0xAA
UFFDIO_API = 0xC018AA3F        # _IOWR(0xAA, 0x3F, struct uffdio_api)
UFFDIO_REGISTER = 0xC020AA00   # _IOWR(0xAA, 0x00, struct uffdio_register)
UFFDIO_ZEROPAGE = 0xC020AA04   # _IOWR(0xAA, 0x04, struct uffdio_zeropage)
UFFDIO_REGISTER_MODE_MISSING = 1
UFFD_EVENT_PAGEFAULT = 0x12
UFFD_MSG_SIZE = 32

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                      ctypes.c_int, ctypes.c_long]
libc.ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p]

check = Ktap()


def dev_ids():
    return {int(d) for d in os.listdir("/proc/lwvhost") if d.isdigit()}


def open_device():
    """An open /dev/vhost-net and its id (ids grow with every open)."""
    before = dev_ids()
    fd = os.open("/dev/vhost-net", os.O_RDWR)
    new = sorted(dev_ids() - before)
    assert len(new) == 1, new
    return fd, new[0]


# ---- the wedger -----------------------------------------------------------

def wedger(report, commands):
    """Child process: own W1 and W2, wedge a thread in each, report the ids
    once both threads are stuck in the fault, resolve when told to."""
    devs = [open_device() for _ in range(2)]
    for fd, _ in devs:
        ioctl_ok(fd, SET_OWNER)
    uffd = libc.syscall(NR_USERFAULTFD, os.O_CLOEXEC | os.O_NONBLOCK)
    if uffd < 0:
        raise OSError(ctypes.get_errno(), "userfaultfd")
    fcntl.ioctl(uffd, UFFDIO_API, bytearray(struct.pack("<QQQ", UFFD_API, 0, 0)))
    # Page 0 ordinary, pages 1 (W2's argument tail) and 2 (W1's) trap.
    base = libc.mmap(None, 3 * PAGE, 3, 0x22, -1, 0)  # RW, MAP_PRIVATE|ANONYMOUS
    ctypes.c_uint32.from_address(base + PAGE - 4).value = 0  # W2's ring index
    fcntl.ioctl(uffd, UFFDIO_REGISTER, bytearray(struct.pack(
        "<QQQQ", base + PAGE, 2 * PAGE, UFFDIO_REGISTER_MODE_MISSING, 0)))

    results = {}

    def stuck(name, fd, req, arg):
        t0 = time.monotonic()
        rc = libc.ioctl(fd, req, arg)  # ctypes drops the GIL meanwhile
        results[name] = {"errno": 0 if rc == 0 else ctypes.get_errno(),
                         "blocked_s": round(time.monotonic() - t0, 3)}

    threads = [
        threading.Thread(target=stuck, args=("W1", devs[0][0], SET_MEM_TABLE, base + 2 * PAGE),
                         daemon=True),
        threading.Thread(target=stuck, args=("W2", devs[1][0], SET_VRING_ADDR, base + PAGE - 4),
                         daemon=True),
    ]
    for t in threads:
        t.start()
    faults = []
    end = time.monotonic() + 10
    while len(faults) < 2 and time.monotonic() < end:
        if not select.select([uffd], [], [], 0.1)[0]:
            continue
        try:
            msg = os.read(uffd, UFFD_MSG_SIZE)
        except BlockingIOError:
            continue
        event, = struct.unpack_from("<B", msg, 0)
        addr, = struct.unpack_from("<Q", msg, 16)
        if event == UFFD_EVENT_PAGEFAULT:
            faults.append((addr - base) // PAGE)
    os.write(report, (json.dumps({"W1": devs[0][1], "W2": devs[1][1],
                                  "fault_pages": sorted(faults),
                                  "early": results}) + "\n").encode())
    os.read(commands, 1)  # told to resolve
    t0 = time.monotonic()
    fcntl.ioctl(uffd, UFFDIO_ZEROPAGE, bytearray(struct.pack(
        "<QQQq", base + PAGE, 2 * PAGE, 0, 0)))
    for t in threads:
        t.join(timeout=max(0.0, t0 + 5 - time.monotonic()))
    os.write(report, (json.dumps({"returned": results,
                                  "still_stuck": [t.name for t in threads if t.is_alive()],
                                  "resolve_s": round(time.monotonic() - t0, 3)})
                      + "\n").encode())
    for fd, _ in devs:
        os.close(fd)
    os.close(uffd)


# ---- probes ---------------------------------------------------------------

left_behind = []  # (name, pid) of probes that missed their limit


def probe(name, fn=None, argv=None, limit=LIMIT):
    """Runs fn(step) or execs argv in a forked child (own process group)
    and returns {"ok", "value" | "error", "elapsed", "steps", "hung"}; an
    argv's value is [rc, stdout, stderr]. fn may call step(label) to
    timestamp progress. A child that misses the limit is killed and left
    behind: one stuck in an uninterruptible kernel wait dies only once it
    gets out."""
    r, w = os.pipe()
    out = f"/tmp/probe-{name}.out"
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.setpgid(0, 0)
        if argv:
            os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 1)
            os.dup2(os.open(out + "2", os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 2)
            os.execvp(argv[0], argv)

        def step(label):
            os.write(w, (json.dumps({"step": label,
                                     "t": round(time.monotonic() - t0, 3)}) + "\n").encode())
        try:
            res = {"ok": True, "value": fn(step)}
        except Exception as e:  # noqa: BLE001
            res = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        os.write(w, (json.dumps(res) + "\n").encode())
        os._exit(0)
    os.close(w)
    pidfd = os.pidfd_open(pid)
    exited = bool(select.select([pidfd], [], [], limit)[0])
    elapsed = round(time.monotonic() - t0, 3)
    os.close(pidfd)
    os.set_blocking(r, False)
    try:
        data = os.read(r, 1 << 20)
    except BlockingIOError:
        data = b""
    os.close(r)
    lines = [json.loads(line) for line in data.decode().splitlines() if line.strip()]
    steps = [(x["step"], x["t"]) for x in lines if "step" in x]
    if not exited:
        os.killpg(pid, signal.SIGKILL)
        left_behind.append((name, pid))
        return {"ok": False, "error": f"no answer within {limit} s", "elapsed": elapsed,
                "steps": steps, "hung": True}
    _, status = os.waitpid(pid, 0)
    if argv:
        res = {"ok": True, "value": [os.waitstatus_to_exitcode(status),
                                     open(out).read(), open(out + "2").read()]}
    else:
        res = next((x for x in lines if "ok" in x), {"ok": False, "error": "no result"})
    res.update(elapsed=elapsed, steps=steps, hung=False)
    return res


def read_file(path):
    def run(step):
        with open(path) as f:
            return f.read()
    return run


def write_file(path, text):
    def run(step):
        with open(path, "w") as f:
            f.write(text)
        return 0
    return run


def genl_get(dev):
    return lambda step: Genl().get(dev)


def genl_set(dev, values):
    def run(step):
        Genl().set(dev, values)
        return 0
    return run


def new_device_traffic(tap):
    """Open a device, run frames through it to the tap and close it."""
    def run(step):
        step("start")
        d = NetDev(FEATURES, backend=tap)
        step("opened")
        d.attach()
        d.tx([frame(i) for i in range(4)])
        got = tap.recv_frames(4, timeout=LIMIT)
        done = d.rings[NetDev.TX].wait_used(4, timeout=LIMIT)
        step("traffic")
        os.close(d.fd)
        step("closed")
        return {"frames": len(got), "used": len(done)}
    return run


results = {}


def report(name, res, ok_value=lambda v: (True, ""), limit=LIMIT):
    """One KTAP result: answered within limit and the answer is right."""
    results[name] = res
    if res["hung"]:
        where = f" (last step: {res['steps'][-1][0]})" if res["steps"] else ""
        return check(f"{name}: answered within {limit} s", False,
                     f"no answer after {res['elapsed']} s{where}")
    if not res["ok"]:
        return check(f"{name}: answered within {limit} s", False, res["error"])
    good, detail = ok_value(res["value"])
    fast = res["elapsed"] < limit
    return check(f"{name}: answered within {limit} s", fast and good,
                 f"{res['elapsed']} s {detail}".rstrip())


def command_ok(want_in_stdout=None):
    def judge(v):
        rc, out, err = v
        good = rc == 0 and (want_in_stdout is None or want_in_stdout(out))
        return good, "" if good else f"rc {rc} stdout {out[:300]!r} stderr {err[:300]!r}"
    return judge


def lists(ids):
    def has(out):
        try:
            return set(ids) <= {d["id"] for d in json.loads(out)}
        except (ValueError, KeyError, TypeError):
            return False
    return has


def contains(text):
    return lambda v: (text in v, "" if text in v else repr(v[:200]))


def steps_fast(v):
    return v["frames"] == 4 and v["used"] == 4, json.dumps(v)


def main():
    # O: another device with a worker and traffic, owned by this process.
    tap_o = Tap("wo0")
    o_before = dev_ids()
    other = NetDev(FEATURES, backend=tap_o)
    other_id = (dev_ids() - o_before).pop()
    other.attach()
    other.tx([frame(i) for i in range(8)])
    check("O: frames through the other device before the wedge",
          len(tap_o.recv_frames(8, timeout=5)) == 8)
    spare_tap = Tap("wn0")

    rep_r, rep_w = os.pipe()
    cmd_r, cmd_w = os.pipe()
    wpid = os.fork()
    if wpid == 0:
        os.close(rep_r)
        os.close(cmd_w)
        try:
            wedger(rep_w, cmd_r)
            os._exit(0)
        except Exception as e:  # noqa: BLE001
            os.write(rep_w, (json.dumps({"error": f"{type(e).__name__}: {e}"}) + "\n").encode())
            os._exit(1)
    os.close(rep_w)
    os.close(cmd_r)
    rep = os.fdopen(rep_r)
    if not select.select([rep], [], [], 15)[0]:
        check("wedger reported", False, "nothing within 15 s")
        check.exit()
    wedged = json.loads(rep.readline())
    if "error" in wedged:
        check("wedger set up", False, wedged["error"])
        check.exit()
    w1, w2 = wedged["W1"], wedged["W2"]
    check("both wedged ioctls are stuck in the fault (pages 1 and 2)",
          wedged["fault_pages"] == [1, 2] and not wedged["early"], json.dumps(wedged))
    print(f"info devices: O={other_id} W1={w1} (SET_MEM_TABLE) W2={w2} (SET_VRING_ADDR)",
          flush=True)

    report("lwvhostctl list --json lists O", probe(
        "list", argv=[CTL, "--json", "list"]), command_ok(lists([other_id])))
    report(f"/proc/lwvhost/{other_id}/stats (O)", probe(
        "stats_o", read_file(f"/proc/lwvhost/{other_id}/stats")), contains("tx_packets"))
    report(f"/proc/lwvhost/{other_id}/info (O)", probe(
        "info_o", read_file(f"/proc/lwvhost/{other_id}/info")), contains(f"id {other_id}"))
    report("genl DEV_GET O", probe("genl_get_o", genl_get(other_id)),
           lambda v: (v["id"] == other_id, ""))
    res = probe("new_device", new_device_traffic(spare_tap), limit=4 * LIMIT)
    report("a new device opens, moves 4 frames and closes", res, steps_fast, limit=4 * LIMIT)
    marks = [("fork", 0.0)] + res["steps"]
    for (a, ta), (b, tb) in zip(marks, marks[1:]):
        check(f"new device: {a} -> {b} within {LIMIT} s", tb - ta < LIMIT, f"{tb - ta:.3f} s")
    report(f"lwvhostctl set {other_id} tx_coalesce_usecs 7", probe(
        "ctl_set_o", argv=[CTL, "set", str(other_id), "tx_coalesce_usecs", "7"]), command_ok())
    report("O's tx_coalesce_usecs reads 7", probe(
        "knob_o", read_file(f"/proc/lwvhost/{other_id}/tx_coalesce_usecs")),
        lambda v: (v.strip() == "7", repr(v)))
    for name, dev in (("W1", w1), ("W2", w2)):
        report(f"genl DEV_SET {name} (wedged)", probe(
            f"genl_set_{name}", genl_set(dev, {"tx": {"coalesce_usecs": 9}})))
        report(f"procfs write {name}/tx_coalesce_frames (wedged)", probe(
            f"knob_write_{name}", write_file(f"/proc/lwvhost/{dev}/tx_coalesce_frames", "3\n")))
        report(f"genl DEV_GET {name} (wedged)", probe(f"genl_get_{name}", genl_get(dev)),
               lambda v, dev=dev: (v["id"] == dev, ""))
        report(f"/proc/lwvhost/{dev}/stats ({name}, wedged)", probe(
            f"stats_{name}", read_file(f"/proc/lwvhost/{dev}/stats")), contains("tx_packets"))
        report(f"/proc/lwvhost/{dev}/info ({name}, wedged)", probe(
            f"info_{name}", read_file(f"/proc/lwvhost/{dev}/info")), contains(f"id {dev}"))

    # Resolve the faults: the wedged ioctls return, everything unwinds.
    os.write(cmd_w, b"r")
    if select.select([rep], [], [], 10)[0]:
        after = json.loads(rep.readline())
    else:
        after = {"returned": {}, "still_stuck": ["W1", "W2"], "resolve_s": None}
    check("both wedged ioctls returned once the fault was resolved",
          sorted(after["returned"]) == ["W1", "W2"] and not after["still_stuck"],
          json.dumps(after))
    end = time.monotonic() + 15
    stuck = list(left_behind)
    while stuck and time.monotonic() < end:
        stuck = [(n, p) for n, p in stuck if os.waitpid(p, os.WNOHANG) == (0, 0)]
        time.sleep(0.05)
    check("probes left behind finished after the resolve",
          not stuck, f"left behind {[n for n, _ in left_behind]}, still stuck "
                     f"{[n for n, _ in stuck]}")
    _, status = os.waitpid(wpid, 0)
    check("wedger exited cleanly", status == 0, str(status))
    other.close()
    spare_tap.close()
    rm = subprocess.run(["rmmod", "vhost_net", "vhost"], stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT, text=True, timeout=60)
    check("rmmod vhost_net vhost", rm.returncode == 0 and not os.path.exists("/sys/module/vhost"),
          rm.stdout.strip())
    print("WEDGE " + json.dumps({"devices": {"O": other_id, "W1": w1, "W2": w2},
                                 "probes": results, "wedged": after,
                                 "left_behind": [n for n, _ in left_behind]}), flush=True)
    check.exit()


if __name__ == "__main__":
    main()
