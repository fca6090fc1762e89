# SPDX-License-Identifier: GPL-2.0
"""tools/bench/guest-report's statistics, on the host (no VM)."""

import importlib.machinery
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_loader = importlib.machinery.SourceFileLoader(
    "guest_report", str(ROOT / "tools" / "bench" / "guest-report"))
_spec = importlib.util.spec_from_loader("guest_report", _loader)
report = importlib.util.module_from_spec(_spec)
_loader.exec_module(report)


def test_sets_without_spread_give_their_ratio_exactly():
    assert report.median_ratio_interval([2.0, 2.0, 2.0], [1.0, 1.0]) == (2.0, 2.0)


def test_too_few_runs_give_no_interval():
    assert report.median_ratio_interval([1.0], [1.0, 2.0]) is None
    assert report.median_ratio_interval([1.0, 2.0], [3.0]) is None


def test_a_zero_median_drawn_for_the_base_gives_no_interval():
    assert report.median_ratio_interval([1.0, 2.0], [0.0, 0.0, 0.0]) is None


def test_the_interval_holds_the_point_ratio_and_widens_with_noise():
    a = [40.0, 55.0, 61.0, 72.0, 86.0]
    b = [39.0, 51.0, 55.0, 72.0, 78.0]
    lo, hi = report.median_ratio_interval(a, b)
    point = 61.0 / 55.0
    assert lo <= point <= hi
    # Five runs with this spread cannot tell a 5 % difference apart.
    assert lo < 0.95 and hi > 1.05
    tight = report.median_ratio_interval([60.0, 61.0, 62.0] * 3, [54.0, 55.0, 56.0] * 3)
    assert hi - lo > 2 * (tight[1] - tight[0])


def test_the_interval_is_reproducible():
    a, b = [1.0, 3.0, 2.0, 5.0], [2.0, 2.5, 1.0]
    assert report.median_ratio_interval(a, b) == report.median_ratio_interval(a, b)


def rows(config, *mbits):
    return [{"ok": "1", "workload": "tcp_to_guest", "config": config, "mbit_s": str(m)}
            for m in mbits]


def test_the_spread_table_needs_two_runs_a_side():
    one = rows("stock", 50) + rows("lwvhost-0", 55)
    assert report.spread(one, ["stock", "lwvhost-0"], "tcp_to_guest") is None
    two = rows("stock", 50, 60) + rows("lwvhost-0", 55, 65)
    table = report.spread(two, ["stock", "lwvhost-0"], "tcp_to_guest")
    assert "| lwvhost-0 | 1.09 | " in table and "| 2 vs 2 |" in table


def test_failed_runs_stay_out_of_the_spread():
    failed = [dict(r, ok="0") for r in rows("lwvhost-0", 5, 5)]
    table = report.spread(rows("stock", 50, 60) + rows("lwvhost-0", 55, 65) + failed,
                          ["stock", "lwvhost-0"], "tcp_to_guest")
    assert "| 2 vs 2 |" in table
