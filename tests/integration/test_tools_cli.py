# SPDX-License-Identifier: GPL-2.0
"""The start-up every tool shares (tools/cli): --version prints the build's
version and exits 0; a usage error is one line on stderr and exit 2.
Host-side, no VM."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "build" / "bin"
TOOLS = ["lwvhostctl", "lwvhost-trace", "lwvhost-tuned", "lwvhost-vnet", "vhost-fuzz",
         "lwvhost-events"]


def run(*argv):
    return subprocess.run([str(BIN / argv[0]), *argv[1:]], capture_output=True, text=True,
                          timeout=30)


@pytest.mark.parametrize("tool", TOOLS)
def test_version(tool):
    r = run(tool, "--version")
    assert r.returncode == 0 and r.stderr == "", r
    name, version = r.stdout.rstrip("\n").split(" ")
    assert name == tool
    # The tree may have changed since the build (a commit, an edit): the
    # version names a commit of this repository all the same.
    commit = version.removesuffix("-dirty").rsplit("-g", 1)[-1]
    assert re.fullmatch(r"[0-9a-f]{7,40}", commit), version
    assert subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", commit + "^{commit}"]
                          ).returncode == 0, version


@pytest.mark.parametrize("tool", TOOLS)
def test_unknown_option_is_one_line_and_exit_2(tool):
    r = run(tool, "--no-such-option")
    assert r.returncode == 2, r
    assert r.stdout == "" and r.stderr.count("\n") == 1, r
    assert r.stderr.startswith(tool + ": "), r
