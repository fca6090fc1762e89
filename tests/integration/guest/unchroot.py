#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Inside the VM: run CMD with the host root as the root of a private mount
namespace instead of a chroot.

    unchroot.py CMD [ARG]...

The test VM's init chroots into the host's root file system, and the kernel
refuses to create a user namespace from a chroot (unshare --user fails with
EPERM). So, as root: step out to the initramfs root (init's, /proc/1/root),
take a private copy of the mount namespace, move /newroot (the host root
with everything mounted under it) over / and chroot into it, the way
switch_root does. The process is then at the root of its mount namespace,
as on a real host, and `unshare --user` behaves as it would there. The
working directory is kept; CMD is exec'd.
"""

import ctypes
import os
import sys

CLONE_NEWNS = 0x00020000
MS_MOVE = 8192
MS_REC = 16384
MS_PRIVATE = 1 << 18
NEWROOT = "/newroot"  # where tests/vm/vmimage.py's init mounts the host root

libc = ctypes.CDLL(None, use_errno=True)


def check(rc, what):
    if rc != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"{what}: {os.strerror(e)}")


def main(argv):
    if not argv:
        print("usage: unchroot.py CMD [ARG]...", file=sys.stderr)
        return 2
    cwd = os.getcwd()
    os.chroot("/proc/1/root")
    check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    os.chdir(NEWROOT)
    check(libc.mount(b".", b"/", None, MS_MOVE, None), f"mount --move {NEWROOT} /")
    os.chroot(".")
    os.chdir(cwd)
    os.execvp(argv[0], argv)
    return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
