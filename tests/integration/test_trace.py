# SPDX-License-Identifier: GPL-2.0
"""lwvhost-trace and tools/trace/record.

Host side: the CLI's exit codes and outputs on the crafted fixtures, and
a recording kept as the kernel's text, a trace.dat and that trace.dat's
`trace-cmd report` giving the same analysis.
In the VM (both kernels): record a fresh function_graph trace of stock
vhost_net, and one of lwvhost with pacing on, under a short vnet workload
and analyse them.
"""

import json
import lzma
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TRACE = ROOT / "build" / "bin" / "lwvhost-trace"
FIX = ROOT / "tests" / "unit" / "fixtures" / "trace"
SAMPLES = ROOT / "tracefile-samples"
TC_REC = "lwvhost-6.12-vnet-poll50-tracecmd"  # recorded with record --trace-cmd


def run(*args):
    assert TRACE.exists(), f"{TRACE} missing: run `make tools` first"
    return subprocess.run([str(TRACE), *map(str, args)], capture_output=True,
                          text=True, timeout=60)


def tracedat_bytes():
    """The kept trace.dat as trace-cmd wrote it."""
    return lzma.decompress((SAMPLES / f"{TC_REC}.dat.xz").read_bytes())


def calls(j):
    return {f["function"]: f["calls"] for f in j["functions"]}


def assert_same_passes(a, b):
    for kind in ("tx", "rx"):
        for key in ("passes", "complete", "empty", "packets", "by_function"):
            assert a["passes"][kind][key] == b["passes"][kind][key], (kind, key)


@pytest.mark.parametrize("argv", [
    ["--bogus"],
    [],
    ["--top", "x", FIX / "crafted_default.txt"],
    ["--json", "--csv", FIX / "crafted_default.txt"],
    ["--profile", "nope", FIX / "crafted_default.txt"],
    ["--pass", "nokind", FIX / "crafted_default.txt"],
    ["--diff", FIX / "crafted_default.txt"],
    ["--diff", "a", "b", "--folded"],
    [FIX / "crafted_default.txt", "--diff", "a", "b"],
])
def test_usage_errors_exit_2_with_one_line(argv):
    r = run(*argv)
    assert r.returncode == 2, r
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith("lwvhost-trace: ")


def test_unreadable_or_unusable_file_exit_1(tmp_path):
    r = run(tmp_path / "missing.txt")
    assert r.returncode == 1
    assert "No such file" in r.stderr
    r = run(tmp_path)
    assert r.returncode == 1
    assert "is a directory" in r.stderr
    junk = tmp_path / "junk.txt"
    junk.write_text("this is not\na trace\n")
    r = run(junk)
    assert r.returncode == 1
    assert "no function_graph events" in r.stderr
    bad_xz = tmp_path / "bad.txt.xz"
    bad_xz.write_bytes(b"\xfd7zXZ\x00garbage")
    r = run(bad_xz)
    assert r.returncode == 1
    assert "xz" in r.stderr
    # A trace.dat is told by its magic, whatever its name; a broken one is
    # one line too, never libtracecmd's own messages.
    bad_dat = tmp_path / "bad.txt"
    bad_dat.write_bytes(b"\x17\x08\x44tracing6\x00garbage")
    cut_dat = tmp_path / "cut.dat"
    cut_dat.write_bytes(tracedat_bytes()[:100000])
    for f in (bad_dat, cut_dat):
        r = run(f)
        assert r.returncode == 1, r
        assert r.stdout == ""
        assert r.stderr.count("\n") == 1 and "trace.dat" in r.stderr, r.stderr


def test_help_exits_0():
    r = run("--help")
    assert r.returncode == 0
    assert "--diff" in r.stdout


def test_json_csv_folded_diff_on_fixture():
    r = run("--json", FIX / "crafted_abstime_proc.txt")
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    assert j["passes"]["tx"]["packets"] == 3
    assert j["passes"]["rx"]["packets"] == 2
    assert j["wakeups"]["latency_ns"]["p50"] == 30000
    r = run("--csv", FIX / "crafted_default.txt.xz")
    assert r.returncode == 0
    assert "tun_recvmsg,tun,2,0,8000," in r.stdout
    r = run("--folded", FIX / "crafted_default.txt")
    assert "handle_tx_kick;handle_tx 19000\n" in r.stdout
    r = run("--diff", FIX / "crafted_default.txt", FIX / "crafted_abstime_proc.txt")
    assert r.returncode == 0
    assert re.search(r"tx packets\s+3\s+3\s+1\.00x", r.stdout), r.stdout
    # Standard input works too.
    r = subprocess.run([str(TRACE), "--json", "-"], input=(FIX / "crafted_default.txt")
                       .read_text(), capture_output=True, text=True)
    assert json.loads(r.stdout)["passes"]["tx"]["passes"] == 2


TX_FRAMES, RR = 100, 20


