# SPDX-License-Identifier: GPL-2.0
"""lwvhostctl against real lwvhost devices in the test VM, on every kernel.

One VM boot per kernel runs tests/integration/guest/ctl_session.sh: two vnet
processes open devices (A with traffic until killed at the end, B briefly), and the session
drives lwvhostctl through list/show/set/stats/top/dump/defaults over generic
netlink and procfs, refused and unprivileged writes and reads, usage errors, the real
procfs fallback (a network namespace without the family), and the monitor
group's add/remove events (lwvhost-events). The tests assert on its output.
"""

import json
import re

import pytest

from test_abi_docs import knob_names

SCRIPT = "tests/integration/guest/ctl_session.sh"
# The kernel's knob list (VHOST_PACE_KNOBS): show, dump and JSON use these names.
KNOBS = knob_names()
STATS = ["packets", "bytes", "kicks", "signals", "signals_coalesced", "polls",
         "empty_polls", "timer_wakeups", "mode_switches", "busy_ns", "errors",
         "iotlb_misses", "iotlb_updates", "iotlb_invalidations",
         "shared_polls"]
# dump's columns are only ever appended: the first release's knobs, the
# counters, then the knobs added since.
FIRST_KNOBS = ["poll_interval_us", "idle_polls", "coalesce_usecs", "coalesce_frames"]
# Columns are only appended: the first release's knobs, the counters up to
# iotlb_invalidations, the knobs added since, then the counters added since.
FIRST_STATS = STATS[:STATS.index("iotlb_invalidations") + 1]
DUMP_COLS = (["id", "owner_pid", "worker_tid", "features", "dir", "ifname", "mode"]
             + FIRST_KNOBS + FIRST_STATS + [k for k in KNOBS if k not in FIRST_KNOBS]
             + [c for c in STATS if c not in FIRST_STATS])

_cache = {}


class Session:
    def __init__(self, output):
        self.output = output
        self.runs = {}
        for m in re.finditer(r"^@@@begin (\S+)\n(.*?)^@@@stderr\n(.*?)^@@@end \1 rc=(\d+)$",
                             output, re.S | re.M):
            self.runs[m.group(1)] = (int(m.group(4)), m.group(2), m.group(3))
        self.vars = dict(re.findall(r"^@@@var (\w+)=(\S*)$", output, re.M))

    def __getitem__(self, name):
        if name not in self.runs:
            pytest.fail(f"{name} did not run:\n{self.output[-4000:]}")
        return self.runs[name]

    def json(self, name, rc=0):
        code, out, err = self[name]
        assert code == rc, f"{name}: rc {code}\n{out}\n{err}"
        try:
            return json.loads(out)
        except json.JSONDecodeError:
            pytest.fail(f"{name}: not JSON:\n{out}\n{err}")

    def json_lines(self, name):
        code, out, err = self[name]
        assert code == 0, f"{name}: rc {code}\n{out}\n{err}"
        return [json.loads(l) for l in out.splitlines() if l.strip()]

    @property
    def a(self):
        return int(self.vars["A"])

    @property
    def b(self):
        return int(self.vars["B"])


def session(vm):
    if vm.kernel not in _cache:
        res = vm.run(f"sh {SCRIPT}", timeout=900)
        assert res.rc == 0 and "@@@done" in res.output, \
            f"session failed (rc {res.rc}):\n{res.output[-5000:]}"
        _cache[vm.kernel] = Session(res.output)
    return _cache[vm.kernel]


def by_id(devs, dev_id):
    hits = [d for d in devs if d["id"] == dev_id]
    assert len(hits) == 1, devs
    return hits[0]


def one_line_error(s, name, rc):
    code, out, err = s[name]
    assert code == rc, f"{name}: rc {code} (want {rc})\n{out}\n{err}"
    assert out == "", f"{name}: stdout {out!r}"
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("lwvhostctl: "), f"{name}: {err!r}"
    return lines[0]


def test_no_devices(vm):
    s = session(vm)
    rc, out, err = s["empty_list"]
    assert (rc, out, err) == (0, "no lwvhost devices\n", "")
    assert s.json("empty_json") == []


