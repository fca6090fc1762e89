# SPDX-License-Identifier: GPL-2.0
"""tests/vm/run itself: a kernel that never starts the command is a hung
boot, retried and then reported, not a VM left to its full timeout.

The hang is real: init is replaced (rdinit=) by a busybox sleep, so the
kernel boots and the command never starts.
"""

import os
import subprocess

from conftest import RUNNER


def test_a_boot_that_never_starts_the_command_is_retried_then_reported(request, tmp_path):
    kernel = request.config.getoption("kernels").split(",")[0]
    boot_timeout = 10
    proc = subprocess.run(
        [str(RUNNER), "--kernel", kernel, "--quiet", "--boot-timeout", str(boot_timeout),
         "--timeout", "600", "--result-dir", str(tmp_path), "--", "true"],
        env={**os.environ,
             "LWVHOST_VM_APPEND": "rdinit=/bin/busybox -- sleep 3600"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=900)
    assert proc.returncode == 125, proc.stderr
    kept = sorted(p.name for p in tmp_path.glob("console.boot-hang-*"))
    assert kept == ["console.boot-hang-1", "console.boot-hang-2", "console.boot-hang-3"]
    assert not (tmp_path / "output").exists()
    assert proc.stderr.count(f"did not start the command within {boot_timeout} s") == 3
    assert "never started the command in 3 boots" in proc.stderr


def test_a_boot_timeout_that_is_not_positive_is_a_usage_error():
    proc = subprocess.run([str(RUNNER), "--boot-timeout", "0", "--", "true"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=60)
    assert proc.returncode == 2
    assert "--boot-timeout" in proc.stderr.splitlines()[-1]
