# SPDX-License-Identifier: GPL-2.0
"""PCI configuration and the two virtio-pci transports, driven over qtest.

There is no firmware: the machine's BIOS image is only `hlt`, so this
module does what a BIOS and a guest kernel would: walks bus 0 through the
0xcf8/0xcfc configuration mechanism, sizes and places BARs, routes the
PIIX3 PCI interrupt lines, and then speaks either the legacy (I/O BAR)
or the modern virtio 1.0 (vendor capabilities, memory BAR) register set.
"""

CFG_ADDR = 0xCF8
CFG_DATA = 0xCFC

PCI_VENDOR_ID = 0x00
PCI_COMMAND = 0x04
PCI_STATUS = 0x06
PCI_BAR0 = 0x10
PCI_CAP_PTR = 0x34
PCI_COMMAND_IO = 0x1
PCI_COMMAND_MEMORY = 0x2
PCI_COMMAND_MASTER = 0x4
PCI_COMMAND_INTX_DISABLE = 0x400
PCI_STATUS_CAP_LIST = 0x10
PCI_CAP_ID_VNDR = 0x09

PIIX3_PIRQ_ROUTE = 0x60   # PIRQA..D route control, one byte each

VIRTIO_VENDOR = 0x1AF4
VIRTIO_NET_LEGACY_ID = 0x1000
VIRTIO_NET_MODERN_ID = 0x1041

# Device status bits.
S_ACKNOWLEDGE = 1
S_DRIVER = 2
S_DRIVER_OK = 4
S_FEATURES_OK = 8
S_NEEDS_RESET = 64
S_FAILED = 128

# Modern capability types.
CAP_COMMON = 1
CAP_NOTIFY = 2
CAP_ISR = 3
CAP_DEVICE = 4


class PciError(RuntimeError):
    pass


class PciDevice:
    def __init__(self, qt, bus, dev, fn=0):
        self.qt = qt
        self.bdf = (bus << 16) | (dev << 11) | (fn << 8)
        self.slot = dev
        self.bars = {}    # index -> (address, size, is_io)

    def _sel(self, off):
        """The outl that selects config register `off` of this function."""
        return "outl 0x%x 0x%x" % (CFG_ADDR,
                                   0x80000000 | self.bdf | (off & 0xFC))

    def read32(self, off):
        r = self.qt.pipeline([self._sel(off), "inl 0x%x" % CFG_DATA])
        return int(r[1], 16)

    def read16(self, off):
        r = self.qt.pipeline([self._sel(off),
                              "inw 0x%x" % (CFG_DATA + (off & 2))])
        return int(r[1], 16)

    def read8(self, off):
        r = self.qt.pipeline([self._sel(off),
                              "inb 0x%x" % (CFG_DATA + (off & 3))])
        return int(r[1], 16)

    def write32(self, off, val):
        self.qt.pipeline([self._sel(off), "outl 0x%x 0x%x" % (CFG_DATA, val)])

    def write16(self, off, val):
        self.qt.pipeline([self._sel(off),
                          "outw 0x%x 0x%x" % (CFG_DATA + (off & 2), val)])

    def write8(self, off, val):
        self.qt.pipeline([self._sel(off),
                          "outb 0x%x 0x%x" % (CFG_DATA + (off & 3), val)])

    def capabilities(self):
        """Yield (offset, cap id) along the capability list."""
        if not self.read16(PCI_STATUS) & PCI_STATUS_CAP_LIST:
            return
        off = self.read8(PCI_CAP_PTR) & 0xFC
        seen = set()
        while off:
            if off in seen or off < 0x40:
                raise PciError("capability list loops or points into the "
                               "header at 0x%x" % off)
            seen.add(off)
            yield off, self.read8(off)
            off = self.read8(off + 1) & 0xFC

    def assign_bars(self, alloc):
        """Size every BAR, place it with `alloc`, enable decoding."""
        i = 0
        while i < 6:
            off = PCI_BAR0 + 4 * i
            orig = self.read32(off)
            self.write32(off, 0xFFFFFFFF)
            mask = self.read32(off)
            if mask == 0:
                self.write32(off, orig)
                i += 1
                continue
            if orig & 1:
                size = (~(mask & 0xFFFFFFFC) & 0xFFFF) + 1
                addr = alloc.io(size)
                self.write32(off, addr)
                self.bars[i] = (addr, size, True)
                i += 1
                continue
            is64 = (orig & 0x6) == 0x4
            lo = mask & 0xFFFFFFF0
            hi = 0xFFFFFFFF
            if is64:
                self.write32(off + 4, 0xFFFFFFFF)
                hi = self.read32(off + 4)
            size = ((~((hi << 32) | lo)) & 0xFFFFFFFFFFFFFFFF) + 1
            addr = alloc.mmio(size)
            self.write32(off, addr & 0xFFFFFFFF)
            if is64:
                self.write32(off + 4, addr >> 32)
            self.bars[i] = (addr, size, False)
            i += 2 if is64 else 1
        cmd = self.read16(PCI_COMMAND)
        cmd |= PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER
        cmd &= ~PCI_COMMAND_INTX_DISABLE
        self.write16(PCI_COMMAND, cmd)