def test_defaults_read_write_and_apply_to_new_devices_only(vm):
    s = session(vm)
    before = s.json("defaults_before")
    for d in ("rx", "tx"):
        assert before[d] == {"poll_interval_us": 0, "idle_polls": 8,
                             "coalesce_usecs": 0, "coalesce_frames": 0,
                             "latency_budget_us": 0}
    assert s["defaults_set"][0] == 0, s["defaults_set"]
    after = s.json("defaults_after")
    assert after["tx"]["poll_interval_us"] == 25
    assert after["rx"]["coalesce_frames"] == 8
    assert after["rx"]["poll_interval_us"] == 0
    assert after["rx"]["latency_budget_us"] == 300
    assert after["tx"]["latency_budget_us"] == 0
    assert s["defaults_reset"][0] == 0
    # A was opened with the defaults at 25/8 and kept them after the reset;
    # B, opened after it, started from the reset values.
    devs = s.json("list_json")
    a, b = by_id(devs, s.a), by_id(devs, s.b)
    assert a["tx"]["params"]["poll_interval_us"] == 25
    assert a["rx"]["params"]["coalesce_frames"] == 8
    assert a["rx"]["params"]["latency_budget_us"] == 300
    assert b["tx"]["params"]["poll_interval_us"] == 0
    assert b["rx"]["params"]["coalesce_frames"] == 0
    assert b["rx"]["params"]["latency_budget_us"] == 0


def test_list_and_show_real_devices(vm):
    s = session(vm)
    devs = s.json("list_json")
    assert sorted(d["id"] for d in devs) == sorted([s.a, s.b])
    a = by_id(devs, s.a)
    assert a["owner_pid"] == int(s.vars["apid"])
    assert by_id(devs, s.b)["owner_pid"] == int(s.vars["bpid"])
    assert a["worker_tid"] > 0
    assert int(a["features"], 16) != 0
    for d in ("rx", "tx"):
        assert a[d]["ifname"] == "vnet0"
        assert a[d]["mode"] in ("event", "poll")
        assert sorted(a[d]["params"]) == sorted(KNOBS)
        assert sorted(a[d]["stats"]) == sorted(STATS)
    assert a["tx"]["stats"]["packets"] > 0

    rc, out, err = s["list"]
    assert rc == 0 and err == "", err
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "OWNER", "WORKER", "IFNAME", "MODE"] + \
        [k.upper() for k in KNOBS]
    row = next(l.split() for l in lines[1:] if l.split()[0] == str(s.a))
    assert row[1] == s.vars["apid"] and row[2] == str(a["worker_tid"]) and row[3] == "vnet0"
    assert row[5] == "0/25"  # rx/tx poll interval

    rc, out, err = s["show_a"]
    assert rc == 0, err
    assert out.startswith(f"device {s.a}\n")
    assert re.search(rf"^  owner pid\s+{s.vars['apid']}$", out, re.M), out
    assert re.search(r"^  poll_interval_us\s+0\s+25$", out, re.M), out
    for k in KNOBS:
        assert re.search(rf"^  {k}\s+\d+\s+\d+$", out, re.M), (k, out)


def test_set_is_one_request_visible_through_procfs(vm):
    s = session(vm)
    rc, out, err = s["set_a"]
    assert (rc, out, err) == (0, "", ""), err
    rc, out, _ = s["procfs_a"]
    assert rc == 0
    assert out.split() == ["tx_poll_interval_us:50", "rx_coalesce_usecs:20",
                           "rx_coalesce_frames:16", "rx_idle_polls:4", "tx_idle_polls:4",
                           "rx_latency_budget_us:500", "tx_latency_budget_us:0"]
    shown = s.json("show_a_procfs")
    assert shown["tx"]["params"] == {"poll_interval_us": 50, "idle_polls": 4,
                                     "coalesce_usecs": 0, "coalesce_frames": 0,
                                     "latency_budget_us": 0}
    assert shown["rx"]["params"] == {"poll_interval_us": 0, "idle_polls": 4,
                                     "coalesce_usecs": 20, "coalesce_frames": 16,
                                     "latency_budget_us": 500}
    assert shown["owner_pid"] == int(s.vars["apid"])


