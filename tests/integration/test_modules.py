# SPDX-License-Identifier: GPL-2.0
"""The modules load in place of stock, serve the owner rules, and unload
leaving stock loadable again, on every kernel."""

SWAP = """
set -e
# Opening the static node autoloads stock vhost_net, as on a Debian host.
exec 3<>/dev/vhost-net && exec 3>&-
[ -d /sys/module/vhost_net ] && echo "stock autoloaded"
tests/vm/load-stock
echo "stock loaded: $(cat /sys/module/vhost_net/taint)."
rmmod vhost_net vhost vhost_iotlb
tests/vm/load-lwvhost
echo "lwvhost loaded: $(cat /sys/module/vhost_net/taint)"
python3 tests/integration/guest/vhost_owner.py
rmmod vhost_net vhost
[ ! -e /sys/class/misc/vhost-net ] && echo "device unregistered"
tests/vm/load-stock
echo "stock reloaded"
"""


def test_swap_stock_for_lwvhost_and_back(vm, checks):
    res = vm.run(SWAP, timeout=120)
    streams = checks.report(res.output)  # vhost_owner.py's checks
    assert res.rc == 0, res.output
    out = res.output
    assert "stock autoloaded" in out
    assert "stock loaded: ." in out  # untainted in-tree module
    assert "lwvhost loaded: OE" in out
    ran = checks.by_name(streams)
    for check in ("char device 10:238", "misc device registered as 10:238",
                  "SET_OWNER by opener",
                  "second SET_OWNER refused with EBUSY",
                  "non-owner process refused with EPERM"):
        assert check in ran, res.output
    assert "device unregistered" in out
    assert "stock reloaded" in out


def test_runner_reports_command_status(vm):
    res = vm.run("uname -r; exit 7", timeout=60)
    assert res.rc == 7
    assert res.output.strip().startswith(vm.kernel + ".")


def test_runner_fails_on_kernel_complaint(vm):
    # /dev/kmsg writes land in the kernel log exactly like a real splat's
    # first line, so this proves the scan end to end without a buggy module.
    res = vm.run('echo "WARNING: CPU: 0 PID: 1 at injected-by-test" > /dev/kmsg',
                 timeout=60, check_kernel=False)
    assert res.rc == 3
