# SPDX-License-Identifier: GPL-2.0
"""Build and cache what the test VM boots: an uncompressed vmlinux (QEMU boots
it directly through PVH, twice as fast as the bzImage) and a tiny initramfs
with busybox, the 9p modules and an init that chroots into the host's root.

Both are cached under build/vm/<release>/ and rebuilt when the kernel package
(the vmlinuz file) or this builder changes.
"""

import glob
import hashlib
import lzma
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Modules the initramfs needs to reach the 9p root; their dependencies are
# resolved from modules.dep. Built-in ones (virtio_pci on 6.12) are skipped.
INITRAMFS_MODULES = ["virtio_pci", "9pnet_virtio", "9p"]


class KernelNotFound(Exception):
    pass


@dataclass
class Image:
    release: str
    vmlinux: Path
    initramfs: Path


def installed_releases():
    rels = []
    for path in glob.glob("/boot/vmlinuz-*"):
        rel = path[len("/boot/vmlinuz-"):]
        if os.path.isdir(f"/lib/modules/{rel}"):
            rels.append(rel)
    return sorted(rels, key=_version_key)


def _version_key(rel):
    return [int(x) if x.isdigit() else x for x in re.split(r"[.\-+]", rel)]


DEBUG_PREFIX = "debug-"


def debug_build_dir(series):
    """Where tests/vm/build-debug-kernel leaves the debug kernel of series."""
    return HERE.parents[1] / "build" / "debug-kernel" / series


def resolve_kernel(spec):
    """'6.1' -> newest installed 6.1.x release; 'debug-6.12' -> the release
    of the debug kernel built by tests/vm/build-debug-kernel; an exact
    release passes."""
    if spec.startswith(DEBUG_PREFIX):
        d = debug_build_dir(spec[len(DEBUG_PREFIX):])
        rel = d / "release"
        if not rel.exists() or not (d / "obj" / "vmlinux").exists():
            raise KernelNotFound(f"no debug kernel built for '{spec}' "
                                 "(run make debug-kernel)")
        release = rel.read_text().strip()
        if not os.path.isdir(f"/lib/modules/{release}"):
            raise KernelNotFound(f"debug kernel {release} is built but its modules are "
                                 "not installed (run make debug-kernel)")
        return release
    rels = installed_releases()
    if spec in rels:
        return spec
    series = [r for r in rels if re.match(re.escape(spec) + r"\.\d", r)]
    if not series:
        raise KernelNotFound(
            f"no installed kernel matches '{spec}' (have: {', '.join(rels) or 'none'};"
            " run scripts/install-deps)")
    return series[-1]