def test_refused_writes_exit_1_with_kernel_message_and_keep_values(vm):
    s = session(vm)
    msg = one_line_error(s, "set_bad", 1)
    assert "poll_interval_us out of range (0-10000)" in msg, msg
    msg = one_line_error(s, "set_bad_idle", 1)
    assert "idle_polls out of range (1-100000)" in msg, msg
    msg = one_line_error(s, "set_bad_budget", 1)
    assert "latency_budget_us out of range (0-10000)" in msg, msg
    msg = one_line_error(s, "set_bad_procfs", 1)
    assert msg.endswith("/tx_coalesce_usecs: Invalid argument"), msg
    a = s.json("after_bad")
    # Neither the valid knob sent with the bad one nor anything else moved.
    assert a["tx"]["params"]["poll_interval_us"] == 50
    assert a["rx"]["params"]["coalesce_usecs"] == 20
    assert a["rx"]["params"]["coalesce_frames"] == 16
    assert a["rx"]["params"]["idle_polls"] == 4
    assert a["rx"]["params"]["latency_budget_us"] == 500
    assert a["tx"]["params"]["latency_budget_us"] == 0
    assert a["tx"]["params"]["coalesce_usecs"] == 0

    msg = one_line_error(s, "show_missing", 1)
    assert msg == "lwvhostctl: no device 999999", msg
    msg = one_line_error(s, "set_missing", 1)
    assert msg == "lwvhostctl: no device 999999", msg


def test_unprivileged_writes_refused(vm):
    s = session(vm)
    msg = one_line_error(s, "set_unpriv", 1)
    assert msg == "lwvhostctl: Operation not permitted (needs CAP_NET_ADMIN)", msg
    msg = one_line_error(s, "set_unpriv_procfs", 1)
    assert msg.endswith("/tx_coalesce_usecs: Operation not permitted (needs CAP_NET_ADMIN)"), msg
    assert s["after_unpriv"][:2] == (0, "0\n")


@pytest.mark.parametrize("name", ["list_nobody", "list_nobody_procfs", "show_nobody_procfs",
                                  "set_nobody_procfs", "show_nocap", "show_nocap_procfs",
                                  "stats_nocap", "dump_nocap_procfs"])
def test_unprivileged_reads_refused_in_one_line(vm, name):
    """Reading devices needs CAP_NET_ADMIN: the kernel refuses (EPERM, or
    EACCES from /proc/lwvhost's modes) and lwvhostctl says what is missing."""
    msg = one_line_error(session(vm), name, 1)
    assert "needs CAP_NET_ADMIN" in msg, msg


def test_usage_errors_exit_2_with_one_line(vm):
    s = session(vm)
    assert "tx_poll_interval_us wants an unsigned integer, got 'abc'" in \
        one_line_error(s, "usage_value", 2)
    assert "unknown setting 'tx-poll-ms'" in one_line_error(s, "usage_name", 2)
    assert "frobnicate" in one_line_error(s, "usage_cmd", 2)
    assert "DEV is required" in one_line_error(s, "usage_nodev", 2)
    assert "--watch" in one_line_error(s, "usage_watch", 2)


def test_stats_watch_has_rates_and_moving_counters(vm):
    s = session(vm)
    samples = s.json_lines("stats_watch")
    assert len(samples) == 3
    assert all(x["id"] == s.a for x in samples)
    assert "per_second" not in samples[0]
    for prev, cur in zip(samples, samples[1:]):
        for k in STATS:
            assert cur["tx"][k] >= prev["tx"][k], k
        dt = cur["time"] - prev["time"]
        assert 0.9 < dt < 5, dt
        want = (cur["tx"]["packets"] - prev["tx"]["packets"]) / dt
        assert cur["per_second"]["tx"]["packets"] == pytest.approx(want, rel=1e-6)
    # A sends at 2000 frames/s until killed; TCG may lag, but it flows.
    assert samples[-1]["tx"]["packets"] > samples[0]["tx"]["packets"]
    assert samples[-1]["per_second"]["tx"]["packets"] > 100

    rc, out, err = s["stats_human"]
    assert rc == 0, err
    assert out.splitlines()[0].split() == [ "device", str(s.a), "rx", "tx"]
    assert [l.split()[0] for l in out.splitlines()[1:]] == STATS


