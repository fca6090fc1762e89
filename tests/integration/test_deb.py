# SPDX-License-Identifier: GPL-2.0
"""The Debian packages (`make deb`, debian/).

- `make deb` builds lwvhost-dkms and lwvhost-tools with dpkg-buildpackage
  and passes lintian at warning and info level (the only override, in
  debian/*.lintian-overrides, is the archive's ITP-bug check).
- On the host, inside tests/sandbox (/usr, /etc and /var are tmpfs
  overlays in a private mount namespace; the host is not touched): dpkg
  installs both; their maintainer scripts register the source with DKMS;
  DKMS builds and installs the modules for every tested kernel; the tools,
  man pages, completion, example config and the (not enabled) unit are in
  place; then dpkg removes both and nothing of them is left.
- In the VM, per kernel, what DKMS wrote into /lib/modules/<release> is
  stacked over the real tree: /dev/vhost-net autoloads the packaged build,
  and stock can be swapped back in (tests/integration/guest/installed_modules.sh).
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "vm"))
import vmimage  # noqa: E402
from installed_modules import assert_installed_modules_load  # noqa: E402

DEB_DIR = ROOT / "build" / "deb"
OUT = ROOT / "build" / "test-deb"


def package_version():
    m = re.match(r"lwvhost \(([^)]+)\)", (ROOT / "debian" / "changelog").read_text())
    return m.group(1)


def upstream_version():
    return package_version().rsplit("-", 1)[0]


@pytest.fixture(scope="session")
def debs():
    r = subprocess.run(["make", "-s", "deb"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    v = package_version()
    paths = {p: DEB_DIR / f"{p}_{v}_{a}.deb"
             for p, a in (("lwvhost-dkms", "all"), ("lwvhost-tools", "amd64"))}
    for p in paths.values():
        assert p.is_file(), p
    return paths


def test_packages_build_and_pass_lintian(debs):
    # make deb fails on any lintian warning or info; here: what they hold.
    def listing(deb):
        out = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True,
                             check=True).stdout
        return {l.split()[-1].lstrip(".") for l in out.splitlines() if not l.endswith("/")}

    tools = listing(debs["lwvhost-tools"])
    for f in ("/usr/bin/lwvhostctl", "/usr/bin/lwvhost-trace", "/usr/bin/lwvhost-events",
              "/usr/bin/lwvhost-vnet", "/usr/sbin/lwvhost-tuned",
              "/usr/share/man/man8/lwvhostctl.8.gz", "/usr/share/man/man8/lwvhost-tuned.8.gz",
              "/usr/share/man/man1/lwvhost-trace.1.gz",
              "/usr/share/bash-completion/completions/lwvhostctl",
              "/usr/share/doc/lwvhost-tools/examples/tuned.conf.example",
              "/lib/systemd/system/lwvhost-tuned.service",
              "/usr/share/doc/lwvhost-tools/copyright"):
        assert f in tools, f
    src = f"/usr/src/lwvhost-{upstream_version()}"
    dkms = listing(debs["lwvhost-dkms"])
    for f in ("dkms.conf", "Makefile", "Kbuild", "COPYING", "LICENSES/GPL-2.0",
              "vhost/dev.c", "vhost_net/net.c", "include/uapi/linux/lwvhost.h"):
        assert f"{src}/{f}" in dkms, f
    info = subprocess.run(["dpkg-deb", "-f", str(debs["lwvhost-dkms"]), "Depends"],
                          capture_output=True, text=True, check=True).stdout
    assert "dkms" in info, info


@pytest.fixture(scope="session")
def installed(request, debs):
    """dpkg -i, dkms for every tested kernel, checks, dpkg -r: in a sandbox."""
    series = [k for k in request.config.getoption("kernels").split(",") if k]
    kernels = [vmimage.resolve_kernel(s) for s in series]
    OUT.mkdir(parents=True, exist_ok=True)
    name_ver = f"lwvhost/{upstream_version()}"
    script = f"""
set -e
dpkg -i {debs['lwvhost-dkms']} {debs['lwvhost-tools']} > {OUT}/dpkg-install.log 2>&1 || {{
	tail -n 40 {OUT}/dpkg-install.log; exit 1; }}
