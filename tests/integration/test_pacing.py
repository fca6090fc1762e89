# SPDX-License-Identifier: GPL-2.0
"""Pacing (poll intervals, idle fallback, coalescing) and its control
surfaces, with vnet as the guest, on both kernels.

Each test runs one scenario of guest/pacing_scenarios.py in a VM and asserts
on the numbers it prints. Offered loads stay well below what vnet reaches
under TCG, so every lost frame is a failure.
"""

import errno
import json

from conftest import timing_premise

SCENARIOS = "tests/integration/guest/pacing_scenarios.py"

# RR latency: a poll interval may add at most the interval itself plus a
# margin. Under TCG the tail of identical runs varies by more than 10x (674
# us, then 10.9 ms, back to back on 6.1 at interval 0), and a 50 us timer
# (20,000 expiries a second, each emulated) stretches the tail further: the
# best of 5 rounds at 50 us measured 933 us to 3.4 ms on 6.1, with the same
# spread on the tree before the hardening. So each setting runs 5
# interleaved rounds and is judged by its least disturbed round: the median
# round trip must stay within the interval plus 500 us of the baseline's
# (measured +250 us at 50, +400 us at 200), and p99 within the interval plus
# 5 ms or a quarter of the baseline, whichever is larger. A lost wakeup
# waits for the idle fallback or the peer's retransmit, beyond both. The
# benchmark (make bench) reports the full numbers.
RR_P50_MARGIN_US = 500
RR_P99_MARGIN_US = 5000
RR_P99_MARGIN_FRACTION = 0.25


_cache = {}


def scenario(vm, name, timeout=300):
    """Run one scenario per kernel (several tests share its results)."""
    key = (vm.kernel, name)
    if key not in _cache:
        res = vm.run(f"python3 {SCENARIOS} {name}", timeout=timeout)
        doc = res.tagged_json(f"PACING_{name.upper()}")
        _cache[key] = (res.rc, doc, res.output[-3000:])
    rc, doc, output = _cache[key]
    assert rc == 0 and doc is not None, output
    return doc


def clean(run):
    """vnet succeeded with every frame accounted for."""
    assert run["ok"] and run["rc"] == 0, run.get("failures")
    assert run["packets"] == run["frames"], run


def test_interval_zero_behaves_like_stock(vm):
    doc = scenario(vm, "parity")
    for backend in ("stock", "lwvhost"):
        for run in doc[backend].values():
            clean(run)
    # Kicks and interrupts per packet follow TCG timing: at 10,000 frames/s
    # kicks per packet swing between 0.06 and 0.44 from run to run for
    # either backend, so only loss is compared there. At 1,000 frames/s the
    # worker mostly sleeps between frames and both backends run the same
    # event-mode protocol; run-to-run spread there is up to ~1.8x (6.12 RX:
    # 0.48 stock vs 0.26 ours, then 0.17 vs 0.19 on 6.1), so "comparable"
    # is within 2.5x.
    s, o = doc["stock"], doc["lwvhost"]
    for key, metric in (("tx_slow", "kicks_per_packet"),
                        ("rx_slow", "interrupts_per_packet")):
        a, b = s[key][metric], o[key][metric]
        timing_premise(vm, a > 0.05 and b > 0.05,
                       f"{key} {metric} stock {a}, lwvhost {b}: the worker never idles")
        assert max(a, b) <= 2.5 * min(a, b), (key, a, b)


def test_tx_poll_interval_cuts_kicks(vm):
    doc = scenario(vm, "tx_poll")
    event, poll = doc["0"], doc["50"]
    clean(event)
    clean(poll)
    timing_premise(vm, event["kicks_per_packet"] >= 0.01,
                   f"event mode took only {event['kicks_per_packet']} kicks per packet")
    assert poll["kicks_per_packet"] * 10 <= event["kicks_per_packet"], \
        (event["kicks_per_packet"], poll["kicks_per_packet"])


def calls_per_packet(run, q):
    """Calls the device sent on queue q's call eventfd, per frame."""
    return run["queues"][q]["signals"] / run["packets"]


def coalesce_pair(vm, off_key, on_key, q):
    """Two runs of the coalesce scenario, both clean and neither missing a
    call vnet was owed on queue q."""
    doc = scenario(vm, "coalesce")
    off, on = doc[off_key], doc[on_key]
    for run in (off, on):
        clean(run)
        assert run["queues"][q]["missed_interrupts"] == 0, run["queues"][q]
    return off, on


