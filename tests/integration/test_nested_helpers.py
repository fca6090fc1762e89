# SPDX-License-Identifier: GPL-2.0
"""Helpers of the nested-guest harness (pure; run on the host, no VM)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "qemu"))
from hostnet import parse_tcp_timeouts  # noqa: E402
from nested import server_intervals, summarise_trace  # noqa: E402


def test_trace_lines_are_counted_per_event_and_second(tmp_path):
    log = tmp_path / "trace.log"
    log.write_text("\n".join([
        "4242@1796581427.799113:vhost_iotlb_miss iova 0x1000",
        "4242@1796581427.900000:vhost_iotlb_miss iova 0x2000",
        "4243@1796581428.000001:vhost_iotlb_miss iova 0x3000",
        "4243@1796581428.000002:vtd_iotlb_page_hit sid 0x8",
        "not a trace line",
    ]) + "\n")
    got = summarise_trace(log)
    assert got["counts"] == {"vhost_iotlb_miss": 3, "vtd_iotlb_page_hit": 1}
    assert got["per_second"]["vhost_iotlb_miss"] == {"1796581427": 2,
                                                     "1796581428": 1}


def test_no_trace_file_is_an_empty_summary(tmp_path):
    assert summarise_trace(tmp_path / "absent.log") == {"counts": {},
                                                        "per_second": {}}


def test_tcp_timeouts_come_from_the_tcpext_pair_of_lines():
    netstat = ("TcpExt: SyncookiesSent TCPTimeouts TCPLossProbes\n"
               "TcpExt: 0 17 3\n"
               "IpExt: InNoRoutes\n"
               "IpExt: 0\n")
    assert parse_tcp_timeouts(netstat) == 17
    assert parse_tcp_timeouts("IpExt: InNoRoutes\nIpExt: 0\n") == 0


def test_server_intervals_stop_at_the_summary():
    text = "\n".join([
        "Accepted connection from 10.78.0.1, port 35520",
        "[  5] local 10.78.0.2 port 5201 connected to 10.78.0.1 port 35534",
        "[ ID] Interval           Transfer     Bitrate",
        "[  5]   0.00-1.00   sec  1.25 MBytes  10.5 Mbits/sec",
        "[  5]   1.00-2.00   sec  0.00 Bytes  0.00 bits/sec",
        "[  5]   2.00-3.00   sec   640 KBytes   524 Kbits/sec",
        "- - - - - - - - - - - - - - - - - - - - - - - - -",
        "[  5]   0.00-3.00   sec  1.87 MBytes  5.2 Mbits/sec  receiver",
    ])
    assert server_intervals(text) == [10.5, 0.0, 0.5]
    assert server_intervals("") == []
