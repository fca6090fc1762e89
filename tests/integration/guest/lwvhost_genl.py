# SPDX-License-Identifier: GPL-2.0
"""A minimal client of the lwvhost generic netlink family, written from the
netlink wire format (no libnl), so the tests check the kernel's family
independently of lwvhostctl. Runs inside the test VM.

    genl = Genl()                      # resolves the family id
    genl.dump()                        # [device dict, ...]
    genl.get(dev_id)                   # device dict
    genl.set(dev_id, {"tx": {"poll_interval_us": 50}})   # raises GenlError
    genl.subscribe()                   # join the "monitor" group; genl.events()
"""

import errno
import os
import socket
import struct

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11

NLM_F_REQUEST = 0x1
NLM_F_MULTI = 0x2
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300
NLM_F_ACK_TLVS = 0x200
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLA_F_NESTED = 0x8000
NLMSGERR_ATTR_MSG = 1

GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
CTRL_ATTR_MCAST_GROUPS = 7
CTRL_ATTR_MCAST_GRP_NAME = 1
CTRL_ATTR_MCAST_GRP_ID = 2

# From include/uapi/linux/lwvhost.h.
CMD_DEV_GET, CMD_DEV_SET, CMD_DEV_ADD_NTF, CMD_DEV_DEL_NTF = 1, 2, 3, 4
A_DEV_ID, A_DEV_OWNER_PID, A_DEV_WORKER_TID, A_DEV_FEATURES, A_DEV_VQ = 1, 2, 3, 4, 5
A_VQ_DIR, A_VQ_IFNAME, A_VQ_MODE, A_VQ_STATS = 1, 2, 7, 8
KNOB_ATTRS = {"poll_interval_us": 3, "idle_polls": 4, "coalesce_usecs": 5,
              "coalesce_frames": 6, "latency_budget_us": 9}
STAT_ATTRS = {2: "packets", 3: "bytes", 4: "kicks", 5: "signals",
              6: "signals_coalesced", 7: "polls", 8: "empty_polls",
              9: "timer_wakeups", 10: "mode_switches", 11: "busy_ns",
              12: "errors", 13: "iotlb_misses", 14: "iotlb_updates",
              15: "iotlb_invalidations", 16: "shared_polls"}
DIRS = {"rx": 0, "tx": 1}


class GenlError(Exception):
    def __init__(self, err, msg):
        super().__init__(f"{os.strerror(err)}: {msg}" if msg else os.strerror(err))
        self.errno = err
        self.extack = msg


def attr(atype, payload):
    hdr = struct.pack("=HH", 4 + len(payload), atype)
    return hdr + payload + b"\0" * (-len(payload) % 4)


def u32(atype, value):
    return attr(atype, struct.pack("=I", value))


def nest(atype, *children):
    return attr(atype | NLA_F_NESTED, b"".join(children))


def parse_attrs(data):
    """[(type, payload)] in order (duplicates kept)."""
    out, off = [], 0
    while off + 4 <= len(data):
        length, atype = struct.unpack_from("=HH", data, off)
        if length < 4:
            break
        out.append((atype & 0x3fff, data[off + 4:off + length]))
        off += (length + 3) & ~3
    return out


def get_u32(p):
    return struct.unpack("=I", p[:4])[0]


def get_u64(p):
    return struct.unpack("=Q", p[:8])[0]


