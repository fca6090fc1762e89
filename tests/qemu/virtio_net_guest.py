# SPDX-License-Identifier: GPL-2.0
"""A virtio-net guest driver that lives outside the guest.

The machine's CPU only executes `hlt`; this driver does the guest's work
through qtest: it lays split virtqueues out in guest RAM, posts receive
buffers, places frames in transmit buffers, notifies the device, reads the
used rings back, and acknowledges interrupts through the ISR.  With
`vhost=on` QEMU hands the rings to the kernel's vhost-net worker, so every
frame moves between the tap and these rings without QEMU touching it.

On top sits a minimal IPv4 host (`GuestStack`): it answers ARP and ICMP
echo and counts sequence-numbered UDP flood frames.
"""

import base64
import struct
import time

import virtio_pci as vp

# Feature bits (virtio spec 5.1.3 and 6).
F_NET_MAC = 5
F_NET_MRG_RXBUF = 15
F_NET_STATUS = 16
F_ANY_LAYOUT = 27
F_RING_INDIRECT_DESC = 28
F_RING_EVENT_IDX = 29
F_VERSION_1 = 32

DESC_F_NEXT = 1
DESC_F_WRITE = 2
DESC_F_INDIRECT = 4
AVAIL_F_NO_INTERRUPT = 1
USED_F_NO_NOTIFY = 1

Q_RX = 0
Q_TX = 1

ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
IPPROTO_ICMP = 1
IPPROTO_UDP = 17

FLOOD_MAGIC = b"LWVHOSTQ"
PAGE = 4096


def bit(n):
    return 1 << n


def need_event(event, new, old):
    """virtio's vring_need_event: did [old, new) cross event?"""
    return ((new - event - 1) & 0xFFFF) < ((new - old) & 0xFFFF)


class DriverError(RuntimeError):
    pass


class GuestMemory:
    """Bump allocator over guest RAM above the legacy 1 MiB area."""

    def __init__(self, qt, base=0x100000, limit=0x0F000000):
        self.qt = qt
        self.next = base
        self.limit = limit

    def alloc(self, size, align=64):
        addr = (self.next + align - 1) & ~(align - 1)
        if addr + size > self.limit:
            raise DriverError("guest memory exhausted")
        self.next = addr + size
        self.qt.memset(addr, size, 0)
        return addr


class Virtqueue:
    """A split virtqueue whose memory is guest RAM reached via qtest."""

    def __init__(self, qt, transport, index, size, mem, event_idx):
        self.qt = qt
        self.tr = transport
        self.index = index
        self.size = size
        self.event_idx = event_idx
        avail_bytes = 6 + 2 * size
        used_off = (16 * size + avail_bytes + PAGE - 1) & ~(PAGE - 1)
        total = used_off + 6 + 8 * size
        self.desc = mem.alloc(total, PAGE)
        self.avail = self.desc + 16 * size
        self.used = self.desc + used_off
        self.used_event_addr = self.avail + 4 + 2 * size
        self.avail_event_addr = self.used + 4 + 8 * size
        self.avail_idx = 0
        self.last_used = 0
        self.irq_enabled = True
        self.kicks = 0
        self.kicks_suppressed = 0
        tr = transport
        if tr.queue_max(index) < size:
            raise DriverError("queue %d smaller than %d" % (index, size))
        tr.setup_queue(index, size, self.desc, self.avail, self.used)

    def c_desc(self, i, addr, length, flags, nxt=0):
        return self.qt.c_write(self.desc + 16 * i,
                               struct.pack("<QIHH", addr, length, flags, nxt))

    def c_publish(self, heads):
        """Commands: ring entries first, the index after them."""
        cmds = []
        pos = self.avail_idx % self.size
        entries = b"".join(struct.pack("<H", h) for h in heads)
        first = min(len(heads), self.size - pos)
        cmds.append(self.qt.c_write(self.avail + 4 + 2 * pos,
                                    entries[:2 * first]))
        if first < len(heads):
            cmds.append(self.qt.c_write(self.avail + 4, entries[2 * first:]))
        self.avail_idx = (self.avail_idx + len(heads)) & 0xFFFF
        cmds.append("writew 0x%x 0x%x" % (self.avail + 2, self.avail_idx))
        return cmds

    def c_irq_state(self):
        """Commands that tell the device whether we want interrupts."""
        if self.event_idx:
            ev = self.last_used if self.irq_enabled else \
                (self.last_used + 0x8000) & 0xFFFF
            return ["writew 0x%x 0x%x" % (self.used_event_addr, ev)]
        flags = 0 if self.irq_enabled else AVAIL_F_NO_INTERRUPT
        return ["writew 0x%x 0x%x" % (self.avail, flags)]

    def publish(self, heads, before=()):
        """Write data + ring entries + index, then kick if the device asks."""
        old = self.avail_idx
        cmds = list(before) + self.c_publish(heads) + self.c_irq_state()
        if self.event_idx:
            cmds.append("readw 0x%x" % self.avail_event_addr)
        else:
            cmds.append("readw 0x%x" % self.used)
        r = self.qt.pipeline(cmds)
        val = int(r[-1], 16)
        if self.event_idx:
            kick = need_event(val, self.avail_idx, old)
        else:
            kick = not val & USED_F_NO_NOTIFY
        if kick:
            self.kicks += 1
            self.qt.cmd(self.tr.c_notify(self.index))
        else:
            self.kicks_suppressed += 1

    def kick(self):
        self.kicks += 1
        self.qt.cmd(self.tr.c_notify(self.index))

    def fetch_used(self):
        """Return the (id, len) pairs the device used since the last call."""
        idx = self.qt.readw(self.used + 2)
        n = (idx - self.last_used) & 0xFFFF
        if n == 0:
            return []
        if n > self.size:
            raise DriverError("queue %d: used index jumped by %d" %
                              (self.index, n))
        pos = self.last_used % self.size
        first = min(n, self.size - pos)
        cmds = [self.qt.c_read(self.used + 4 + 8 * pos, 8 * first)]
        if first < n:
            cmds.append(self.qt.c_read(self.used + 4, 8 * (n - first)))
        raw = b"".join(base64.b64decode(r) for r in self.qt.pipeline(cmds))
        self.last_used = idx
        return [struct.unpack_from("<II", raw, 8 * i) for i in range(n)]


