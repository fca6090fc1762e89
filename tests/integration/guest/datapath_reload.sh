#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inside the VM: lwvhost unloads only once every fd is closed, reloads, and
# survives its owner being SIGKILLed mid-flood (6.12: the worker is a thread
# of the owner and dies with it). A KTAP stream (ktap.sh), one check a step.
G=$(dirname "$0")
. "$G/ktap.sh"

flood_started() {
	for _ in $(seq 1 100); do grep -q flooding "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
modules_gone() { [ ! -d /sys/module/vhost_net ] && [ ! -d /sys/module/vhost ]; }
rmmod_refused() { ! rmmod vhost_net 2>/dev/null; }
kill_and_reap() { kill "-$1" "$2" && { wait "$2" 2>/dev/null || true; }; }
unload() { rmmod vhost_net && rmmod vhost; }

ktap_start
tests/vm/load-lwvhost || { ktap_result 1 "lwvhost loads"; ktap_finish; }
python3 "$G/datapath_flood.py" dpf0 > /tmp/flood.out &
pid=$!
ktap_check "flood running" flood_started /tmp/flood.out
ktap_check "rmmod refused while open" rmmod_refused
ktap_check "owner killed" kill_and_reap 9 $pid
ktap_check "unloaded after the last close" unload
ktap_check "modules gone" modules_gone
ktap_check "reloaded" tests/vm/load-lwvhost
python3 "$G/datapath_flood.py" dpf1 > /tmp/flood2.out &
pid=$!
ktap_check "flood after reload" flood_started /tmp/flood2.out
kill_and_reap TERM $pid
ktap_check "unloaded again" unload
ktap_check "stock loads afterwards" tests/vm/load-stock
ktap_finish