class Genl:
    def __init__(self, name="lwvhost"):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.sock.bind((0, 0))
        self.seq = 1
        self.family, self.groups = self._resolve(name)

    def _send(self, family, cmd, payload, flags):
        self.seq += 1
        body = struct.pack("=BBH", cmd, 1, 0) + payload
        hdr = struct.pack("=IHHII", 16 + len(body), family, flags | NLM_F_REQUEST,
                          self.seq, 0)
        self.sock.send(hdr + body)
        return self.seq

    def _messages(self, seq):
        """Yield (type, flags, genl payload attrs) until DONE / ACK; raise on errors."""
        while True:
            data = self.sock.recv(1 << 20)
            off = 0
            while off + 16 <= len(data):
                length, mtype, flags, mseq, _ = struct.unpack_from("=IHHII", data, off)
                body = data[off + 16:off + length]
                off += (length + 3) & ~3
                if mseq != seq:
                    continue
                if mtype == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", body)[0]
                    if err == 0:
                        return
                    msg = None
                    if flags & NLM_F_ACK_TLVS:
                        for t, p in parse_attrs(body[4 + 16:]):
                            if t == NLMSGERR_ATTR_MSG:
                                msg = p.rstrip(b"\0").decode()
                    raise GenlError(err, msg)
                if mtype == NLMSG_DONE:
                    return
                yield mtype, flags, parse_attrs(body[4:])
                if not flags & NLM_F_MULTI:
                    return

    def _resolve(self, name):
        seq = self._send(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                         attr(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0"), 0)
        family, groups = None, {}
        for _, _, attrs in self._messages(seq):
            for t, p in attrs:
                if t == CTRL_ATTR_FAMILY_ID:
                    family = struct.unpack("=H", p[:2])[0]
                elif t == CTRL_ATTR_MCAST_GROUPS:
                    for _, grp in parse_attrs(p):
                        g = dict(parse_attrs(grp))
                        groups[g[CTRL_ATTR_MCAST_GRP_NAME].rstrip(b"\0").decode()] = \
                            get_u32(g[CTRL_ATTR_MCAST_GRP_ID])
        return family, groups

    @staticmethod
    def decode_device(attrs):
        dev = {"vq": {}}
        for t, p in attrs:
            if t == A_DEV_ID:
                dev["id"] = get_u32(p)
            elif t == A_DEV_OWNER_PID:
                dev["owner_pid"] = get_u32(p)
            elif t == A_DEV_WORKER_TID:
                dev["worker_tid"] = get_u32(p)
            elif t == A_DEV_FEATURES:
                dev["features"] = get_u64(p)
            elif t == A_DEV_VQ:
                vq = {"stats": {}}
                for vt, vp in parse_attrs(p):
                    if vt == A_VQ_DIR:
                        vq["dir"] = {0: "rx", 1: "tx"}[get_u32(vp)]
                    elif vt == A_VQ_IFNAME:
                        vq["ifname"] = vp.rstrip(b"\0").decode()
                    elif vt == A_VQ_MODE:
                        vq["mode"] = "poll" if get_u32(vp) else "event"
                    elif vt == A_VQ_STATS:
                        for st, sp in parse_attrs(vp):
                            if st in STAT_ATTRS:
                                vq["stats"][STAT_ATTRS[st]] = get_u64(sp)
                    else:
                        for name, knob in KNOB_ATTRS.items():
                            if vt == knob:
                                vq[name] = get_u32(vp)
                dev["vq"][vq["dir"]] = vq
        return dev

    def dump(self):
        seq = self._send(self.family, CMD_DEV_GET, b"", NLM_F_DUMP)
        return [self.decode_device(a) for _, _, a in self._messages(seq)]

    def get(self, dev_id):
        seq = self._send(self.family, CMD_DEV_GET, u32(A_DEV_ID, dev_id), 0)
        for _, _, a in self._messages(seq):
            return self.decode_device(a)
        raise GenlError(errno.ENODATA, "no reply")

    def set_raw(self, payload):
        seq = self._send(self.family, CMD_DEV_SET, payload, NLM_F_ACK)
        for _ in self._messages(seq):
            pass

    def set(self, dev_id, values):
        """values: {"tx": {"poll_interval_us": 50, ...}, "rx": {...}}"""
        vqs = []
        for d, knobs in values.items():
            parts = [u32(A_VQ_DIR, DIRS[d])]
            parts += [u32(KNOB_ATTRS[k], v) for k, v in knobs.items()]
            vqs.append(nest(A_DEV_VQ, *parts))
        self.set_raw(u32(A_DEV_ID, dev_id) + b"".join(vqs))

    def subscribe(self, group="monitor"):
        self.sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, self.groups[group])

    def events(self, timeout):
        """[(cmd, device dict)] received within timeout seconds."""
        self.sock.settimeout(timeout)
        out = []
        try:
            while True:
                data = self.sock.recv(1 << 16)
                off = 0
                while off + 16 <= len(data):
                    length, mtype, _, _, _ = struct.unpack_from("=IHHII", data, off)
                    body = data[off + 16:off + length]
                    off += (length + 3) & ~3
                    if mtype == self.family:
                        out.append((body[0], self.decode_device(parse_attrs(body[4:]))))
        except socket.timeout:
            pass
        finally:
            self.sock.settimeout(None)
        return out