def extract_vmlinux(bzimage, out):
    """Find the compressed payload in a bzImage and decompress it to ELF."""
    data = Path(bzimage).read_bytes()
    for magic, kind in ((b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zstd")):
        pos = data.find(magic)
        while pos >= 0:
            elf = _decompress(kind, data[pos:])
            if elf and elf[:4] == b"\x7fELF":
                out.write_bytes(elf)
                return
            pos = data.find(magic, pos + 1)
    raise RuntimeError(f"{bzimage}: no xz/zstd ELF payload found")


def _decompress(kind, blob):
    if kind == "xz":
        try:
            return lzma.LZMADecompressor().decompress(blob)
        except lzma.LZMAError:
            return None
    # zstd: the CLI complains about the bytes after the frame, but the frame
    # itself is decoded completely before that.
    with tempfile.NamedTemporaryFile(suffix=".zst") as f:
        f.write(blob)
        f.flush()
        r = subprocess.run(["zstd", "-dc", "-q", f.name], capture_output=True)
        return r.stdout


def _module_deps(release):
    """name -> (path relative to /lib/modules/<rel>, [dependency paths])."""
    deps = {}
    base = Path("/lib/modules") / release
    for line in (base / "modules.dep").read_text().splitlines():
        path, _, rest = line.partition(":")
        name = Path(path).name.split(".ko")[0].replace("-", "_")
        deps[name] = (path, rest.split())
    return deps


def _module_load_order(release):
    """Module paths in an order where dependencies come first."""
    deps = _module_deps(release)
    by_path = {path: ds for path, ds in deps.values()}
    order = []

    def visit(path):
        if path in order:
            return
        for d in by_path.get(path, []):
            visit(d)
        order.append(path)

    for name in INITRAMFS_MODULES:
        if name in deps:
            visit(deps[name][0])
    return order


INIT_SCRIPT = r"""#!/bin/busybox sh
# lwvhost test VM init: mount the host's root read-only over 9p, give it
# writable scratch space, run the command the host left in the result share,
# record its exit status and the kernel log, power off.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules.order); do insmod /lib/mod/$m || echo "init: insmod $m failed"; done

opts=trans=virtio,version=9p2000.L,msize=512000,cache=loose
R=/newroot
mount -t 9p -o ro,$opts host $R || { echo "init: cannot mount host root"; poweroff -f; }
for d in tmp run mnt var/tmp root; do mount -t tmpfs -o mode=1777 tmpfs $R/$d; done
mkdir -p $R/mnt/lwvhost-result
mount -t 9p -o $opts result $R/mnt/lwvhost-result
# The project tree is its own share, mounted at its host path: a checkout
# under /tmp or /root would otherwise vanish under the tmpfs mounts above.
proj=$(cat $R/mnt/lwvhost-result/project)
mkdir -p $R$proj 2>/dev/null
mount -t 9p -o ro,$opts project $R$proj || echo "init: cannot mount project $proj"
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts devpts $R/dev/pts
mount -t tmpfs tmpfs $R/dev/shm
mount -t tracefs tracefs $R/sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs $R/sys/kernel/debug 2>/dev/null
mount -t cgroup2 cgroup2 $R/sys/fs/cgroup 2>/dev/null
ip link set lo up 2>/dev/null
# Like a Debian system (kmod static-nodes + udev): the nodes of on-demand
# modules exist from boot, and opening one makes the kernel run modprobe,
# which must find the host's module tree, hence the chroot wrapper.
mknod -m 600 $R/dev/vhost-net c 10 238
mkdir -p $R/dev/net && mknod -m 666 $R/dev/net/tun c 10 200
printf '#!/bin/busybox sh\nexec chroot /newroot /sbin/modprobe "$@"\n' > /sbin/modprobe
chmod 755 /sbin/modprobe
echo /sbin/modprobe > /proc/sys/kernel/modprobe

res=$R/mnt/lwvhost-result
# Debug kernels: kmemleak judges only what the command leaks. Scan and
# forget what boot left, then scan again after the command (objects
# younger than 5 s are not reported, hence the wait).
leaks=$R/sys/kernel/debug/kmemleak
[ -w $leaks ] && { echo scan > $leaks; echo clear > $leaks; }
chroot $R /bin/sh -c 'sh /mnt/lwvhost-result/cmd.sh; echo $? > /mnt/lwvhost-result/status' 2>&1 | tee $res/output
if [ -w $leaks ]; then
	sleep 5
	echo scan > $leaks
	cat $leaks > $res/kmemleak
fi
dmesg > $res/dmesg
sync
umount $res
poweroff -f
"""


def _builder_hash():
    h = hashlib.sha256()
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()[:16]


def build_initramfs(release, out):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for d in ("bin", "sbin", "proc", "sys", "dev", "newroot", "lib/mod"):
            (root / d).mkdir(parents=True)
        shutil.copy("/bin/busybox", root / "bin" / "busybox")
        (root / "init").write_text(INIT_SCRIPT)
        (root / "init").chmod(0o755)
        names = []
        for rel in _module_load_order(release):
            src = Path("/lib/modules") / release / rel
            name = src.name.split(".ko")[0] + ".ko"
            data = src.read_bytes()
            if src.name.endswith(".xz"):
                data = lzma.decompress(data)
            elif src.name.endswith(".zst"):
                data = subprocess.run(["zstd", "-dc", str(src)],
                                      capture_output=True, check=True).stdout
            (root / "lib/mod" / name).write_bytes(data)
            names.append(name)
        (root / "modules.order").write_text("\n".join(names) + "\n")
        files = subprocess.run(["find", "."], cwd=root, capture_output=True,
                               text=True, check=True).stdout
        with open(out, "wb") as f:
            subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=root,
                           input=files.encode(), stdout=f, check=True)


def _debug_vmlinux(release):
    """The uncompressed vmlinux of a debug kernel build, or None."""
    build = Path(f"/lib/modules/{release}/build")
    vmlinux = build / "vmlinux"
    return vmlinux if vmlinux.exists() and (build / ".config").exists() \
        and "lwvdebug" in release else None


def ensure_image(release, cache_root):
    """Return the cached image for release, rebuilding what is stale."""
    debug = _debug_vmlinux(release)
    source = debug or Path(f"/boot/vmlinuz-{release}")
    st = source.stat()
    key = f"{st.st_size}:{int(st.st_mtime)}:{_builder_hash()}"
    d = Path(cache_root) / release
    d.mkdir(parents=True, exist_ok=True)
    stamp = d / "stamp"
    image = Image(release, debug or d / "vmlinux", d / "initramfs.cpio")
    if stamp.exists() and stamp.read_text() == key and image.vmlinux.exists() \
            and image.initramfs.exists():
        return image
    if not debug:
        extract_vmlinux(source, image.vmlinux)
    build_initramfs(release, image.initramfs)
    stamp.write_text(key)
    return image
