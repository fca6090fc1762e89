#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the VM: boot-time view of a host where `make dkms-install` ran.
#   installed_modules.sh LAYER
# LAYER is what DKMS and depmod wrote into /lib/modules/<release> on the
# host (tests/sandbox's upper layer, exported by test_dkms.py); it is
# stacked read-only over the real directory. Then: opening /dev/vhost-net
# must autoload lwvhost from updates/dkms/, swap-out must bring stock back
# although modprobe prefers updates/, and swap-in --from the installed
# (on 6.12 compressed) copy must work. Prints STEP/RESOLVED/LOADED lines.
set -u
k=$(uname -r)
layer=$1
grep -qw overlay /proc/filesystems || modprobe overlay
mount -t overlay -o "lowerdir=$layer:/lib/modules/$k" lwvhost-layer "/lib/modules/$k"
step() { echo "STEP $1 rc=$2"; }
fsrc() { modinfo -F srcversion "$1" 2>/dev/null; }
stock=$(fsrc /lib/modules/"$k"/kernel/drivers/vhost/vhost_net.ko*)
installed=$(modinfo -n vhost_net)
loaded() {
	local s
	s=$(cat /sys/module/vhost_net/srcversion 2>/dev/null)
	if [ -z "$s" ]; then echo none
	elif [ "$s" = "$stock" ]; then echo stock
	elif [ "$s" = "$(fsrc "$installed")" ] && grep -q O /sys/module/vhost_net/taint; then
		echo lwvhost
	else echo "other:$s"; fi
}
echo "RESOLVED $installed"
exec 3<>/dev/vhost-net; step autoload $?
exec 3>&-
echo "LOADED autoload $(loaded)"
echo "VERSION $(cat /sys/module/vhost_net/version)"
python3 tests/integration/guest/vhost_owner.py >/dev/null; step owner-rules $?
scripts/swap-out; step swap-out $?
echo "LOADED swap-out $(loaded)"
scripts/swap-in --from "$(dirname "$installed")"; step swap-in $?
echo "LOADED swap-in $(loaded)"
scripts/swap-out >/dev/null; step swap-out-2 $?
