# SPDX-License-Identifier: GPL-2.0
"""The VM part of `make demo` (scripts/demo-in-vm) on each kernel: swap-in
refuses while /dev/vhost-net is held and then swaps, the owner rules and the
lwvhost-vnet selftest pass on lwvhost, and the comparison table, demo.csv and
demo.svg come out with every configuration measured and no frame lost.
(scripts/demo itself only adds install-deps and the build in front.)"""

import csv

CONFIGS = ["stock", "lwvhost, interval 0", "lwvhost, interval 800 us", "lwvhost + lwvhost-tuned"]


def test_demo_in_vm(vm, tmp_path):
    res = vm.run("scripts/demo-in-vm", timeout=540)
    out = res.output
    assert res.rc == 0, out[-4000:]
    assert "swap-in: refusing: /dev/vhost-net (char 10:238) is open by" in out, out
    assert "(sleep)" in out, out
    assert "now serves /dev/vhost-net" in out, out
    assert "selftest: 57/57 cases passed" in out, out
    # The result share of this (first) VM run of the test.
    result = tmp_path / "vm1"
    with open(result / "demo.csv") as f:
        rows = {r["config"]: r for r in csv.DictReader(f)}
    assert list(rows) == CONFIGS, rows
    for name, r in rows.items():
        assert int(r["lost"]) == 0, (name, r)
        assert float(r["pps"]) > 0 and float(r["worker_ns_per_packet"]) > 0, (name, r)
        assert float(r["rr_p99_us"]) > 0, (name, r)
        # The printed table carries the same configuration.
        assert name in out, name
    # Polling at 800 us takes the guest's kicks away (the point of lwvhost).
    assert float(rows["lwvhost, interval 800 us"]["kicks_per_packet"]) * 10 <= \
        float(rows["stock"]["kicks_per_packet"]), rows
    svg = (result / "demo.svg").read_text()
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg[:500], svg[:200]
    assert (result / "tuned.log").stat().st_size > 0
