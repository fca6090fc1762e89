# SPDX-License-Identifier: GPL-2.0
"""The guest scripts' one reporter (guest/ktap.py, guest/ktap.sh), the host's
parser of its stream (ktap.py) and the plumbing that turns each check into a
pytest result (guest_checks.py). Host only: no VM."""

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ktap import parse

HERE = Path(__file__).resolve().parent
GUEST = HERE / "guest"


def run_python_reporter(body):
    code = f"import sys; sys.path.insert(0, {str(GUEST)!r})\nfrom ktap import Ktap\n{body}"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_python_reporter_round_trip():
    p = run_python_reporter(
        "check = Ktap()\n"
        "print('unrelated output')\n"
        "check('first # of two', True, 'a detail')\n"
        "check('second', False, 'line one\\nline two')\n"
        "check.skip('third', 'not on this kernel')\n"
        "print('FIGURES {}')\n"
        "check.exit()\n")
    assert p.returncode == 1, p
    [s] = parse(p.stdout)
    assert s.problems() == []
    assert [(r.number, r.ok, r.name, r.skip) for r in s.results] == [
        (1, True, "first no. of two", None),
        (2, False, "second", None),
        (3, True, "third", "not on this kernel")]
    assert s.results[0].diagnostics == ["a detail"]
    assert s.results[1].diagnostics == ["line one", "line two"]


def test_python_reporter_exits_0_when_all_pass():
    p = run_python_reporter("check = Ktap()\ncheck('a', 1)\ncheck.exit()\n")
    assert p.returncode == 0 and p.stdout == "KTAP version 1\nok 1 a\n1..1\n"


def test_shell_reporter_round_trip():
    script = f""". {GUEST}/ktap.sh
ktap_start
ktap_check "true holds" true
ktap_check "false fails" false
ktap_result 0 "by status"
ktap_finish
"""
    p = subprocess.run(["sh", "-c", script], capture_output=True, text=True)
    assert p.returncode == 1
    [s] = parse(p.stdout)
    assert s.problems() == []
    assert [(r.ok, r.name) for r in s.results] == [
        (True, "true holds"), (False, "false fails"), (True, "by status")]


@pytest.mark.parametrize("text, problem", [
    ("KTAP version 1\nok 1 a\nok 2 b\n", "no plan line: the script stopped after result 2 ('b')"),
    ("KTAP version 1\nTraceback (most recent call last):\n",
     "no plan line: the script stopped before its first result"),
    ("KTAP version 1\nok 1 a\n1..2\n", "plan 1..2 but 1 results"),
    ("KTAP version 1\nok 1 a\nok 3 c\n1..2\n", "result 2 is numbered 3"),
])
def test_incomplete_streams_are_named(text, problem):
    [s] = parse(text)
    assert problem in s.problems()


def test_two_streams_and_text_outside_them():
    text = ("ok 9 not in a stream\nKTAP version 1\nnot ok 1 x\n1..1\nok 2 after the plan\n"
            "KTAP version 1\n# d\nok 1 y # TODO later\n1..1\n")
    a, b = parse(text)
    assert [(r.ok, r.name) for r in a.results] == [(False, "x")]
    assert [(r.ok, r.name, r.skip, r.diagnostics) for r in b.results] == [(True, "y", None, ["d"])]


def test_each_check_is_its_own_pytest_and_junit_result(tmp_path):
    """An inner pytest run whose one test reports a stream of three checks
    (one failing, one skipped): pytest's summary and the JUnit XML that
    `make check` sums must count the checks."""
    (tmp_path / "conftest.py").write_text(
        f"import sys\nsys.path.insert(0, {str(HERE)!r})\nimport pytest\n"
        "from guest_checks import GuestChecks\n\n"
        "@pytest.fixture\ndef checks(request):\n    return GuestChecks(request.node)\n")
    (tmp_path / "test_inner.py").write_text(
        "OUT = 'KTAP version 1\\nok 1 good\\n# why it broke\\nnot ok 2 bad\\n"
        "ok 3 later # SKIP no such thing\\n1..3\\n'\n\n"
        "def test_script(checks):\n    checks.report(OUT)\n\n"
        "def test_cut_short(checks):\n    checks.report('KTAP version 1\\nok 1 only\\n')\n")
    xml = tmp_path / "junit.xml"
    p = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rfEs",
                        f"--junitxml={xml}", "test_inner.py"],
                       cwd=tmp_path, capture_output=True, text=True)
    out = p.stdout
    assert p.returncode == 1, out
    assert "2 failed, 3 passed, 1 skipped" in out, out
    assert "FAILED test_inner.py::test_script::bad" in out, out
    assert "why it broke" in out, out
    assert "FAILED test_inner.py::test_cut_short" in out, out
    assert "incomplete KTAP stream: no plan line: the script stopped after result 1 " \
           "('only')" in out, out
    cases = {c.get("name"): c for c in ET.parse(xml).getroot().iter("testcase")}
    assert set(cases) == {"test_script", "good", "bad", "later", "test_cut_short", "only"}, cases
    assert cases["bad"].find("failure") is not None
    assert cases["later"].find("skipped") is not None
    assert cases["good"].find("failure") is None and cases["good"].find("skipped") is None


def test_report_run_judges_the_script_exit_status(tmp_path):
    """report_run(): status 1 with a failed check and 0 without are the
    script's own verdicts; any other status fails the test that ran it."""
    (tmp_path / "conftest.py").write_text(
        f"import sys\nsys.path.insert(0, {str(HERE)!r})\nimport pytest\n"
        "from guest_checks import GuestChecks\n\n"
        "@pytest.fixture\ndef checks(request):\n    return GuestChecks(request.node)\n")
    (tmp_path / "test_inner.py").write_text(
        "from types import SimpleNamespace as Run\n"
        "BAD = 'KTAP version 1\\nnot ok 1 broke\\n1..1\\n'\n"
        "GOOD = 'KTAP version 1\\nok 1 fine\\n1..1\\n'\n\n"
        "def test_failed_check_exit_1(checks):\n    checks.report_run(Run(rc=1, output=BAD))\n\n"
        "def test_clean_exit_0(checks):\n    checks.report_run(Run(rc=0, output=GOOD))\n\n"
        "def test_crashed_after_its_checks(checks):\n"
        "    checks.report_run(Run(rc=2, output=GOOD.replace('fine', 'fine too')))\n")
    p = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rfE",
                        "test_inner.py"], cwd=tmp_path, capture_output=True, text=True)
    out = p.stdout
    assert "2 failed, 4 passed" in out, out
    assert "FAILED test_inner.py::test_failed_check_exit_1::broke" in out, out
    assert "FAILED test_inner.py::test_crashed_after_its_checks -" in out, out