def test_coalesce_frames_cuts_interrupts(vm):
    off, on = coalesce_pair(vm, "off", "frames32", "rx")
    # The guest keeps RX interrupts armed (--rx-irq-always), so in event
    # mode the device calls once per batch it completes (under TCG about
    # one call per 15 frames at 5,000 frames/s). With 32 frames (and a
    # 10 ms hold, which 32 frames at this rate never reach) it calls at most
    # once per 32 completions, plus the last partial batch.
    s_off, s_on = calls_per_packet(off, "rx"), calls_per_packet(on, "rx")
    assert s_on <= 1.5 / 32, s_on
    timing_premise(vm, s_off > 1.5 / 32,
                   f"event mode already called only {s_off:.4f} times per frame")
    assert s_on < s_off, (s_off, s_on)


def test_tx_coalesce_frames_cuts_tx_interrupts(vm):
    off, on = coalesce_pair(vm, "tx_off", "tx_frames32", "tx")
    # The guest asks for every TX completion (--tx-irq-always): in event
    # mode the device calls per completed batch, with 32 frames at most once
    # per 32.
    s_off, s_on = calls_per_packet(off, "tx"), calls_per_packet(on, "tx")
    assert s_on <= 1.5 / 32, (s_off, s_on)
    timing_premise(vm, s_off > 4 / 32,
                   f"event mode already called only {s_off:.4f} times per frame")


def test_coalesce_usecs_alone_bounds_the_call_rate(vm):
    off, on = coalesce_pair(vm, "slow_off", "slow_usecs5000", "rx")
    # At 1,000 frames/s with RX interrupts armed, event mode calls for
    # nearly every frame; a 5 ms hold with no frame count releases at most
    # one call per 5 ms window (the first held completion starts it), and
    # none is lost (vnet counts a call it was owed and never got as missed).
    calls_off = off["queues"]["rx"]["signals"]
    calls_on = on["queues"]["rx"]["signals"]
    windows = on["duration_s"] / 0.005
    assert calls_on <= windows * 1.1 + 2, (calls_on, windows)
    timing_premise(vm, calls_off > 0.5 * off["packets"],
                   f"event mode called {calls_off} times for {off['packets']} frames")
    assert calls_on * 3 < calls_off, (calls_off, calls_on)


def test_rx_poll_mode_drains_the_tap_on_the_timer(vm):
    doc = scenario(vm, "rx_poll")
    event, poll = doc["event"], doc["poll"]
    clean(event["vnet"])
    clean(poll["vnet"])
    ev, po = event["samples"][-1], poll["samples"][-1]
    assert ev["packets"] == po["packets"] == poll["vnet"]["frames"]
    # Event mode: every pass is woken by the tap (or a kick), no timer.
    assert ev["timer_wakeups"] == 0 and {s["mode"] for s in event["samples"]} == {"event"}
    # Poll mode: the tap's wakeups are off, so nearly every pass is a timer
    # pass (the rest: the first pass of each poll episode; with the tap
    # still waking the worker they would be a third at most), and batching
    # makes them fewer than event mode's passes (one run on 6.12: 8662
    # passes in event mode, 4428 polled, 4399 of them timer wakeups).
    assert "poll" in {s["mode"] for s in poll["samples"]}
    assert po["timer_wakeups"] >= 0.8 * po["polls"], po
    assert po["polls"] < ev["polls"], (ev, po)
    # Back to event mode, timer stopped, once the traffic stops.
    quiet_after = doc["idle_polls"] * doc["interval_us"] / 1e6 + 0.5
    t_done = next(s["t"] for s in poll["samples"] if s["packets"] == po["packets"])
    settled = [s for s in poll["samples"] if s["t"] >= t_done + quiet_after]
    assert len(settled) >= 10, "vnet did not linger long enough"
    assert settled[0]["timer_wakeups"] == settled[-1]["timer_wakeups"], settled
    assert all(s["mode"] == "event" for s in settled)


def best_rtt_us(runs, pct):
    for run in runs:
        clean(run)
    return min(r["rtt_ns"][pct] for r in runs) / 1000


