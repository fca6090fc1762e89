# SPDX-License-Identifier: GPL-2.0
# Shared by load-stock and load-lwvhost (sourced, POSIX sh).

loaded() { [ -d "/sys/module/$1" ]; }

# lwvhost's modules are out of tree, so the kernel marks them 'O'.
is_ours() { loaded "$1" && grep -q O "/sys/module/$1/taint"; }

unload_vhost() {
	for m in vhost_net vhost vhost_iotlb; do
		if loaded "$m"; then
			rmmod "$m" || { echo "cannot unload $m (in use?)" >&2; return 1; }
		fi
	done
}

# devtmpfs creates the node when the misc device registers.
wait_for_node() {
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ -c /dev/vhost-net ] && return 0
		sleep 0.1
	done
	echo "/dev/vhost-net did not appear" >&2
	return 1
}
