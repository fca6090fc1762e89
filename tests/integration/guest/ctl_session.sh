#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# lwvhostctl (and the client library's monitor) against real lwvhost devices
# created by vnet. Prints one marked section per command; test_ctl.py
# asserts on them:
#   @@@begin NAME / stdout / @@@stderr / stderr / @@@end NAME rc=N
#   @@@var NAME=VALUE
set -u
C=build/bin/lwvhostctl
V=build/bin/lwvhost-vnet
E=build/bin/lwvhost-events

run() {
	name=$1
	shift
	"$@" >/tmp/ctl.out 2>/tmp/ctl.err
	rc=$?
	echo "@@@begin $name"
	cat /tmp/ctl.out
	echo "@@@stderr"
	cat /tmp/ctl.err
	echo "@@@end $name rc=$rc"
}

var() {
	echo "@@@var $1=$2"
}

# The id of the device owned by pid $1, once its tx queue has a backend.
wait_dev() {
	i=0
	while [ $i -lt 300 ]; do
		id=$($C dump 2>/dev/null |
			awk -F '\t' -v p="$1" '$2 == p && $5 == "tx" && $6 != "-" { print $1 }')
		if [ -n "$id" ]; then
			echo "$id"
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "wait_dev: no device for pid $1" >&2
	return 1
}

tests/vm/load-lwvhost || exit 99

run empty_list $C
run empty_json $C --json list
run defaults_before $C --json defaults
# The short spellings (aliases) set the same module parameters.
run defaults_set $C defaults set tx-poll-us 25 rx-frames 8 rx-budget-us 300
run defaults_after $C --json defaults

# Device add/remove notifications: A opens, B opens, B closes, A closes.
$E --count 4 --timeout 240 >/tmp/events.out 2>/tmp/events.err &
epid=$!
i=0
while ! grep -q listening /tmp/events.err 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done

# A: moderate TX traffic (opened with the defaults set above) for up to
# 10 minutes, far longer than the session: it is killed mid-traffic at the
# end, so rates are never sampled after its traffic stopped.
$V tx --frames 1200000 --rate 2000 --size 64 --json >/tmp/a.json 2>/tmp/a.err &
apid=$!
A=$(wait_dev $apid) || { cat /tmp/a.err; exit 98; }

run defaults_reset $C defaults set tx-poll-us 0 rx-frames 0 rx-budget-us 0
# B: short, opened with the reset defaults.
$V tx --frames 2000 --rate 1000 --size 64 --linger-ms 3000 --json \
	>/tmp/b.json 2>/tmp/b.err &
bpid=$!
B=$(wait_dev $bpid) || { cat /tmp/b.err; exit 97; }
var A "$A"
var apid "$apid"
var B "$B"
var bpid "$bpid"

run list $C
run list_json $C --json list
run show_a $C show "$A"

# One atomic genetlink request, both directions; read back through procfs.
run set_a $C set "$A" tx_poll_interval_us 50 rx_coalesce_usecs 20 rx_coalesce_frames 16 idle_polls 4 \
	rx_latency_budget_us 500
run procfs_a sh -c "cd /proc/lwvhost/$A && grep . tx_poll_interval_us \
rx_coalesce_usecs rx_coalesce_frames rx_idle_polls tx_idle_polls rx_latency_budget_us \
tx_latency_budget_us"
run show_a_procfs $C --procfs --json show "$A"

# Refused writes: the kernel's message, exit 1, nothing changed.
run set_bad $C set "$A" tx_poll_interval_us 10001 rx_coalesce_usecs 5
run set_bad_idle $C set "$A" rx_coalesce_frames 1 idle_polls 0
run set_bad_budget $C set "$A" tx_poll_interval_us 60 tx_latency_budget_us 10001
run set_bad_procfs $C --procfs set "$A" tx_coalesce_usecs 10001
run after_bad $C --json show "$A"
run set_unpriv setpriv --bounding-set=-net_admin $C set "$A" tx_coalesce_usecs 7
run set_unpriv_procfs setpriv --bounding-set=-net_admin $C --procfs set "$A" tx_coalesce_usecs 7
run after_unpriv cat "/proc/lwvhost/$A/tx_coalesce_usecs"
# Reads need CAP_NET_ADMIN too: the kernel refuses, lwvhostctl says what is
# missing in one line.
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
NOCAP="setpriv --bounding-set=-net_admin"
run list_nobody $NOBODY $C list
run list_nobody_procfs $NOBODY $C --procfs list
run show_nobody_procfs $NOBODY $C --procfs show "$A"
run set_nobody_procfs $NOBODY $C --procfs set "$A" tx_coalesce_usecs 7
run show_nocap $NOCAP $C show "$A"
run show_nocap_procfs $NOCAP $C --procfs show "$A"
run stats_nocap $NOCAP $C --json stats "$A"
run dump_nocap_procfs $NOCAP $C --procfs dump
run show_missing $C show 999999
run set_missing $C set 999999 tx_coalesce_usecs 1

# Usage errors: one line, exit 2.
run usage_value $C set "$A" tx_poll_interval_us abc
run usage_name $C set "$A" tx-poll-ms 5
run usage_cmd $C frobnicate
run usage_nodev $C show
run usage_watch $C stats "$A" --watch 0

run stats_watch $C --json stats "$A" --watch 1 --count 3
run stats_human $C stats "$A"
run top_json $C --json top --interval 1 --count 2
run top_human $C top --interval 1 --count 1
run dump $C dump --header
run dump_procfs $C --procfs dump --header

# A network namespace of its own does not see the (init_net only) family:
# the real fallback path.
run fallback_list unshare -n $C --json list
run fallback_set unshare -n $C set "$A" tx_coalesce_frames 12
run after_fallback $C --json show "$A"

wait $bpid
run b_result cat /tmp/b.json
run list_after_b $C --json list
run show_by_name $C --json show vnet0

kill $apid
wait $apid
wait $epid
run events cat /tmp/events.out /tmp/events.err
run list_end $C
run dump_end $C dump
echo "@@@done"
