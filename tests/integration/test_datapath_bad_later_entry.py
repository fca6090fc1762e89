# SPDX-License-Identifier: GPL-2.0
"""Good buffers followed by a malformed avail entry: the buffers the backend
already used must be published in the used ring before the error stops the
ring (tests/integration/guest/bad_later_entry.py). Stock does this.

lwvhost loses them: vq_err() marks the vq broken, and the batched used
entries flushed after the error are refused by vhost_vq_add_used_n() (-EIO
on a broken vq), so frames already sent (TX) or copied into guest buffers
(RX) never come back to the guest. Found by `lwvhost-vnet hostile` (mutate kind);
fixed in vhost/vring.c (vhost_vq_add_used_n publishes on a broken vq too)."""

G = "tests/integration/guest"


def test_bad_later_entry_stock(vm):
    res = vm.run(f"tests/vm/load-stock && python3 {G}/bad_later_entry.py stock", timeout=200)
    assert res.rc == 0 and "FAIL" not in res.output, res.output


def test_bad_later_entry_lwvhost(vm):
    res = vm.run(f"tests/vm/load-lwvhost && python3 {G}/bad_later_entry.py lwvhost", timeout=200)
    assert res.rc == 0 and "FAIL" not in res.output, res.output