def test_rr_latency_bound(vm):
    doc = scenario(vm, "rr")
    base50 = best_rtt_us(doc["0"], "p50")
    base99 = best_rtt_us(doc["0"], "p99")
    margin99 = max(RR_P99_MARGIN_US, RR_P99_MARGIN_FRACTION * base99)
    for interval in (50, 200):
        p50 = best_rtt_us(doc[str(interval)], "p50")
        p99 = best_rtt_us(doc[str(interval)], "p99")
        assert p50 <= base50 + RR_P50_MARGIN_US + interval, \
            (interval, base50, p50)
        assert p99 <= base99 + margin99 + interval, (interval, base99, p99)


def test_idle_fallback_stops_timer(vm):
    doc = scenario(vm, "idle")
    clean(doc["vnet"])
    samples = doc["samples"]
    total = samples[-1]["packets"]
    assert total == doc["vnet"]["frames"]
    # The timer ran while traffic flowed ...
    assert samples[-1]["timer_wakeups"] > 0
    # ... and stops within idle_polls x interval once it stops (plus one
    # sampling period and TCG slack).
    quiet_after = doc["idle_polls"] * doc["interval_us"] / 1e6 + 0.5
    t_done = next(s["t"] for s in samples if s["packets"] == total)
    settled = [s for s in samples if s["t"] >= t_done + quiet_after]
    assert len(settled) >= 10, "vnet did not linger long enough"
    assert settled[0]["timer_wakeups"] == settled[-1]["timer_wakeups"], settled
    assert all(s["mode"] == "event" for s in settled)


def test_flapping_knobs_under_load(vm):
    doc = scenario(vm, "flap", timeout=600)
    clean(doc["vnet"])
    assert not doc["refused"], doc["refused"]
    # At least ~1 kHz on average over the 20 s flood (TCG may lag).
    assert doc["writes"] >= 0.8 * 1000 * min(doc["elapsed_s"], 20), doc["writes"]
    clean(doc["close"])
    assert doc["close_s"] < 10, doc["close_s"]
    assert not doc["devices_left"]
    assert doc["unload_rc"] == 0


def test_control_surfaces_agree(vm):
    doc = scenario(vm, "interfaces")
    new = doc["new_device"]
    expect = {"rx": {"poll_interval_us": 0, "idle_polls": 8, "coalesce_usecs": 0,
                     "coalesce_frames": 16, "latency_budget_us": 0},
              "tx": {"poll_interval_us": 25, "idle_polls": 8, "coalesce_usecs": 0,
                     "coalesce_frames": 0, "latency_budget_us": 0}}
    assert new["procfs"] == expect and new["genl"] == expect and new["sysfs"] == expect

    assert doc["device"] in doc["dump_ids"]
    info, g = doc["info"], doc["genl_dev"]
    assert info["id"] == g["id"] == doc["device"]
    assert info["owner_pid"] == g["owner_pid"] > 0
    assert info["worker_tid"] == g["worker_tid"] > 0
    assert info["tx_ifname"].startswith("vnet")

    after = doc["after_genl_set"]
    assert after["procfs"] == after["genl"]
    assert after["procfs"]["tx"]["poll_interval_us"] == 75
    assert after["procfs"]["tx"]["coalesce_frames"] == 8
    assert after["procfs"]["rx"]["idle_polls"] == 3
    after = doc["after_procfs_set"]
    assert after["procfs"] == after["genl"]
    assert after["genl"]["rx"]["coalesce_usecs"] == 300


def test_invalid_writes_keep_old_values(vm):
    doc = scenario(vm, "interfaces")
    inv = doc["invalid"]
    assert all(e == errno.EINVAL for e in inv["errors"].values()), inv["errors"]
    assert inv["after"] == inv["before"]
    assert inv["sysfs_after"]["tx"]["poll_interval_us"] == 25
    ext = inv["extack"]
    assert ext["interval"]["errno"] == errno.EINVAL
    assert "poll_interval_us" in ext["interval"]["msg"]
    # One bad value refuses the whole request: rx was not changed either.
    assert ext["atomic"]["errno"] == errno.EINVAL
    assert "coalesce_frames" in ext["atomic"]["msg"]
    assert inv["after"]["rx"]["poll_interval_us"] == 0
    assert ext["nodev"]["errno"] == errno.ENODEV


