# SPDX-License-Identifier: GPL-2.0
"""vnet, the user-space virtio-net driver, against a vhost-net backend in the
test VM: every mode and feature combination moves clean traffic, the vhost
worker's CPU time is measured and grows with the load, and errors exit with
the documented status.

One VM boot per kernel per backend runs every vnet command; the tests below
assert on its results, for stock vhost_net and lwvhost alike.
"""

import json
import re

import pytest

from backends import BACKENDS, load_backend


# Worker CPU must grow with the frame count: N frames vs GROWTH * N.
TX_SMALL = 20000
GROWTH = 8

# name -> vnet arguments; each prints one JSON document on stdout.
RUNS = {
    "selftest": "selftest --json",
    "tx_small": f"tx --json --frames {TX_SMALL} --size 64 --event-idx",
    "tx_big": f"tx --json --frames {TX_SMALL * GROWTH} --size 64 --event-idx",
    "rr_exit_cost": "rr --json --frames 200 --event-idx --exit-cost-ns 20000",
    # Kernel-side failure: the ioctl is named, exit 1.
    "not_vhost": "tx --json --frames 10 --device /dev/null",
    # Usage errors: one line, exit 2.
    "bad_ring": "tx --ring 100",
    "bad_size": "rx --size 8",
    "bad_option": "rr --no-such-option",
}


def script(backend):
    lines = ["set -u", f"{load_backend(backend)} || exit 99"]
    for name, args in RUNS.items():
        lines.append(f"echo '@@@begin {name}'")
        lines.append(f"build/bin/lwvhost-vnet {args} 2>/tmp/{name}.err; rc=$?")
        lines.append(f"echo; echo \"@@@end {name} rc=$rc\"; cat /tmp/{name}.err")
    return "\n".join(lines) + "\n"


def parse(output):
    """{name: (rc, stdout text)} from the marked output."""
    runs = {}
    for m in re.finditer(r"^@@@begin (\S+)\n(.*?)^@@@end \1 rc=(\d+)$", output,
                         re.S | re.M):
        runs[m.group(1)] = (int(m.group(3)), m.group(2))
    return runs


_results = {}


def results(vm, backend):
    """Boot once per (kernel, backend) and cache the parsed runs."""
    key = (vm.kernel, backend)
    if key not in _results:
        res = vm.run(script(backend), timeout=600)
        assert res.rc == 0, f"loading {backend} failed:\n{res.output}"
        _results[key] = (res.output, parse(res.output))
    return _results[key]


def run_json(vm, backend, name):
    output, runs = results(vm, backend)
    assert name in runs, f"{name} did not run:\n{output[-3000:]}"
    rc, text = runs[name]
    try:
        return rc, json.loads(text)
    except json.JSONDecodeError:
        pytest.fail(f"{name}: no JSON (rc {rc}):\n{text[-2000:]}\n{output[-3000:]}")


