# SPDX-License-Identifier: GPL-2.0
"""lwvhost-tuned against real devices in the test VM, on both kernels.

One VM per kernel loads lwvhost and runs the same stepped vnet TX load
(low -> high -> low) three times:
  - base:   no controller, every interval at its default 0 (stock event mode);
  - tuned:  lwvhost-tuned running alongside; /proc/lwvhost/*/tx_poll_interval_us
            is sampled every 100 ms while vnet runs;
  - dryrun: lwvhost-tuned --dry-run, which must log decisions and change nothing.
The tuned run must move the TX interval away from 0 under load, lose no
frame, and spend less vhost worker time (schedstat run time, which vnet
reports per packet) per packet than the base run in the same VM.
"""

import json
import re

import pytest

# 2000 pps for 3 s, 10000 pps for 12 s, 2000 pps for 3 s. In this TCG VM a
# poll interval pays off at 10000 pps (one sweep on 6.12: worker run time per
# packet 33.9 us at interval 0, 28.5 us at 400 us, 24.1 us at 1000 us; make
# bench at 10 % load, 8.3k pps: 0.66x stock at 800 us, 0.51x at 1600 us) and
# costs at 2000 pps (84 us at 0, 182-241 us polled), so the controller must
# poll under the high load and stay in (or return to) event mode under the
# low one. Worker CPU per period is noisy here (+-50 % at 200 ms), hence the
# longer period. Each load change costs the controller about 1.5 s of
# detecting and probing (and a probe at 2000 pps costs), and the whole-run
# figure of either run varies by +-20 % between VMs, so the test gives the
# gain room: a 12 s high phase and a cap of 1600 us. With 8 s and 1000 us,
# one CI run on 6.1 ended at 1.16x interval 0's cost per packet (an earlier
# run: 0.71x, 0.68x); 12 s at 1000 us gave 0.85x and 0.95x; 12 s at 1600 us
# gave 0.55x-0.85x in 11 kernel-runs. The last low phase is 5 s: the return
# to 0 is asserted inside it, and took 1.5 s in the recorded runs.
SCHEDULE = "2000:3,10000:12,2000:5"
CAP_US = 1600
VNET = f"build/bin/lwvhost-vnet tx --json --size 64 --rate-schedule {SCHEDULE} --timeout-ms 10000"
CONFIG = f"""\
[global]
period-ms = 500
max-latency-us = {CAP_US}
restore-on-exit = yes
"""

SCRIPT = f"""
set -u
tests/vm/load-lwvhost || exit 99
cat > /tmp/tuned.conf <<'EOF'
{CONFIG}EOF
tag() {{ printf '%s ' "$1"; tr -d '\\n' < "$2"; echo; }}

# Usage error and --once with no device.
build/bin/lwvhost-tuned --period-ms 1 2>/tmp/usage.err; echo "USAGE_RC $?"
echo "USAGE_ERR $(cat /tmp/usage.err)"
build/bin/lwvhost-tuned --config /tmp/tuned.conf --once 2>/tmp/once.log; echo "ONCE_RC $?"

# The stepped load, with the TX interval sampled every 100 ms while it runs.
# Every run samples, the base run too, so they all carry the same extra load.
run_vnet() {{  # $1: name
	{VNET} > /tmp/$1.json &
	vpid=$!
	: > /tmp/$1.intervals
	while kill -0 $vpid 2>/dev/null; do
		for f in /proc/lwvhost/*/tx_poll_interval_us; do
			v=$(cat "$f" 2>/dev/null) && [ -n "$v" ] && echo "$v" >> /tmp/$1.intervals
		done
		sleep 0.1
	done
	wait $vpid; echo "${{1}}_VNET_RC $?"
	tag "${{1}}_JSON" /tmp/$1.json
	echo "${{1}}_INTERVALS $(sort -n /tmp/$1.intervals | uniq -c | tr -s ' \\n' ' ')"
}}
run_vnet base

run_with_tuned() {{  # $1: name, rest: lwvhost-tuned options
	name=$1; shift
	build/bin/lwvhost-tuned --config /tmp/tuned.conf "$@" 2>/tmp/$name.log &
	tpid=$!
	sleep 0.5
	run_vnet $name
	kill -TERM $tpid; wait $tpid; echo "${{name}}_TUNED_RC $?"
	sed "s/^/${{name}}_LOG /" /tmp/$name.log
}}
run_with_tuned tuned -v
run_with_tuned dryrun --dry-run
sed 's/^/ONCE_LOG /' /tmp/once.log

# restore-on-exit: SIGTERM while a device it tuned is still open must put
# that device's intervals back to 0 (stock event mode).
build/bin/lwvhost-vnet tx --json --size 64 --rate 10000 --frames 80000 --timeout-ms 10000 \\
	--linger-ms 6000 > /tmp/restore.json &
vpid=$!
build/bin/lwvhost-tuned --config /tmp/tuned.conf -v 2>/tmp/restore.log &
tpid=$!
moved=0
for i in $(seq 1 160); do
	for f in /proc/lwvhost/*/tx_poll_interval_us; do
		v=$(cat "$f" 2>/dev/null) && [ -n "$v" ] && [ "$v" -gt 0 ] && moved=$v
	done
	[ $moved -gt 0 ] && break
	sleep 0.1
done
echo "RESTORE_MOVED $moved"
kill -TERM $tpid; wait $tpid; echo "RESTORE_TUNED_RC $?"
after=$(cat /proc/lwvhost/*/tx_poll_interval_us /proc/lwvhost/*/rx_poll_interval_us 2>/dev/null | tr '\\n' ' ')
echo "RESTORE_AFTER $after"
wait $vpid; echo "RESTORE_VNET_RC $?"
sed 's/^/RESTORE_LOG /' /tmp/restore.log
"""


