#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Pacing scenarios, run inside the test VM from the project root. Each
prints one line `PACING_<NAME> {json}` with the raw measurements; the
assertions live in tests/integration/test_pacing.py.

    pacing_scenarios.py parity tx_poll coalesce rr idle rx_poll flap interfaces adaptive split
    starved shared
"""

import errno
import glob
import json
import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lwvhost_genl import Genl, GenlError  # noqa: E402
from vhostlib import read_kv  # noqa: E402

VNET = "build/bin/lwvhost-vnet"
PARAMS = "/sys/module/vhost_net/parameters"
KNOBS = ("poll_interval_us", "idle_polls", "coalesce_usecs", "coalesce_frames",
         "latency_budget_us")
STOCK_KNOBS = {"poll_interval_us": 0, "idle_polls": 8, "coalesce_usecs": 0,
               "coalesce_frames": 0, "latency_budget_us": 0}


def emit(name, doc):
    print(f"PACING_{name.upper()} {json.dumps(doc)}", flush=True)


def sh(cmd):
    return subprocess.run(cmd, shell=True, check=True)


def load(backend):
    sh(f"tests/vm/load-{backend} >/dev/null")


def set_defaults(**knobs):
    """Module parameters, e.g. set_defaults(tx_poll_interval_us=50)."""
    for d in ("rx", "tx"):
        for k, v in STOCK_KNOBS.items():
            knobs.setdefault(f"{d}_{k}", v)
    for name, value in knobs.items():
        with open(f"{PARAMS}/{name}", "w") as f:
            f.write(str(value))


def vnet(args):
    p = subprocess.run(f"{VNET} {args} --json", shell=True, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    try:
        doc = json.loads(p.stdout)
    except json.JSONDecodeError:
        doc = {"ok": False, "failures": [p.stdout[-500:], p.stderr[-500:]]}
    doc["rc"] = p.returncode
    return doc


def summary(doc):
    """The numbers the tests assert on, from a vnet --json document."""
    keys = ("ok", "rc", "pps", "packets", "frames", "duration_s", "kicks_per_packet",
            "interrupts_per_packet", "failures", "rtt_ns", "worker")
    out = {k: doc.get(k) for k in keys if k in doc}
    out["queues"] = doc.get("queues")
    for d in ("to_host", "to_guest"):
        if d in doc:
            out[d] = doc[d]
    return out


def dev_ids():
    return sorted(int(os.path.basename(p)) for p in glob.glob("/proc/lwvhost/[0-9]*"))


def wait_for_device(timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        ids = dev_ids()
        if ids:
            info = read_kv(f"/proc/lwvhost/{ids[-1]}/info")
            if info["tx_ifname"] != "-":
                return ids[-1]
        time.sleep(0.05)
    raise RuntimeError("no lwvhost device with a backend appeared")


# Offered loads well below what vnet reaches under TCG (tens of thousands of
# frames per second), so any loss is a bug rather than overload.
TX = "tx --frames 20000 --rate 10000 --size 64 --event-idx"
RX = "rx --frames 20000 --rate 10000 --size 64 --event-idx"
RR = "rr --frames 500 --event-idx"


# At a low rate the worker sleeps between frames, so in event mode nearly
# every frame costs a kick (TX) and an interrupt (RX): a sharp comparison.
TX_SLOW = "tx --frames 2000 --rate 1000 --size 64 --event-idx"
RX_SLOW = "rx --frames 2000 --rate 1000 --size 64 --event-idx"


def parity():
    out = {}
    for backend in ("stock", "lwvhost"):
        load(backend)
        if backend == "lwvhost":
            set_defaults()
        out[backend] = {"tx": summary(vnet(TX)), "rx": summary(vnet(RX)),
                        "tx_slow": summary(vnet(TX_SLOW)),
                        "rx_slow": summary(vnet(RX_SLOW))}
    emit("parity", out)


def tx_poll():
    load("lwvhost")
    out = {}
    for interval in (0, 50):
        set_defaults(tx_poll_interval_us=interval)
        out[str(interval)] = summary(vnet(TX))
    set_defaults()
    emit("tx_poll", out)


def coalesce():
    """RX with the guest asking for an interrupt per completion."""
    load("lwvhost")
    out = {}
    rx = "rx --frames 10000 --rate 5000 --size 64 --event-idx --rx-irq-always"
    # TX completions with the guest asking for each one (--tx-irq-always).
    tx = "tx --frames 10000 --rate 5000 --size 64 --event-idx --tx-irq-always"
    # A hold by time only (frames 0) at a rate where event mode calls for
    # nearly every frame: at most one call per 5 ms window.
    rx_slow = "rx --frames 2000 --rate 1000 --size 64 --event-idx --rx-irq-always"
    for name, cmd, knobs in (
            ("off", rx, {}),
            ("frames32", rx, {"rx_coalesce_frames": 32, "rx_coalesce_usecs": 10000}),
            ("tx_off", tx, {}),
            ("tx_frames32", tx, {"tx_coalesce_frames": 32, "tx_coalesce_usecs": 10000}),
            ("slow_off", rx_slow, {}),
            ("slow_usecs5000", rx_slow, {"rx_coalesce_usecs": 5000})):
        set_defaults(**knobs)
        out[name] = summary(vnet(cmd))
    set_defaults()
    emit("coalesce", out)


def rr(rounds=5):
    """Interleaved rounds so slow drift of the VM hits every interval alike."""
    load("lwvhost")
    out = {}
    for _ in range(rounds):
        for interval in (0, 50, 200):
            set_defaults(tx_poll_interval_us=interval, rx_poll_interval_us=interval)
            out.setdefault(str(interval), []).append(summary(vnet(RR)))
    set_defaults()
    emit("rr", out)


def sample_while(cmd, sample):
    """Run `vnet cmd` and, every 50 ms while it runs, keep sample(dev) of
    its lwvhost device: (samples, vnet summary). Sampling stops when the
    device goes, which may be before vnet exits."""
    p = subprocess.Popen(f"{VNET} {cmd} --json", shell=True,
                         stdout=subprocess.PIPE, text=True)
    dev = wait_for_device()
    samples = []
    while p.poll() is None:
        try:
            samples.append(sample(dev))
        except (FileNotFoundError, ValueError):
            break
        except OSError as e:
            # Released between open and read: procfs then fails with EIO.
            if e.errno != errno.EIO:
                raise
            break
        time.sleep(0.05)
    doc = json.loads(p.stdout.read())
    doc["rc"] = p.wait()
    return samples, summary(doc)


def watch(cmd, d):
    """Direction d's counters and mode over a `vnet cmd` run: (samples,
    vnet summary)."""
    def sample(dev):
        st = read_kv(f"/proc/lwvhost/{dev}/stats")
        info = read_kv(f"/proc/lwvhost/{dev}/info")
        return {"t": time.monotonic(), "packets": st[f"{d}_packets"],
                "kicks": st[f"{d}_kicks"], "polls": st[f"{d}_polls"],
                "timer_wakeups": st[f"{d}_timer_wakeups"],
                "empty_polls": st[f"{d}_empty_polls"],
                "mode_switches": st[f"{d}_mode_switches"],
                "mode": info[f"{d}_mode"]}
    return sample_while(cmd, sample)


def last_counters(cmd, counters):
    """Both directions' counters as last seen in a `vnet cmd` run (None if
    never), and vnet's summary."""
    def sample(dev):
        st = read_kv(f"/proc/lwvhost/{dev}/stats")
        return {f"{d}_{c}": st[f"{d}_{c}"] for d in ("rx", "tx") for c in counters}
    samples, doc = sample_while(cmd, sample)
    return (samples[-1] if samples else None), doc


