#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inside the VM: lwvhost unloads only once every fd is closed, reloads, and
# survives its owner being SIGKILLed mid-flood (6.12: the worker is a thread
# of the owner and dies with it).
set -e
G=$(dirname "$0")
tests/vm/load-lwvhost
python3 "$G/datapath_flood.py" dpf0 > /tmp/flood.out &
pid=$!
for _ in $(seq 1 100); do grep -q flooding /tmp/flood.out 2>/dev/null && break; sleep 0.1; done
grep -q flooding /tmp/flood.out && echo "ok   flood running"
if rmmod vhost_net 2>/dev/null; then echo "FAIL rmmod while the device is open"; else echo "ok   rmmod refused while open"; fi
kill -9 $pid
wait $pid 2>/dev/null || true
echo "ok   owner killed"
rmmod vhost_net && rmmod vhost && echo "ok   unloaded after the last close"
[ ! -d /sys/module/vhost_net ] && [ ! -d /sys/module/vhost ] && echo "ok   modules gone"
tests/vm/load-lwvhost && echo "ok   reloaded"
python3 "$G/datapath_flood.py" dpf1 > /tmp/flood2.out &
pid=$!
for _ in $(seq 1 100); do grep -q flooding /tmp/flood2.out 2>/dev/null && break; sleep 0.1; done
grep -q flooding /tmp/flood2.out && echo "ok   flood after reload"
kill -TERM $pid
wait $pid 2>/dev/null || true
rmmod vhost_net && rmmod vhost && echo "ok   unloaded again"
tests/vm/load-stock && echo "ok   stock loads afterwards"
