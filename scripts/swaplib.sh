# SPDX-License-Identifier: GPL-2.0
# Shared by scripts/swap-in and scripts/swap-out (sourced, bash).
# $prog must be set by the caller.

kver=$(uname -r)

die() { echo "$prog: $*" >&2; exit 1; }
say() { echo "$prog: $*"; }

need_root() {
	[ "$(id -u)" -eq 0 ] || die "must run as root (it unloads and loads kernel modules)"
}

loaded() { [ -d "/sys/module/$1" ]; }

# srcversion of a loaded module, or of a module file.
loaded_src() { cat "/sys/module/$1/srcversion" 2>/dev/null || true; }
file_src() { modinfo -F srcversion "$1" 2>/dev/null || true; }

# The module file NAME.ko[.xz|.zst|.gz] in DIR, if there is one.
module_in() {
	local dir=$1 name=$2 f
	for f in "$dir/$name.ko" "$dir/$name.ko.xz" "$dir/$name.ko.zst" "$dir/$name.ko.gz"; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

stock_dir=/lib/modules/$kver/kernel/drivers/vhost

# "PID (comm)" for every process holding /dev/vhost-net open, matched by
# device number (misc 10:238, printed in hex by stat) so a renamed node or
# one in another mount namespace is found too.
vhost_net_users() {
	{ find /proc/[0-9]*/fd -mindepth 1 -maxdepth 1 \
		-exec stat -L -c '%t:%T:%F|%n' {} + 2>/dev/null || true; } |
		sed -n 's#^a:ee:character special file|/proc/\([0-9]*\)/fd/.*#\1#p' |
		sort -un | while read -r pid; do
			printf '%s (%s) ' "$pid" "$(cat "/proc/$pid/comm" 2>/dev/null || echo '?')"
		done
}

# Refuse to touch the modules while anything uses them.
check_idle() {
	local users others m refcnt
	users=$(vhost_net_users)
	if [ -n "$users" ]; then
		die "refusing: /dev/vhost-net (char 10:238) is open by ${users% }; stop those VMs (or close their vhost-net fds) first"
	fi
	if loaded vhost; then
		others=""
		for m in /sys/module/vhost/holders/*; do
			[ -e "$m" ] || continue
			m=$(basename "$m")
			[ "$m" = vhost_net ] || others="$others $m"
		done
		[ -z "$others" ] ||
			die "refusing: vhost is also used by${others} (unload with: rmmod${others})"
	fi
	if loaded vhost_net; then
		refcnt=$(cat /sys/module/vhost_net/refcnt 2>/dev/null || echo 0)
		[ "$refcnt" = 0 ] ||
			die "refusing: vhost_net is in use (refcnt $refcnt) though no process has /dev/vhost-net open"
	fi
}

# Both modules must be built for the running kernel.
check_vermagic() {
	local f=$1 v
	v=$(modinfo -F vermagic "$f" 2>/dev/null | awk '{print $1}')
	[ "$v" = "$kver" ] || die "$f is built for kernel '${v:-?}', running $kver"
}

unload_vhost() {
	local m
	for m in vhost_net vhost; do
		if loaded "$m"; then
			rmmod "$m" || return 1
		fi
	done
}

# The stock pair, by path: after `make install` or DKMS, modprobe would pick
# lwvhost's copies in updates/.
load_stock() {
	local vhost net
	vhost=$(module_in "$stock_dir" vhost) && net=$(module_in "$stock_dir" vhost_net) ||
		{ echo "$prog: stock vhost modules not found in $stock_dir" >&2; return 1; }
	modprobe tun && modprobe tap && modprobe vhost_iotlb &&
		insmod "$vhost" && insmod "$net"
}

# devtmpfs/udev create the node when the misc device registers.
wait_for_node() {
	local i
	for i in $(seq 50); do
		[ -c /dev/vhost-net ] && return 0
		sleep 0.1
	done
	echo "$prog: warning: /dev/vhost-net did not appear (is devtmpfs/udev running?)" >&2
}