def idle():
    """Traffic, then an attached but idle device: the poll timer must stop."""
    load("lwvhost")
    interval, idle_polls = 500, 8
    set_defaults(tx_poll_interval_us=interval, tx_idle_polls=idle_polls)
    samples, doc = watch("tx --frames 5000 --rate 5000 --event-idx --linger-ms 4000", "tx")
    set_defaults()
    emit("idle", {"interval_us": interval, "idle_polls": idle_polls,
                  "samples": samples, "vnet": doc})


def rx_poll():
    """RX in event mode, then polled: the poll pass drains the tap with its
    wakeups off, and the queue falls back to event mode once traffic stops."""
    load("lwvhost")
    interval, idle_polls = 200, 8
    out = {"interval_us": interval, "idle_polls": idle_polls}
    cmd = "rx --frames 20000 --rate 10000 --size 64 --event-idx --linger-ms 3000"
    for name, knobs in (("event", {}),
                        ("poll", {"rx_poll_interval_us": interval,
                                  "rx_idle_polls": idle_polls})):
        set_defaults(**knobs)
        samples, doc = watch(cmd, "rx")
        out[name] = {"samples": samples, "vnet": doc}
    set_defaults()
    emit("rx_poll", out)


def flap(seconds=20.0, rate_hz=1000):
    """Random knob changes at ~1 kHz during a flood, then close while polling."""
    load("lwvhost")
    set_defaults()
    frames = int(seconds * 5000)
    p = subprocess.Popen(f"{VNET} tx --frames {frames} --rate 5000 --event-idx "
                         "--timeout-ms 20000 --json", shell=True,
                         stdout=subprocess.PIPE, text=True)
    dev = wait_for_device()
    rng = random.Random(1234)
    limits = {"poll_interval_us": 1600, "idle_polls": 64, "coalesce_usecs": 2000,
              "coalesce_frames": 64, "latency_budget_us": 1000}
    writes = 0
    refused = {}
    start = time.monotonic()
    next_t = start
    fds = {}
    try:
        while p.poll() is None and time.monotonic() - start < seconds * 3:
            d, k = rng.choice(("rx", "tx")), rng.choice(KNOBS)
            lo = 1 if k == "idle_polls" else 0
            path = f"/proc/lwvhost/{dev}/{d}_{k}"
            if path not in fds:
                fds[path] = os.open(path, os.O_WRONLY)
            value = str(rng.randint(lo, limits[k])).encode()
            try:
                os.pwrite(fds[path], value, 0)
                writes += 1
            except OSError as e:
                # vnet finished and released the device. proc_remove() shuts
                # the knob files (EIO) before it removes their directory.
                if e.errno == errno.EIO or not os.path.exists(f"/proc/lwvhost/{dev}"):
                    break
                key = f"{d}_{k}={value.decode()}: {os.strerror(e.errno)}"
                refused[key] = refused.get(key, 0) + 1
            next_t += 1.0 / rate_hz
            delay = next_t - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    except FileNotFoundError:
        pass  # the device went away with vnet
    elapsed = time.monotonic() - start
    for fd in fds.values():
        os.close(fd)
    doc = json.loads(p.stdout.read())
    doc["rc"] = p.wait()

    # Close with a non-zero interval while polling: the release must be prompt.
    set_defaults(tx_poll_interval_us=1000, rx_poll_interval_us=1000,
                 tx_coalesce_usecs=1000, tx_idle_polls=100000)
    t0 = time.monotonic()
    close_doc = vnet("tx --frames 2000 --rate 5000 --event-idx")
    close_s = time.monotonic() - t0
    gone = not dev_ids()
    set_defaults()
    unload = subprocess.run("rmmod vhost_net && rmmod vhost", shell=True).returncode
    emit("flap", {"writes": writes, "refused": refused, "elapsed_s": elapsed,
                  "vnet": summary(doc), "close": summary(close_doc),
                  "close_s": close_s, "devices_left": not gone, "unload_rc": unload})