class Mode:
    """A driver configuration: transport, features and buffer layouts."""

    def __init__(self, name, device_opts, features, rx_layout, tx_layout):
        self.name = name
        self.device_opts = device_opts
        self.features = features
        self.rx_layout = rx_layout    # "chain": 2-descriptor big buffers
        self.tx_layout = tx_layout    # "chain" or "mixed" (indirect+single)


MODES = {
    # Legacy virtio-pci (I/O BAR), 10-byte header, flag-based
    # notification suppression, descriptor chains in both directions.
    "legacy": Mode("legacy", "disable-modern=on",
                   bit(F_NET_MAC) | bit(F_NET_STATUS) | bit(F_ANY_LAYOUT),
                   "chain", "chain"),
    # virtio 1.0 (memory BAR), 12-byte header, mergeable 256-byte receive
    # buffers, EVENT_IDX, and transmit alternating indirect tables with
    # single descriptors.
    "modern": Mode("modern", "disable-legacy=on,disable-modern=off",
                   bit(F_VERSION_1) | bit(F_NET_MAC) | bit(F_NET_STATUS) |
                   bit(F_NET_MRG_RXBUF) | bit(F_RING_EVENT_IDX) |
                   bit(F_RING_INDIRECT_DESC),
                   "merge", "mixed"),
}

RX_HEAD = 256            # first receive segment (and mergeable buffer)
RX_TAIL = 2048 - RX_HEAD  # second segment of a big receive buffer
TX_SLOT = 2048


