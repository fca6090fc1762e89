# SPDX-License-Identifier: GPL-2.0
"""A nested Linux guest on a vhost-net tap, inside the test VM: boot it,
talk to it through its 9p share, check it, stop it.  Used by
tests/qemu/nested-guest (the checks of test_nested_guest.py) and by
tools/bench/guest-bench-in-vm (make bench-guest).

Nested(a) takes the options of nested-guest (an argparse namespace):
release, tap, host_ip, guest_ip, smp, mem, vhost, iommu, boot_timeout,
seconds, resize, show_console; optional: append (more guest kernel words)
and trace (QEMU trace events, logged to a file and summarised in the
result, not mixed into QEMU's log, which must stay clean).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "vm"))
sys.path.insert(0, str(HERE))
from complaints import find_complaints  # noqa: E402
import hostnet  # noqa: E402
from hostnet import sh  # noqa: E402

GUEST_MAC = "52:54:00:4c:57:02"
SHARE_TAG = "results"  # mkguest-initramfs mounts this tag


def log(msg):
    print("nested-guest: %s" % msg, file=sys.stderr, flush=True)


def vmlinux_for(release, tmp):
    cached = ROOT / "build" / "vm" / release / "vmlinux"
    if cached.exists():
        return cached
    import vmimage
    out = Path(tmp) / "vmlinux"
    vmimage.extract_vmlinux("/boot/vmlinuz-%s" % release, out)
    return out


def server_intervals(text):
    """Mbit/s per interval from iperf3's server report (the text that
    --get-server-output returns when the server runs without -J), up to
    its summary; the server is the receiver of a run into the guest."""
    scale = {"": 1e-6, "K": 1e-3, "M": 1.0, "G": 1e3}
    out = []
    for line in text.splitlines():
        if line.startswith("- - -"):
            break
        m = re.match(r"\[\s*\d+\]\s+[\d.]+-[\d.]+\s+sec\s+.*?"
                     r"([\d.]+) ([KMG]?)bits/sec", line)
        if m:
            out.append(round(float(m.group(1)) * scale[m.group(2)], 1))
    return out


def summarise_trace(path):
    """Counts per QEMU trace event, and per event and wall-clock second
    (the log backend's lines start "PID@SECONDS.MICROS:EVENT ...")."""
    counts, per_second = {}, {}
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return {"counts": {}, "per_second": {}}
    for m in re.finditer(r"^\d+@(\d+)\.\d+:(\w+)", text, re.M):
        second, event = m.groups()
        counts[event] = counts.get(event, 0) + 1
        per_second.setdefault(event, {})
        per_second[event][second] = per_second[event].get(second, 0) + 1
    return {"counts": counts, "per_second": per_second}


class GuestDied(RuntimeError):
    pass


class Nested:
    def __init__(self, a):
        self.a = a
        self.res = {"checks": {}, "kernel": a.release}
        self.tmp = tempfile.mkdtemp(prefix="nested-guest.")
        self.console_path = Path(self.tmp) / "console.1"
        self.share = Path(self.tmp) / "share.1"
        self.commands = 0
        self.qemu = None
        self.guest_ip = a.guest_ip.split("/")[0]

    def check(self, name, ok, detail=None):
        self.res["checks"][name] = {"ok": bool(ok), "detail": detail}
        log("%s %s %s" % ("PASS" if ok else "FAIL", name,
                          "" if detail is None else detail))
        return ok

    def console(self):
        try:
            return self.console_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_file(self, name, timeout):
        """The text of the guest's file NAME on the share once it exists,
        or None after timeout.  The guest renames files into place, so a
        file that exists is whole."""
        path = self.share / name
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if path.exists():
                return path.read_text(errors="replace")
            if self.qemu.poll() is not None:
                raise GuestDied("nested QEMU exited (%d)" %
                                self.qemu.returncode)
            time.sleep(0.25)
        return None

    def guest(self, command, timeout=120):
        """Run a shell command in the guest: (exit status, output), or
        (None, "") when it did not finish within timeout."""
        self.commands += 1
        name = "cmd/%d" % self.commands
        tmp = self.share / (name + ".tmp")
        tmp.write_text(command + "\n")
        tmp.rename(self.share / (name + ".sh"))
        rc = self.wait_file(name + ".rc", timeout)
        if rc is None:
            return None, ""
        return int(rc), (self.share / (name + ".out")).read_text(
            errors="replace")

    def build_initramfs(self):
        self.initrd = Path(self.tmp) / "initramfs.cpio"
        t0 = time.monotonic()
        sh(str(HERE / "mkguest-initramfs"), str(self.initrd), "--release",
           self.a.release, "--ip", self.a.guest_ip)
        self.res["initramfs_seconds"] = round(time.monotonic() - t0, 1)

    def machine_argv(self):
        """(QEMU arguments for the machine and the NIC, kernel words)."""
        nic = "virtio-net-pci,netdev=n0,mac=%s,romfile=" % GUEST_MAC
        if self.a.iommu == "none":
            return ["-machine", "pc", "-device", nic], ""
        if self.a.iommu == "platform":
            return ["-machine", "pc", "-device",
                    nic + ",disable-legacy=on,iommu_platform=on"], ""
        # ATS needs a PCIe device, so the NIC sits behind a root port.
        return (["-machine", "q35,kernel-irqchip=split",
                 "-device", "intel-iommu,intremap=on,device-iotlb=on",
                 "-device", "pcie-root-port,id=rp1,chassis=1,bus=pcie.0",
                 "-device", nic + ",bus=rp1,iommu_platform=on,ats=on"],
                "intel_iommu=on iommu=strict")

    def boot(self, attempt):
        self.console_path = Path(self.tmp) / ("console.%d" % attempt)
        self.share = Path(self.tmp) / ("share.%d" % attempt)
        self.share.mkdir()
        netdev = "tap,id=n0,ifname=%s,script=no,downscript=no," % self.a.tap
        netdev += "vhost=on,vhostforce=on" if self.a.vhost == "on" \
            else "vhost=off"
        machine, words = self.machine_argv()
        append = " ".join(w for w in (
            "console=ttyS0 panic=-1 loglevel=5 printk.time=1 "
            "mitigations=off nowatchdog rdinit=/init", words,
            getattr(self.a, "append", None)) if w)
        argv = ["qemu-system-x86_64", "-accel", "tcg,thread=multi"] + \
            machine[:2] + \
            ["-cpu", "max", "-smp", str(self.a.smp),
             "-m", self.a.mem, "-nodefaults", "-display", "none",
             "-no-reboot", "-serial", "file:%s" % self.console_path,
             "-kernel", str(vmlinux_for(self.a.release, self.tmp)),
             "-initrd", str(self.initrd), "-append", append,
             "-virtfs", "local,path=%s,mount_tag=%s,security_model=none,"
             "id=share" % (self.share, SHARE_TAG),
             "-netdev", netdev] + machine[2:]
        events = getattr(self.a, "trace", None) or []
        if events:
            self.trace_path = Path(self.tmp) / ("trace.%d.log" % attempt)
            argv += ["-D", str(self.trace_path), "-msg", "timestamp=on"]
            for event in events:
                argv += ["-trace", event]
        self.res["qemu_argv"] = argv
        self.qemu_log = open(Path(self.tmp) / ("qemu.%d.log" % attempt),
                             "w+")
        self.boot_t0 = time.monotonic()
        self.qemu = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=self.qemu_log,
                                     stderr=subprocess.STDOUT)

    def boot_until_ready(self):
        """Boot the guest; return its "ready" words or None.

        TCG inside TCG occasionally kills the nested kernel early in boot
        (seen: a spurious single-step #DB, "WARNING ... exc_debug_kernel",
        then a panic), long before its init loads virtio_net, so before
        vhost-net has anything to do with it.  Such a crash is recorded in
        the result and the guest is booted once more; a crash after init
        started, or a second early crash, fails the test.
        """
        for attempt in (1, 2):
            self.boot(attempt)
            try:
                ready = self.wait_file("ready", self.a.boot_timeout)
                return ready.split() if ready else None
            except GuestDied:
                console = self.console()
                if "NESTED-INIT" in console or attempt == 2:
                    raise
                crash = [l for _, l in find_complaints(console)][:5]
                self.res.setdefault("early_boot_crashes", []).append(
                    crash or console.splitlines()[-5:])
                log("nested kernel died before its init ran, booting again:"
                    " %s" % crash)
        return None

    def iperf(self, name, reverse):
        argv = ["iperf3", "-c", self.guest_ip, "-t", str(self.a.seconds),
                "-J", "--connect-timeout", "20000", "--get-server-output",
                "-p", "5202" if reverse else "5201"]
        if reverse:
            argv.append("-R")
        # Each direction has its own server; a refused or busy connection
        # (server not listening yet) is retried, nothing else is.
        deadline = time.monotonic() + 60
        attempts = 0
        timeouts = hostnet.tcp_timeouts()
        while True:
            attempts += 1
            r = sh(*argv, check=False, timeout=self.a.seconds + 90)
            try:
                j = json.loads(r.stdout)
            except ValueError:
                j = {"error": "unparsable iperf3 output: " + r.stdout[-500:]}
            err = j.get("error") or ""
            if not re.search(r"Connection refused|server is busy", err) or \
                    time.monotonic() > deadline:
                break
            time.sleep(2)
        timeouts = hostnet.tcp_timeouts() - timeouts
        end = j.get("end", {})
        # A stall: a one-second report with nothing received.
        stalls = [round(i["sum"].get("start", 0)) for i in j.get("intervals", [])
                  if i.get("sum", {}).get("bytes", 1) == 0]
        sent = end.get("sum_sent", {})
        recv = end.get("sum_received", {})
        info = {"rc": r.returncode, "error": j.get("error"),
                "sender_mbit_s": round(sent.get("bits_per_second", 0) / 1e6,
                                       1),
                "receiver_mbit_s": round(recv.get("bits_per_second", 0) / 1e6,
                                         1),
                "seconds": round(recv.get("seconds", 0), 1),
                "bytes": recv.get("bytes", 0),
                "retransmits": sent.get("retransmits"),
                "stalled_seconds": stalls,
                "attempts": attempts,
                # Per second: what arrived, and the sender's retransmits
                # when this side sent (iperf3 reports only its own).
                "interval_mbit_s": [
                    round(i["sum"].get("bits_per_second", 0) / 1e6, 1)
                    for i in j.get("intervals", [])],
                "interval_retransmits": [
                    i["sum"].get("retransmits")
                    for i in j.get("intervals", [])],
                # The guest's side: what it received (into the guest) or
                # sent (from it), per second.
                "guest_interval_mbit_s": server_intervals(
                    j.get("server_output_text", "")),
                "started_at": round(time.time() - recv.get("seconds", 0), 1),
                # Retransmission timeouts of this side's TCP (the sender
                # into the guest), over the whole iperf3 run.
                "host_tcp_timeouts": timeouts}
        self.res[name] = info
        return self.check(name, r.returncode == 0 and not info["error"] and
                          info["bytes"] > 0 and not stalls and
                          info["seconds"] >= self.a.seconds * 0.9,
                          "%s Mbit/s received, error=%s, stalled seconds %s" %
                          (info["receiver_mbit_s"], info["error"], stalls))

    def ping_both_ways(self, suffix=""):
        r = sh(*hostnet.ping_argv(self.guest_ip, 5, interval="0.5"),
               check=False, timeout=60)
        pm = re.search(r"(\d+) packets transmitted, (\d+) (?:packets )?"
                       r"received", r.stdout)
        name = "ping_to_guest" + suffix
        self.res[name] = pm.group(0) if pm else r.stdout[-300:]
        self.check(name, r.returncode == 0 and pm and
                   pm.group(1) == pm.group(2) == "5", self.res[name])
        rc, out = self.guest("ping -c 5 -i 0.5 -W 5 %s" % self.a.host_ip)
        pm = re.search(r"(\d+) packets transmitted, (\d+) (?:packets )?"
                       r"received", out)
        name = "ping_from_guest" + suffix
        self.res[name] = pm.group(0) if pm else out[-300:]
        self.check(name, rc == 0 and pm and
                   pm.group(1) == pm.group(2) == "5", self.res[name])

    def resize_rings(self):
        """ethtool -G in the guest: virtio-net resizes each ring with a
        per-queue reset (VIRTIO_F_RING_RESET)."""
        rx, tx = self.a.resize
        rc, out = self.guest("ethtool -G eth0 rx %d tx %d && ethtool -g eth0"
                             % (rx, tx))
        self.res["resize"] = {"rc": rc, "output": out[-1500:]}
        current = out.split("Current hardware settings:")[-1]
        got = {k.lower(): int(v) for k, v in
               re.findall(r"^(RX|TX):\s+(\d+)", current, re.M)}
        self.check("ring_resize", rc == 0 and got == {"rx": rx, "tx": tx},
                   "rc=%s current=%s" % (rc, got))

    def run(self):
        t0 = time.monotonic()
        hostnet.tap_up(self.a.tap, self.a.host_ip)
        self.build_initramfs()
        m = self.boot_until_ready()
        self.res["boot_seconds"] = round(time.monotonic() - self.boot_t0, 1)
        if not self.check("guest_booted", m, "%.1f s" %
                          self.res["boot_seconds"]):
            return
        self.check("guest_kernel_and_mac",
                   m == [self.a.release, GUEST_MAC], " ".join(m))
        fds, workers = hostnet.vhost_evidence(self.qemu.pid)
        self.res["vhost_fds"], self.res["vhost_workers"] = fds, workers
        if self.a.vhost == "on":
            self.check("vhost_in_use", fds >= 1 and workers,
                       "%d /dev/vhost-net fds, worker tids %s" %
                       (fds, workers))

        self.ping_both_ways()
        if self.a.resize:
            self.resize_rings()
            self.ping_both_ways("_after_resize")
        self.iperf("iperf3_to_guest", reverse=False)
        self.iperf("iperf3_from_guest", reverse=True)
        self.res["lwvhost_stats"] = hostnet.lwvhost_stats(self.qemu.pid)
        self.res["seconds"] = round(time.monotonic() - t0, 1)
        self.check("completed", True)

    def finish(self):
        if self.qemu and self.qemu.poll() is None:
            self.qemu.send_signal(signal.SIGTERM)
            try:
                self.qemu.wait(20)
            except subprocess.TimeoutExpired:
                self.qemu.kill()
                self.qemu.wait()
        console = self.console()
        errors = re.findall(r"NESTED-ERROR .*", console)
        try:
            errors += (self.share / "errors").read_text().splitlines()
        except FileNotFoundError:
            pass
        self.check("guest_init_errors", not errors, errors or None)
        complaints = find_complaints(console)
        self.check("guest_kernel_clean", not complaints,
                   [l for _, l in complaints][:5] or None)
        # A complaint's whole report (a slab dump runs to hundreds of
        # lines) is kept in the VM run's result directory.
        results = os.environ.get("LWVHOST_RESULT")
        if complaints and results:
            kept = Path(results) / ("nested-console.%d.txt" % time.time())
            kept.write_text(console)
            self.res["console_kept"] = str(kept)
        if self.qemu:
            self.qemu_log.seek(0)
            text = self.qemu_log.read()
            self.res["qemu_log"] = text[-2000:]
            bad = [ln for ln in text.splitlines()
                   if ln.strip() and "terminating on signal" not in ln]
            self.check("qemu_log_clean", not bad, bad[:5] or None)
        if getattr(self, "trace_path", None):
            self.res["qemu_trace"] = summarise_trace(self.trace_path)
        self.res["ok"] = all(c["ok"] for c in self.res["checks"].values())
        if not self.res["ok"] or self.a.show_console:
            # Prefixed so the outer VM's complaint scan does not take the
            # nested kernel's lines for its own.
            for line in console.splitlines()[-150:]:
                print("nested| " + line, file=sys.stderr)
        hostnet.tap_down(self.a.tap)
        shutil.rmtree(self.tmp, ignore_errors=True)
        return self.res
