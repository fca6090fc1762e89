# SPDX-License-Identifier: GPL-2.0
"""Parser for the KTAP stream the in-VM guest scripts print
(tests/integration/guest/ktap.py and ktap.sh write it).

One stream per script run:

    KTAP version 1
    ok 1 TX: 64 frames out of the tap, in order, intact
    # got 63 used entries          <- diagnostics belong to the next result
    not ok 2 TX: 64 used entries
    ok 3 macvtap offloads # SKIP this kernel has no IFF_VNET_HDR offloads
    1..3

The plan comes last: the scripts find their checks as they run (TAP allows
a trailing plan). Lines that are none of these (the scripts' other output,
their `TAG {json}` figures) are not part of the stream and are ignored.
Pure: text in, results out.
"""

import re
from dataclasses import dataclass, field

VERSION_RE = re.compile(r"^KTAP version 1\s*$")
RESULT_RE = re.compile(r"^(not ok|ok) (\d+)(?: -)? ?([^#]*?)\s*(?:#\s*(SKIP|TODO)\b\s*(.*?))?\s*$")
PLAN_RE = re.compile(r"^1\.\.(\d+)\s*$")
DIAG_RE = re.compile(r"^# ?(.*)$")


@dataclass
class Result:
    number: int
    ok: bool
    name: str
    skip: str | None = None      # the reason, for "# SKIP"
    diagnostics: list = field(default_factory=list)


@dataclass
class Stream:
    results: list = field(default_factory=list)
    plan: int | None = None

    def problems(self):
        """Why this stream is not a complete run, or [] if it is."""
        out = []
        for i, r in enumerate(self.results, 1):
            if r.number != i:
                out.append(f"result {i} is numbered {r.number}")
                break
        last = f"after result {len(self.results)} ({self.results[-1].name!r})" \
            if self.results else "before its first result"
        if self.plan is None:
            out.append(f"no plan line: the script stopped {last}")
        elif self.plan != len(self.results):
            out.append(f"plan 1..{self.plan} but {len(self.results)} results")
        return out


def parse(text):
    """Every KTAP stream in `text`, in order."""
    streams, cur, pending = [], None, []
    for line in text.splitlines():
        if VERSION_RE.match(line):
            cur = Stream()
            streams.append(cur)
            pending = []
            continue
        if cur is None or cur.plan is not None:
            continue
        m = RESULT_RE.match(line)
        if m:
            verdict, number, name, directive, reason = m.groups()
            cur.results.append(Result(int(number), verdict == "ok", name,
                                      reason if directive == "SKIP" else None, pending))
            pending = []
            continue
        m = PLAN_RE.match(line)
        if m:
            cur.plan = int(m.group(1))
            continue
        m = DIAG_RE.match(line)
        if m:
            pending.append(m.group(1))
    return streams
