# SPDX-License-Identifier: GPL-2.0
"""The one result reporter of the in-VM guest scripts: a KTAP stream on
stdout (tests/integration/ktap.py parses it on the host, where each check
becomes its own pytest result).

    check = Ktap()                  # prints "KTAP version 1"
    check("TX: frames intact", ok, "got 63 of 64")
    check.skip("offloads", "this kernel has none")
    check.exit()                    # prints the plan "1..N"; status 1 if any failed
                                    # (check.plan() prints it and carries on)

Checks are numbered as they are made, so the plan comes last. A failed
check's detail goes out as "# " diagnostics just before its result line.
"""

import sys


class Ktap:
    def __init__(self, out=None):
        self.out = out or sys.stdout
        self.count = 0
        self.failures = 0
        self._print("KTAP version 1")

    def _print(self, line):
        print(line, file=self.out, flush=True)

    @staticmethod
    def _name(what):
        # '#' starts a directive and a newline ends the line: neither may
        # appear in a description.
        return " ".join(str(what).replace("#", "no.").split())

    def __call__(self, what, ok, detail=""):
        self.count += 1
        ok = bool(ok)
        for line in str(detail).splitlines():
            if line.strip():
                self._print(f"# {line.strip()}")
        self._print(f"{'ok' if ok else 'not ok'} {self.count} {self._name(what)}")
        self.failures += 0 if ok else 1
        return ok

    def skip(self, what, why):
        self.count += 1
        self._print(f"ok {self.count} {self._name(what)} # SKIP {self._name(why)}")

    def plan(self):
        self._print(f"1..{self.count}")
        return self.failures

    def exit(self):
        raise SystemExit(1 if self.plan() else 0)
