# SPDX-License-Identifier: GPL-2.0
"""Issue 14's data-path items against lwvhost, on both kernels: each test
runs one scenario of guest/datapath_hardening.py in a VM and asserts on
what it printed.

A  a held (coalesced) call is delivered across a direct backend replace
B  an avail idx jump past the ring is caught where the index is re-read
   outside the descriptor fetch (TX busy-poll, enable_notify)
C  RX retries on a frame that never fits count towards the pass weight
D  RX in poll mode: the tap wakes the handler between timer passes, and
   more frames per interval than the tap's queue holds are not dropped

B and C stop the worker at exact points of a handler pass with
userfaultfd (guest/ringwp.py), so neither depends on winning a race.
"""

import json

from conftest import timing_premise

SCRIPT = "tests/integration/guest/datapath_hardening.py"


def j(*what):
    """Assertion message: the whole document (pytest would elide it)."""
    return json.dumps(what)


def scenario(vm, name, timeout=300):
    res = vm.run(f"python3 {SCRIPT} {name}", timeout=timeout)
    doc = res.tagged_json(f"HARDENING_{name.upper()}")
    assert res.rc == 0 and doc is not None, res.output[-3000:]
    return doc


def test_held_call_survives_backend_replace(vm):
    doc = scenario(vm, "held_replace")
    for d in ("tx", "rx"):
        # None: the hold never outlived the spin to the replace (10 ms).
        assert doc[d]["rounds"] and None not in doc[d]["rounds"], j(d, doc[d])
        assert doc[d]["stats"][f"{d}_signals_coalesced"] >= len(doc[d]["rounds"]), j(d, doc[d])
    # Each held call arrived within 100 ms of the replace, none was lost.
    lost = {d: [r for r in doc[d]["rounds"] if not r["called"]] for d in ("tx", "rx")}
    assert not any(lost.values()), j(lost)


def test_avail_idx_jump_is_caught_outside_the_fetch(vm):
    doc = scenario(vm, "avail_jump")
    for path, c in doc.items():
        # The trap fired, so the jump came where the path under test reads.
        assert c["attach_pass_seen"] and c["fault"], j(path, c)
    # At most the one buffer posted in range is used, then the vq stops
    # with its err eventfd signalled.
    bad = {path: c for path, c in doc.items()
           if c["used_idx"] > c["legit"] or c["frames_sent"] > c["legit"] or not c["err"]}
    assert not bad, j(bad)


def test_rx_retries_count_towards_the_pass_weight(vm):
    doc = scenario(vm, "rx_retry")
    # Every retry saw a new index (none ended the pass by luck).
    assert doc["retries"] == doc["goal"], j(doc)
    # At 256 retries a pass, the storm is goal / 256 passes; one pass that
    # never yields is 1. Kicks after a pass ended on its own are not
    # counted as the handler's.
    passes = doc["rx_polls"] - doc["restarts"]
    assert passes >= 20, j(doc)
    # The worker was not pinned: TX got its turn during the storm.
    assert doc["tx_done_at_retry"] is not None, j(doc)


def test_rx_poll_mode_burst_not_dropped_at_the_tap(vm):
    doc = scenario(vm, "rx_burst")
    poll = doc["poll"]
    assert poll["mode_before"] == "poll", j(doc)
    # Enough frames per interval for a polled tap to wake the handler (it
    # does after 64); at the intended rate also more than the tap queues
    # (128), so that waiting for the timer alone drops frames.
    per_interval = doc["burst"] * (poll["interval_us"] / 1e3) / poll["send_ms"]
    timing_premise(vm, per_interval > 1.5 * 64,
                   f"sender too slow: {per_interval:.0f} frames per interval, {j(doc)}")
    # Drops judge the handler only if the controls around the polled run
    # (event mode, the tap waking it for every frame, a queue shorter by
    # the 64 frames a polled tap lets pass first) lost nothing at this
    # rate. Under TCG the 6.1 worker, stock's too, stalls for milliseconds
    # now and then and loses frames even so.
    if doc["steady"]:
        assert poll["tap_tx_dropped"] == 0 and poll["delivered"] == doc["burst"], j(doc)
    # The tap, not only the timer, started passes while polling.
    assert poll["rx_polls"] > poll["rx_timer_wakeups"], j(doc)
