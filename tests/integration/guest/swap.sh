#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the VM: scripts/swap-in / swap-out between stock and lwvhost, and
# their refusals. Prints "STEP name rc=N state=lwvhost|stock|none" lines and
# a few "SAW ..." facts for the test to check.
set -u
k=$(uname -r)
ours=$(modinfo -F srcversion "build/kmod/$k/vhost_net/vhost_net.ko")
stock=$(modinfo -F srcversion /lib/modules/"$k"/kernel/drivers/vhost/vhost_net.ko*)
state() {
	local s
	s=$(cat /sys/module/vhost_net/srcversion 2>/dev/null)
	if [ -z "$s" ]; then echo none
	elif [ "$s" = "$ours" ]; then echo lwvhost
	elif [ "$s" = "$stock" ]; then echo stock
	else echo "unknown:$s"; fi
}
step() { echo "STEP $1 rc=$2 state=$(state)"; }
# hold NODE: a sleeping process with NODE open on fd 3; sets $holder.
hold() {
	sleep 600 3<>"$1" &
	holder=$!
	for _ in $(seq 50); do [ -e "/proc/$holder/fd/3" ] && return 0; sleep 0.1; done
	echo "SAW holder did not open $1"
}
release() { kill "$holder"; wait "$holder" 2>/dev/null; }

# Like a Debian host: the first open autoloads stock.
exec 3<>/dev/vhost-net
exec 3>&-
step autoload 0

scripts/swap-in vhost.max_mem_regions=100 tx_poll_interval_us=50; step swap-in $?
echo "SAW max_mem_regions=$(cat /sys/module/vhost/parameters/max_mem_regions)"
echo "SAW tx_poll_interval_us=$(cat /sys/module/vhost_net/parameters/tx_poll_interval_us)"
echo "SAW vhost_iotlb=$([ -d /sys/module/vhost_iotlb ] && echo loaded || echo unloaded)"
scripts/swap-in; step swap-in-again $?
python3 tests/integration/guest/vhost_owner.py >/dev/null; step owner-rules $?

hold /dev/vhost-net
scripts/swap-out 2>/tmp/err; step swap-out-while-open $?
grep -q "open by $holder (sleep)" /tmp/err && echo "SAW named holder $holder"
cat /tmp/err
release

scripts/swap-out; step swap-out $?
scripts/swap-out; step swap-out-again $?

# Found by device number, whatever the node is called.
mknod /tmp/other-node c 10 238
hold /tmp/other-node
scripts/swap-in 2>/tmp/err; step swap-in-while-open $?
grep -q "open by $holder (sleep)" /tmp/err && echo "SAW named holder $holder"
cat /tmp/err
release

# Another user of stock vhost blocks the swap.
if modprobe vhost_vsock 2>/dev/null; then
	scripts/swap-in 2>/tmp/err; step swap-in-with-vsock $?
	grep -q "vhost is also used by vhost_vsock" /tmp/err && echo "SAW named vhost_vsock"
	cat /tmp/err
	rmmod vhost_vsock
fi

scripts/swap-in --from /nonexistent 2>/tmp/err; step swap-in-bad-from $?
cat /tmp/err
scripts/swap-in; step swap-in-2 $?
scripts/swap-out; step swap-out-2 $?