class VirtioNet:
    """The driver proper: probe, receive, transmit, interrupts."""

    def __init__(self, qt, pci, mode, mem, irq_line):
        self.qt = qt
        self.pci = pci
        self.mode = mode
        self.mem = mem
        self.irq_line = irq_line
        self.tr = None
        self.features = 0
        self.hdr_len = 10
        self.mac = None
        self.isr_reads = 0
        self.isr_hits = 0
        self.rx_frames = 0
        self.rx_max_buffers = 0   # most receive buffers one frame used
        self.tx_frames = 0
        self.rxq = None
        self.txq = None

    # -- bring-up --------------------------------------------------------

    def probe(self):
        if self.mode.name == "legacy":
            self.tr = vp.LegacyTransport(self.pci)
        else:
            self.tr = vp.ModernTransport(self.pci)
        tr = self.tr
        tr.reset()
        tr.set_status(vp.S_ACKNOWLEDGE)
        tr.set_status(vp.S_ACKNOWLEDGE | vp.S_DRIVER)
        offered = tr.device_features()
        missing = self.mode.features & ~offered
        if missing:
            raise DriverError("device lacks features 0x%x (offers 0x%x)" %
                              (missing, offered))
        self.features = self.mode.features
        tr.set_driver_features(self.features)
        status = vp.S_ACKNOWLEDGE | vp.S_DRIVER
        if self.features & bit(F_VERSION_1):
            status |= vp.S_FEATURES_OK
            tr.set_status(status)
            if not tr.status() & vp.S_FEATURES_OK:
                raise DriverError("device refused features 0x%x" %
                                  self.features)
        mrg = self.features & bit(F_NET_MRG_RXBUF)
        self.hdr_len = 12 if (mrg or self.features & bit(F_VERSION_1)) \
            else 10
        evidx = bool(self.features & bit(F_RING_EVENT_IDX))
        size = tr.queue_max(Q_RX)
        self.rxq = Virtqueue(self.qt, tr, Q_RX, size, self.mem, evidx)
        self.txq = Virtqueue(self.qt, tr, Q_TX, size, self.mem, evidx)
        self._setup_rx()
        self._setup_tx()
        if self.features & bit(F_NET_MAC):
            self.mac = tr.read_config(0, 6)
        tr.set_status(status | vp.S_DRIVER_OK)
        st = tr.status()
        if st & (vp.S_NEEDS_RESET | vp.S_FAILED) or \
                not st & vp.S_DRIVER_OK:
            raise DriverError("device status 0x%x after DRIVER_OK" % st)
        self.rxq.kick()
        self.offered = offered

    def _setup_rx(self):
        q = self.rxq
        cmds = []
        if self.mode.rx_layout == "chain":
            self.rx_bufs = q.size // 2
            self.rx_head_mem = self.mem.alloc(RX_HEAD * self.rx_bufs)
            self.rx_tail_mem = self.mem.alloc(RX_TAIL * self.rx_bufs)
            for b in range(self.rx_bufs):
                d = 2 * b
                cmds.append(q.c_desc(d, self.rx_head_mem + RX_HEAD * b,
                                     RX_HEAD, DESC_F_WRITE | DESC_F_NEXT,
                                     d + 1))
                cmds.append(q.c_desc(d + 1, self.rx_tail_mem + RX_TAIL * b,
                                     RX_TAIL, DESC_F_WRITE))
            heads = [2 * b for b in range(self.rx_bufs)]
        else:
            self.rx_bufs = q.size
            self.rx_head_mem = self.mem.alloc(RX_HEAD * self.rx_bufs)
            for b in range(self.rx_bufs):
                cmds.append(q.c_desc(b, self.rx_head_mem + RX_HEAD * b,
                                     RX_HEAD, DESC_F_WRITE))
            heads = list(range(self.rx_bufs))
        self.qt.pipeline(cmds + q.c_publish(heads) + q.c_irq_state())

    def _setup_tx(self):
        q = self.txq
        self.tx_mem = self.mem.alloc(TX_SLOT * q.size)
        if self.mode.tx_layout == "chain":
            nslots = q.size // 2
        else:
            nslots = q.size
        self.tx_free = list(range(nslots))
        self.tx_inflight = 0
        self.tx_nslots = nslots

    # -- interrupts ------------------------------------------------------

    def set_interrupts(self, enabled):
        cmds = []
        for q in (self.rxq, self.txq):
            q.irq_enabled = enabled
            cmds += q.c_irq_state()
        self.qt.pipeline(cmds)

    def service_irq(self):
        """Acknowledge a pending INTx the way an ISR would."""
        self.qt.poll_async()
        if self.qt.irq_level.get(self.irq_line, 0):
            isr = self.tr.read_isr()
            self.isr_reads += 1
            if isr & 1:
                self.isr_hits += 1
            return isr
        return 0

    # -- receive ---------------------------------------------------------

    def _rx_head_of(self, desc_id):
        if self.mode.rx_layout == "chain":
            if desc_id % 2 or desc_id >= self.rxq.size:
                raise DriverError("rx used id %d is not a head" % desc_id)
            return desc_id // 2
        if desc_id >= self.rx_bufs:
            raise DriverError("rx used id %d out of range" % desc_id)
        return desc_id

    def rx_poll(self):
        """Return complete frames (vnet header stripped); repost buffers."""
        used = self.rxq.fetch_used()
        if not used:
            return []
        cmds = []
        for desc_id, length in used:
            b = self._rx_head_of(desc_id)
            if self.mode.rx_layout == "chain":
                if length > RX_HEAD + RX_TAIL or length < self.hdr_len:
                    raise DriverError("rx length %d" % length)
                cmds.append(self.qt.c_read(self.rx_head_mem + RX_HEAD * b,
                                           min(length, RX_HEAD)))
                if length > RX_HEAD:
                    cmds.append(self.qt.c_read(
                        self.rx_tail_mem + RX_TAIL * b, length - RX_HEAD))
            else:
                if length > RX_HEAD or length == 0:
                    raise DriverError("rx length %d" % length)
                cmds.append(self.qt.c_read(self.rx_head_mem + RX_HEAD * b,
                                           length))
        data = [base64.b64decode(r) for r in self.qt.pipeline(cmds)]
        frames = []
        if self.mode.rx_layout == "chain":
            i = 0
            for desc_id, length in used:
                buf = data[i]
                i += 1
                if length > RX_HEAD:
                    buf += data[i]
                    i += 1
                    self.rx_max_buffers = max(self.rx_max_buffers, 2)
                else:
                    self.rx_max_buffers = max(self.rx_max_buffers, 1)
                frames.append(buf[self.hdr_len:])
        else:
            i = 0
            while i < len(used):
                buf = data[i]
                nbuf = struct.unpack_from("<H", buf, 10)[0]
                if nbuf < 1 or i + nbuf > len(used):
                    raise DriverError("bad num_buffers %d" % nbuf)
                frames.append(b"".join([buf] + data[i + 1:i + nbuf])
                              [self.hdr_len:])
                self.rx_max_buffers = max(self.rx_max_buffers, nbuf)
                i += nbuf
        self.rxq.publish([d for d, _ in used])
        self.rx_frames += len(frames)
        return frames

    # -- transmit --------------------------------------------------------

    def tx_reclaim(self):
        for desc_id, _ in self.txq.fetch_used():
            if self.mode.tx_layout == "chain":
                if desc_id % 2 or desc_id >= self.txq.size:
                    raise DriverError("tx used id %d" % desc_id)
                slot = desc_id // 2
            else:
                slot = desc_id
            if slot in self.tx_free:
                raise DriverError("tx slot %d completed twice" % slot)
            self.tx_free.append(slot)
            self.tx_inflight -= 1

    def tx(self, frames, deadline=None):
        """Queue frames; blocks (polling) only while every slot is busy."""
        deadline = deadline or time.monotonic() + 10
        pending = list(frames)
        while pending:
            if not self.tx_free:
                self.tx_reclaim()
                if not self.tx_free:
                    if time.monotonic() > deadline:
                        raise DriverError("tx ring stalled: %d in flight" %
                                          self.tx_inflight)
                    time.sleep(0.0005)
                    continue
            n = min(len(pending), len(self.tx_free))
            batch, pending = pending[:n], pending[n:]
            cmds, heads = [], []
            hdr = bytes(self.hdr_len)
            for frame in batch:
                slot = self.tx_free.pop(0)
                base = self.tx_mem + TX_SLOT * slot
                if len(frame) + 64 > TX_SLOT:
                    raise DriverError("frame too long for a tx slot")
                q = self.txq
                if self.mode.tx_layout == "chain":
                    d = 2 * slot
                    cmds.append(self.qt.c_write(
                        q.desc + 16 * d,
                        struct.pack("<QIHHQIHH", base, self.hdr_len,
                                    DESC_F_NEXT, d + 1, base + 16,
                                    len(frame), 0, 0)))
                    cmds.append(self.qt.c_write(
                        base, hdr.ljust(16, b"\0") + frame))
                    heads.append(d)
                elif slot % 2 == 0:
                    # Indirect table at the slot start, header at +32,
                    # frame at +48; the ring descriptor points at the table.
                    table = struct.pack("<QIHHQIHH", base + 32, self.hdr_len,
                                        DESC_F_NEXT, 1, base + 48,
                                        len(frame), 0, 0)
                    cmds.append(self.qt.c_write(
                        base, table + hdr.ljust(16, b"\0") + frame))
                    cmds.append(q.c_desc(slot, base, 32, DESC_F_INDIRECT))
                    heads.append(slot)
                else:
                    # One descriptor holding header and frame back to back.
                    cmds.append(self.qt.c_write(base, hdr + frame))
                    cmds.append(q.c_desc(slot, base, self.hdr_len +
                                         len(frame), 0))
                    heads.append(slot)
            self.tx_inflight += len(batch)
            self.txq.publish(heads, before=cmds)
            self.tx_frames += len(batch)

    def tx_drain(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while self.tx_inflight:
            self.tx_reclaim()
            if self.tx_inflight and time.monotonic() > deadline:
                raise DriverError("%d tx frames never completed" %
                                  self.tx_inflight)
            if self.tx_inflight:
                time.sleep(0.0005)

    def reset(self):
        self.tr.reset()


# -- a tiny IPv4 host ------------------------------------------------------

def csum16(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4_packet(src, dst, proto, payload, ident=0, ttl=64):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident,
                      0x4000, ttl, proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum16(hdr)) + hdr[12:]
    return hdr + payload


def eth_frame(dst, src, etype, payload):
    return dst + src + struct.pack("!H", etype) + payload


def udp_datagram(sport, dport, payload):
    # Checksum 0: "not computed", valid for IPv4.
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def flood_payload(seq, size):
    body = struct.pack("!I", seq) + FLOOD_MAGIC
    return (body * (size // len(body) + 1))[:max(size, len(body))]


def check_flood_payload(data):
    """Return the sequence number of a well-formed flood payload, or None."""
    if len(data) < 12 or data[4:12] != FLOOD_MAGIC:
        return None
    seq = struct.unpack_from("!I", data)[0]
    if data != flood_payload(seq, len(data)):
        return None
    return seq


class GuestStack:
    """ARP + ICMP echo responder and UDP flood counter."""

    def __init__(self, nic, ip, flood_port):
        self.nic = nic
        self.mac = nic.mac
        self.ip = ip
        self.flood_port = flood_port
        self.peer_mac = None
        self.arp_replies = 0
        self.echo_replies = 0
        self.ignored = 0
        self.bad = 0
        self.flood_seen = []
        self.ident = 1

    def handle(self, frame):
        """Process one received frame; return frames to send back."""
        if len(frame) < 14:
            self.bad += 1
            return []
        dst, src = frame[:6], frame[6:12]
        etype = struct.unpack_from("!H", frame, 12)[0]
        body = frame[14:]
        if dst not in (self.mac, b"\xff" * 6):
            self.ignored += 1
            return []
        if etype == ETH_P_ARP and len(body) >= 28:
            htype, ptype, hlen, plen, op = struct.unpack_from("!HHBBH", body)
            sha, spa, _, tpa = body[8:14], body[14:18], body[18:24], \
                body[24:28]
            if (htype, ptype, hlen, plen) != (1, ETH_P_IP, 6, 4):
                self.ignored += 1
                return []
            if op == 1 and tpa == self.ip:
                self.peer_mac = sha
                self.arp_replies += 1
                arp = struct.pack("!HHBBH", 1, ETH_P_IP, 6, 4, 2) + \
                    self.mac + self.ip + sha + spa
                return [eth_frame(src, self.mac, ETH_P_ARP, arp)]
            if op == 2 and tpa == self.ip:
                self.peer_mac = sha
            return []
        if etype != ETH_P_IP or len(body) < 20:
            self.ignored += 1
            return []
        ihl = (body[0] & 0xF) * 4
        total = struct.unpack_from("!H", body, 2)[0]
        if body[0] >> 4 != 4 or ihl < 20 or total > len(body) or \
                csum16(body[:ihl]) != 0:
            self.bad += 1
            return []
        proto = body[9]
        sip, dip = body[12:16], body[16:20]
        if dip != self.ip:
            self.ignored += 1
            return []
        l4 = body[ihl:total]
        if proto == IPPROTO_ICMP and len(l4) >= 8 and l4[0] == 8:
            if csum16(l4) != 0:
                self.bad += 1
                return []
            reply = b"\0\0\0\0" + l4[4:]
            reply = reply[:2] + struct.pack("!H", csum16(reply)) + reply[4:]
            self.ident = (self.ident + 1) & 0xFFFF
            self.echo_replies += 1
            return [eth_frame(src, self.mac, ETH_P_IP,
                              ipv4_packet(self.ip, sip, IPPROTO_ICMP, reply,
                                          self.ident))]
        if proto == IPPROTO_UDP and len(l4) >= 8:
            dport = struct.unpack_from("!H", l4, 2)[0]
            if dport == self.flood_port:
                seq = check_flood_payload(l4[8:])
                if seq is None:
                    self.bad += 1
                else:
                    self.flood_seen.append(seq)
                return []
        self.ignored += 1
        return []

    def poll(self):
        """Receive once, answer what needs answering. Returns frame count."""
        frames = self.nic.rx_poll()
        out = []
        for f in frames:
            out += self.handle(f)
        if out:
            self.nic.tx(out)
        self.nic.tx_reclaim()
        return len(frames)

    def udp_frame(self, dst_ip, sport, dport, payload):
        if self.peer_mac is None:
            raise DriverError("peer MAC unknown (no ARP seen yet)")
        self.ident = (self.ident + 1) & 0xFFFF
        return eth_frame(self.peer_mac, self.mac, ETH_P_IP,
                         ipv4_packet(self.ip, dst_ip, IPPROTO_UDP,
                                     udp_datagram(sport, dport, payload),
                                     self.ident))
