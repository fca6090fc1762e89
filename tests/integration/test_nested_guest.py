# SPDX-License-Identifier: GPL-2.0
"""Real Linux guest over vhost-net: a nested TCG guest inside the test VM.

The test VM boots its own kernel again as a nested guest (tiny initramfs
with virtio_net and iperf3) whose NIC is virtio-net-pci on a tap with
vhost=on,vhostforce=on.  Ping both ways, then iperf3 TCP for 10 s each
way, with no errors.  It is slow (the nested guest boots in about a minute
under TCG-in-TCG), so `make check` runs it on the kernels named in
LWVHOST_GUEST_KERNELS (default: 6.1 only) and `make check-guest` on both.
"""

import json
import os

import pytest

from backends import BACKENDS, load_backend

IPERF_SECONDS = 10
# No throughput floor: TCG-in-TCG on a shared 2-core host has measured
# 0.9-98 Mbit/s with stock vhost_net depending on load, so a floor would
# only measure the neighbours.  Rates are recorded, not asserted.


GUEST_KERNELS = os.environ.get("LWVHOST_GUEST_KERNELS", "6.1").split(",")


@pytest.mark.parametrize("backend", BACKENDS)
def test_nested_guest_ping_and_iperf3(vm, backend, record_property):
    if vm.kernel not in GUEST_KERNELS:
        pytest.skip(f"nested guest runs on {','.join(GUEST_KERNELS)} "
                    "(LWVHOST_GUEST_KERNELS; `make check-guest` runs all)")
    res = vm.run(f"set -e; {load_backend(backend)}; "
                 f"tests/qemu/nested-guest --seconds {IPERF_SECONDS} "
                 f"--boot-timeout 300",
                 timeout=600)
    result = res.tagged_json("NESTED-GUEST-RESULT")
    assert result is not None, "nested-guest printed no result:\n" + \
        res.output[-4000:]
    failed = {k: v for k, v in result["checks"].items() if not v["ok"]}
    assert res.rc == 0 and not failed, \
        f"failed checks: {json.dumps(failed, indent=1)}\n{res.output[-6000:]}"

    assert result["vhost_fds"] >= 1 and result["vhost_workers"]
    assert result["ping_to_guest"].startswith("5 packets transmitted, 5 ")
    for name in ("iperf3_to_guest", "iperf3_from_guest"):
        run = result[name]
        assert run["error"] is None and run["bytes"] > 0, (name, run)
        assert run["seconds"] >= IPERF_SECONDS * 0.9, (name, run)
        record_property(name + "_mbit_s", run["receiver_mbit_s"])
    record_property("boot_seconds", result["boot_seconds"])
    print(f"{vm.kernel} {backend}: boot {result['boot_seconds']} s, "
          f"iperf3 to guest {result['iperf3_to_guest']['receiver_mbit_s']} "
          f"Mbit/s, from guest "
          f"{result['iperf3_from_guest']['receiver_mbit_s']} Mbit/s, "
          f"total {result['seconds']} s")
