# SPDX-License-Identifier: GPL-2.0
"""Kernel sources are checkpatch clean (host-side, no VM)."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def kernel_sources():
    return sorted(str(p) for d in ("vhost", "vhost_net", "compat", "include")
                  for p in (ROOT / d).rglob("*.[ch]"))


def test_checkpatch_clean():
    files = kernel_sources()
    assert files
    r = subprocess.run([str(ROOT / "scripts" / "checkpatch"), *files],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
