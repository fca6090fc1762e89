#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Inside the VM: a macvtap, not a tap, as the VHOST_NET_SET_BACKEND fd.

A veth pair mvl0/mvp0 with a bridge-mode macvtap mvt0 on mvl0. The macvtap's
/dev/tap<ifindex> is opened and given a vnet header as QEMU does, then
attached to both rings. Guest TX frames must come out of the veth peer
(read by an AF_PACKET socket on mvp0); frames sent into mvp0 to the
macvtap's MAC must land in the guest's RX buffers. Payloads are checked
byte for byte; every check is one KTAP result (ktap.py). Runs against whichever
vhost_net is loaded (stock or lwvhost).
"""

import os
import socket
import stat
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vhostlib import *  # noqa: E402,F401,F403

impl = sys.argv[1] if len(sys.argv) > 1 else "lwvhost"
check = Ktap()
V1 = 1 << F_VERSION_1
MRG = 1 << NET_F_MRG_RXBUF
EVT = 1 << F_EVENT_IDX

TUNGETIFF = 0x800454D2
LOWER, PEER, MVT = "mvl0", "mvp0", "mvt0"
MVT_MAC = "02:00:00:00:aa:01"


def sh(*argv):
    subprocess.run(argv, check=True)


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def no_ipv6(name):
    subprocess.run(["sysctl", "-qw", f"net.ipv6.conf.{name}.disable_ipv6=1"],
                   check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def to(dst, f):
    """frame() with its broadcast destination replaced."""
    return mac_bytes(dst) + f[6:]


class Macvtap:
    """mvt0's character device, opened and set up like QEMU's tap backend,
    with an AF_PACKET socket on the veth peer as the far end."""

    def __init__(self, hdr_len):
        ifindex = int(open(f"/sys/class/net/{MVT}/ifindex").read())
        node = f"/dev/tap{ifindex}"
        how = "devtmpfs"
        if not os.path.exists(node):
            major, minor = open(f"/sys/class/macvtap/tap{ifindex}/dev").read().split(":")
            os.mknod(node, 0o600 | stat.S_IFCHR, os.makedev(int(major), int(minor)))
            how = "mknod"
        print(f"backend {node} ({how})", flush=True)
        self.fd = os.open(node, os.O_RDWR | os.O_NONBLOCK)
        ifr = struct.pack("16sH", b"", IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)
        fcntl.ioctl(self.fd, TUNSETIFF, ifr)
        fcntl.ioctl(self.fd, TUNSETVNETHDRSZ, struct.pack("i", hdr_len))
        fcntl.ioctl(self.fd, TUNSETOFFLOAD, 0)
        buf = bytearray(40)
        fcntl.ioctl(self.fd, TUNGETIFF, buf)
        self.flags = struct.unpack("<H", buf[16:18])[0]
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
        self.sock.bind((PEER, 0))
        self.sock.setblocking(False)
        self.peer_mac = open(f"/sys/class/net/{PEER}/address").read().strip()

    # Tap's far-end helpers work unchanged on the peer socket.
    send = Tap.send
    recv_frames = Tap.recv_frames

    def close(self):
        self.sock.close()
        os.close(self.fd)


def rx_collect(d, count, timeout=5.0):
    """Test frames the device wrote into RX buffers, and whether every
    vnet header was clean (no flags, no GSO, num_buffers 1 if present)."""
    ring = d.rings[d.RX]
    got, ok_hdr = [], True
    end = time.time() + timeout
    while len(got) < count and time.time() < end:
        for e in ring.pop_used():
            b = d.rx_read(e)
            hdr, data = b[:d.hdr_len], b[d.hdr_len:]
            if hdr[:10] != bytes(10) or (d.hdr_len == 12 and hdr[10:12] != b"\x01\x00"):
                ok_hdr = False
            if is_test_frame(data):
                got.append(data)
        if len(got) < count:
            time.sleep(0.005)
    return got, ok_hdr


def case(name, features, hdr_len, count=100):
    m = Macvtap(hdr_len)
    check(f"{name}: TUNGETIFF reports IFF_VNET_HDR",
          m.flags & IFF_VNET_HDR and m.flags & IFF_TAP, f"(flags {m.flags:#x})")
    d = NetDev(features, backend=m)
    check(f"{name}: driver header size matches the macvtap's", d.hdr_len == hdr_len,
          f"({d.hdr_len})")
    d.post_rx(count + 4)  # spares for the wrong-MAC and detached checks
    d.attach()

    out = [to(m.peer_mac, frame(i, 200, MVT_MAC)) for i in range(count)]
    d.tx(out)
    got = m.recv_frames(count)
    used = d.rings[d.TX].wait_used(count)
    check(f"{name}: guest->host {count} frames out of the veth peer, in order, intact",
          got == out, f"(got {len(got)})")
    check(f"{name}: {count} TX used entries", len(used) == count, f"(got {len(used)})")
    check(f"{name}: TX guest signalled", read_eventfd(d.rings[d.TX].call, 1.0) > 0)

    into = [to(MVT_MAC, frame(1000 + i, 300, m.peer_mac)) for i in range(count)]
    for f in into:
        m.send(f)
    got, ok_hdr = rx_collect(d, count)
    check(f"{name}: host->guest {count} frames into guest buffers, in order, intact",
          got == into, f"(got {len(got)})")
    check(f"{name}: RX vnet headers clean", ok_hdr)
    check(f"{name}: RX guest signalled", read_eventfd(d.rings[d.RX].call, 1.0) > 0)

    # Another unicast MAC is not the macvtap's: it must not reach the guest.
    m.send(to("02:00:00:00:bb:02", frame(2000, 100, m.peer_mac)))
    mine = to(MVT_MAC, frame(2001, 100, m.peer_mac))
    m.send(mine)
    got, _ = rx_collect(d, 2, 0.5)
    check(f"{name}: only the frame to the macvtap's MAC delivered", got == [mine],
          f"(got {[frame_seq(g) for g in got]})")
    for r in d.rings:
        check(f"{name}: ring {r.index} no error", read_eventfd(r.err) == 0)

    d.detach()
    ioctl_ok(d.fd, NET_SET_BACKEND, vfile(d.RX, -1))  # detaching twice is fine
    before = d.rings[d.RX].used_idx()
    check(f"{name}: RX buffers still posted", (d.rings[d.RX].avail_idx - before) & 0xFFFF == 3)
    m.send(to(MVT_MAC, frame(3000, 100, m.peer_mac)))
    d.tx([to(m.peer_mac, frame(3001, 100, MVT_MAC))])
    time.sleep(0.3)
    check(f"{name}: detached: nothing received into the guest",
          d.rings[d.RX].used_idx() == before)
    check(f"{name}: detached: nothing transmitted", not m.recv_frames(1, 0.2))
    buf = bytearray(state(d.TX, 0))
    fcntl.ioctl(d.fd, GET_VRING_BASE, buf)
    check(f"{name}: TX ring base after detach = frames consumed",
          struct.unpack("<II", buf)[1] == count, f"({struct.unpack('<II', buf)[1]})")
    d.close()


sh("modprobe", "veth")
sh("modprobe", "macvtap")
sh("ip", "link", "add", LOWER, "type", "veth", "peer", "name", PEER)
sh("ip", "link", "add", "link", LOWER, "name", MVT, "type", "macvtap", "mode", "bridge")
sh("ip", "link", "set", MVT, "address", MVT_MAC)
for n in (LOWER, PEER, MVT):
    no_ipv6(n)
    sh("ip", "link", "set", n, "up")

case("macvtap v1+mrg+event_idx", V1 | MRG | EVT, 12)
case("macvtap legacy, 10-byte header", 0, 10)

sh("ip", "link", "del", LOWER)
check("macvtap gone with its lower device", not os.path.exists(f"/sys/class/net/{MVT}"))
check.exit()
