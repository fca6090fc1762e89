#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Inside the VM: the owner rules of /dev/vhost-net.

Opens the device, checks its major/minor, becomes the owner, then forks: the
child (a different mm on the same fd) must be refused with EPERM, and a
second VHOST_SET_OWNER with EBUSY. A KTAP stream (ktap.py), one result per
check; exit 0 only if all hold.
"""

import errno
import fcntl
import os
import stat
import struct

from ktap import Ktap
from vhostlib import GET_FEATURES, SET_FEATURES, SET_OWNER

VHOST_NET_MINOR = 238

check = Ktap()


def ioctl_errno(fd, req, arg=0):
    try:
        fcntl.ioctl(fd, req, arg)
        return 0
    except OSError as e:
        return e.errno


st = os.stat("/dev/vhost-net")
check("char device 10:238", stat.S_ISCHR(st.st_mode)
      and os.major(st.st_rdev) == 10 and os.minor(st.st_rdev) == VHOST_NET_MINOR,
      f"({os.major(st.st_rdev)}:{os.minor(st.st_rdev)})")

with open("/sys/class/misc/vhost-net/dev") as f:
    registered = f.read().strip()
check("misc device registered as 10:238", registered == f"10:{VHOST_NET_MINOR}",
      f"({registered})")

fd = os.open("/dev/vhost-net", os.O_RDWR)
buf = bytearray(8)
fcntl.ioctl(fd, GET_FEATURES, buf)
features = struct.unpack("<Q", buf)[0]
check("GET_FEATURES offers VERSION_1", bool(features & (1 << 32)), hex(features))
check("SET_OWNER by opener", ioctl_errno(fd, SET_OWNER) == 0)
check("second SET_OWNER refused with EBUSY",
      ioctl_errno(fd, SET_OWNER) == errno.EBUSY)

r, w = os.pipe()
pid = os.fork()
if pid == 0:
    e = ioctl_errno(fd, SET_FEATURES, struct.pack("<Q", 0))
    os.write(w, bytes([e]))
    os._exit(0)
os.waitpid(pid, 0)
child_errno = os.read(r, 1)[0]
check("non-owner process refused with EPERM", child_errno == errno.EPERM,
      f"(errno {child_errno})")
os.close(fd)
check.exit()
