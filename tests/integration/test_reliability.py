# SPDX-License-Identifier: GPL-2.0
"""Reliability and security, short version (make check): the scenarios of
tests/integration/guest/reliability.py at --scale short, against stock
vhost_net and against lwvhost, on each kernel. The long version is
`make check-stress` (figures in docs/reliability.md)."""

import pytest

G = "tests/integration/guest"


def run_impl(vm, checks, impl, only, timeout, extra=""):
    """Every check of the run is its own result (checks.report); this test
    then judges the run's figures."""
    res = vm.run(f"python3 {G}/reliability.py --impl {impl} --scale short --only {only} {extra}",
                 timeout=timeout)
    checks.report_run(res)
    figures = res.tagged_json("RELIABILITY")
    assert figures is not None, res.output[-4000:]
    assert figures["warnings_seen"] == 0
    return res, figures


def test_reliability_lwvhost(vm, checks):
    """Everything against lwvhost: fuzzing, hostile rings, faults under load,
    leaks, permissions, integrity (with and without pacing), knob flapping."""
    res, f = run_impl(vm, checks, "lwvhost",
                      "perms,integrity,fuzz,hostile,kill,tapdel,swap,flap,iotlb,unload", 420)
    assert f["fuzz_calls"] >= 4000
    assert f["hostile_rings"] >= 170
    assert f["frames_checked"] > 10000
    # Pacing is on this branch: nothing may be skipped.
    assert not f["skipped"], f["skipped"]


def test_reliability_lwvhost_paced(vm, checks):
    """The teardown paths again with pacing on (poll timers armed, signals
    held): owner kills, tap deletion, backend swaps and the fuzzer's
    RESET_OWNER/close."""
    res, f = run_impl(vm, checks, "lwvhost", "fuzz,kill,tapdel,swap,iotlb", 300, "--paced")
    assert f["paced"] is True
    assert f["fuzz_calls"] >= 4000
    assert f["faults_injected"] > 0
    assert not f["skipped"], f["skipped"]


def test_reliability_stock(vm, checks):
    """The same fuzzer and hostile rings against Debian's vhost_net: the
    tools themselves must hold against the reference (owner kills and the
    rest run against stock in make check-stress)."""
    res, f = run_impl(vm, checks, "stock", "perms,fuzz,hostile,iotlb", 300)
    assert f["fuzz_calls"] >= 4000
    assert f["hostile_rings"] >= 170
