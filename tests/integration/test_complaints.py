# SPDX-License-Identifier: GPL-2.0
"""The kernel-complaint scanner (pure; runs on the host, no VM)."""

from complaints import boot_fault_before_command, find_complaints, kmemleak_reports


def test_kernel_lines_with_each_complaint_are_found():
    console = "\n".join([
        "[    1.000000] WARNING: CPU: 1 PID: 7 at vhost/dev.c:10 f+0x1/0x2",
        "[    2.000000] BUG: kernel NULL pointer dereference, address: 0",
        "[    3.000000] Oops: 0002 [#1] PREEMPT SMP NOPTI",
        "[    4.000000] INFO: task vhost-12:99 blocked for more than 120 seconds.",
        "[    5.000000] watchdog: BUG: soft lockup - CPU#0 stuck for 22s!",
        "[    6.000000] WARNING: possible circular locking dependency detected",
    ])
    assert len(find_complaints(console)) == 6


def test_slub_debug_reports_are_found():
    console = "\n".join([
        "[   77.100000] =============================================================================",
        "[   77.100001] BUG kmalloc-512 (Not tainted): Poison overwritten",
        "[   77.100002] -----------------------------------------------------------------------------",
        "[   77.100003] 0xffff888004d3a000-0xffff888004d3a03f @offset=0. First byte 0x45 instead of 0x6b",
    ])
    assert [line for _, line in find_complaints(console)] == [
        "[   77.100001] BUG kmalloc-512 (Not tainted): Poison overwritten"]


def test_command_output_and_benign_kernel_lines_are_ignored():
    console = "\n".join([
        "WARNING: this is the test program talking, not the kernel",
        "BUG: also not the kernel",
        "[    0.84] mtrr: your CPUs had inconsistent fixed MTRR settings",
        "[    9.10] vhost: loading out-of-tree module taints kernel.",
    ])
    assert find_complaints(console) == []


def test_dmesg_is_scanned_too():
    assert find_complaints("", "[ 12.5] BUG: unable to handle page fault") == [
        ("dmesg", "[ 12.5] BUG: unable to handle page fault")]


BOOT_OOPS = "[    1.543475] Oops: int3: 0000 [#1] PREEMPT SMP NOPTI"


def test_a_fault_before_the_command_started_is_a_boot_fault():
    assert boot_fault_before_command(BOOT_OOPS, command_started=False)


def test_a_fault_after_the_command_started_is_never_retried():
    assert not boot_fault_before_command(BOOT_OOPS, command_started=True)


def test_a_clean_boot_is_not_a_boot_fault():
    assert not boot_fault_before_command("[ 0.5] mtrr: inconsistent",
                                         command_started=False)


def test_debug_kernel_reports_are_complaints():
    console = "\n".join([
        "[    7.000000] BUG: KASAN: slab-out-of-bounds in vhost_vq_get_desc+0x1/0x2",
        "[    8.000000] UBSAN: array-index-out-of-bounds in vhost/vring.c:10:5",
        "[    9.000000] ODEBUG: free active (active state 0) object: 00000000 object type: hrtimer",
        "[   10.000000] list_add corruption. prev->next should be next (ffff), but was 0",
        "[   11.000000] kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)",
        "[   12.000000] WARNING: suspicious RCU usage",
        "[   13.000000] BUG: sleeping function called from invalid context at mm/slab.c:1",
    ])
    assert len(find_complaints(console)) == 7


def test_debug_kernel_banners_are_not_complaints():
    console = "\n".join([
        "[    2.026041] Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar",
        "[    2.028253] ... MAX_LOCKDEP_KEYS:        8192",
        "[    1.784091] rcu: 	RCU lockdep checking is enabled.",
        "[  102.586314] kmemleak: Kernel memory leak detector initialized (mem pool available: 14710)",
        "[  102.600000] kmemleak: Automatic memory scanning thread started",
    ])
    assert find_complaints(console) == []


def test_kmemleak_report_lines_are_complaints():
    report = "\n".join([
        "unreferenced object 0xffff888012345678 (size 64):",
        "  comm \"python3\", pid 123, jiffies 4294937296",
        "  backtrace (crc 0):",
        "unreferenced object 0xffff888012345000 (size 128):",
    ])
    assert len(kmemleak_reports(report)) == 2
    assert find_complaints("", "", report) == kmemleak_reports(report)
    assert kmemleak_reports("") == []
