# SPDX-License-Identifier: GPL-2.0
"""Host side of guest/installed_modules.sh, shared by the DKMS and the
Debian package tests: what an install wrote into /lib/modules/<release>
(LAYER), stacked in the VM, must autoload lwvhost of VERSION from
updates/dkms/ and let stock be swapped back in and out."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "vm"))
import vmimage  # noqa: E402


def assert_installed_modules_load(vm, layers, version):
    """layers: the directory holding modules-<release> for each kernel."""
    release = vmimage.resolve_kernel(vm.kernel)
    res = vm.run(f"tests/integration/guest/installed_modules.sh {layers}/modules-{release}",
                 timeout=240)
    out = res.output
    assert res.rc == 0, out
    suffix = ".ko.xz" if vm.kernel == "6.12" else ".ko"
    assert f"RESOLVED /lib/modules/{release}/updates/dkms/vhost_net{suffix}" in out, out
    for step in ("autoload", "owner-rules", "swap-out", "swap-in", "swap-out-2"):
        assert f"STEP {step} rc=0" in out, out
    assert "LOADED autoload lwvhost" in out, out
    assert "LOADED swap-out stock" in out, out
    assert "LOADED swap-in lwvhost" in out, out
    assert f"VERSION {version}" in out, out
