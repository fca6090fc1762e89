# SPDX-License-Identifier: GPL-2.0
"""scripts/swap-in and scripts/swap-out inside the VM: stock -> lwvhost ->
stock, module parameters passed through, and refusal (naming the process)
while /dev/vhost-net is open, on every kernel."""

import re


def steps(output):
    """{step name: (rc, state)} from the guest script's STEP lines."""
    found = {}
    for m in re.finditer(r"^STEP (\S+) rc=(\d+) state=(\S+)$", output, re.M):
        found[m.group(1)] = (int(m.group(2)), m.group(3))
    return found


def test_swap_in_and_out(vm):
    res = vm.run("tests/integration/guest/swap.sh", timeout=180)
    out = res.output
    s = steps(out)
    assert s.get("autoload") == (0, "stock"), out
    assert s.get("swap-in") == (0, "lwvhost"), out
    assert "SAW max_mem_regions=100" in out, out
    assert "SAW tx_poll_interval_us=50" in out, out
    assert "SAW vhost_iotlb=unloaded" in out, out
    assert s.get("swap-in-again") == (0, "lwvhost"), out
    assert "already loaded; nothing to do" in out
    assert s.get("owner-rules") == (0, "lwvhost"), out
    # Refused while open, the holder named, nothing changed.
    assert s.get("swap-out-while-open") == (1, "lwvhost"), out
    assert s.get("swap-out") == (0, "stock"), out
    assert s.get("swap-out-again") == (0, "stock"), out
    assert s.get("swap-in-while-open") == (1, "stock"), out
    assert len(re.findall(r"^SAW named holder \d+$", out, re.M)) == 2, out
    assert s.get("swap-in-with-vsock") == (1, "stock"), out
    assert "SAW named vhost_vsock" in out, out
    assert s.get("swap-in-bad-from") == (1, "stock"), out
    assert s.get("swap-in-2") == (0, "lwvhost"), out
    assert s.get("swap-out-2") == (0, "stock"), out