def test_record_and_analyse_stock(vm):
    vnet = ROOT / "build" / "bin" / "lwvhost-vnet"
    assert vnet.exists(), "build/bin/lwvhost-vnet missing: run `make tools`"
    out = "/tmp/trace.txt"
    res = vm.run(
        f"tools/trace/record --backend stock --abstime --out {out} -- "
        f"sh -c 'set -e; {vnet} tx --frames {TX_FRAMES}; {vnet} rr --frames {RR}' "
        f"&& echo RECV=$(grep -c 'tun_recvmsg \\[tun\\]()' {out}) "
        f"&& echo PASSES=$(grep -cE '  handle_(tx|rx)_(kick|net) \\[vhost_net\\]\\(\\) \\{{' {out}) "
        f"&& {TRACE} --json {out} > /tmp/a.json "
        f"&& echo JSON-BEGIN && cat /tmp/a.json && echo JSON-END",
        timeout=240)
    assert res.rc == 0, res.output[-3000:]
    j = json.loads(res.output.split("JSON-BEGIN", 1)[1].split("JSON-END", 1)[0])
    recv = int(re.search(r"RECV=(\d+)", res.output).group(1))
    passes = int(re.search(r"PASSES=(\d+)", res.output).group(1))

    info = j["trace"]
    assert info["unknown_lines"] == 0
    assert info["columns"]["abstime"] and info["columns"]["cpu"]
    assert info["events"] > 1000
    assert info["lost_events"] == 0

    tx, rx = j["passes"]["tx"], j["passes"]["rx"]
    # Every frame vnet sent (flood + requests) went through a TX pass and
    # every echo reply through an RX pass, no more (vnet's namespace sends
    # nothing else; the recorded samples show the same exact counts).
    assert tx["packets"] == TX_FRAMES + RR, tx
    assert rx["packets"] == RR, rx
    assert 1 <= tx["passes"] <= tx["packets"] + 50
    assert tx["packets_per_pass"]["max"] >= 1
    assert tx["complete"] >= 1 and rx["complete"] >= 1
    assert 0 < tx["duration_ns"]["p50"] <= tx["duration_ns"]["max"] < 10**9
    # The analyser's counts agree with grepping the raw text: every
    # recvmsg is an RX packet, every kick/net handler entry is a pass.
    funcs = {f["function"]: f for f in j["functions"]}
    assert funcs["tun_recvmsg"]["calls"] == recv
    kick_net = sum(n for k in ("tx", "rx") for f, n in
                   j["passes"][k]["by_function"].items() if f.endswith(("_kick", "_net")))
    assert kick_net == passes

    w = j["wakeups"]
    assert w["available"]
    assert w["wakeups"] >= RR
    assert w["woken_passes"] >= 1
    assert 0 < w["latency_ns"]["p50"] < 10**9
    assert j["context_switches"]["total"] >= 1
    assert j["context_switches"]["into_vhost"] >= 1


POLL_US, IDLE_POLLS = 50, 8


def test_record_and_analyse_lwvhost_paced(vm):
    """lwvhost with tx/rx poll mode on: the analyser finds the lwvhost
    passes, counts every packet, and counts the poll-timer wakeups apart."""
    vnet = ROOT / "build" / "bin" / "lwvhost-vnet"
    assert vnet.exists(), "build/bin/lwvhost-vnet missing: run `make tools`"
    out = "/tmp/trace.txt"
    g = "grep -cE"
    res = vm.run(
        f"tools/trace/record --backend lwvhost --abstime "
        f"--param tx_poll_interval_us={POLL_US} --param rx_poll_interval_us={POLL_US} "
        f"--param tx_idle_polls={IDLE_POLLS} --param rx_idle_polls={IDLE_POLLS} "
        f"--out {out} -- "
        f"sh -c 'set -e; {vnet} tx --frames {TX_FRAMES}; {vnet} rr --frames {RR}' "
        f"&& echo TIMERS=$({g} ' vhost_pace_poll_timer_fn \\[vhost\\]\\(\\) \\{{' {out}) "
        f"&& echo PASSES=$({g} ' vhost_net_(tx|rx)_(kick|sock) \\[vhost_net\\]\\(\\) \\{{' {out}) "
        f"&& echo HANDLE=$({g} ' vhost_net_handle_(tx|rx) \\[vhost_net\\]\\(\\)' {out}) "
        f"&& {TRACE} --profile lwvhost --json {out} > /tmp/a.json "
        f"&& echo JSON-BEGIN && cat /tmp/a.json && echo JSON-END",
        timeout=240)
    assert res.rc == 0, res.output[-3000:]
    assert f"tx_poll_interval_us = {POLL_US}" in res.output
    j = json.loads(res.output.split("JSON-BEGIN", 1)[1].split("JSON-END", 1)[0])
    timers = int(re.search(r"TIMERS=(\d+)", res.output).group(1))
    passes = int(re.search(r"PASSES=(\d+)", res.output).group(1))
    handle = int(re.search(r"HANDLE=(\d+)", res.output).group(1))

    info = j["trace"]
    assert info["unknown_lines"] == 0 and info["lost_events"] == 0
    assert info["open_calls"] == 0 and info["truncated_calls"] == 0, info
    tx, rx = j["passes"]["tx"], j["passes"]["rx"]
    assert tx["packets"] == TX_FRAMES + RR, tx
    assert rx["packets"] == RR, rx
    # Every pass is one work-function run, and each runs one handle_*.
    assert tx["passes"] + rx["passes"] == passes == handle
    # Each direction that moved something polled on, and went back to
    # event mode only after IDLE_POLLS empty polls: at least that many
    # empty passes, each brought by the poll timer.
    assert tx["empty"] >= IDLE_POLLS and rx["empty"] >= IDLE_POLLS, (tx, rx)
    w = j["wakeups"]
    assert w["timer_wakeups"] == timers == w["by_function"]["vhost_pace_poll_timer_fn"]
    assert timers >= 2 * IDLE_POLLS
    assert w["timer_only_passes"] >= 1
    # A timer expiry serves its sibling queue at most once more.
    assert w["shared_wakeups"] <= timers, w
    # Every run of a work function was queued by a traced wakeup, a timer
    # that served both queues counting twice (a wakeup may find its work
    # already queued, so not the converse).
    assert 1 <= w["handler_runs"] <= w["wakeups"], w


