# SPDX-License-Identifier: GPL-2.0
"""Host-side plumbing shared by qtest-net and nested-guest: the tap the
QEMU under test attaches to, `ping`, and proof that QEMU really handed its
rings to /dev/vhost-net."""

import glob
import os
import re
import shutil
import subprocess


def sh(*argv, check=True, timeout=None):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=timeout)
    if check and r.returncode:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(argv),
                                                   r.returncode,
                                                   r.stdout.strip()))
    return r


def tap_up(name, host_ip):
    """(Re)create tap `name` with host_ip/24, IPv6 off (no ND chatter)."""
    if os.path.exists("/sys/class/net/%s" % name):
        sh("ip", "link", "del", name)
    sh("ip", "tuntap", "add", "dev", name, "mode", "tap")
    sh("ip", "addr", "add", "%s/24" % host_ip, "dev", name)
    sh("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % name)
    sh("ip", "link", "set", name, "up")


def tap_down(name):
    sh("ip", "link", "del", name, check=False)


def ping_argv(ip, count, size=56, interval="0.2"):
    """iputils ping when installed, busybox's otherwise."""
    if shutil.which("ping") and "iputils" in sh("ping", "-V",
                                                 check=False).stdout:
        base = ["ping", "-n"]
    else:
        base = ["busybox", "ping"]
    return base + ["-c", str(count), "-i", interval, "-W", "5",
                   "-s", str(size), ip]


def parse_ping(out):
    """(transmitted, received) from either ping's summary, or (None, None)."""
    m = re.search(r"(\d+) packets transmitted, (\d+) (?:packets )?received",
                  out)
    if not m:
        return None, None
    return int(m.group(1)), int(m.group(2))


def vhost_evidence(pid):
    """(number of /dev/vhost-net fds QEMU holds, tids of its vhost worker).

    The worker is named vhost-<QEMU pid>: a kthread on 6.1, a thread of the
    QEMU process itself on 6.12.
    """
    fds = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == "/dev/vhost-net":
                fds += 1
        except OSError:
            pass
    name = "vhost-%d" % pid
    workers = []
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            for t in os.listdir("/proc/%s/task" % p):
                with open("/proc/%s/task/%s/comm" % (p, t)) as f:
                    if f.read().strip() == name:
                        workers.append(int(t))
        except OSError:
            pass
    return fds, workers


def lwvhost_device_dir(pid):
    """/proc/lwvhost/ID of the lwvhost device that process pid owns, or
    None when lwvhost is not loaded or pid owns none."""
    for info in glob.glob("/proc/lwvhost/[0-9]*/info"):
        try:
            with open(info) as f:
                kv = dict(line.split(None, 1) for line in f if " " in line)
            if int(kv.get("owner_pid", "-1")) == pid:
                return os.path.dirname(info)
        except (OSError, ValueError):
            continue
    return None


def lwvhost_stats(pid):
    """The counters (/proc/lwvhost/ID/stats) of the lwvhost device that
    process pid owns, as a dict; {} when lwvhost is not loaded or pid owns
    none."""
    d = lwvhost_device_dir(pid)
    if d is None:
        return {}
    try:
        with open(os.path.join(d, "stats")) as f:
            return {k: int(v) for k, v in
                    (line.split() for line in f if line.strip())}
    except (OSError, ValueError):
        return {}


def tcp_timeouts():
    """This side's TCP retransmission timeouts so far, 0 if unknown."""
    try:
        with open("/proc/net/netstat") as f:
            return parse_tcp_timeouts(f.read())
    except OSError:
        return 0


def parse_tcp_timeouts(netstat):
    """TcpExt TCPTimeouts from the text of /proc/net/netstat (pairs of a
    line of names and a line of values), or 0 if it is missing."""
    lines = netstat.splitlines()
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            fields = dict(zip(names.split()[1:], values.split()[1:]))
            return int(fields.get("TCPTimeouts", 0))
    return 0
