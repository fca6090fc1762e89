# SPDX-License-Identifier: GPL-2.0
"""The control plane of issue 14, in the test VM on every kernel.

- A device whose owner is stuck inside an ioctl (a userfaultfd page nobody
  resolves, holding the device's mutexes) stalls nothing global: listing,
  other devices, new devices, and even reads and writes of the stuck device
  answer within 1 s; once the fault is resolved everything unwinds and the
  modules unload (guest/wedge.py).
- Reading device state needs CAP_NET_ADMIN in the initial user namespace:
  /proc/lwvhost modes, procfs opens, DEV_GET do and dump, the monitor group,
  for nobody, root without the capability and root of a user namespace; PIDs
  are shown as the reader's pid namespace sees them (guest/privilege.py).
- Readers of info/stats/DEV_GET while the owner keeps replacing the worker
  (RESET_OWNER/SET_OWNER with traffic) all succeed and the kernel does not
  complain (guest/owner_churn.py; run it with --kernels debug-6.12 for KASAN).
"""

import errno
import json

import pytest

G = "tests/integration/guest"
EPERM, EACCES = errno.EPERM, errno.EACCES
GENL = ("genl_get", "genl_dump", "genl_subscribe", "genl_set")
FILES = ("stats", "info", "knob_read", "knob_write")

_priv = {}


def test_stuck_owner_stalls_nothing_global(vm, checks):
    res = vm.run(f"tests/vm/load-lwvhost && python3 {G}/wedge.py", timeout=150)
    checks.report_run(res)
    assert "WEDGE " in res.output, f"rc {res.rc}\n{res.output[-5000:]}"


def privilege(vm):
    if vm.kernel not in _priv:
        res = vm.run(f"tests/vm/load-lwvhost && python3 {G}/privilege.py", timeout=300)
        doc = res.tagged_json("PRIV")
        assert res.rc == 0 and doc, f"rc {res.rc}\n{res.output[-5000:]}"
        _priv[vm.kernel] = doc
    return _priv[vm.kernel]


def accesses(doc, who):
    run = doc["as"][who]
    assert "errno" in run, f"{who} did not run: {run}"
    return run["errno"]


def test_proc_lwvhost_modes(vm):
    doc = privilege(vm)
    d = f"/proc/lwvhost/{doc['dev']}"
    modes = doc["modes"]
    assert modes["/proc/lwvhost"] == "0o500"
    assert modes[d] == "0o500"
    for path, mode in modes.items():
        name = path.rsplit("/", 1)[1]
        if name in ("stats", "info"):
            assert mode == "0o400", (path, mode)
        elif path.startswith(d + "/"):
            assert mode == "0o600", (path, mode)
    assert {p.rsplit("/", 1)[1] for p in modes} >= {"stats", "info", "tx_poll_interval_us"}


def test_root_reads_and_writes_everything(vm):
    doc = privilege(vm)
    e = accesses(doc, "root")
    assert set(e.values()) == {0}, e
    seen = doc["as"]["root"]["seen"]
    assert doc["dev"] in seen["dump_ids"]
    assert seen["info"]["owner_pid"] == seen["genl"]["owner_pid"] == doc["owner"]
    assert doc["root_info"]["owner_pid"] == doc["owner"]
    assert doc["root_info"]["worker_tid"] > 0
    assert doc["knob_after"] == doc["knob_before"], "a refused write changed the knob"


def test_nobody_reads_nothing(vm):
    e = accesses(privilege(vm), "nobody")
    assert e["list_root"] == EACCES, e
    for k in FILES:
        assert e[k] in (EPERM, EACCES), (k, e)
    for k in GENL:
        assert e[k] == EPERM, (k, e)


@pytest.mark.parametrize("who", ["capsh_drop", "setpriv_drop"])
def test_root_without_cap_net_admin_reads_nothing(vm, who):
    e = accesses(privilege(vm), who)
    # uid 0 passes the file modes: the refusal is the kernel's own.
    for k in FILES:
        assert e[k] == EPERM, (k, e)
    for k in GENL:
        assert e[k] == EPERM, (k, e)


@pytest.mark.parametrize("who", ["userns_by_nobody", "userns_by_root"])
def test_root_of_a_user_namespace_reads_nothing(vm, who):
    e = accesses(privilege(vm), who)
    run = privilege(vm)["as"][who]
    assert run["uid"] == 0, run  # root in its namespace, all capabilities there
    if who == "userns_by_nobody":
        assert e["list_root"] == EACCES, e
    for k in FILES:
        assert e[k] in (EPERM, EACCES), (k, e)
    for k in GENL:
        assert e[k] == EPERM, (k, e)


def test_pids_as_seen_from_the_readers_pid_namespace(vm):
    doc = privilege(vm)
    # Root of a new pid namespace (capabilities intact) reads everything...
    run = doc["as"]["pidns_root"]
    assert set(accesses(doc, "pidns_root").values()) == {0}, run
    # ...but the owner (this test's driver) and its worker are outside it.
    assert run["seen"]["info"] == {"owner_pid": 0, "worker_tid": 0}, run["seen"]
    assert run["seen"]["genl"] == {"owner_pid": 0, "worker_tid": 0}, run["seen"]
    # From the initial namespace: the real pid.
    assert doc["root_info"]["owner_pid"] == doc["owner"]
    assert doc["root_genl"]["owner_pid"] == doc["owner"]

    own = doc["pidns_own"]
    assert "error" not in own, own
    # An owner inside the namespace sees its own (namespace) pid...
    assert own["info"]["owner_pid"] == own["genl"]["owner_pid"] == own["getpid"], own
    # ...and the initial namespace sees the same process by its global pid.
    outside = own["outside_info"]["owner_pid"]
    assert outside != own["getpid"] and own["outside_nspid"] == [outside, own["getpid"]], own


def test_owner_churn_with_readers(vm):
    res = vm.run(f"tests/vm/load-lwvhost && python3 {G}/owner_churn.py --seconds 10",
                 timeout=240)
    doc = res.tagged_json("CHURN")
    assert doc, f"rc {res.rc}\n{res.output[-5000:]}"
    assert res.rc == 0, json.dumps(doc, indent=1)
    assert doc["owner"]["cycles"] >= 5, doc
    for r in doc["readers"]:
        assert r["failed"] == 0 and min(r["counts"].values()) > 0, doc