def clean(direction):
    return (direction["lost"] == 0 and direction["corrupted"] == 0
            and direction["duplicated"] == 0 and direction["out_of_order"] == 0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_selftest_passes(vm, backend):
    rc, j = run_json(vm, backend, "selftest")
    failed = [f"{c['label']}: {c['failures']}" for c in j["cases"] if not c["ok"]]
    assert not failed, "\n".join(failed)
    assert rc == 0 and j["ok"] and j["failed"] == 0
    assert j["passed"] == len(j["cases"]) >= 50


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_mode_moves_clean_traffic(vm, backend):
    _, j = run_json(vm, backend, "selftest")
    by_mode = {}
    for c in j["cases"]:
        if "err-eventfd" in c["label"]:
            assert c["err_reported"], c["label"]
            continue
        chk = c["checks"]
        assert clean(chk["guest_to_host"]), (c["label"], chk)
        assert clean(chk["host_to_guest"]), (c["label"], chk)
        assert chk["header_errors"] == 0, c["label"]
        assert c["packets"] == c["frames"] > 0, c["label"]
        assert c["kicks"] > 0 and c["pps"] > 0, c["label"]
        assert c["queues"]["rx"]["missed_interrupts"] == 0, c["label"]
        assert c["queues"]["tx"]["missed_interrupts"] == 0, c["label"]
        assert c["straddling_buffers"] > 0, c["label"]
        by_mode.setdefault(c["mode"], []).append(c)
    assert set(by_mode) == {"tx", "rx", "rr"}
    # Each direction really carried the frames of its mode.
    for c in by_mode["tx"]:
        assert c["checks"]["guest_to_host"]["received"] == c["frames"]
    for c in by_mode["rx"]:
        assert c["checks"]["host_to_guest"]["received"] == c["frames"]
    for c in by_mode["rr"]:
        assert c["checks"]["guest_to_host"]["received"] == c["frames"]
        assert c["rtt_ns"]["count"] == c["frames"]
        assert 0 < c["rtt_ns"]["p50"] <= c["rtt_ns"]["p99"] <= c["rtt_ns"]["max"]
        # Interrupts are counted as call-eventfd reads that found it
        # signalled; one read absorbs every call since the last, and the
        # driver often finds the reply by polling before it reads, so the
        # count per transaction follows timing (0.22-1.0 seen under TCG).
        # What must hold: calls arrived, and none was missed (checked above).
        assert c["interrupts"] > 0
    # Mergeable RX with 512-byte buffers spread large frames over several.
    assert any(c["merged_frames"] > 0 for c in by_mode["rx"]
               if "MRG_RXBUF" in c["features"]["negotiated"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_worker_cpu_grows_with_frames(vm, backend):
    _, small = run_json(vm, backend, "tx_small")
    _, big = run_json(vm, backend, "tx_big")
    for j in (small, big):
        assert j["ok"], j["failures"]
        assert clean(j["checks"]["guest_to_host"])
        w = j["worker"]
        assert w["found"], "vhost worker not found"
        # 6.1: a kthread vhost-<pid>; 6.12: a vhost_task thread of vnet.
        assert w["kthread"] == (vm.kernel == "6.1"), w
        if not w["kthread"]:
            assert w["pid"] != w["tid"]
        assert w["run_ns"] and w["run_ns"] > 0
    # The work is ~GROWTH times larger; demand a quarter of that so TCG
    # jitter cannot flake the test while a constant cost still fails it.
    assert big["worker"]["run_ns"] > small["worker"]["run_ns"] * GROWTH / 4, \
        (small["worker"], big["worker"])
    assert big["worker"]["cpu_ns"] > small["worker"]["cpu_ns"] * GROWTH / 4, \
        (small["worker"], big["worker"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_exit_cost_is_declared(vm, backend):
    rc, j = run_json(vm, backend, "rr_exit_cost")
    assert rc == 0 and j["ok"], j["failures"]
    assert j["exit_cost_modelled"] is True and j["exit_cost_ns"] == 20000
    # Every request needs a kick (the single vhost worker has finished its
    # TX pass and re-enabled notifications before the reply can reach the
    # guest), and each kick spins 20 us inside the measured RTT.
    assert j["kicks_per_packet"] >= 1
    assert j["rtt_ns"]["min"] >= 20000


@pytest.mark.parametrize("backend", BACKENDS)
def test_errors_exit_with_documented_status(vm, backend):
    output, runs = results(vm, backend)
    rc, _ = runs["not_vhost"]
    assert rc == 1
    err = output.split("@@@end not_vhost", 1)[1].split("@@@begin", 1)[0]
    assert "VHOST_SET_OWNER" in err, err
    for name in ("bad_ring", "bad_size", "bad_option"):
        rc, text = runs[name]
        assert rc == 2, name
        msg = output.split(f"@@@end {name}", 1)[1].split("@@@begin", 1)[0]
        lines = [l for l in msg.splitlines()[1:] if l.strip()]
        assert len(lines) == 1 and lines[0].startswith("lwvhost-vnet: "), (name, msg)
