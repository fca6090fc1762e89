# SPDX-License-Identifier: GPL-2.0
"""Recognise kernel complaints in a console log or dmesg.

Any match fails a VM test: the project's rule is that a WARNING, BUG, Oops,
lockdep report, hung task or soft lockup is a bug even if the command passed.
"""

import re

# Kernel log lines carry a "[  12.345678]" timestamp (printk.time=1); only
# those are scanned on the console, so a command that merely prints the word
# "WARNING" is not mistaken for the kernel.
_KERNEL_LINE = re.compile(r"^(?:<\d+>)?\[\s*\d+\.\d+\]\s?(.*)$")

_PATTERNS = [
    re.compile(r"\bWARNING:"),
    re.compile(r"\bBUG:"),
    re.compile(r"\bOops\b"),
    re.compile(r"general protection fault"),
    re.compile(r"Kernel panic"),
    # lockdep's reports (the debug kernel's start-up banner also names
    # lockdep, so the word alone is not a complaint).
    re.compile(r"possible circular locking|possible recursive locking|"
               r"inconsistent lock state|lock held when returning|"
               r"bad unlock balance|held lock freed|lockdep is turned off",
               re.IGNORECASE),
    re.compile(r"hung task|blocked for more than \d+ seconds"),
    re.compile(r"soft lockup|hard LOCKUP"),
    re.compile(r"\b(?:UBSAN|KASAN):"),
    # kmemleak found leaks, or gave up (then it could no longer find any).
    re.compile(r"kmemleak: \d+ new suspected memory leak|"
               r"kmemleak: .*(?:disabled|[Cc]annot|failed)|"
               r"memory leak detector disabled"),
    # The debug kernel's checkers (tests/vm/debug-kernel.config): most
    # reports start with BUG: or WARNING:, these do not.
    re.compile(r"\bODEBUG:"),
    re.compile(r"list_(?:add|del) corruption"),
    re.compile(r"suspicious RCU usage"),
    re.compile(r"unreferenced object 0x"),
    # SLUB's own checks (slub_debug): "BUG kmalloc-64 (Not tainted):
    # Poison overwritten", a write into a freed or neighbouring object.
    re.compile(r"\bBUG [\w.:-]+ \([^)]*\): "),
]


def complaint_in(message):
    """True if one kernel message is a complaint."""
    return any(p.search(message) for p in _PATTERNS)


def kmemleak_reports(text):
    """[(source, line)] for each leak in /sys/kernel/debug/kmemleak's text."""
    return [("kmemleak", line.strip()) for line in text.splitlines()
            if line.startswith("unreferenced object")]


def find_complaints(console, dmesg="", kmemleak=""):
    """Return [(source, line)] for every complaint, console first; a message
    seen on the console is not repeated from dmesg. kmemleak is the text of
    the debug kernel's leak report after the command, if any."""
    found, seen = [], set()
    for source, text in (("console", console), ("dmesg", dmesg)):
        for line in text.splitlines():
            m = _KERNEL_LINE.match(line.strip())
            if m and complaint_in(m.group(1)) and line.strip() not in seen:
                seen.add(line.strip())
                found.append((source, line.strip()))
    return found + kmemleak_reports(kmemleak)


def boot_fault_before_command(console, command_started):
    """True if the kernel complained before the guest's init started CMD.

    Under multi-threaded TCG the stock Debian kernel occasionally takes a
    stray int3 while patching its own text at boot (seen once in about 150
    boots: "Oops: int3" in sched_clock_cpu, from an initcall). None of the
    project's code has run by then, so tests/vm/run boots again; a complaint
    after CMD started always counts.
    """
    return not command_started and bool(find_complaints(console))
