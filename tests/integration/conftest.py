# SPDX-License-Identifier: GPL-2.0
"""pytest plumbing for tests that run inside the test VM.

Tests run on the host; each `vm.run(...)` boots one VM (tests/vm/run), runs a
shell command in the project root as root, and returns its exit status and
output. A kernel complaint on the console or in dmesg fails the test there
and then, whatever the command returned.
"""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "tests" / "vm" / "run"
sys.path.insert(0, str(ROOT / "tests" / "vm"))
from complaints import find_complaints  # noqa: E402
from guest_checks import GuestChecks  # noqa: E402

DEFAULT_KERNELS = "6.1,6.12"
COMPLAINT_EXIT = 3


def pytest_addoption(parser):
    parser.addoption("--kernels", default=os.environ.get("LWVHOST_KERNELS", DEFAULT_KERNELS),
                     help="comma-separated kernel series to run VM tests on")


def pytest_generate_tests(metafunc):
    if "kernel" in metafunc.fixturenames:
        kernels = [k for k in metafunc.config.getoption("kernels").split(",") if k]
        metafunc.parametrize("kernel", kernels, scope="session")


def timeout_scale(kernel):
    """How much longer a VM may take: the debug kernel (KASAN, lockdep,
    kmemleak) runs the same work several times slower under TCG."""
    default = 4.0 if kernel.startswith("debug-") else 1.0
    return float(os.environ.get("LWVHOST_VM_TIMEOUT_SCALE", default))


def timing_premise(vm, ok, why):
    """A premise about TCG timing that a comparison needs (enough kicks in
    event mode to cut, a sender fast enough to fill an interval). On
    Debian's kernels a missed premise fails the test. The debug kernel runs
    3-4 times slower, its worker is behind the guest all the time and these
    premises do not hold there; it skips with the reason, after every
    correctness check before the premise (no loss, no missed call) passed.
    The debug lane is there for the checkers' reports."""
    if ok:
        return
    if vm.kernel.startswith("debug-"):
        pytest.skip(f"timing premise not met on {vm.kernel}: {why}")
    pytest.fail(why)


@dataclass
class VmResult:
    rc: int
    output: str
    console: str
    files: Path  # the run's $LWVHOST_RESULT directory

    def file_json(self, name):
        """The JSON document the command wrote to $LWVHOST_RESULT/name, or
        None when it wrote none."""
        path = self.files / name
        return json.loads(path.read_text()) if path.exists() else None

    def tagged_json(self, tag):
        """The JSON document a guest script printed as `TAG {json}`, or None."""
        for line in self.output.splitlines():
            if line.startswith(tag + " "):
                return json.loads(line[len(tag) + 1:])
        return None


class Vm:
    def __init__(self, kernel, tmp_path):
        self.kernel = kernel
        self._tmp = tmp_path
        self._runs = 0

    def run(self, command, timeout=300, smp=2, mem="2G", check_kernel=True):
        """Boot a VM, run `command` (a shell string) and return VmResult."""
        self._runs += 1
        timeout = int(timeout * timeout_scale(self.kernel))
        result_dir = self._tmp / f"vm{self._runs}"
        # Guest scripts with time limits of their own scale them by this.
        command = f"export LWVHOST_TIME_SCALE={timeout_scale(self.kernel)}; {command}"
        argv = [str(RUNNER), "--kernel", self.kernel, "--timeout", str(timeout),
                "--smp", str(smp), "--mem", mem, "--quiet",
                "--result-dir", str(result_dir), "--", "sh", "-c", command]
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)  # the runner enforces `timeout`
                                          # once it holds the VM lock
        read = lambda name: (result_dir / name).read_text(errors="replace") \
            if (result_dir / name).exists() else ""
        console, dmesg = read("console"), read("dmesg")
        complaints = find_complaints(console, dmesg, read("kmemleak"))
        if check_kernel and (complaints or proc.returncode == COMPLAINT_EXIT):
            pytest.fail("kernel complaint:\n" + "\n".join(l for _, l in complaints)
                        + "\n--- console tail ---\n" + console[-4000:])
        if proc.returncode == 124:
            pytest.fail(f"VM timed out after {timeout} s\n{proc.stderr}\n{console[-3000:]}")
        if proc.returncode == 125:
            pytest.fail(f"VM died before the command finished\n{console[-3000:]}")
        return VmResult(proc.returncode, read("output"), console, result_dir)


@pytest.fixture
def vm(kernel, tmp_path):
    return Vm(kernel, tmp_path)


@pytest.fixture
def checks(request):
    """Turns a guest script's KTAP checks into pytest results
    (guest_checks.py): `checks.report_run(res)` for a run of one script,
    `checks.report(res.output)` where the command did more."""
    return GuestChecks(request.node)