def test_without_cap_net_admin_nothing_is_read_or_written(vm):
    """Root without CAP_NET_ADMIN: every procfs open, DEV_GET, DEV_SET and the
    monitor group are refused (EPERM), and the knob kept its value."""
    doc = scenario(vm, "interfaces")
    unpriv = doc["unprivileged"]
    line = next((l for l in unpriv["output"].splitlines() if l.startswith("UNPRIV ")), None)
    assert line, unpriv
    res = json.loads(line[len("UNPRIV "):])["errno"]
    for access in ("stats", "info", "knob_read", "knob_write", "genl_get", "genl_dump",
                   "genl_subscribe", "genl_set"):
        assert res[access] == errno.EPERM, (access, res)
    assert doc["after_unprivileged"]["tx"]["poll_interval_us"] != 5


def test_monitor_sees_add_and_remove(vm):
    doc = scenario(vm, "interfaces")
    events = [tuple(e) for e in doc["events"]]
    assert (3, doc["device"]) in events  # LWVHOST_CMD_DEV_ADD_NTF
    assert (4, doc["device"]) in events  # LWVHOST_CMD_DEV_DEL_NTF


def test_adaptive_polls_a_steady_flood_and_stops_at_once(vm):
    """latency_budget_us on a steady 10 kpps TX flood: the law polls (a
    tenth of event mode's kicks or fewer), and when the flood stops it goes
    back to event mode after one empty poll per episode, its timer quiet."""
    doc = scenario(vm, "adaptive")
    event, tx = doc["tx_event"], doc["tx"]
    clean(event)
    clean(tx["vnet"])
    timing_premise(vm, event["kicks_per_packet"] >= 0.01,
                   f"event mode took only {event['kicks_per_packet']} kicks per packet")
    assert tx["vnet"]["kicks_per_packet"] * 10 <= event["kicks_per_packet"], \
        (event["kicks_per_packet"], tx["vnet"]["kicks_per_packet"])
    samples = tx["samples"]
    last = samples[-1]
    assert last["timer_wakeups"] > 0, last
    # Each return to event mode costs one empty poll: an empty poll ends
    # its episode, and an episode starts and ends with a switch. (A few
    # event-mode passes may find nothing too: the setter's and the
    # attach's first pass.)
    assert last["empty_polls"] <= last["mode_switches"] // 2 + 3, last
    t_done = next(s["t"] for s in samples if s["packets"] == last["packets"])
    settled = [s for s in samples if s["t"] >= t_done + doc["budget_us"] / 1e6 + 0.5]
    assert len(settled) >= 10, "vnet did not linger long enough"
    assert settled[0]["timer_wakeups"] == settled[-1]["timer_wakeups"], settled
    assert all(s["mode"] == "event" for s in settled)


def test_adaptive_halves_the_budget_while_both_queues_poll(vm):
    """A stream both ways under one budget: with RX in event mode TX polls
    at the budget (4000/s, 2 ms: 8 packets a poll); with RX polling too,
    a request and its answer can each wait for a poll, so TX plans with
    half the budget and polls about twice as often. Measured before the
    split: 1.2x as often (the sibling's expiries serving TX); after it:
    1.65-1.75x."""
    doc = scenario(vm, "split")

    def polls_per_packet(runs, d):
        return (sum(r["last"][f"{d}_polls"] for r in runs) /
                sum(r["last"][f"{d}_packets"] for r in runs))

    alone, both = doc["tx_only"], doc["both"]
    for r in alone + both:
        clean(r["vnet"])
        assert r["last"] is not None, r
    for r in alone:
        assert r["last"]["rx_timer_wakeups"] == 0, r
    for r in both:
        assert r["last"]["rx_timer_wakeups"] > 0, r
    # The budget's 8 packets a poll need the loop at its offered rate. On
    # Debian's kernels it keeps up (3989-3999/s measured, 3-26 kicks); on
    # the debug kernel it ran at 1770/s (3.5 a poll) and took 466 kicks.
    rates = [r["vnet"]["frames"] / r["vnet"]["duration_s"] for r in alone + both]
    timing_premise(vm, min(rates) >= 0.9 * doc["rate"],
                   f"the loop ran at {min(rates):.0f} of {doc['rate']} transactions/s")
    # Polling either way, kicks all but vanish.
    for r in alone + both:
        assert r["last"]["tx_kicks"] <= 0.05 * r["last"]["tx_packets"], r
    ratio = polls_per_packet(both, "tx") / polls_per_packet(alone, "tx")
    assert ratio >= 1.4, (ratio, alone, both)


