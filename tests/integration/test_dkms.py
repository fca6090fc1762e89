# SPDX-License-Identifier: GPL-2.0
"""DKMS and the installed module paths.

- dkms.conf agrees with the Makefile and covers exactly the supported series.
- On the host, inside tests/sandbox (a private mount namespace where
  /usr/src, /var/lib/dkms, /lib/modules/<release>, /usr/local and /etc are
  tmpfs overlays, so the host is not touched): `make install` (with depmod)
  makes modprobe resolve vhost_net to updates/lwvhost/ and `make uninstall`
  undoes it without leftovers (first tested kernel); for every tested kernel
  `make dkms-install` builds, installs into updates/dkms/ and depmods.
  What DKMS wrote into /lib/modules/<release> is kept for the VM.
- In the VM, per kernel, that layer is stacked over /lib/modules/<release>:
  opening /dev/vhost-net autoloads lwvhost, swap-out/swap-in work from the
  installed (on 6.12 compressed) copy. Running depmod inside the VM takes
  minutes under TCG, which is why the install itself happens on the host.
- With LWVHOST_DKMS_VM_BUILD=1 (`make check-dkms`, 4.5-9 min under TCG),
  the whole `make dkms-install` (compile and depmod included) runs inside a
  6.12 VM, and modprobe loads the result.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "vm"))
import vmimage  # noqa: E402
from installed_modules import assert_installed_modules_load  # noqa: E402

OUT = ROOT / "build" / "test-dkms"


def makefile_release():
    m = re.search(r"^LWVHOST_RELEASE := (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    return m.group(1)


def module_version():
    """What MODULE_VERSION the Makefile stamps into a build of this tree."""
    r = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                       capture_output=True, text=True)
    return r.stdout.strip() or makefile_release()


def dkms_conf(kernelver):
    """dkms.conf's variables as dkms sees them (it sources the file in bash)."""
    script = ('kernelver="$1"; . ./dkms.conf; '
              'printf "%s\\n" "$PACKAGE_NAME" "$PACKAGE_VERSION" "$MAKE" '
              '"${BUILT_MODULE_NAME[*]}" "${BUILT_MODULE_LOCATION[*]}" '
              '"${DEST_MODULE_LOCATION[*]}" "$BUILD_EXCLUSIVE_KERNEL"')
    out = subprocess.run(["bash", "-c", script, "bash", kernelver], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    keys = ["name", "version", "make", "modules", "locations", "dest", "exclusive"]
    return dict(zip(keys, out.splitlines()))


def test_dkms_conf_agrees_with_the_build():
    k = "6.12.117+deb12-amd64"
    c = dkms_conf(k)
    assert c["name"] == "lwvhost"
    assert c["version"] == makefile_release()
    assert c["make"] == f"make modules KVER={k}"
    assert c["modules"] == "vhost vhost_net"
    # Where `make modules KVER=k` really puts them.
    assert c["locations"] == f"build/kmod/{k}/vhost/ build/kmod/{k}/vhost_net/"
    assert c["dest"] == "/updates/dkms /updates/dkms"
    exclusive = re.compile(c["exclusive"])
    for ok in ("6.1.0-56-amd64", "6.1.0-99-cloud-amd64", "6.12.117+deb12-amd64"):
        assert exclusive.search(ok), ok
    for bad in ("6.10.3-amd64", "6.11.0-1-amd64", "6.13.2-amd64", "5.10.0-30-amd64",
                "6.6.1-amd64", "16.1.0"):
        assert not exclusive.search(bad), bad


# Session scope: pytest groups the tests by kernel across modules, and a
# module-scoped fixture would be rebuilt when test_dkms comes round again.
@pytest.fixture(scope="session")
def host_install(request):
    """make install/uninstall and make dkms-install in a sandbox on the host."""
    series = [k for k in request.config.getoption("kernels").split(",") if k]
    kernels = [vmimage.resolve_kernel(s) for s in series]
    OUT.mkdir(parents=True, exist_ok=True)
    ks = " ".join(kernels)
    script = f"""
set -e
log={OUT}/host.log
: > $log
# install/uninstall: one kernel is enough (depmod of 6.12's .ko.xz tree is slow)
make -s install KVER='{kernels[0]}' >> $log 2>&1
for k in {kernels[0]}; do echo "INSTALLED $k $(modinfo -k $k -n vhost_net)"; done
make -s uninstall >> $log 2>&1
for k in {kernels[0]}; do
	echo "UNINSTALLED $k $(modinfo -k $k -n vhost_net)"
	[ ! -e /lib/modules/$k/updates ] || echo "LEFTOVER $k $(find /lib/modules/$k/updates)"
done
[ ! -e /usr/local/share/lwvhost/install-manifest ] || echo "LEFTOVER manifest"
make -s dkms-install KVER='{ks}' >> $log 2>&1 || {{ tail -n 30 $log; exit 1; }}
dkms status lwvhost
src=/usr/src/lwvhost-{makefile_release()}
echo "SOURCE_LICENSES $(cd $src && ls COPYING LICENSES/GPL-2.0 LICENSES/exceptions/Linux-syscall-note 2>&1 | tr '\n' ' ')"
for k in {ks}; do
	echo "FILES $k $(cd /lib/modules/$k/updates/dkms && ls | sort | tr '\n' ' ')"
	echo "RESOLVED $k $(modinfo -k $k -n vhost_net)"
	echo "VERSION $k $(modinfo -k $k -F version vhost_net)"
	rm -rf {OUT}/modules-$k
	cp -a "$LWVHOST_SANDBOX_LAYERS/$(echo /lib/modules/$k | tr / _)/upper" {OUT}/modules-$k
done
"""
    dirs = ["/usr/src", "/var/lib/dkms", "/usr/local", "/etc",
            *(f"/lib/modules/{k}" for k in kernels)]
    r = subprocess.run([str(ROOT / "tests/sandbox"), *dirs, "--", "sh", "-c", script],
                       cwd=ROOT, capture_output=True, text=True)
    return kernels, r


def test_install_and_dkms_on_host(host_install):
    kernels, r = host_install
    out = r.stdout
    assert r.returncode == 0, out + r.stderr
    k = kernels[0]
    assert f"INSTALLED {k} /lib/modules/{k}/updates/lwvhost/vhost_net.ko\n" in out, out
    assert re.search(rf"^UNINSTALLED {re.escape(k)} /lib/modules/{re.escape(k)}/kernel/", out,
                     re.M), out
    for k in kernels:
        assert f"lwvhost/{makefile_release()}, {k}, x86_64: installed" in out, out
        files = re.search(rf"^FILES {re.escape(k)} (.*)$", out, re.M).group(1).split()
        # dkms compresses like the kernel's own modules (6.12 ships .ko.xz).
        suffix = ".ko.xz" if k.startswith("6.12.") else ".ko"
        assert files == [f"vhost{suffix}", f"vhost_net{suffix}"], files
        assert f"RESOLVED {k} /lib/modules/{k}/updates/dkms/vhost_net{suffix}" in out
        assert f"VERSION {k} {module_version()}" in out
        assert (OUT / f"modules-{k}" / "modules.dep").is_file()
    # The source DKMS builds from carries the licence it is under.
    assert re.search(r"^SOURCE_LICENSES COPYING LICENSES/GPL-2.0 "
                     r"LICENSES/exceptions/Linux-syscall-note $", out, re.M), out
    assert "LEFTOVER" not in out, out
    # The sandbox kept the host as it was.
    for k in kernels:
        assert not Path(f"/lib/modules/{k}/updates").exists()
    assert not Path(f"/usr/src/lwvhost-{makefile_release()}").exists()
    assert not Path("/var/lib/dkms/lwvhost").exists()


def test_installed_modules_load_in_vm(vm, host_install):
    if host_install[1].returncode != 0:
        pytest.fail("the host install failed (see test_install_and_dkms_on_host)")
    assert_installed_modules_load(vm, OUT, module_version())


DKMS_VM_BUILD = """
set -e
k=$(uname -r)
tests/sandbox /usr/src /var/lib/dkms /lib/modules/$k -- sh -c '
	k=$(uname -r)
	start=$(date +%s)
	make -s dkms-install > /tmp/dkms.log 2>&1 || { tail -n 40 /tmp/dkms.log; exit 1; }
	echo "BUILD_SECONDS $(( $(date +%s) - start ))"
	dkms status lwvhost
	echo "RESOLVED $(modinfo -n vhost_net)"
	modprobe vhost_net
	echo "LOADED $(cat /sys/module/vhost_net/srcversion) $(cat /sys/module/vhost_net/taint) $(cat /sys/module/vhost_net/version)"
	echo "FILE $(modinfo -F srcversion "$(modinfo -n vhost_net)")"
	echo "STOCK $(modinfo -F srcversion /lib/modules/$k/kernel/drivers/vhost/vhost_net.ko*)"
	python3 tests/integration/guest/vhost_owner.py
'
"""


@pytest.mark.skipif(os.environ.get("LWVHOST_DKMS_VM_BUILD") != "1",
                    reason="compiling under TCG takes 4.5-9 min: make check-dkms")
def test_dkms_builds_inside_vm(vm):
    if vm.kernel != "6.12":
        pytest.skip("one kernel is enough for the in-VM build (6.12)")
    res = vm.run(DKMS_VM_BUILD, timeout=2400)
    out = res.output
    assert res.rc == 0, out
    k = vmimage.resolve_kernel("6.12")
    assert f"lwvhost/{makefile_release()}, {k}, x86_64: installed" in out, out
    assert f"RESOLVED /lib/modules/{k}/updates/dkms/vhost_net.ko.xz" in out, out
    loaded = re.search(r"^LOADED (\S+) (\S+) (\S+)$", out, re.M)
    file_src = re.search(r"^FILE (\S+)$", out, re.M).group(1)
    stock_src = re.search(r"^STOCK (\S+)$", out, re.M).group(1)
    assert loaded.group(1) == file_src != stock_src
    assert "O" in loaded.group(2)
    assert loaded.group(3) == module_version()
    assert "FAIL" not in out
    print(re.search(r"^BUILD_SECONDS \d+$", out, re.M).group(0))
