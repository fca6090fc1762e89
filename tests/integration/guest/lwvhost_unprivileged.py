#!/usr/bin/env python3
"""Run without CAP_NET_ADMIN (capsh --drop=cap_net_admin): every write to
lwvhost device DEV must be refused, reads must work. Prints one JSON line."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lwvhost_genl import Genl, GenlError  # noqa: E402

dev = int(sys.argv[1])
out = {}
try:
    with open(f"/proc/lwvhost/{dev}/tx_poll_interval_us", "w") as f:
        f.write("5")
    out["procfs_write"] = 0
except OSError as e:
    out["procfs_write"] = e.errno
genl = Genl()
try:
    genl.set(dev, {"tx": {"poll_interval_us": 5}})
    out["genl_set"] = 0
except GenlError as e:
    out["genl_set"] = e.errno
out["genl_get_ok"] = genl.get(dev)["id"] == dev
with open(f"/proc/lwvhost/{dev}/stats") as f:
    out["stats_readable"] = "tx_packets" in f.read()
print("UNPRIV " + json.dumps(out))