def interfaces():
    load("lwvhost")
    set_defaults(tx_poll_interval_us=25, rx_coalesce_frames=16)
    out = {}
    genl = Genl()
    mon = Genl()
    mon.subscribe()
    p = subprocess.Popen([VNET, "tx", "--frames", "500", "--rate", "1000", "--event-idx",
                          "--linger-ms", "15000"], stdout=subprocess.DEVNULL)
    dev = wait_for_device()
    base = f"/proc/lwvhost/{dev}"

    def procfs_knobs():
        return {d: {k: int(open(f"{base}/{d}_{k}").read()) for k in KNOBS}
                for d in ("rx", "tx")}

    def genl_knobs():
        g = genl.get(dev)
        return {d: {k: g["vq"][d][k] for k in KNOBS} for d in ("rx", "tx")}

    def sysfs_knobs():
        return {d: {k: int(open(f"{PARAMS}/{d}_{k}").read()) for k in KNOBS}
                for d in ("rx", "tx")}

    out["new_device"] = {"procfs": procfs_knobs(), "genl": genl_knobs(),
                         "sysfs": sysfs_knobs()}
    out["dump_ids"] = [d["id"] for d in genl.dump()]
    out["info"] = read_kv(f"{base}/info")
    out["genl_dev"] = {k: v for k, v in genl.get(dev).items() if k != "vq"}

    # A genetlink set shows in procfs, and a procfs write in genetlink.
    genl.set(dev, {"tx": {"poll_interval_us": 75, "coalesce_frames": 8},
                   "rx": {"idle_polls": 3}})
    out["after_genl_set"] = {"procfs": procfs_knobs(), "genl": genl_knobs()}
    with open(f"{base}/rx_coalesce_usecs", "w") as f:
        f.write("300")
    out["after_procfs_set"] = {"procfs": procfs_knobs(), "genl": genl_knobs()}

    # Invalid writes: refused, old values kept.
    before = procfs_knobs()
    errors = {}
    for name, value in (("tx_poll_interval_us", 10001), ("rx_idle_polls", 0),
                        ("tx_coalesce_frames", 4097), ("rx_coalesce_usecs", "abc"),
                        ("tx_poll_interval_us", -1)):
        try:
            with open(f"{base}/{name}", "w") as f:
                f.write(str(value))
            errors[f"procfs {name}={value}"] = 0
        except OSError as e:
            errors[f"procfs {name}={value}"] = e.errno
    for name, value in (("tx_poll_interval_us", 20000), ("rx_idle_polls", 0)):
        try:
            with open(f"{PARAMS}/{name}", "w") as f:
                f.write(str(value))
            errors[f"sysfs {name}={value}"] = 0
        except OSError as e:
            errors[f"sysfs {name}={value}"] = e.errno
    extack = {}
    for label, values in (("interval", {"tx": {"poll_interval_us": 10001}}),
                          ("atomic", {"rx": {"poll_interval_us": 10},
                                      "tx": {"coalesce_frames": 5000}})):
        try:
            genl.set(dev, values)
            extack[label] = {"errno": 0}
        except GenlError as e:
            extack[label] = {"errno": e.errno, "msg": e.extack}
    try:
        genl.set(987654, {"tx": {"poll_interval_us": 1}})
        extack["nodev"] = {"errno": 0}
    except GenlError as e:
        extack["nodev"] = {"errno": e.errno, "msg": e.extack}
    out["invalid"] = {"errors": errors, "extack": extack, "before": before,
                      "after": procfs_knobs(), "sysfs_after": sysfs_knobs()}

    # Without CAP_NET_ADMIN (still uid 0): procfs and genetlink refuse reads and
    # writes alike.
    here = os.path.dirname(os.path.abspath(__file__))
    unpriv = subprocess.run(
        ["capsh", "--drop=cap_net_admin", "--", "-c",
         f"python3 {here}/lwvhost_unprivileged.py {dev}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out["unprivileged"] = {"rc": unpriv.returncode, "output": unpriv.stdout}
    out["after_unprivileged"] = procfs_knobs()

    p.terminate()
    p.wait()
    events = mon.events(1.0)
    out["events"] = [(cmd, d.get("id")) for cmd, d in events]
    out["device"] = dev
    set_defaults()
    emit("interfaces", out)


def adaptive():
    """Adaptive pacing (latency_budget_us): a steady TX flood, compared with
    event mode; then sparse request/response, which the law must leave in
    event mode; each watched on /proc/lwvhost, lingering after the traffic
    so that the return to event mode is seen."""
    load("lwvhost")
    budget = 500
    out = {"budget_us": budget}
    set_defaults()
    out["tx_event"] = summary(vnet(TX))
    set_defaults(tx_latency_budget_us=budget, rx_latency_budget_us=budget)
    samples, doc = watch(TX.replace("--event-idx", "--event-idx --linger-ms 2000"), "tx")
    out["tx"] = {"samples": samples, "vnet": doc}
    rr = "rr --frames 300 --rate 200 --event-idx --linger-ms 500"
    # Event mode, the budget alone, and the budget with coalescing (which
    # the law must not apply in event mode) take turns, so that a slow
    # spell of the TCG host falls on all three rather than on one.
    coalesce = {"tx_coalesce_usecs": 10000, "rx_coalesce_usecs": 10000,
                "tx_coalesce_frames": 64, "rx_coalesce_frames": 64}
    counters = ("packets", "timer_wakeups", "signals", "signals_coalesced")
    for _ in range(3):
        set_defaults()
        out.setdefault("rr_event", []).append(summary(vnet(rr)))
        set_defaults(tx_latency_budget_us=budget, rx_latency_budget_us=budget)
        samples, doc = watch(rr, "tx")
        out.setdefault("rr", []).append({"samples": samples, "vnet": doc})
        set_defaults(tx_latency_budget_us=budget, rx_latency_budget_us=budget,
                     **coalesce)
        last, doc = last_counters(rr, counters)
        out.setdefault("rr_coalesce", []).append({"last": last, "vnet": doc})
    set_defaults()
    emit("adaptive", out)


def split():
    """Adaptive pacing of a stream both ways (request/response, many in
    flight): the TX queue plans with the whole budget while RX is in event
    mode, and with half while RX polls too."""
    load("lwvhost")
    budget = 2000
    # 4000 transactions/s: a poll at the full budget would collect 8 per
    # queue, one at half the budget 4; both well above the start bar.
    rate = 4000
    cmd = f"rr --frames 8000 --rate {rate} --window 16 --event-idx"
    out = {"budget_us": budget, "rate": rate}
    for _ in range(3):
        for name, knobs in (("tx_only", {"tx_latency_budget_us": budget}),
                            ("both", {"tx_latency_budget_us": budget,
                                      "rx_latency_budget_us": budget})):
            set_defaults(**knobs)
            last, doc = last_counters(cmd, ("polls", "timer_wakeups", "packets", "kicks"))
            out.setdefault(name, []).append({"last": last, "vnet": doc})
    set_defaults()
    emit("split", out)


def starved():
    """One transaction in flight, as fast as vnet goes (about 2000 a second
    under TCG), both queues under a budget at which that rate looks worth
    polling: each poll can only find the one request the last answer let
    through."""
    load("lwvhost")
    budget = 1600
    set_defaults(tx_latency_budget_us=budget, rx_latency_budget_us=budget)
    last, doc = last_counters("rr --frames 3000 --event-idx",
                              ("polls", "timer_wakeups", "packets", "mode_switches"))
    set_defaults()
    emit("starved", {"budget_us": budget, "last": last, "vnet": doc})


def shared():
    """Request/response with both queues polled at one interval: one timer
    expiry should serve both (shared_polls); with only TX polled there is
    no sibling to serve."""
    load("lwvhost")
    counters = ("polls", "timer_wakeups", "shared_polls", "packets")
    # The interval is well above a pass under TCG (100-250 us), so that a
    # queue re-armed one pass after the other is within half an interval.
    cmd = "rr --frames 1500 --event-idx"
    out = {}
    for name, knobs in (("both", {"tx_poll_interval_us": 1000, "rx_poll_interval_us": 1000,
                                  "tx_idle_polls": 64, "rx_idle_polls": 64}),
                        ("tx_only", {"tx_poll_interval_us": 1000, "tx_idle_polls": 64})):
        set_defaults(**knobs)
        last, doc = last_counters(cmd, counters)
        out[name] = {"last": last, "vnet": doc}
    set_defaults()
    emit("shared", out)


SCENARIOS = {f.__name__: f for f in (parity, tx_poll, coalesce, rr, idle, rx_poll, flap,
                                      interfaces, adaptive, split, starved, shared)}

if __name__ == "__main__":
    for name in sys.argv[1:]:
        SCENARIOS[name]()