class BarAllocator:
    """Bump allocator for the I/O space and the 32-bit PCI memory hole."""

    def __init__(self, io_base=0xC000, mmio_base=0xE0000000):
        self._io = io_base
        self._mmio = mmio_base

    def io(self, size):
        self._io = (self._io + size - 1) & ~(size - 1)
        addr = self._io
        self._io += size
        return addr

    def mmio(self, size):
        size = max(size, 0x1000)
        self._mmio = (self._mmio + size - 1) & ~(size - 1)
        addr = self._mmio
        self._mmio += size
        return addr


def scan_bus0(qt):
    """Return {slot: (vendor, device)} for functions 0 on bus 0."""
    found = {}
    for slot in range(32):
        d = PciDevice(qt, 0, slot)
        vd = d.read32(PCI_VENDOR_ID)
        if vd != 0xFFFFFFFF:
            found[slot] = (vd & 0xFFFF, vd >> 16)
    return found


def route_pci_irqs(qt, irq):
    """Point PIIX3 PIRQA..D at ISA `irq` (what the BIOS would do)."""
    isa = PciDevice(qt, 0, 1, 0)
    for pirq in range(4):
        isa.write8(PIIX3_PIRQ_ROUTE + pirq, irq)


class Region:
    """A window of guest-physical space reached through I/O or MMIO."""

    def __init__(self, qt, base, is_io):
        self.qt = qt
        self.base = base
        self.is_io = is_io

    def c_w(self, width, off, val):
        if self.is_io:
            return "out%s 0x%x 0x%x" % (width, self.base + off, val)
        return "write%s 0x%x 0x%x" % (width, self.base + off, val)

    def c_r(self, width, off):
        if self.is_io:
            return "in%s 0x%x" % (width, self.base + off)
        return "read%s 0x%x" % (width, self.base + off)

    def w(self, width, off, val):
        self.qt.cmd(self.c_w(width, off, val))

    def r(self, width, off):
        return int(self.qt.cmd(self.c_r(width, off)), 16)