def test_adaptive_finds_one_transaction_in_flight_starved(vm):
    """vnet rr at full speed under a 1.6 ms budget: by its rate (R * B of
    about 3) the loop looks worth polling, and the law tries, but every
    poll finds one request at most. It must end those stints after a few
    polls and back off, so that nearly every transaction is served on its
    kick. Without the starved-stint rule the law kept polling such a loop
    (the unit simulation: 19,997 of 20,000 requests served by a poll); with
    it, 84 timer wakeups for 5884 packets on 6.12."""
    doc = scenario(vm, "starved")
    clean(doc["vnet"])
    last = doc["last"]
    assert last is not None, doc
    timers = last["tx_timer_wakeups"] + last["rx_timer_wakeups"]
    packets = last["tx_packets"] + last["rx_packets"]
    timing_premise(vm, timers > 0,
                   f"the law never tried to poll: {doc['vnet'].get('rtt_ns')}")
    assert timers <= 0.05 * packets, last


def test_adaptive_leaves_sparse_request_response_in_event_mode(vm):
    """One transaction every 5 ms under a 500 us budget: a poll would
    collect a tenth of a packet, so the law never polls and adds no
    latency (stock's RTT, within the RR margins)."""
    doc = scenario(vm, "adaptive")
    for run in doc["rr"]:
        clean(run["vnet"])
        last = run["samples"][-1]
        assert last["timer_wakeups"] <= 0.05 * last["packets"], last
    base50 = best_rtt_us(doc["rr_event"], "p50")
    base99 = best_rtt_us(doc["rr_event"], "p99")
    got = [r["vnet"] for r in doc["rr"]]
    assert best_rtt_us(got, "p50") <= base50 + RR_P50_MARGIN_US, (base50, got)
    assert best_rtt_us(got, "p99") <= base99 + max(RR_P99_MARGIN_US,
                                                   RR_P99_MARGIN_FRACTION * base99)


def test_adaptive_holds_no_interrupt_in_event_mode(vm):
    """Coalescing of 10 ms / 64 frames beside the budget: the sparse
    request/response stays in event mode, where adaptive mode holds no
    signal, so a round trip does not wait 10 ms for its interrupt."""
    doc = scenario(vm, "adaptive")
    for run in doc["rr_coalesce"]:
        clean(run["vnet"])
        last = run["last"]
        assert last is not None, run
        packets = last["tx_packets"] + last["rx_packets"]
        held = last["tx_signals_coalesced"] + last["rx_signals_coalesced"]
        timers = last["tx_timer_wakeups"] + last["rx_timer_wakeups"]
        assert timers <= 0.05 * packets, last
        assert held <= 0.05 * packets, last
    base50 = best_rtt_us(doc["rr_event"], "p50")
    got = best_rtt_us([r["vnet"] for r in doc["rr_coalesce"]], "p50")
    assert got <= base50 + RR_P50_MARGIN_US, (base50, doc["rr_coalesce"])


def test_one_timer_expiry_serves_both_queues(vm):
    """Both queues polled at 1 ms under request/response: an expiry also
    polls the other queue when its timer is in the last half of its
    interval, so that pass needs no wake-up of its own. Under TCG the
    worker often takes most of an interval from an expiry to the end of
    its pass (measured: 26-29 % of the passes shared, the rest missed
    because the other queue's timer was not yet re-armed or was re-armed
    less than half an interval before), so the bound is a tenth. With only
    TX polled, nothing is shared."""
    doc = scenario(vm, "shared")
    both, tx_only = doc["both"], doc["tx_only"]
    for run in (both, tx_only):
        clean(run["vnet"])
        assert run["last"], run
    b = both["last"]
    wakeups = b["rx_timer_wakeups"] + b["tx_timer_wakeups"]
    shared = b["rx_shared_polls"] + b["tx_shared_polls"]
    assert wakeups > 0, b
    assert shared >= 0.1 * wakeups, b
    t = tx_only["last"]
    assert t["tx_timer_wakeups"] > 0, t
    assert t["rx_shared_polls"] == t["tx_shared_polls"] == 0, t
