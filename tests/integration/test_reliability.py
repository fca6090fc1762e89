# SPDX-License-Identifier: GPL-2.0
"""Reliability and security, short version (make check): the scenarios of
tests/integration/guest/reliability.py at --scale short, against stock
vhost_net and against lwvhost, on each kernel. The long version is
`make check-stress` (figures in docs/reliability.md)."""

import pytest

G = "tests/integration/guest"


def run_impl(vm, impl, only, timeout, extra=""):
    res = vm.run(f"python3 {G}/reliability.py --impl {impl} --scale short --only {only} {extra}",
                 timeout=timeout)
    figures = res.tagged_json("RELIABILITY")
    assert figures is not None, res.output[-4000:]
    failed = [l for l in res.output.splitlines() if l.startswith("FAIL")]
    assert res.rc == 0 and not failed, "\n".join(failed) or res.output[-4000:]
    assert figures["warnings_seen"] == 0
    return res, figures


def test_reliability_lwvhost(vm):
    """Everything against lwvhost: fuzzing, hostile rings, faults under load,
    leaks, permissions, integrity (with and without pacing), knob flapping."""
    res, f = run_impl(vm, "lwvhost", "perms,integrity,fuzz,hostile,kill,tapdel,swap,flap,unload", 420)
    assert f["fuzz_calls"] >= 4000
    assert f["hostile_rings"] >= 170
    assert f["frames_checked"] > 10000
    # Pacing is on this branch: nothing may be skipped.
    assert not f["skipped"], f["skipped"]


def test_reliability_lwvhost_paced(vm):
    """The teardown paths again with pacing on (poll timers armed, signals
    held): owner kills, tap deletion, backend swaps and the fuzzer's
    RESET_OWNER/close."""
    res, f = run_impl(vm, "lwvhost", "fuzz,kill,tapdel,swap", 300, "--paced")
    assert f["paced"] is True
    assert f["fuzz_calls"] >= 4000
    assert f["faults_injected"] > 0
    assert not f["skipped"], f["skipped"]


def test_reliability_stock(vm):
    """The same fuzzer and hostile rings against Debian's vhost_net: the
    tools themselves must hold against the reference (owner kills and the
    rest run against stock in make check-stress)."""
    res, f = run_impl(vm, "stock", "perms,fuzz,hostile", 300)
    assert f["fuzz_calls"] >= 4000
    assert f["hostile_rings"] >= 170
