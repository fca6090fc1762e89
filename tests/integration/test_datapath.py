# SPDX-License-Identifier: GPL-2.0
"""The data-path scripts of tests/integration/guest inside the VM, each
against stock vhost_net and against lwvhost. Every check a script makes is
its own pytest result (`...::<check>`); the test itself fails only if the
script did not run to its end.

  datapath_traffic.py   TX/RX through a tap, every feature combination
  datapath_macvtap.py   a macvtap fd as the backend
  datapath_malformed.py malformed rings stop the queue (err eventfd)
  bad_later_entry.py    good buffers before a bad avail entry are still
                        published (lwvhost lost them once: vhost_vq_add_used_n
                        refused entries on a broken vq; found by
                        `lwvhost-vnet hostile`)
  datapath_ioctl.py     the ioctl surface: arguments, owners, unknown numbers
  datapath_log.py       dirty logging of used-ring and buffer writes
  datapath_worker_mode.py  VHOST_{SET,GET}_FORK_FROM_OWNER: task and kthread
                        workers (where the kernel's UAPI has them)
  datapath_ring_reset.py  VIRTIO_F_RING_RESET: one ring reset the way QEMU
                        does it while the other carries traffic
  datapath_iotlb.py     VIRTIO_F_ACCESS_PLATFORM: the device IOTLB protocol
                        (MISS/UPDATE/INVALIDATE), its bound, malformed
                        messages, dirty logging by GPA
  datapath_batching.py  TX and RX batching: mixed sizes, limited sndbuf, RX
                        frames taken from the tap and given back on detach
"""

import pytest

from backends import BACKENDS, load_backend

G = "tests/integration/guest"
SCRIPTS = ["datapath_traffic.py", "datapath_macvtap.py", "datapath_malformed.py",
           "bad_later_entry.py", "datapath_ioctl.py", "datapath_log.py",
           "datapath_worker_mode.py", "datapath_ring_reset.py", "datapath_iotlb.py",
           "datapath_batching.py"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.removesuffix(".py"))
def test_datapath(vm, checks, script, backend):
    res = vm.run(f"{load_backend(backend)} && python3 {G}/{script} {backend}", timeout=300)
    streams = checks.report_run(res)
    if script == "datapath_macvtap.py":
        gone = checks.by_name(streams).get("macvtap gone with its lower device")
        assert gone is not None, "the macvtap teardown check did not run"


def test_datapath_unload_reload(vm, checks):
    """lwvhost unloads after the last close, reloads, and survives its
    owner being killed mid-flood; stock loads again afterwards."""
    res = vm.run(f"sh {G}/datapath_reload.sh", timeout=300)
    streams = checks.report_run(res)
    want = ["flood running", "rmmod refused while open", "owner killed",
            "unloaded after the last close", "modules gone", "reloaded",
            "flood after reload", "unloaded again", "stock loads afterwards"]
    assert list(checks.by_name(streams)) == want, res.output[-4000:]
