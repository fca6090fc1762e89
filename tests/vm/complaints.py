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
    re.compile(r"possible circular locking|possible recursive locking|"
               r"inconsistent lock state|lockdep", re.IGNORECASE),
    re.compile(r"hung task|blocked for more than \d+ seconds"),
    re.compile(r"soft lockup|hard LOCKUP"),
    re.compile(r"\b(?:UBSAN|KASAN|kmemleak):"),
]


def complaint_in(message):
    """True if one kernel message is a complaint."""
    return any(p.search(message) for p in _PATTERNS)


def find_complaints(console, dmesg=""):
    """Return [(source, line)] for every complaint, console first; a message
    seen on the console is not repeated from dmesg."""
    found, seen = [], set()
    for source, text in (("console", console), ("dmesg", dmesg)):
        for line in text.splitlines():
            m = _KERNEL_LINE.match(line.strip())
            if m and complaint_in(m.group(1)) and line.strip() not in seen:
                seen.add(line.strip())
                found.append((source, line.strip()))
    return found


def boot_fault_before_command(console, command_started):
    """True if the kernel complained before the guest's init started CMD.

    Under multi-threaded TCG the stock Debian kernel occasionally takes a
    stray int3 while patching its own text at boot (seen once in about 150
    boots: "Oops: int3" in sched_clock_cpu, from an initcall). None of the
    project's code has run by then, so tests/vm/run boots again; a complaint
    after CMD started always counts.
    """
    return not command_started and bool(find_complaints(console))
