"""How long planning takes, offline (no client): 500, 2,000 and 10,000 rows from a DataFrame.

Run: ``.venv/bin/python tests/benchmarks/bench_plan.py`` (or ``make bench``). Target: 2,000 rows
planned in under 10 s on a shared 2-core machine (this used to be an assertion in
tests/test_batch.py; a unit test checks only that every row comes out ``ready``). Exit status 1
when the target is missed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import pandas as pd  # noqa: E402

import vpnroute_widgets as vw  # noqa: E402

DEFAULTS = {"RegionId": "cn-hangzhou", "VpnGatewayId": "vpn-abcd1234"}
TARGET_ROWS, TARGET_S = 2_000, 10.0


def frame(rows: int) -> pd.DataFrame:
    return pd.DataFrame({"RouteDest": [f"10.{i // 256 % 256}.{i % 256}.0/24" if i < 65536 else "10.0.0.0/24"
                                       for i in range(rows)],
                         "NextHop": "vco-hop00001", "Weight": 0, "PublishVpc": True})


def measure(rows: int) -> tuple[float, int]:
    data = frame(rows)
    started = time.perf_counter()
    batch = vw.plan_batch(data, defaults=DEFAULTS)
    return time.perf_counter() - started, batch.counts().get("ready", 0)


def main() -> int:
    print(f"{'rows':>7} {'ready':>7} {'seconds':>8} {'rows/s':>9}")
    missed = False
    for rows in (500, TARGET_ROWS, 10_000):
        seconds, ready = measure(rows)
        print(f"{rows:>7} {ready:>7} {seconds:>8.2f} {rows / seconds:>9.0f}")
        if rows == TARGET_ROWS and seconds >= TARGET_S:
            missed = True
    print(f"target: {TARGET_ROWS} rows in under {TARGET_S:g} s: {'MISSED' if missed else 'met'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