class LegacyTransport:
    """virtio 0.9 register block at the start of the I/O BAR."""

    name = "legacy"
    HOST_FEATURES = 0x00
    GUEST_FEATURES = 0x04
    QUEUE_PFN = 0x08
    QUEUE_NUM = 0x0C
    QUEUE_SEL = 0x0E
    QUEUE_NOTIFY = 0x10
    STATUS = 0x12
    ISR = 0x13
    CONFIG = 0x14          # device config when MSI-X is disabled
    VRING_ALIGN = 4096

    def __init__(self, pci):
        if 0 not in pci.bars or not pci.bars[0][2]:
            raise PciError("legacy virtio device without an I/O BAR 0")
        self.regs = Region(pci.qt, pci.bars[0][0], True)

    def reset(self):
        self.regs.w("b", self.STATUS, 0)

    def status(self):
        return self.regs.r("b", self.STATUS)

    def set_status(self, s):
        self.regs.w("b", self.STATUS, s)

    def device_features(self):
        return self.regs.r("l", self.HOST_FEATURES)

    def set_driver_features(self, f):
        if f >> 32:
            raise PciError("legacy transport has only 32 feature bits")
        self.regs.w("l", self.GUEST_FEATURES, f)

    def queue_max(self, idx):
        self.regs.w("w", self.QUEUE_SEL, idx)
        return self.regs.r("w", self.QUEUE_NUM)

    def setup_queue(self, idx, size, desc, avail, used):
        """Legacy rings are one block at desc: layout is fixed by size."""
        if desc % self.VRING_ALIGN:
            raise PciError("legacy ring must be page aligned")
        self.regs.w("w", self.QUEUE_SEL, idx)
        if self.regs.r("w", self.QUEUE_NUM) != size:
            raise PciError("legacy queue size is fixed by the device")
        self.regs.w("l", self.QUEUE_PFN, desc // self.VRING_ALIGN)

    def c_notify(self, idx):
        return self.regs.c_w("w", self.QUEUE_NOTIFY, idx)

    def read_isr(self):
        return self.regs.r("b", self.ISR)

    def read_config(self, off, n):
        return bytes(self.regs.r("b", self.CONFIG + off + i)
                     for i in range(n))


class ModernTransport:
    """virtio 1.0 register blocks located through vendor capabilities."""

    name = "modern"
    DFSELECT = 0x00
    DF = 0x04
    GFSELECT = 0x08
    GF = 0x0C
    MSIX_CONFIG = 0x10
    NUM_QUEUES = 0x12
    STATUS = 0x14
    Q_SELECT = 0x16
    Q_SIZE = 0x18
    Q_MSIX = 0x1A
    Q_ENABLE = 0x1C
    Q_NOTIFY_OFF = 0x1E
    Q_DESC = 0x20
    Q_AVAIL = 0x28
    Q_USED = 0x30
    NO_VECTOR = 0xFFFF

    def __init__(self, pci):
        self.qt = pci.qt
        caps = {}
        for off, cid in pci.capabilities():
            if cid != PCI_CAP_ID_VNDR:
                continue
            ctype = pci.read8(off + 3)
            if ctype in caps or ctype not in (CAP_COMMON, CAP_NOTIFY,
                                              CAP_ISR, CAP_DEVICE):
                continue      # first of a type wins; PCI_CFG is unused
            bar = pci.read8(off + 4)
            offset = pci.read32(off + 8)
            length = pci.read32(off + 12)
            mult = pci.read32(off + 16) if ctype == CAP_NOTIFY else 0
            if bar not in pci.bars:
                raise PciError("virtio capability %d names unassigned BAR %d"
                               % (ctype, bar))
            base, size, is_io = pci.bars[bar]
            if offset + length > size:
                raise PciError("virtio capability %d overruns BAR %d"
                               % (ctype, bar))
            caps[ctype] = (Region(self.qt, base + offset, is_io), length,
                           mult)
        for need in (CAP_COMMON, CAP_NOTIFY, CAP_ISR, CAP_DEVICE):
            if need not in caps:
                raise PciError("virtio capability type %d missing" % need)
        self.common = caps[CAP_COMMON][0]
        self.notify_base = caps[CAP_NOTIFY][0]
        self.notify_mult = caps[CAP_NOTIFY][2]
        self.isr = caps[CAP_ISR][0]
        self.devcfg = caps[CAP_DEVICE][0]
        self.notify_off = {}

    def reset(self):
        self.common.w("b", self.STATUS, 0)
        if self.common.r("b", self.STATUS) != 0:
            raise PciError("device did not reset")

    def status(self):
        return self.common.r("b", self.STATUS)

    def set_status(self, s):
        self.common.w("b", self.STATUS, s)

    def device_features(self):
        f = 0
        for sel in (0, 1):
            self.common.w("l", self.DFSELECT, sel)
            f |= self.common.r("l", self.DF) << (32 * sel)
        return f

    def set_driver_features(self, f):
        for sel in (0, 1):
            self.common.w("l", self.GFSELECT, sel)
            self.common.w("l", self.GF, (f >> (32 * sel)) & 0xFFFFFFFF)

    def queue_max(self, idx):
        self.common.w("w", self.Q_SELECT, idx)
        return self.common.r("w", self.Q_SIZE)

    def setup_queue(self, idx, size, desc, avail, used):
        c = self.common
        c.w("w", self.Q_SELECT, idx)
        c.w("w", self.Q_SIZE, size)
        c.w("w", self.Q_MSIX, self.NO_VECTOR)
        for reg, addr in ((self.Q_DESC, desc), (self.Q_AVAIL, avail),
                          (self.Q_USED, used)):
            c.w("l", reg, addr & 0xFFFFFFFF)
            c.w("l", reg + 4, addr >> 32)
        self.notify_off[idx] = c.r("w", self.Q_NOTIFY_OFF)
        c.w("w", self.Q_ENABLE, 1)
        if c.r("w", self.Q_ENABLE) != 1:
            raise PciError("queue %d did not enable" % idx)

    def c_notify(self, idx):
        return self.notify_base.c_w(
            "w", self.notify_off[idx] * self.notify_mult, idx)

    def read_isr(self):
        return self.isr.r("b", 0)

    def read_config(self, off, n):
        return bytes(self.devcfg.r("b", off + i) for i in range(n))

