#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Inside the VM: reliability and security scenarios against one vhost_net
(stock or lwvhost), each followed by a leak check.

  reliability.py --impl stock|lwvhost [--scale short|long] [--seed S] [--paced]
                 [--only fuzz,hostile,kill,tapdel,swap,unload,perms,integrity,flap,iotlb]

--paced (lwvhost) sets the pacing module defaults (PACING below) before each
scenario, so devices are torn down by kills, tap deletion, backend swaps and
the fuzzer's RESET_OWNER/close with poll timers armed and signals held.

Scenarios:
  fuzz       build/bin/vhost-fuzz (random ioctl sequences), then the module
             must unload and reload; its counts must show it reached a
             running device (opens, setups, backends, kicks, non-owners)
  hostile    build/bin/lwvhost-vnet hostile (malicious rings, a healthy device beside);
             the worker must not spin, over all rings and per ring kind
  kill       SIGKILL of the owner during a vnet flood (tx/rx/rr in turn)
  tapdel     the tap is deleted during traffic (that demonstrably flows),
             then the device is closed
  swap       the backend is replaced (tap A, tap B, detach) during traffic
  unload     rmmod is refused while a device is open and works after close
  perms      only the owner may drive a device; procfs/genetlink writes need
             CAP_NET_ADMIN; /proc/lwvhost shows no kernel pointers
  integrity  lwvhost-vnet tx/rx/rr with mixed sizes: every frame's sequence number
             and checksums intact and in order (and again with pacing, which
             the device's /proc/lwvhost knobs and timer wakeups must show)
  flap       pacing knobs rewritten at 1 kHz through /proc/lwvhost during
             a flood that keeps moving, poll timers firing (needs the
             pacing kernel side)
  iotlb      the device IOTLB (ACCESS_PLATFORM): owners SIGKILLed with a
             MISS pending unread or a read() blocked waiting for one, then
             an invalidation storm (INVALIDATE, UPDATE again, misses
             answered) under TX and RX traffic that must lose, reorder or
             damage no frame and never break a ring

After each scenario: kmalloc slab object counts and the modules' refcounts
must be back at their baseline (tolerance: SLAB_TOL objects per cache). The
checks are a KTAP stream (ktap.py; a SKIP for what this build cannot test),
followed by a `RELIABILITY {json}` line with the figures.
"""

import argparse
import errno
import json
import os
import random
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "vm"))
from vhostlib import *  # noqa: E402,F401,F403
from complaints import complaint_in  # noqa: E402

BIN = os.path.join(ROOT, "build", "bin")
SCALES = {
    # short: inside `make check` (a few minutes of VM time per kernel)
    "short": dict(fuzz_calls=4000, hostile_rings=170, kills=3, tapdels=1, swaps=150,
                  unloads=3, integrity_frames=1500, flap_s=1, iotlb_kills=4, iotlb_storm_s=3),
    # long: `make check-stress`, the figures in docs/reliability.md
    "long": dict(fuzz_calls=100000, hostile_rings=10000, kills=100, tapdels=20, swaps=3000,
                 unloads=100, integrity_frames=100000, flap_s=20, iotlb_kills=100,
                 iotlb_storm_s=60),
}
# Slab objects a cache may grow by, from its baseline, after settling: the
# largest of SLAB_TOL, ten whole slabs of the cache and 10 % of its baseline.
# SLUB counts move a slab at a time, and the kernel's own deferred work (netns
# and tap teardown, RCU) leaves kmalloc-96 up to 8 slabs (336 objects) above
# its baseline for tens of seconds, with stock vhost_net as with lwvhost and
# without growing with the number of iterations (tapdel x8: +48..+105 on
# both). So the short run catches only gross leaks (several objects per
# iteration); the long run (10^4 hostile rings on ~40 devices, 100 kills, 100
# unloads, 3000 swaps) catches a few objects per iteration in the small
# caches. Stock runs record the figures without judging them.
SLAB_TOL = 48
LEAK_WAIT_S = 40
SLAB_CACHES = re.compile(r"^(kmalloc-(cg-)?\d+k?|eventfd_ctx|task_struct|mm_struct|files_cache|"
                         r"sock_inode_cache|skbuff_head_cache|filp|pid|signal_cache)$")

check = Ktap()
figures = {"checks": 0, "failed": 0, "faults_injected": 0, "frames_checked": 0,
           "fuzz_calls": 0, "hostile_rings": 0, "skipped": []}
args = None


def sh(cmd, timeout=120):
    p = subprocess.run(cmd, shell=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=timeout)
    return p.returncode, p.stdout


def ok(what, cond, detail=""):
    figures["checks"] += 1
    if not cond:
        figures["failed"] += 1
    return check(what, cond, detail)


def skip(what, why):
    check.skip(what, why)
    figures["skipped"].append(f"{what}: {why}")


# ---------------------------------------------------------------- modules

def load():
    loader = "tests/vm/load-lwvhost" if args.impl == "lwvhost" else "tests/vm/load-stock"
    rc, out = sh(loader)
    if rc:
        check(f"load {args.impl}", False, out)
        check.exit()


def unload():
    rc, out = sh(". tests/vm/modlib.sh && unload_vhost")
    return rc == 0, out


def refcnt(mod):
    try:
        return int(open(f"/sys/module/{mod}/refcnt").read())
    except OSError:
        return None


def refcounts():
    return {m: refcnt(m) for m in ("vhost_net", "vhost")}


# ---------------------------------------------------------------- leaks

def shrink_slabs():
    try:
        for c in os.listdir("/sys/kernel/slab"):
            if SLAB_CACHES.match(c):
                try:
                    with open(f"/sys/kernel/slab/{c}/shrink", "w") as f:
                        f.write("1")
                except OSError:
                    pass
    except OSError:
        pass


OBJS_PER_SLAB = {}


def slab_counts():
    out = {}
    for line in open("/proc/slabinfo").read().splitlines()[2:]:
        f = line.split()
        if len(f) > 5 and SLAB_CACHES.match(f[0]):
            out[f[0]] = int(f[1])
            OBJS_PER_SLAB[f[0]] = int(f[4])
    return out


def slab_tolerance(cache, baseline):
    return max(SLAB_TOL, 10 * OBJS_PER_SLAB.get(cache, 0), baseline // 10)


def settled_slabs(limit_s=20.0):
    """Slab counts once deferred frees (RCU, netns cleanup) have run: five
    readings 0.3 s apart that agree within a few objects per cache."""
    end = time.time() + limit_s
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("2")
    prev, stable = None, 0
    while True:
        shrink_slabs()
        cur = slab_counts()
        if prev is not None and all(abs(cur.get(k, 0) - v) <= 4 for k, v in prev.items()):
            stable += 1
        else:
            stable = 0
        if stable >= 4 or time.time() > end:
            return cur
        prev = cur
        time.sleep(0.3)


# Long runs check leaks around every scenario; short runs once around the
# whole run (each check may wait up to LEAK_WAIT_S for deferred frees).
PER_SCENARIO_LEAKS = True


class LeakCheck:
    def __init__(self, name, scope="scenario"):
        self.name = name
        self.active = (scope == "scenario") == PER_SCENARIO_LEAKS

    def __enter__(self):
        if not self.active:
            return self
        self.refs = refcounts()
        self.slabs = settled_slabs()
        return self

    def __exit__(self, *exc):
        if exc[0] or not self.active:
            return False
        deadline = time.time() + 5
        while refcounts() != self.refs and time.time() < deadline:
            time.sleep(0.1)
        refs = refcounts()
        ok(f"{self.name}: module refcounts back to baseline", refs == self.refs,
           f"({self.refs} -> {refs})")
        # Growth that is only deferred freeing goes away; a leak stays.
        # Look again for up to LEAK_WAIT_S before calling it a leak.
        deadline = time.time() + LEAK_WAIT_S
        while True:
            after = settled_slabs()
            grown = {k: f"{v} -> {after.get(k, 0)}" for k, v in self.slabs.items()
                     if after.get(k, 0) - v > slab_tolerance(k, v)}
            if not grown or time.time() > deadline:
                break
            time.sleep(2)
        what = f"{self.name}: slab objects back to baseline (tolerance max({SLAB_TOL}, 10 slabs, 10 %)/cache)"
        if args.impl == "stock":
            # Debian's modules are the reference, not under test: record.
            print(f"     {what}: {'yes' if not grown else 'no, ' + str(grown)}", flush=True)
        else:
            ok(what, not grown, f"(grown: {grown})" if grown else "")
        figures.setdefault("slab_max_growth", {})[self.name] = max(
            [after.get(k, 0) - v for k, v in self.slabs.items()] + [0])
        return False


# ---------------------------------------------------------------- helpers

def worker_of(pid, timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        if worker_cpu_s(pid) is not None:
            return True
        time.sleep(0.02)
    return False


def reap(proc, timeout=5.0):
    t = time.time()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return time.time() - t


def json_after_text(out):
    """The JSON document that starts at the first '{' of out, or None."""
    start = out.find("{")
    if start < 0:
        return None
    try:
        return json.loads(out[start:])
    except ValueError:
        return None


def run_json(cmd, timeout):
    rc, out = sh(cmd, timeout=timeout)
    return rc, out, json_after_text(out)


def lwvhost_proc_dirs():
    try:
        return [d for d in os.listdir("/proc/lwvhost") if d.isdigit()]
    except OSError:
        return None


# ---------------------------------------------------------------- scenarios

# The calls of vhost-fuzz's complete setup (do_setup), after SET_OWNER, as
# its per-call counts name them ("setup:<name>").
FUZZ_SETUP_STEPS = ("SET_FEATURES", "SET_MEM_TABLE", "SET_VRING_NUM", "SET_VRING_BASE",
                    "SET_VRING_ADDR", "SET_VRING_KICK", "SET_VRING_CALL", "SET_VRING_ERR",
                    "NET_SET_BACKEND")
# The fuzzer's owner-only ioctls (IoctlDef.owner_only): a non-owner gets EPERM.
FUZZ_OWNER_ONLY = ("RESET_OWNER", "SET_MEM_TABLE", "SET_LOG_BASE", "SET_LOG_FD", "SET_VRING_NUM",
                   "SET_VRING_ADDR", "SET_VRING_BASE", "GET_VRING_BASE", "SET_VRING_ENDIAN",
                   "GET_VRING_ENDIAN", "SET_VRING_KICK", "SET_VRING_CALL", "SET_VRING_ERR",
                   "SET_VRING_BUSYLOOP_TIMEOUT", "GET_VRING_BUSYLOOP_TIMEOUT", "NET_SET_BACKEND")


def fuzz_evidence(doc, out):
    """The fuzzer passes on its own when nothing works at all (every open
    refused, no setup step accepted): require, from its per-call counts,
    that it reached a running device."""
    per = doc.get("per_call") if doc else None
    if not ok("fuzz: vhost-fuzz reported its per-call counts (--json)", isinstance(per, dict),
              "" if per else out[-1500:]):
        return

    def calls(name):
        return per.get(name, {}).get("calls", 0)

    def oks(name):
        return per.get(name, {}).get("ok", 0)

    def errs(name):
        return per.get(name, {}).get("errors", {})

    ok(f"fuzz: /dev/vhost-net opened ({oks('open')} of {calls('open')} opens succeeded)",
       oks("open") > 0, f"(errors: {errs('open')})")
    owner_ok = oks("setup:SET_OWNER") + oks("SET_OWNER")
    ok(f"fuzz: devices owned (SET_OWNER succeeded {owner_ok} times)", owner_ok > 0,
       f"(setup errors: {errs('setup:SET_OWNER')}, random errors: {errs('SET_OWNER')})")
    never = {s: errs(f"setup:{s}") for s in FUZZ_SETUP_STEPS if oks(f"setup:{s}") == 0}
    ok(f"fuzz: {doc.get('setups', 0)} complete setups, every step of them succeeded at least once",
       doc.get("setups", 0) > 0 and not never, f"(never succeeded: {never})" if never else "")
    ok(f"fuzz: backends attached (setup NET_SET_BACKEND ok {oks('setup:NET_SET_BACKEND')} "
       f"of {calls('setup:NET_SET_BACKEND')})", oks("setup:NET_SET_BACKEND") > 0,
       f"(errors: {errs('setup:NET_SET_BACKEND')})")
    ok(f"fuzz: rings kicked ({doc.get('kicks', 0)} kicks)", doc.get("kicks", 0) > 0)
    ok(f"fuzz: the device IOTLB was driven ({oks('setup:SET_BACKEND_FEATURES')} IOTLB-mode "
       f"setups, {oks('iotlb-write')} of {calls('iotlb-write')} messages accepted, "
       f"{oks('iotlb-read')} MISS read, {oks('iotlb-answer')} answered, "
       f"{calls('iotlb-flood')} flood updates)",
       oks("setup:SET_BACKEND_FEATURES") > 0 and oks("iotlb-write") > 0 and
       oks("iotlb-read") > 0 and oks("iotlb-answer") > 0,
       f"(errors: write {errs('iotlb-write')}, read {errs('iotlb-read')})")
    nonowner = sum(v.get("calls", 0) for k, v in per.items() if k.startswith("nonowner:"))
    refused = sum(errs(f"nonowner:{k}").get("EPERM", 0) for k in FUZZ_OWNER_ONLY)
    ok(f"fuzz: non-owner children ran ({doc.get('forks', 0)} forks, {nonowner} calls, "
       f"{refused} owner-only calls refused with EPERM)",
       doc.get("forks", 0) > 0 and nonowner > 0 and refused > 0)


def sc_fuzz(n):
    with LeakCheck("fuzz"):
        seed = args.seed
        rc, out, doc = run_json(f"{BIN}/vhost-fuzz --seed {seed} --calls {n} --json", timeout=1800)
        ok(f"fuzz: seed {seed}, {n} steps, no hang and no owner-check violation", rc == 0,
           "" if rc == 0 else out[-3000:])
        if doc:
            figures["fuzz_calls"] += doc["calls"]
            figures["fuzz"] = {k: doc[k] for k in ("calls", "ioctls", "forks", "races", "setups",
                                                    "kicks", "violations", "cleanup_ms")}
            figures["fuzz_per_call"] = doc["per_call"]
            print(f"     fuzz: {doc['calls']} calls, {doc['forks']} non-owner forks, "
                  f"{doc['races']} races, cleanup {doc['cleanup_ms']:.1f} ms", flush=True)
        fuzz_evidence(doc, out)
    # The module must still come apart and back.
    unloaded, out = unload()
    ok("fuzz: modules unload after the fuzzer exits", unloaded, out)
    load()


def sc_hostile(n):
    with LeakCheck("hostile"):
        rc, out, doc = run_json(f"{BIN}/lwvhost-vnet hostile --seed {args.seed} --rings {n} --json",
                                timeout=3600)
        ok(f"hostile: {n} malicious rings, backend held", rc == 0,
           "" if rc == 0 else (json.dumps(doc["failures"][:20]) if doc else out[-3000:]))
        if doc:
            figures["hostile_rings"] += doc["cases"]
            figures["frames_checked"] += doc["frames_checked"] + doc["healthy_frames"]
            figures["hostile"] = doc
            print(f"     hostile: {doc['cases']} rings, {doc['probes']} probes, worker "
                  f"{doc['worker_quiet_ms']:.1f} ms busy in {doc['quiet_window_ms']:.0f} ms quiet, "
                  f"healthy {doc['healthy_rounds']} rounds / {doc['healthy_frames']} frames", flush=True)
            hostile_spin_per_kind(doc)


def hostile_spin_per_kind(doc):
    """vnet hostile judges each ring kind against its own quiet windows (the
    total hides a kind that spins on a few rings) and reports a spinning one
    in its failures. Here: show that verdict on its own line, record the
    worst kind, and fail if a kind had no quiet window at all (vnet cannot
    judge what it did not measure)."""
    kinds = doc.get("kinds") or {}
    if not kinds or not all("quiet_window_ms" in t and "worker_quiet_ms" in t for t in kinds.values()):
        skip("hostile: worker spin per kind",
             "this build/bin/lwvhost-vnet reports no per-kind quiet windows (rebuild it)")
        return
    measured = {k: t["worker_quiet_ms"] / t["quiet_window_ms"]
                for k, t in kinds.items() if t["quiet_window_ms"] > 0}
    unmeasured = sorted(set(kinds) - set(measured))
    spinning = [f for f in doc.get("failures", []) if "rings (spinning?)" in f]
    worst = max(measured, key=measured.get, default=None)
    figures["hostile_worst_kind"] = {"kind": worst, "share": round(measured[worst], 4)} if worst else None
    ok(f"hostile: worker busy under 20 % of each kind's own quiet windows ({len(kinds)} kinds"
       + (f", worst {worst} {100 * measured[worst]:.1f} %)" if worst else ")"),
       not spinning and not unmeasured,
       (f"(vnet: {spinning})" if spinning else "") + (f" (no quiet window: {unmeasured})" if unmeasured else ""))


def sc_kill(n):
    modes = ["tx", "rx", "rr"]
    times = []
    with LeakCheck("kill"):
        for i in range(n):
            mode = modes[i % 3]
            log = open(f"/tmp/kill{i}.log", "w+")
            # rr keeps every RTT sample: a bounded count (still minutes of traffic).
            frames = "2000000" if mode == "rr" else "4000000000"
            p = subprocess.Popen([f"{BIN}/lwvhost-vnet", mode, "--frames", frames, "--size", "16-1472",
                                  "--timeout-ms", "60000"] + (["--window", "16"] if mode == "rr" else []),
                                 stdout=log, stderr=subprocess.STDOUT)
            started = worker_of(p.pid, 20.0)
            time.sleep(0.05 + 0.01 * (i % 10))
            if not ok(f"kill {i}: {mode} flood running", started and p.poll() is None,
                      f"(worker found: {started}, exit: {p.poll()}, "
                      f"output: {open(f'/tmp/kill{i}.log').read()[-500:]!r})"):
                p.kill()
                reap(p)
                continue
            os.kill(p.pid, signal.SIGKILL)
            figures["faults_injected"] += 1
            dt = reap(p)
            times.append(dt if dt is not None else 99)
            if dt is None or dt > 2.0:
                ok(f"kill {i}: owner reaped promptly", False, f"({dt})")
        ok(f"kill: {n} owners SIGKILLed mid-flood, each reaped within 2 s",
           times and max(times) <= 2.0, f"(max {max(times or [0]):.3f} s)")
        no_device_left("kill")
    figures["kill_max_reap_s"] = max(times or [0])


def no_device_left(what, timeout=5.0):
    """Every lwvhost device gone (lwvhost only: stock has no /proc/lwvhost)."""
    deadline = time.time() + timeout
    while lwvhost_proc_dirs() and time.time() < deadline:
        time.sleep(0.1)
    dirs = lwvhost_proc_dirs()
    if dirs is not None:
        ok(f"{what}: no /proc/lwvhost device left behind", not dirs, f"({dirs})")


def iotlb_victim(i, blocked, ready_fd):
    """Child process: an IOTLB-mode device whose queues miss (TX on its
    descriptor table, RX on its ring once a frame arrives), then either
    leaves the MISS messages unread or reads them and blocks in read()
    waiting for more. Says "go" on ready_fd and waits to be killed."""
    try:
        d = NetDev(1 << F_VERSION_1, f"rik{i}", num=64, mem_size=1 << 20, iotlb="used")
        d.attach()
        d.post_rx(8)
        d.tx([frame(i, 200)])
        d.tap.send(frame(i + 1, 200))
        if select.select([d.fd], [], [], 10)[0]:
            if blocked:
                os.set_blocking(d.fd, False)
                while d.iotlb_read() is not None:
                    pass
                os.set_blocking(d.fd, True)
            os.write(ready_fd, b"g")
            if blocked:
                os.read(d.fd, IOTLB_MSG_SIZE)
        time.sleep(120)
    finally:
        os._exit(0)


def sc_iotlb_kills(n):
    times = []
    for i in range(n):
        blocked = i % 2 == 1
        what = "a read() blocked on the device" if blocked else "a MISS pending unread"
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            iotlb_victim(i, blocked, w)
        os.close(w)
        ready = select.select([r], [], [], 20)[0] and os.read(r, 1) == b"g"
        os.close(r)
        if not ok(f"iotlb kill {i}: the owner's queues missed ({what})", ready):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            continue
        time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
        figures["faults_injected"] += 1
        t, end = time.time(), time.time() + 5
        while os.waitpid(pid, os.WNOHANG) == (0, 0) and time.time() < end:
            time.sleep(0.01)
        times.append(time.time() - t)
    ok(f"iotlb: {n} owners SIGKILLed with misses outstanding, each reaped within 2 s",
       times and max(times) <= 2.0, f"(max {max(times or [0]):.3f} s)")
    no_device_left("iotlb")


def iotlb_storm(d, stop, counts, seed):
    """INVALIDATE a random part of guest memory (a page, 16 pages, all of
    it), map all of it again a moment later; until stop is set."""
    rnd = random.Random(seed)
    pages = d.mem.size // PAGE
    while not stop.is_set():
        off = rnd.randrange(pages) * PAGE
        size = rnd.choice([PAGE, 16 * PAGE, d.mem.size - off])
        if d.iotlb_invalidate(off, min(size, d.mem.size - off)) == IOTLB_MSG_SIZE:
            counts["invalidations"] += 1
        time.sleep(rnd.choice([0, 0.0002, 0.001, 0.005]))
        if d.iotlb_update(0, d.mem.size) != IOTLB_MSG_SIZE:
            counts["update_errors"] += 1
        time.sleep(rnd.choice([0, 0.0005, 0.002]))


def iotlb_answer(d, stop, counts):
    """The owner's side: answer every MISS with a mapping of all memory."""
    while not stop.is_set():
        m = d.iotlb_read(0.05)
        if m is not None and m[1] == IOTLB_MISS:
            counts["misses_read"] += 1
            d.iotlb_update(0, d.mem.size)


def sc_iotlb_storm(seconds):
    d = NetDev(1 << F_VERSION_1, "ris0", num=256, mem_size=4 << 20, iotlb="all")
    os.set_blocking(d.fd, False)
    d.attach()
    tx, rx = d.rings[d.TX], d.rings[d.RX]
    slots = [d.mem.alloc(2048) for _ in range(32)]
    d.post_rx(64)
    stop = threading.Event()
    counts = {"invalidations": 0, "update_errors": 0, "misses_read": 0}
    threads = [threading.Thread(target=iotlb_storm, args=(d, stop, counts, args.seed)),
               threading.Thread(target=iotlb_answer, args=(d, stop, counts))]
    for t in threads:
        t.start()
    bad, seq, sent_tx, sent_rx, got_rx = [], 0, 0, 0, 0
    end = time.time() + seconds
    try:
        while time.time() < end and not bad:
            batch = [frame(seq + k, 64 + (seq + k) * 37 % 1400) for k in range(16)]
            seq += 16
            for off, f in zip(slots, batch):
                d.mem.w(off, bytes(d.hdr_len) + f)
                tx.add([(d.mem.gpa_of(off), d.hdr_len + len(f), False)])
            tx.do_kick()
            got = d.tap.recv_frames(len(batch))
            if got != batch or len(tx.wait_used(len(batch))) != len(batch):
                bad.append(f"TX frames {seq - 16}..{seq - 1}: {len(got)} of {len(batch)} "
                           f"arrived{'' if got == batch[:len(got)] else ', damaged or out of order'}")
            sent_tx += len(batch)
            for f in batch[:8]:
                d.tap.send(f)
            recv, deadline = [], time.time() + 5
            while len(recv) < 8 and time.time() < deadline:
                for e in rx.pop_used():
                    data = d.rx_read(e)[d.hdr_len:]
                    if is_test_frame(data):
                        recv.append(data)
                    d.repost_rx(e[0])
                rx.do_kick()
                time.sleep(0.002)
            if recv != batch[:8]:
                bad.append(f"RX: {len(recv)} of 8 frames, "
                           f"{'intact' if recv == batch[:len(recv)] else 'damaged or out of order'}")
            sent_rx += 8
            got_rx += len(recv)
    finally:
        stop.set()
        for t in threads:
            t.join()
    errs = [read_eventfd(r.err) for r in (rx, tx)]
    ok(f"iotlb storm: {sent_tx} TX and {sent_rx} RX frames through {counts['invalidations']} "
       f"invalidations and {counts['misses_read']} misses answered, none lost, damaged or "
       f"reordered", not bad and counts["invalidations"] > 0, f"({bad[:3]})")
    ok("iotlb storm: no ring error (err eventfds silent)", errs == [0, 0], f"({errs})")
    if args.impl == "lwvhost":
        proc = [p for p in lwvhost_proc_dirs() or []
                if read_kv(f"/proc/lwvhost/{p}/info")["owner_pid"] == os.getpid()]
        st = read_kv(f"/proc/lwvhost/{proc[0]}/stats") if proc else {}
        # Misses are counted but not required: whether a pass ever meets
        # the short unmapped window is up to timing (a 6.12 run saw none).
        ok("iotlb storm: the counters saw it (invalidations, updates)",
           st and st["tx_iotlb_invalidations"] >= counts["invalidations"] and
           st["tx_iotlb_updates"] > 0,
           f"({ {k: v for k, v in st.items() if 'iotlb' in k} })")
    figures["iotlb_storm"] = dict(counts, tx_frames=sent_tx, rx_frames=got_rx)
    d.close()


def sc_iotlb(kills, storm_s):
    with LeakCheck("iotlb"):
        sc_iotlb_kills(kills)
        sc_iotlb_storm(storm_s)


def flood_thread(dev, stop, errors, counter):
    """TX and RX traffic on a vhostlib NetDev until stop is set, reusing a
    fixed set of buffers. counter: [RX frames the guest received, TX
    buffers the device completed]. Errors (a vanished tap, a detached ring)
    are collected in errors as "<step> <ERRNO or exception>" and judged by
    the caller."""
    frames = [frame(i, 300) for i in range(32)]
    slots = [dev.tx_buffer(f) for f in frames]
    tx, rx = dev.rings[dev.TX], dev.rings[dev.RX]
    dev.post_rx(64)
    k = 0
    while not stop.is_set():
        step = "tx"
        try:
            counter[1] += len(tx.pop_used())
            added = 0
            while len(tx.free) > 0 and added < 16 and len(tx.chains) < 32:
                tx.add([slots[k % len(slots)]])
                k += 1
                added += 1
            tx.do_kick()
            step = "send"
            for f in frames[:8]:
                dev.tap.send(f)
            step = "rx"
            for i, _ in rx.pop_used():
                dev.repost_rx(i)
                counter[0] += 1
            rx.do_kick()
            time.sleep(0.0005)
        except (OSError, IndexError, KeyError) as e:
            what = errno.errorcode.get(e.errno, str(e.errno)) if isinstance(e, OSError) else repr(e)
            errors.append(f"{step} {what}")
            time.sleep(0.01)


# Frames a flood must have moved each way before a fault is injected (and,
# for the swaps, during them): the fault then hits live traffic.
FLOOD_MIN_FRAMES = 32


def flood_started(counter, minimum=FLOOD_MIN_FRAMES, timeout=10.0):
    """Waits until the flood moved `minimum` frames each way; the counts."""
    end = time.time() + timeout
    while min(counter) < minimum and time.time() < end:
        time.sleep(0.02)
    return list(counter)


def flood_errors(errors, expected):
    """Errors of the flood other than the expected "<step> <ERRNO>" ones."""
    return sorted({e for e in errors if e not in expected})


# AF_PACKET send on the far end of a deleted tap: its device is gone.
TAPDEL_EXPECTED = {"send ENXIO", "send ENODEV", "send ENETDOWN"}


def sc_tapdel(n):
    with LeakCheck("tapdel"):
        for i in range(n):
            d = NetDev(1 << F_VERSION_1 | 1 << NET_F_MRG_RXBUF, f"rtd{i}", num=256, mem_size=8 << 20)
            d.attach()
            stop, errors, counter = threading.Event(), [], [0, 0]
            t = threading.Thread(target=flood_thread, args=(d, stop, errors, counter))
            t.start()
            time.sleep(0.3)
            moved = flood_started(counter)
            before = list(errors)
            ok(f"tapdel {i}: traffic flowing before the fault ({moved[0]} RX, {moved[1]} TX frames, "
               f"at least {FLOOD_MIN_FRAMES} each way)", min(moved) >= FLOOD_MIN_FRAMES)
            rc, out = sh(f"ip link delete rtd{i}")
            figures["faults_injected"] += 1
            ok(f"tapdel {i}: tap deleted during traffic", rc == 0, out)
            time.sleep(0.3)
            stop.set()
            t.join(10)
            ok(f"tapdel {i}: traffic loop ended", not t.is_alive())
            after = errors[len(before):]
            figures.setdefault("tapdel_flood", []).append(
                {"rx": counter[0], "tx": counter[1], "errors_before": len(before),
                 "errors_after": len(after), "kinds": sorted(set(errors))})
            ok(f"tapdel {i}: no flood error before the fault", not before, f"({sorted(set(before))})")
            # Only sending into the deleted interface may fail afterwards.
            odd = flood_errors(after, TAPDEL_EXPECTED)
            ok(f"tapdel {i}: after the fault only the expected flood errors ({len(after)} errors)",
               not odd, f"(unexpected: {odd})")
            t0 = time.time()
            os.close(d.fd)
            try:
                d.tap.close()
            except OSError:
                pass
            ok(f"tapdel {i}: device closes promptly", time.time() - t0 < 2.0,
               f"({time.time() - t0:.3f} s)")


# Frames queued on the tap while RX has no backend: more than the RX ring
# holds, so draining them needs the guest to refill the ring.
SWAP_BACKLOG = 128


def recycle_rx(d, quiet_s=0.3, timeout=10.0):
    """Reposts every RX buffer the device fills until none is filled for
    quiet_s; the sequence numbers of the test frames received (the kernel's
    own frames on the tap, IPv6 neighbour discovery say, are skipped)."""
    rx, seqs = d.rings[d.RX], []
    last, end = time.time(), time.time() + timeout
    while time.time() - last < quiet_s and time.time() < end:
        got = rx.pop_used()
        for e in got:
            eth = d.rx_read(e)[d.hdr_len:]
            if is_test_frame(eth):
                # A test frame cut short shows as None and fails the check.
                seqs.append(frame_seq(eth) if len(eth) >= 18 else None)
            d.repost_rx(e[0])
        if got:
            last = time.time()
            rx.do_kick()
        time.sleep(0.005)
    return seqs


def check_rx_backlog(d):
    """With RX detached, SWAP_BACKLOG frames and then a marker are queued on
    the tap; after reattaching, the guest reposts every buffer the device
    fills and must get exactly the backlog, in order, then the marker. What
    the flood left queued is drained first."""
    rx = d.rings[d.RX]
    leftover = recycle_rx(d)
    ioctl_ok(d.fd, NET_SET_BACKEND, vfile(d.RX, -1))
    for k in range(SWAP_BACKLOG):
        d.tap.send(frame(999000 + k, 300))
    d.tap.send(frame(888000, 300))
    ioctl_ok(d.fd, NET_SET_BACKEND, vfile(d.RX, d.tap.fd))
    rx.do_kick()
    seqs = recycle_rx(d, quiet_s=1.0)
    want = list(range(999000, 999000 + SWAP_BACKLOG)) + [888000]
    figures["swap_backlog"] = {"leftover": len(leftover), "frames": len(seqs),
                               "posted": len(rx.chains)}
    ok(f"swap: RX on the final backend drains a {SWAP_BACKLOG}-frame backlog in order, "
       "then the marker", seqs == want,
       f"({len(leftover)} flood frames drained first; then {len(seqs)} frames, "
       f"first {seqs[:3]}, last {seqs[-3:]}; {len(rx.chains)} buffers posted, "
       f"used {rx.used_idx()}, seen {rx.used_seen})")


# The taps stay; nothing the flood does may fail while backends change.
SWAP_EXPECTED = set()


def sc_swap(n):
    """Replace the backend during traffic: tap A, tap B, detach, in a second
    thread of the owner; afterwards tap A must carry good frames both ways."""
    with LeakCheck("swap"):
        d = NetDev(1 << F_VERSION_1 | 1 << NET_F_MRG_RXBUF | 1 << F_EVENT_IDX, "rsa0", num=256,
                   mem_size=8 << 20)
        b = Tap("rsb0", 12)
        d.attach()
        stop, errors, counter = threading.Event(), [], [0, 0]
        t = threading.Thread(target=flood_thread, args=(d, stop, errors, counter))
        t.start()
        moved = flood_started(counter)
        ok(f"swap: traffic flowing before the swaps ({moved[0]} RX, {moved[1]} TX frames, "
           f"at least {FLOOD_MIN_FRAMES} each way)", min(moved) >= FLOOD_MIN_FRAMES)
        failures = 0
        for i in range(n):
            ring = i % 2
            fd = [d.tap.fd, b.fd, -1][(i // 2) % 3]
            failures += ioctl(d.fd, NET_SET_BACKEND, vfile(ring, fd)) != 0
            figures["faults_injected"] += 1
            if i % 16 == 0:
                time.sleep(0.001)
        during = [c - m for c, m in zip(counter, moved)]
        stop.set()
        t.join(10)
        ok(f"swap: {n} backend replacements during traffic, all accepted", failures == 0,
           f"({failures} failed)")
        ok("swap: traffic loop ended", not t.is_alive())
        figures["swap_flood"] = {"rx": counter[0], "tx": counter[1], "rx_during": during[0],
                                 "tx_during": during[1], "errors": len(errors),
                                 "kinds": sorted(set(errors))}
        print(f"     swap: flood {counter[0]} RX / {counter[1]} TX frames, {during[0]} / {during[1]} "
              f"during the swaps, errors {sorted(set(errors))}", flush=True)
        ok(f"swap: traffic kept moving during the swaps ({during[0]} RX, {during[1]} TX frames)",
           min(during) > 0)
        odd = flood_errors(errors, SWAP_EXPECTED)
        ok(f"swap: only the expected flood errors ({len(errors)} errors)", not odd, f"(unexpected: {odd})")
        # Both rings back on tap A, then a clean check of each direction.
        d.attach()
        d.tap.recv_frames(10000, 0.2)
        got_tx = False
        for attempt in range(3):
            d.tx([frame(777000 + attempt, 200)])
            got = d.tap.recv_frames(1, 2.0)
            if any(frame_seq(g) == 777000 + attempt for g in got):
                got_tx = True
                break
        ok("swap: TX works on the final backend", got_tx)
        check_rx_backlog(d)
        t0 = time.time()
        d.close()
        b.close()
        ok("swap: device closes promptly", time.time() - t0 < 2.0)


def sc_unload(n):
    """rmmod refused while open (also with the worker running), allowed after
    close; n times."""
    refused = allowed = 0
    for i in range(n):
        fd = os.open("/dev/vhost-net", os.O_RDWR)
        if i % 2:
            ioctl_ok(fd, SET_OWNER)
        rc, _ = sh("rmmod vhost_net")
        refused += rc != 0
        os.close(fd)
        t0 = time.time()
        good, out = unload()
        allowed += good
        figures["faults_injected"] += 1
        if not good:
            ok(f"unload {i}: rmmod after the last close", False, out)
            break
        load()
        if time.time() - t0 > 10:
            ok(f"unload {i}: unload+reload within 10 s", False)
    ok(f"unload: rmmod refused while open ({refused}/{n})", refused == n)
    ok(f"unload: rmmod succeeded after close ({allowed}/{n})", allowed == n)


def sc_perms():
    # 1. Only the owner's process (its threads included) may drive a device.
    d = NetDev(1 << F_VERSION_1, "rpm0", num=64)
    d.attach()
    calls = [("SET_MEM_TABLE", SET_MEM_TABLE, d.mem.table()),
             ("SET_VRING_NUM", SET_VRING_NUM, state(0, 64)),
             ("SET_VRING_BASE", SET_VRING_BASE, state(0, 0)),
             ("GET_VRING_BASE", GET_VRING_BASE, state(0, 0)),
             ("SET_VRING_KICK", SET_VRING_KICK, vfile(0, d.rings[0].kick)),
             ("SET_VRING_CALL", SET_VRING_CALL, vfile(0, d.rings[0].call)),
             ("SET_VRING_ERR", SET_VRING_ERR, vfile(0, d.rings[0].err)),
             ("SET_VRING_ADDR", SET_VRING_ADDR, bytes(40)),
             ("SET_VRING_BUSYLOOP_TIMEOUT", SET_VRING_BUSYLOOP_TIMEOUT, state(0, 0)),
             ("GET_VRING_BUSYLOOP_TIMEOUT", GET_VRING_BUSYLOOP_TIMEOUT, state(0, 0)),
             ("SET_LOG_BASE", SET_LOG_BASE, u64(0)),
             ("SET_LOG_FD", SET_LOG_FD, struct.pack("i", -1)),
             ("NET_SET_BACKEND", NET_SET_BACKEND, vfile(0, -1)),
             ("RESET_OWNER", RESET_OWNER, 0),
             ("SET_OWNER", SET_OWNER, 0),
             ("SET_FEATURES", SET_FEATURES, u64(1 << F_VERSION_1))]
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        res = {name: ioctl(d.fd, req, arg) for name, req, arg in calls}
        os.write(w, json.dumps(res).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.waitpid(pid, 0)
    child = json.loads(data)
    figures["nonowner_errno"] = {k: errno.errorcode.get(v, v) if v else "ok" for k, v in child.items()}
    for name, req, arg in calls:
        e = child[name]
        if name == "SET_OWNER":
            ok("perms: non-owner SET_OWNER on an owned device is EBUSY", e == errno.EBUSY,
               f"({errno.errorcode.get(e, e)})")
        elif name == "SET_FEATURES" and args.impl == "stock":
            # Stock takes features from anyone; recorded, not judged.
            print(f"     stock: non-owner SET_FEATURES -> {errno.errorcode.get(e, 'ok')}")
        else:
            ok(f"perms: non-owner {name} refused with EPERM", e == errno.EPERM,
               f"({errno.errorcode.get(e, e) if e else 'succeeded'})")
    # A thread of the owner shares its mm: allowed.
    res = []
    th = threading.Thread(target=lambda: res.append(ioctl(d.fd, GET_VRING_BUSYLOOP_TIMEOUT, state(0, 0))))
    th.start()
    th.join()
    ok("perms: a thread of the owner may issue ioctls", res == [0], f"({res})")
    # The device still works for its owner afterwards.
    d.tx([frame(4242, 200)])
    ok("perms: the owner's device still carries traffic",
       any(frame_seq(f) == 4242 for f in d.tap.recv_frames(1, 2.0)))
    procfs_checks()
    d.close()


def drop_net_admin(cmd):
    """cmd run as root without CAP_NET_ADMIN (bounding, inheritable and
    ambient sets cleared of it)."""
    return ("setpriv --bounding-set=-net_admin --inh-caps=-net_admin --ambient-caps=-net_admin "
            f"-- sh -c {shq(cmd)}")


def shq(s):
    return "'" + s.replace("'", "'\\''") + "'"


POINTER = re.compile(r"\b(?:0x)?ffff[0-9a-f]{12}\b|\b(?:0x)?[0-9a-f]{16}\b", re.IGNORECASE)


def procfs_checks():
    if args.impl != "lwvhost":
        return
    dirs = lwvhost_proc_dirs()
    if not dirs:
        skip("perms: /proc/lwvhost", "no device directories (pacing/procfs not in this build)")
        return
    leaks, files, writable = [], 0, []
    for dname in dirs:
        base = f"/proc/lwvhost/{dname}"
        for fn in os.listdir(base):
            path = f"{base}/{fn}"
            try:
                text = open(path).read()
            except OSError:
                continue
            files += 1
            for m in POINTER.finditer(text):
                leaks.append(f"{path}: {m.group(0)}")
            for tok in re.findall(r"\b\d+\b", text):
                if int(tok) >= 1 << 47:  # a kernel address printed in decimal
                    leaks.append(f"{path}: {tok}")
            if os.stat(path).st_mode & 0o200:
                writable.append(path)
    ok(f"perms: {files} files under /proc/lwvhost show no kernel pointer", not leaks, f"({leaks[:5]})")
    for path in writable[:8]:
        old = open(path).read().strip()
        probe = ("import os, errno\ntry:\n    fd = os.open(%r, os.O_WRONLY)\n    os.write(fd, b'1')\n"
                 "    print('WRITE ok')\nexcept OSError as e:\n    print('WRITE', errno.errorcode[e.errno])") % path
        rc, out = sh(drop_net_admin(f"python3 -c {shq(probe)}"))
        ok(f"perms: write to {path} without CAP_NET_ADMIN refused with EPERM", "WRITE EPERM" in out,
           out.strip()[-200:])
        ok(f"perms: {path} unchanged after the refused write", open(path).read().strip() == old)
        rc, out = sh(f"echo {old} > {path}")
        ok(f"perms: root with CAP_NET_ADMIN may write {path}", rc == 0, out)
    genl_checks(dirs[0])


# Generic netlink, by hand: resolve the family, then DEV_SET without
# CAP_NET_ADMIN in a child that dropped it.
NETLINK_GENERIC = 16
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2


def nla(typ, payload):
    n = 4 + len(payload)
    return struct.pack("<HH", n, typ) + payload + bytes((4 - n % 4) % 4)


def genl_request(sock, family, cmd, attrs, flags=NLM_F_REQUEST | NLM_F_ACK):
    body = struct.pack("<BBH", cmd, 1, 0) + attrs
    msg = struct.pack("<IHHII", 16 + len(body), family, flags, 1, 0) + body
    sock.send(msg)
    return sock.recv(65536)


def genl_family(sock, name):
    reply = genl_request(sock, GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                         nla(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0"), NLM_F_REQUEST)
    _, typ = struct.unpack("<IH", reply[:6])
    if typ == NLMSG_ERROR:
        return None
    off = 20
    while off + 4 <= len(reply):
        ln, at = struct.unpack("<HH", reply[off:off + 4])
        if at == CTRL_ATTR_FAMILY_ID:
            return struct.unpack("<H", reply[off + 4:off + 6])[0]
        off += (ln + 3) & ~3
    return None


def genl_set_errno(dev_id):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    s.bind((0, 0))
    fam = genl_family(s, "lwvhost")
    if fam is None:
        return None
    # DEV_SET: DEV_ID, one VQ nest (DIR tx, POLL_INTERVAL_US 0).
    vq = nla(1, struct.pack("<I", 1)) + nla(3, struct.pack("<I", 0))
    attrs = nla(1, struct.pack("<I", dev_id)) + nla(5 | 0x8000, vq)
    reply = genl_request(s, fam, 2, attrs)
    _, typ = struct.unpack("<IH", reply[:6])
    if typ != NLMSG_ERROR:
        return 0
    return -struct.unpack("<i", reply[16:20])[0]


def genl_checks(dev_id):
    script = (f"import sys; sys.path.insert(0, {HERE!r}); import reliability as r; "
              f"print('GENL', r.genl_set_errno({int(dev_id)}))")
    rc, out = sh(drop_net_admin(f"python3 -c {shq(script)}"))
    m = re.search(r"GENL (\S+)", out)
    if not m or m.group(1) == "None":
        skip("perms: genetlink", f"family lwvhost not registered ({out.strip()[-200:]})")
        return
    ok("perms: genetlink DEV_SET without CAP_NET_ADMIN refused with EPERM", m.group(1) == str(errno.EPERM),
       f"(errno {m.group(1)})")
    ok("perms: genetlink DEV_SET with CAP_NET_ADMIN accepted", genl_set_errno(int(dev_id)) == 0)


def set_pacing_defaults(values):
    base = "/sys/module/vhost_net/parameters"
    for k, v in values.items():
        with open(f"{base}/{k}", "w") as f:
            f.write(str(v))


PACING = {"tx_poll_interval_us": 50, "rx_poll_interval_us": 50, "rx_coalesce_usecs": 100,
          "rx_coalesce_frames": 16, "tx_coalesce_usecs": 50}


def pacing_available():
    return args.impl == "lwvhost" and os.path.exists(
        "/sys/module/vhost_net/parameters/tx_poll_interval_us")


INTEGRITY_LINGER_MS = 400


def read_device(base):
    """The pacing knobs and stats of one /proc/lwvhost/<id>; None once gone."""
    try:
        knobs = {k: int(open(f"{base}/{k}").read()) for k in PACING}
    except (OSError, ValueError):
        return None
    stats = device_stats(base)
    return None if stats is None else {"knobs": knobs, "stats": stats}


def run_watched(cmd, timeout):
    """run_json for a command that opens one lwvhost device: also follows
    its /proc/lwvhost directory while the command runs. The device is
    {"id", "knobs", "stats"} as last read (None if never seen)."""
    before = set(lwvhost_proc_dirs() or [])
    log = open("/tmp/integrity.out", "w+")
    p = subprocess.Popen(cmd, shell=True, stdout=log, stderr=subprocess.STDOUT, text=True)
    dev, end = None, time.time() + timeout
    while p.poll() is None and time.time() < end:
        new = sorted(set(lwvhost_proc_dirs() or []) - before, key=int)
        if new:
            r = read_device(f"/proc/lwvhost/{new[-1]}")
            if r is not None:
                dev = dict(r, id=new[-1])
        time.sleep(0.02)
    if p.poll() is None:
        p.kill()
    rc = p.wait()
    log.seek(0)
    out = log.read()
    log.close()
    return rc, out, json_after_text(out), dev


def pacing_evidence(label, what, params, dev):
    """With pacing as the module defaults, the device vnet opened must have
    taken them and its poll timers must have fired; without, figures only."""
    knobs = dev["knobs"] if dev else {}
    wakeups = timer_wakeups(dev["stats"]) if dev else None
    figures.setdefault("integrity_pacing", []).append(
        {"run": f"{what}{label}", "device": dev and dev["id"], "knobs": knobs, "timer_wakeups": wakeups})
    if not params:
        print(f"     integrity: vnet {what} without pacing: device {dev and dev['id']}, knobs {knobs}, "
              f"{wakeups} poll-timer wakeups", flush=True)
        return
    ok(f"integrity{label}: vnet {what}: its device took the pacing defaults",
       dev is not None and knobs == params, f"(device {dev and dev['id']}: {knobs}, wanted {params})")
    ok(f"integrity{label}: vnet {what}: pacing active ({wakeups} poll-timer wakeups)",
       bool(wakeups), f"(stats: {dev and dev['stats']})")


def sc_integrity(n):
    variants = [("", {})]
    if pacing_available():
        variants.append((" with pacing", PACING))
    else:
        skip("integrity with pacing", "no pacing module parameters in this build")
    with LeakCheck("integrity"):
        for label, params in variants:
            if params:
                set_pacing_defaults(params)
            for mode, extra in (("tx", ""), ("rx", ""), ("rr", " --window 4"),
                                ("tx", " --event-idx --indirect"), ("rx", " --event-idx --mrg-rxbuf")):
                frames = n if mode != "rr" else max(200, n // 20)
                cmd = (f"{BIN}/lwvhost-vnet {mode} --frames {frames} --size 16-1472 --rate 20000{extra} "
                       f"--timeout-ms 10000 --json")
                if args.impl == "lwvhost":
                    # Lingering idle and attached lets the knobs and counters
                    # of its device be read once the traffic is over.
                    rc, out, doc, dev = run_watched(cmd + f" --linger-ms {INTEGRITY_LINGER_MS}", 600)
                else:
                    rc, out, doc = run_json(cmd, timeout=600)
                    dev = None
                good = doc is not None and rc == 0
                if doc:
                    figures["frames_checked"] += doc.get("packets", 0)
                    dirs = [doc.get("checks", {}).get(k, {}) for k in ("guest_to_host", "host_to_guest")]
                    bad = {k: sum(dd.get(k, 0) for dd in dirs)
                           for k in ("lost", "duplicated", "corrupted", "out_of_order")}
                else:
                    bad = {}
                ok(f"integrity{label}: vnet {mode}{extra} {frames} frames intact and in order",
                   good and not any(bad.values()), f"({bad})" if bad else out[-1500:])
                if args.impl == "lwvhost":
                    pacing_evidence(label, f"{mode}{extra}", params, dev)
            if params:
                set_pacing_defaults({k: 0 for k in params})


FLAP_SLICE_S = 0.25


def device_stats(base):
    """/proc/lwvhost/<id>/stats as {name: value}; None if unreadable."""
    try:
        text = open(f"{base}/stats").read()
    except OSError:
        return None
    out = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) == 2 and f[1].isdigit():
            out[f[0]] = int(f[1])
    return out


def timer_wakeups(stats):
    return stats.get("rx_timer_wakeups", 0) + stats.get("tx_timer_wakeups", 0)


def sc_flap(seconds):
    if not pacing_available():
        skip("flap", "no pacing knobs in this build")
        return
    with LeakCheck("flap"):
        p = subprocess.Popen([f"{BIN}/lwvhost-vnet", "tx", "--frames", "4000000000", "--size", "16-1472",
                              "--timeout-ms", "60000"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        worker_of(p.pid)
        end = time.time() + 5
        dirs = []
        while time.time() < end and not dirs:
            dirs = lwvhost_proc_dirs() or []
            time.sleep(0.05)
        if not ok("flap: device directory appeared", bool(dirs)):
            p.kill()
            reap(p)
            return
        base = f"/proc/lwvhost/{dirs[0]}"
        knobs = [("tx_poll_interval_us", [0, 20, 100, 1000]), ("rx_poll_interval_us", [0, 50, 500]),
                 ("tx_coalesce_usecs", [0, 10, 200]), ("rx_coalesce_usecs", [0, 30, 1000]),
                 ("rx_coalesce_frames", [0, 1, 64]), ("tx_idle_polls", [1, 8, 1000])]
        fds = {k: os.open(f"{base}/{k}", os.O_WRONLY) for k, _ in knobs}
        writes = errors = 0
        # The device's counters, read at the start and every FLAP_SLICE_S:
        # frames must move in every slice, the poll timers must fire.
        samples = [device_stats(base)]
        last_sample = time.time()
        t_end = time.time() + seconds
        period = 0.001
        nxt = time.time()
        next_sample = time.time() + FLAP_SLICE_S
        while time.time() < t_end:
            k, vals = knobs[writes % len(knobs)]
            try:
                os.pwrite(fds[k], str(vals[(writes // len(knobs)) % len(vals)]).encode(), 0)
            except OSError:
                errors += 1
            writes += 1
            if time.time() >= next_sample:
                samples.append(device_stats(base))
                last_sample = time.time()
                next_sample += FLAP_SLICE_S
            nxt += period
            delay = nxt - time.time()
            if delay > 0:
                time.sleep(delay)
        # A last slice shorter than half a slice joins the one before.
        if len(samples) > 1 and time.time() - last_sample < FLAP_SLICE_S / 2:
            samples.pop()
        samples.append(device_stats(base))
        for fd in fds.values():
            os.close(fd)
        figures["faults_injected"] += writes
        rate = writes / seconds
        alive = p.poll() is None
        os.kill(p.pid, signal.SIGTERM)
        dt = reap(p, 10)
        ok(f"flap: {writes} knob writes at {rate:.0f}/s during a flood, none refused",
           errors == 0 and rate > 500, f"({errors} refused)")
        ok("flap: the flood survived", alive)
        ok("flap: owner exits promptly afterwards", dt is not None and dt < 5)
        read = [x for x in samples if x is not None]
        steps = [b.get("tx_packets", 0) - a.get("tx_packets", 0) for a, b in zip(samples, samples[1:])
                 if a is not None and b is not None]
        wakeups = (timer_wakeups(read[-1]) - timer_wakeups(read[0])) if len(read) >= 2 else 0
        figures["flap"] = {"slices": len(steps), "tx_packets_per_slice": steps, "timer_wakeups": wakeups}
        ok(f"flap: frames kept moving ({sum(steps)} TX frames, at least one in each of "
           f"{len(steps)} slices of {FLAP_SLICE_S} s)",
           len(read) == len(samples) and len(steps) >= 2 and min(steps) > 0,
           f"(per slice: {steps}, {len(samples) - len(read)} unreadable stats)")
        ok(f"flap: pacing active during the flapping ({wakeups} poll-timer wakeups)", wakeups > 0)


def count_kernel_complaints():
    rc, out = sh("dmesg")
    lines = [l for l in out.splitlines() if complaint_in(l)]
    return len(lines), lines[:5]


def main():
    global args, PER_SCENARIO_LEAKS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--impl", choices=["stock", "lwvhost"], required=True)
    ap.add_argument("--scale", choices=list(SCALES), default="short")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", default="fuzz,hostile,kill,tapdel,swap,unload,perms,integrity,flap,"
                                      "iotlb")
    ap.add_argument("--paced", action="store_true",
                    help="lwvhost: run each scenario with the pacing defaults set "
                         "(teardown paths with timers armed and signals held)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=N",
                    help=f"override one count of the scale ({', '.join(SCALES['short'])})")
    args = ap.parse_args()
    sc = dict(SCALES[args.scale])
    for kv in args.set:
        k, _, v = kv.partition("=")
        if k not in sc or not v.isdigit():
            ap.error(f"--set {kv}: expected one of {', '.join(sc)} = a number")
        sc[k] = int(v)
    load()
    only = args.only.split(",")
    t0 = time.time()
    PER_SCENARIO_LEAKS = args.scale != "short"
    whole = LeakCheck("all scenarios", scope="run")
    whole.__enter__()
    steps = [("perms", sc_perms, ()), ("integrity", sc_integrity, (sc["integrity_frames"],)),
             ("fuzz", sc_fuzz, (sc["fuzz_calls"],)), ("hostile", sc_hostile, (sc["hostile_rings"],)),
             ("kill", sc_kill, (sc["kills"],)), ("tapdel", sc_tapdel, (sc["tapdels"],)),
             ("swap", sc_swap, (sc["swaps"],)), ("flap", sc_flap, (sc["flap_s"],)),
             ("iotlb", sc_iotlb, (sc["iotlb_kills"], sc["iotlb_storm_s"])),
             ("unload", sc_unload, (sc["unloads"],))]
    if args.paced and not pacing_available():
        ap.error("--paced needs lwvhost (its pacing parameters)")
    for name, fn, a in steps:
        if name in only:
            t = time.time()
            # Re-applied per scenario: integrity and flap set their own knobs
            # and leave them at 0, unload reloads the module with defaults.
            if args.paced:
                set_pacing_defaults(PACING)
            print(f"== {name}" + (" (paced)" if args.paced else ""), flush=True)
            fn(*a)
            figures.setdefault("seconds", {})[name] = round(time.time() - t, 1)
    whole.__exit__(None, None, None)
    n, lines = count_kernel_complaints()
    figures["warnings_seen"] = n
    ok("no kernel complaint in dmesg", n == 0, f"({lines})")
    if args.paced and pacing_available():
        set_pacing_defaults({k: 0 for k in PACING})
    figures.update(impl=args.impl, scale=args.scale, seed=args.seed, paced=args.paced,
                   kernel=os.uname().release,
                   total_s=round(time.time() - t0, 1))
    print("RELIABILITY " + json.dumps(figures), flush=True)
    check.exit()


if __name__ == "__main__":
    main()
