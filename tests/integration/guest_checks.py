# SPDX-License-Identifier: GPL-2.0
"""Each check a guest script reports (its KTAP stream, ktap.py) becomes a
pytest result of its own, named `<test id>::<check>`: a failure names the
check, and pytest's summary and the JUnit XML that `make check` sums count
checks, not scripts. The test that ran the script stays a result too: it
fails if the stream is cut short (no plan, a crash half-way)."""

import pytest
from _pytest.reports import TestReport

from ktap import parse


class GuestChecks:
    def __init__(self, item):
        self.item = item
        self.names = set()

    def _unique(self, name):
        name = name.replace("::", ":") or "(unnamed check)"
        base, n = name, 1
        while name in self.names:
            n += 1
            name = f"{base} [{n}]"
        self.names.add(name)
        return name

    def _emit(self, name, outcome, longrepr):
        path, line, domain = self.item.location
        nodeid = f"{self.item.nodeid}::{name}"
        for when, oc, lr in (("call", outcome, longrepr), ("teardown", "passed", None)):
            rep = TestReport(nodeid, (path, line, f"{domain}::{name}"), {}, oc, lr, when)
            self.item.ihook.pytest_runtest_logreport(report=rep)

    def report(self, output):
        """Reports every check in `output` and returns the parsed streams.
        Fails the calling test if there is no stream or one is incomplete."""
        streams = parse(output)
        if not streams:
            pytest.fail("no KTAP stream in the output:\n" + output[-4000:])
        problems = []
        for s in streams:
            for r in s.results:
                name = self._unique(r.name)
                if r.skip is not None:
                    self._emit(name, "skipped", (self.item.location[0], self.item.location[1] or 0,
                                                 f"Skipped: {r.skip}"))
                elif r.ok:
                    self._emit(name, "passed", None)
                else:
                    self._emit(name, "failed", "\n".join([f"check failed: {r.name}"]
                                                         + r.diagnostics))
            problems += s.problems()
        if problems:
            pytest.fail("incomplete KTAP stream: " + "; ".join(problems)
                        + "\n--- output tail ---\n" + output[-4000:])
        return streams

    def report_run(self, res):
        """report() for a VM run whose command was the script itself: its
        exit status must be 1 if a check failed and 0 otherwise; anything
        else is the script going wrong, not a check."""
        streams = self.report(res.output)
        failed = any(not r.ok for s in streams for r in s.results)
        assert res.rc == (1 if failed else 0), res.output[-6000:]
        return streams

    @staticmethod
    def by_name(streams):
        """Every result of the streams, by check name."""
        return {r.name: r for s in streams for r in s.results}
