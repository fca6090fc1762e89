# SPDX-License-Identifier: GPL-2.0
"""Real QEMU as the vhost-net client, with the guest driver played over qtest.

Inside the test VM, Debian's QEMU 7.2 runs a machine whose CPU only halts
(hlt-only BIOS) with `-netdev tap,vhost=on,vhostforce=on` and a
virtio-net-pci device; QEMU opens /dev/vhost-net itself.
tests/qemu/qtest-net plays the guest's virtio-net driver through the qtest
socket (legacy and virtio 1.0 transports), answers ARP and ICMP so `ping`
from the VM succeeds, checks the INTx/ISR path, and floods 10,000
sequence-numbered UDP frames each way with zero loss allowed.
"""


import pytest

from backends import BACKENDS, load_backend

MODES = ["legacy", "modern"]
FRAMES = 10000


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("backend", BACKENDS)
def test_qemu_qtest_vhost_net(vm, checks, backend, mode, record_property):
    res = vm.run(f"set -e; {load_backend(backend)}; "
                 f"tests/qemu/qtest-net --mode {mode} --vhost on "
                 f"--frames {FRAMES}", timeout=240)
    checks.report_run(res)  # each check its own result
    result = res.tagged_json("QTEST-NET-RESULT")
    assert result is not None, "qtest-net printed no result:\n" + \
        res.output[-4000:]

    # The numbers behind the checks, asserted directly as well.
    assert result["vhost_fds"] >= 1 and result["vhost_workers"]
    for name in ("ping", "ping_large", "ping_after_reset"):
        assert result[name]["received"] == result[name]["transmitted"] > 0
    assert result["interrupts"]["intx_raises"] >= 1
    assert result["interrupts"]["isr_hits"] >= 1
    for d in ("flood_guest_to_host", "flood_host_to_guest"):
        flood = result[d]
        assert flood["received"] == FRAMES, (d, flood)
        assert flood["missing"] == flood["duplicates"] == \
            flood["corrupt"] == 0, (d, flood)
    for d in ("flood_guest_to_host", "flood_host_to_guest"):
        record_property(d + "_frames_per_s", result[d]["frames_per_s"])
    if mode == "modern":
        # 1514-byte frames in 256-byte mergeable buffers span several.
        assert result["flood_host_to_guest"]["rx_max_buffers_per_frame"] > 1
    print(f"{vm.kernel} {backend} {mode}: "
          f"g->h {result['flood_guest_to_host']['frames_per_s']} frames/s, "
          f"h->g {result['flood_host_to_guest']['frames_per_s']} frames/s, "
          f"{result['seconds']} s")