echo "STATUS $(dpkg-query -W -f='${{db:Status-Abbrev}}${{Package}} ' lwvhost-dkms lwvhost-tools)"
for k in {' '.join(kernels)}; do
	dkms install {name_ver} -k $k > {OUT}/dkms-$k.log 2>&1 || {{ tail -n 30 {OUT}/dkms-$k.log; exit 1; }}
	echo "RESOLVED $k $(modinfo -k $k -n vhost_net)"
	echo "VERSION $k $(modinfo -k $k -F version vhost_net)"
	rm -rf {OUT}/modules-$k
	cp -a "$LWVHOST_SANDBOX_LAYERS/_usr/upper/lib/modules/$k" {OUT}/modules-$k
done
dkms status lwvhost
echo "CTL $(lwvhostctl --version)"
echo "TUNED $(lwvhost-tuned --version)"
echo "UNIT $(grep ^ExecStart= /lib/systemd/system/lwvhost-tuned.service)"
echo "ENABLED $(ls /etc/systemd/system/multi-user.target.wants/ 2>/dev/null | grep -c lwvhost || true)"
echo "MAN $(man -w lwvhostctl)"
dpkg -r lwvhost-tools lwvhost-dkms > {OUT}/dpkg-remove.log 2>&1 || {{
	tail -n 40 {OUT}/dpkg-remove.log; exit 1; }}
echo "AFTER dkms=[$(dkms status lwvhost)]"
for k in {' '.join(kernels)}; do
	echo "LEFT $k $(ls /lib/modules/$k/updates/dkms 2>/dev/null | tr '\\n' ' ')"
done
echo "LEFT src $(ls -d /usr/src/lwvhost-* 2>/dev/null)"
echo "LEFT bin $(ls /usr/bin/lwvhostctl /usr/sbin/lwvhost-tuned 2>/dev/null)"
"""
    r = subprocess.run([str(ROOT / "tests/sandbox"), "/usr", "/etc", "/var", "--",
                        "sh", "-c", script], cwd=ROOT, capture_output=True, text=True)
    return kernels, r


def test_install_build_and_remove(installed):
    kernels, r = installed
    out = r.stdout
    assert r.returncode == 0, out + r.stderr
    assert "STATUS ii lwvhost-dkms ii lwvhost-tools \n" in out, out
    for k in kernels:
        suffix = ".ko.xz" if k.startswith("6.12.") else ".ko"
        assert f"RESOLVED {k} /lib/modules/{k}/updates/dkms/vhost_net{suffix}" in out, out
        # Built from the package: the version the package stamped.
        assert f"VERSION {k} {upstream_version()}\n" in out, out
        assert f"{'lwvhost/' + upstream_version()}, {k}, x86_64: installed" in out, out
    assert f"CTL lwvhostctl {upstream_version()}" in out, out
    assert f"TUNED lwvhost-tuned {upstream_version()}" in out, out
    assert "UNIT ExecStart=/usr/sbin/lwvhost-tuned " in out, out
    assert "ENABLED 0" in out, out
    assert "MAN /usr/share/man/man8/lwvhostctl.8.gz" in out, out
    # Removal takes everything away: DKMS registration, modules, sources, tools.
    assert "AFTER dkms=[]" in out, out
    for k in kernels:
        assert re.search(rf"^LEFT {re.escape(k)} $", out, re.M), out
    assert re.search(r"^LEFT src $", out, re.M), out
    assert re.search(r"^LEFT bin $", out, re.M), out
    # The sandbox kept the host as it was.
    assert not Path(f"/usr/src/lwvhost-{upstream_version()}").exists()
    assert subprocess.run(["dpkg-query", "-W", "lwvhost-dkms"],
                          capture_output=True).returncode != 0


def test_packaged_modules_load_in_vm(vm, installed):
    if installed[1].returncode != 0:
        pytest.fail("the package install failed (see test_install_build_and_remove)")
    assert_installed_modules_load(vm, OUT, upstream_version())
