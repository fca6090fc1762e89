# SPDX-License-Identifier: GPL-2.0
"""datapath_log.py inside the VM, against stock vhost_net and then lwvhost."""

G = "tests/integration/guest"


def test_datapath_log(vm):
    res = vm.run(f"tests/vm/load-stock && python3 {G}/datapath_log.py stock; echo stock-rc=$?; "
                 f"tests/vm/load-lwvhost && python3 {G}/datapath_log.py lwvhost; echo ours-rc=$?",
                 timeout=300)
    out = res.output
    assert "stock-rc=0" in out, out
    assert "ours-rc=0" in out, out
    assert "FAIL" not in out, out