def report_json(*args, stdin=None):
    r = subprocess.run([str(TRACE), "--json", *map(str, args)], input=stdin,
                       capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stderr == b"", r.stderr
    return json.loads(r.stdout)


def input_form_dropped(j):
    """The analysis without what describes the input's form: its lines,
    its events (trace-cmd merges fewer calls with their returns into one
    line than the kernel) and whether returns name their function."""
    j = json.loads(json.dumps(j))
    del j["trace"]["lines"], j["trace"]["events"], j["trace"]["columns"]["tail"]
    return j


def test_tracedat_and_its_report_agree():
    """The kept trace.dat, plain, .xz or on standard input, and its
    `trace-cmd report -t`: the same JSON but for the input's form."""
    dat = report_json(SAMPLES / f"{TC_REC}.dat.xz")
    rep = report_json(SAMPLES / f"{TC_REC}-report.txt.xz")
    assert dat["trace"]["columns"] == {"abstime": True, "cpu": True, "proc": True,
                                       "duration": True, "tail": True}
    assert rep["trace"]["unknown_lines"] == 0
    assert dat["passes"]["tx"]["packets"] == rep["passes"]["tx"]["packets"] == 250
    assert input_form_dropped(dat) == input_form_dropped(rep)
    raw = tracedat_bytes()
    assert report_json("-", stdin=raw) == dat


def test_tracedat_and_the_kernel_text_agree():
    """The same buffer as the kernel printed it: the same passes, wakeups,
    comments and switches (times are cut to what the kernel prints, and
    tasks' names to 7 characters, so those are left to the unit tests)."""
    dat = report_json(SAMPLES / f"{TC_REC}.dat.xz")
    txt = report_json(SAMPLES / f"{TC_REC}-abstime+proc.txt.xz")
    assert dat["trace"]["events"] == txt["trace"]["events"]
    assert dat["trace"]["comments"] == txt["trace"]["comments"] > 0
    assert_same_passes(dat, txt)
    for key in ("wakeups", "timer_wakeups", "shared_wakeups", "by_function",
                "handler_runs", "woken_passes", "unwoken_passes", "timer_only_passes"):
        assert dat["wakeups"][key] == txt["wakeups"][key], key
    for key in ("total", "per_cpu", "into_vhost", "out_of_vhost"):
        assert dat["context_switches"][key] == txt["context_switches"][key], key
    assert calls(dat) == calls(txt)
    assert {f["module"] for f in dat["functions"]} == {""}  # trace.dat keeps none


def test_plain_trace_cmd_report_parses(tmp_path):
    """`trace-cmd report` as people run it (microsecond timestamps) on the
    kept trace.dat: every line understood, the same calls and passes."""
    tc = shutil.which("trace-cmd")
    assert tc, "trace-cmd missing: run scripts/install-deps"
    dat_file = tmp_path / "trace.dat"
    dat_file.write_bytes(tracedat_bytes())
    text = tmp_path / "report.txt"
    with open(text, "wb") as out:
        subprocess.run([tc, "report", "-i", str(dat_file)], stdout=out,
                       stderr=subprocess.DEVNULL, check=True, timeout=120)
    assert re.search(rb"\] +\d+\.\d{6}: funcgraph_entry:", text.read_bytes())
    rep = report_json(text)
    dat = report_json(dat_file)
    assert rep["trace"]["unknown_lines"] == 0
    assert_same_passes(rep, dat)
    assert rep["wakeups"]["by_function"] == dat["wakeups"]["by_function"]
    assert rep["context_switches"] == dat["context_switches"]
    assert calls(rep) == calls(dat)
