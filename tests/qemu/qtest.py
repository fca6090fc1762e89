# SPDX-License-Identifier: GPL-2.0
"""Client side of QEMU's qtest protocol.

The protocol is line based: one command per line, one reply line per
command ("OK [value]", "FAIL reason" or "ERR reason"), with asynchronous
"IRQ raise N" / "IRQ lower N" lines interleaved once interrupts are
intercepted.  Commands may be pipelined: QEMU answers them in order, so a
batch of writes costs one round trip instead of one per command.
"""

import base64
import errno
import selectors
import socket
import time


class QTestError(RuntimeError):
    """QEMU rejected a command or the connection broke."""


class QTest:
    """One connection to QEMU's `-qtest unix:PATH` socket."""

    def __init__(self, path, timeout=30.0, connect_timeout=30.0, alive=None):
        self.timeout = timeout
        self.irq_level = {}      # line number -> last reported level
        self.irq_raises = {}     # line number -> number of "IRQ raise" seen
        self.commands = 0
        self.round_trips = 0
        self._buf = b""
        self._sock = self._connect(path, connect_timeout, alive)
        self._sock.setblocking(False)
        self._sel = selectors.DefaultSelector()

    @staticmethod
    def _connect(path, connect_timeout, alive):
        deadline = time.monotonic() + connect_timeout
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return s
            except OSError as e:
                s.close()
                if e.errno not in (errno.ENOENT, errno.ECONNREFUSED):
                    raise
                if alive is not None and not alive():
                    raise QTestError("QEMU exited before its qtest socket "
                                     "accepted a connection")
                if time.monotonic() > deadline:
                    raise QTestError("no qtest socket at %s after %.0f s"
                                     % (path, connect_timeout))
                time.sleep(0.05)

    def close(self):
        self._sel.close()
        self._sock.close()

    # -- transport -------------------------------------------------------

    def _note_irq(self, line):
        _, what, num = line.split()
        n = int(num)
        level = 1 if what == "raise" else 0
        if level and self.irq_level.get(n, 0) == 0:
            self.irq_raises[n] = self.irq_raises.get(n, 0) + 1
        self.irq_level[n] = level

    def _read_some(self, deadline):
        """Read whatever is available into the line buffer."""
        self._sel.register(self._sock, selectors.EVENT_READ)
        try:
            left = deadline - time.monotonic()
            if left <= 0 or not self._sel.select(left):
                raise QTestError("qtest reply timed out")
        finally:
            self._sel.unregister(self._sock)
        data = self._sock.recv(1 << 20)
        if not data:
            raise QTestError("qtest connection closed by QEMU")
        self._buf += data

    def _next_reply(self, deadline):
        """Return the next non-IRQ line (without the newline)."""
        while True:
            nl = self._buf.find(b"\n")
            if nl < 0:
                self._read_some(deadline)
                continue
            line = self._buf[:nl].decode("ascii")
            self._buf = self._buf[nl + 1:]
            if line.startswith("IRQ "):
                self._note_irq(line)
                continue
            return line

    def pipeline(self, cmds):
        """Send all commands, then collect one reply per command.

        Returns the text after "OK" for each command.  Writing and reading
        are interleaved so large replies cannot deadlock the socket.
        """
        if not cmds:
            return []
        out = ("\n".join(cmds) + "\n").encode("ascii")
        deadline = time.monotonic() + self.timeout
        replies = []
        sent = 0
        self.commands += len(cmds)
        self.round_trips += 1
        while sent < len(out):
            self._sel.register(self._sock,
                               selectors.EVENT_READ | selectors.EVENT_WRITE)
            try:
                left = deadline - time.monotonic()
                events = self._sel.select(max(left, 0))
            finally:
                self._sel.unregister(self._sock)
            if not events:
                raise QTestError("qtest send timed out")
            for _, mask in events:
                if mask & selectors.EVENT_WRITE:
                    try:
                        sent += self._sock.send(out[sent:sent + (1 << 20)])
                    except BlockingIOError:
                        pass
                if mask & selectors.EVENT_READ:
                    data = self._sock.recv(1 << 20)
                    if not data:
                        raise QTestError("qtest connection closed by QEMU")
                    self._buf += data
        for cmd in cmds:
            line = self._next_reply(deadline)
            if line == "OK":
                replies.append("")
            elif line.startswith("OK "):
                replies.append(line[3:])
            else:
                raise QTestError("%r -> %r" % (cmd[:80], line))
        return replies

    def cmd(self, line):
        return self.pipeline([line])[0]

    def poll_async(self):
        """Pick up IRQ lines QEMU sent while no command was outstanding."""
        while True:
            try:
                data = self._sock.recv(1 << 16)
            except BlockingIOError:
                break
            if not data:
                raise QTestError("qtest connection closed by QEMU")
            self._buf += data
        while self._buf.startswith(b"IRQ "):
            nl = self._buf.find(b"\n")
            if nl < 0:
                break
            self._note_irq(self._buf[:nl].decode("ascii"))
            self._buf = self._buf[nl + 1:]

    # -- command builders (strings, for pipelining) ----------------------

    @staticmethod
    def c_write(addr, data):
        return "b64write 0x%x %d %s" % (addr, len(data),
                                         base64.b64encode(data).decode())

    @staticmethod
    def c_read(addr, size):
        return "b64read 0x%x %d" % (addr, size)

    @staticmethod
    def c_out(width, port, val):
        return "out%s 0x%x 0x%x" % (width, port, val)

    @staticmethod
    def c_mmio_write(width, addr, val):
        return "write%s 0x%x 0x%x" % (width, addr, val)

    # -- single commands -------------------------------------------------

    def outb(self, port, val):
        self.cmd(self.c_out("b", port, val))

    def outw(self, port, val):
        self.cmd(self.c_out("w", port, val))

    def outl(self, port, val):
        self.cmd(self.c_out("l", port, val))

    def inb(self, port):
        return int(self.cmd("inb 0x%x" % port), 16)

    def inw(self, port):
        return int(self.cmd("inw 0x%x" % port), 16)

    def inl(self, port):
        return int(self.cmd("inl 0x%x" % port), 16)

    def writeb(self, addr, val):
        self.cmd(self.c_mmio_write("b", addr, val))

    def writew(self, addr, val):
        self.cmd(self.c_mmio_write("w", addr, val))

    def writel(self, addr, val):
        self.cmd(self.c_mmio_write("l", addr, val))

    def readb(self, addr):
        return int(self.cmd("readb 0x%x" % addr), 16)

    def readw(self, addr):
        return int(self.cmd("readw 0x%x" % addr), 16)

    def readl(self, addr):
        return int(self.cmd("readl 0x%x" % addr), 16)

    def memread(self, addr, size):
        return base64.b64decode(self.cmd(self.c_read(addr, size)))

    def memwrite(self, addr, data):
        self.cmd(self.c_write(addr, data))

    def memset(self, addr, size, val=0):
        self.cmd("memset 0x%x %d 0x%x" % (addr, size, val))

    def hexread(self, addr, size):
        """The plain `read` command (hex reply), kept for cross-checking."""
        reply = self.cmd("read 0x%x %d" % (addr, size))
        return bytes.fromhex(reply[2:])

    def hexwrite(self, addr, data):
        self.cmd("write 0x%x %d 0x%s" % (addr, len(data), data.hex()))

    def irq_intercept_in(self, qom_path):
        self.cmd("irq_intercept_in %s" % qom_path)