def test_top_rates_and_worker_cpu(vm):
    s = session(vm)
    frames = s.json_lines("top_json")
    assert len(frames) == 2
    last = frames[-1]
    a = next(d for d in last["devices"] if d["id"] == s.a)
    assert a["tx"]["rates"]["pps"] > 100, a
    assert a["tx"]["rates"]["mbit_s"] > 0
    assert a["tx"]["params"]["poll_interval_us"] == 50
    # The worker moves A's frames: it used some CPU, and at most one CPU.
    assert a["cpu_percent"] is not None and 0 < a["cpu_percent"] <= 110, a

    rc, out, err = s["top_human"]
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("lwvhostctl top: ") and lines[0].endswith("via genetlink")
    assert lines[1].split() == ["ID", "DIR", "IFNAME", "MODE", "POLL_INTERVAL_US", "PPS", "MBIT/S",
                                "KICKS/S", "SIGNALS/S", "KICK/PKT", "SIG/PKT", "CPU%"]
    rx = next(l.split() for l in lines[2:] if l.split()[:2] == [str(s.a), "rx"])
    assert float(rx[-1]) > 0  # CPU% on the device's first row


def test_dump_is_stable_tab_separated(vm):
    s = session(vm)
    cols = DUMP_COLS
    assert sorted(cols[7:]) == sorted(KNOBS + STATS)
    for name in ("dump", "dump_procfs"):
        rc, out, err = s[name]
        assert rc == 0 and err == "", (name, err)
        lines = out.splitlines()
        assert lines[0] == "#" + "\t".join(cols), lines[0]
        rows = [l.split("\t") for l in lines[1:]]
        assert all(len(r) == len(cols) for r in rows)
        # B (short-lived) may have closed by now; A is open for the session.
        assert {int(r[0]) for r in rows} <= {s.a, s.b}
        assert sorted(r[4] for r in rows if r[0] == str(s.a)) == ["rx", "tx"]
        a_tx = next(r for r in rows if r[0] == str(s.a) and r[4] == "tx")
        assert a_tx[1] == s.vars["apid"] and a_tx[5] == "vnet0"
        assert a_tx[7:11] == ["50", "4", "0", "0"]
        a_rx = next(r for r in rows if r[0] == str(s.a) and r[4] == "rx")
        assert a_rx[cols.index("latency_budget_us")] == "500"
    # Both surfaces report the same parameters.
    knob_cols = [cols.index(k) for k in KNOBS]
    params = lambda n: [(r.split("\t")[0], r.split("\t")[4],
                         [r.split("\t")[i] for i in knob_cols])
                        for r in s[n][1].splitlines()[1:]]
    assert params("dump") == params("dump_procfs")


def test_procfs_fallback_without_the_family(vm):
    s = session(vm)
    rc, out, err = s["fallback_list"]
    assert rc == 0, err
    assert err == "lwvhostctl: genetlink family lwvhost not found; using /proc/lwvhost\n"
    assert s.a in [d["id"] for d in json.loads(out)]
    rc, out, err = s["fallback_set"]
    assert rc == 0 and "using /proc/lwvhost" in err, err
    assert s.json("after_fallback")["tx"]["params"]["coalesce_frames"] == 12


def test_device_by_interface_name(vm):
    s = session(vm)
    assert s.json("show_by_name")["id"] == s.a
    assert json.loads(s["b_result"][1])  # B ran to completion
    assert [d["id"] for d in s.json("list_after_b")] == [s.a]


def test_monitor_events_and_release(vm):
    s = session(vm)
    rc, out, err = s["events"]
    assert rc == 0
    events = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    assert [(e["event"], e["id"]) for e in events] == [
        ("add", s.a), ("add", s.b), ("remove", s.b), ("remove", s.a)], out + err
    added = events[0]["device"]
    assert added["id"] == s.a and added["owner_pid"] == 0  # at open: no owner yet
    assert "overrun" not in out
    assert s["list_end"][:2] == (0, "no lwvhost devices\n")
    assert s["dump_end"][:2] == (0, "")