def lines(output, tag):
    return [l[len(tag) + 1:] for l in output.splitlines() if l.startswith(tag + " ")]


def value(output, tag):
    found = lines(output, tag)
    assert found, f"no {tag} line in the VM output:\n{output[-4000:]}"
    return found[0]


def intervals(output, name):
    """{interval: samples} from `uniq -c` output 'N value N value ...'."""
    words = value(output, f"{name}_INTERVALS").split()
    return {int(v): int(n) for n, v in zip(words[0::2], words[1::2])}


_results = {}


def result(vm):
    if vm.kernel not in _results:
        res = vm.run(SCRIPT, timeout=500)
        assert res.rc == 0, f"VM script failed (rc {res.rc}):\n{res.output[-4000:]}"
        _results[vm.kernel] = res
    return _results[vm.kernel]


def clean(run):
    g2h = run["checks"]["guest_to_host"]
    return (g2h["lost"] == 0 and g2h["corrupted"] == 0 and g2h["duplicated"] == 0
            and run["packets"] == g2h["expected"])


def test_usage_error_and_once(vm):
    out = result(vm).output
    assert value(out, "USAGE_RC") == "2"
    err = value(out, "USAGE_ERR")
    assert err.startswith("lwvhost-tuned: ") and "--period-ms" in err
    assert value(out, "ONCE_RC") == "0", "\n".join(lines(out, "ONCE_LOG"))
    assert any("started: genetlink" in l for l in lines(out, "ONCE_LOG"))


def test_tuned_moves_interval_under_load_and_lowers_cpu_per_packet(vm):
    out = result(vm).output
    assert value(out, "base_VNET_RC") == "0"
    assert value(out, "tuned_VNET_RC") == "0"
    assert value(out, "tuned_TUNED_RC") == "0", "SIGTERM must end lwvhost-tuned cleanly"
    base = json.loads(value(out, "base_JSON"))
    tuned = json.loads(value(out, "tuned_JSON"))
    log = lines(out, "tuned_LOG")
    seen = intervals(out, "tuned")
    assert set(intervals(out, "base")) == {0}, "the base run must stay in event mode"
    print(f"\n[{vm.kernel}] intervals seen (value: samples): {seen}")
    for l in log:
        if " -> " in l:
            print(f"[{vm.kernel}] {l}")
    for run in (base, tuned):
        assert run["rate_schedule"] == SCHEDULE
        assert clean(run), json.dumps(run["checks"])
        assert run["worker"]["found"] and run["worker"]["run_ns"] is not None

    # It moved the interval away from 0 while the load was on, and never
    # above the configured cap.
    assert any(v > 0 for v in seen), f"interval never left 0: {seen}\n" + "\n".join(log)
    assert max(seen) <= CAP_US
    changes = [l for l in log if " tx: " in l and " -> " in l]
    assert changes, "\n".join(log)
    # Each change is logged with the numbers behind it.
    for l in changes:
        assert re.search(r"\[\d+ pps, worker [\d.]+% CPU \(schedstat run\), tx share \d+%\]", l), l

    # Back to event mode once the load dropped again: after a move above 0
    # under the high load, a move to 0 under the low one.
    def pps(l):
        return int(re.search(r"\[(\d+) pps", l).group(1))
    up = next((i for i, l in enumerate(changes)
               if not re.search(r" -> 0 us: ", l) and pps(l) >= 8000), None)
    assert up is not None, "no move above 0 under the high load:\n" + "\n".join(changes)
    assert any(re.search(r" -> 0 us: ", l) and pps(l) < 5000 for l in changes[up + 1:]), \
        "did not return to event mode after the load dropped:\n" + "\n".join(changes)

    b = base["worker"]["run_ns_per_packet"]
    t = tuned["worker"]["run_ns_per_packet"]
    print(f"[{vm.kernel}] worker run ns/packet: interval 0 {b:.0f}, lwvhost-tuned {t:.0f} "
          f"({t / b:.2f}x); kicks/packet {base['kicks_per_packet']:.3f} -> "
          f"{tuned['kicks_per_packet']:.3f}")
    assert t < b, f"worker CPU per packet {t:.0f} ns with lwvhost-tuned vs {b:.0f} at interval 0"
    assert any("caught Terminated" in l for l in log), "\n".join(log[-5:])


def test_dry_run_changes_nothing(vm):
    out = result(vm).output
    assert value(out, "dryrun_VNET_RC") == "0"
    assert value(out, "dryrun_TUNED_RC") == "0"
    log = lines(out, "dryrun_LOG")
    assert set(intervals(out, "dryrun")) == {0}, log
    decisions = [l for l in log if l.startswith("lwvhost-tuned: dry run: dev ") and " -> " in l]
    assert decisions, "\n".join(log)
    assert clean(json.loads(value(out, "dryrun_JSON")))


def test_restore_on_exit_returns_devices_to_event_mode(vm):
    out = result(vm).output
    log = lines(out, "RESTORE_LOG")
    moved = int(value(out, "RESTORE_MOVED"))
    assert moved > 0, "lwvhost-tuned never set an interval within 16 s:\n" + "\n".join(log)
    assert value(out, "RESTORE_TUNED_RC") == "0"
    after = value(out, "RESTORE_AFTER").split()
    assert after, "the device was gone before lwvhost-tuned exited"
    assert set(after) == {"0"}, (after, log[-10:])
    assert value(out, "RESTORE_VNET_RC") == "0"
