# SPDX-License-Identifier: GPL-2.0
"""lwvhost unloads after the last close, reloads, and survives its owner
being killed mid-flood; stock loads again afterwards."""


def test_datapath_unload_reload(vm):
    res = vm.run("sh tests/integration/guest/datapath_reload.sh", timeout=300)
    out = res.output
    assert res.rc == 0, out
    for line in ("flood running", "rmmod refused while open", "owner killed",
                 "unloaded after the last close", "modules gone", "reloaded",
                 "flood after reload", "unloaded again", "stock loads afterwards"):
        assert f"ok   {line}" in out, out
    assert "FAIL" not in out, out
