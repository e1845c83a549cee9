"""Benchmark ResponseLog against the floors pandas sets on the same records, and a naive log.

Run:  .venv/bin/python tests/benchmarks/bench_log.py [--sizes 1000 10000 100000] [--repeat 3]

For each size it times, on the same client-shaped records (one in five an error, some with
cells that need formula escaping):
  append            filling a fresh ResponseLog, one append per record (per-append cost in us)
  to_dataframe      vs the floor: a bare ``pd.DataFrame.from_records(log.records())``
  to_csv            with formula escaping, into memory, vs the floor: a bare ``df.to_csv`` of the
                    log's own frame; and to a file (atomic write) for reference
  naive concat      a log that grows a DataFrame with ``pd.concat`` per row, sized down so it
                    finishes (per-append cost, and how many rows were timed)
Targets: to_dataframe <= 2x its floor, to_csv <= 1.5x its floor, per-append cost flat.
This is a script, not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from vpnroute_widgets.log import ResponseLog  # noqa: E402
from vpnroute_widgets.log.records import record_from_request  # noqa: E402

NAIVE_CAP = 2_000
START = datetime(2024, 5, 1, tzinfo=UTC)


def client_record(i: int) -> dict:
    """A record shaped like the client's (record_from_request), some errors, some risky text."""
    params = {"RegionId": "cn-hangzhou", "VpnGatewayId": f"vpn-bp1gw{i % 20:04d}",
              "RouteDest": f"10.{i % 250}.{i % 7}.0/24",
              "NextHop": "vco-bp15oes1py4i66rmd0000", "Weight": "100" if i % 2 else "0", "PublishVpc": "true",
              "ClientToken": f"02fb3da4-130e-11e9-8e44-{i:012d}",
              "Description": f"=HYPERLINK(\"x\",{i})" if i % 50 == 0 else f"route {i}"}
    fields = {"timestamp": START + timedelta(milliseconds=i), "latency_ms": 12.5 + i % 100, "attempts": 1 + i % 3,
              "endpoint": "vpc.cn-hangzhou.aliyuncs.com", "batch_id": f"batch-{i // 1000}", "row": i}
    if i % 5 == 0:
        fields.update(outcome="error", http_status=400, error_code="Throttling.User",
                      error_message="-Throttling.User: Request was denied due to user flow control.",
                      request_id=f"5BE6AEA4-347F-46A9-9808-{i:012d}")
    else:
        fields.update(outcome="ok", http_status=200, request_id=f"5BE6AEA4-347F-46A9-9808-{i:012d}",
                      state="published", create_time=1_700_000_000_000 + i, vpn_instance_id=f"vpn-bp1gw{i % 20:04d}")
    return record_from_request("CreateVpnRouteEntry", params, **fields)


def best_of(repeat: int, action: Callable[[], object]) -> float:
    """The fastest of ``repeat`` runs, in seconds (the least disturbed by the machine)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def fill(records: list[dict]) -> ResponseLog:
    log = ResponseLog()
    for record in records:
        log.append(record)
    return log


def naive_concat(records: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame()
    for record in records:
        frame = pd.concat([frame, pd.DataFrame([record])], ignore_index=True)
    return frame


def measure(n: int, repeat: int, directory: str) -> dict[str, float]:
    records = [client_record(i) for i in range(n)]
    append_s = best_of(repeat, lambda: fill(records))
    log = fill(records)
    plain = log.records()
    frame = log.to_dataframe()
    path = os.path.join(directory, f"bench-{n}.csv")
    naive_n = min(n, NAIVE_CAP)
    return {
        "n": n,
        "append_us": append_s / n * 1e6,
        "from_records_ms": best_of(repeat, lambda: pd.DataFrame.from_records(plain)) * 1e3,
        "to_dataframe_ms": best_of(repeat, log.to_dataframe) * 1e3,
        "bare_to_csv_ms": best_of(repeat, lambda: frame.to_csv(io.StringIO(), index=False)) * 1e3,
        "to_csv_ms": best_of(repeat, lambda: log.to_csv(io.StringIO())) * 1e3,
        "to_csv_file_ms": best_of(repeat, lambda: log.to_csv(path)) * 1e3,
        "naive_n": naive_n,
        "naive_append_us": best_of(1, lambda: naive_concat(records[:naive_n])) / naive_n * 1e6,
    }


def table(rows: list[dict[str, float]]) -> str:
    head = ("records", "append us/rec", "naive concat us/rec (rows)", "from_records ms", "to_dataframe ms",
            "ratio (<=2)", "bare to_csv ms", "to_csv ms", "ratio (<=1.5)", "to_csv file ms")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = (f"{r['n']:,}", f"{r['append_us']:.2f}", f"{r['naive_append_us']:,.0f} ({r['naive_n']:,})",
                 f"{r['from_records_ms']:.1f}", f"{r['to_dataframe_ms']:.1f}",
                 f"{r['to_dataframe_ms'] / r['from_records_ms']:.2f}x", f"{r['bare_to_csv_ms']:.1f}",
                 f"{r['to_csv_ms']:.1f}", f"{r['to_csv_ms'] / r['bare_to_csv_ms']:.2f}x", f"{r['to_csv_file_ms']:.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    flat = rows[-1]["append_us"] / rows[0]["append_us"]
    lines.append(f"\nper-append cost, largest / smallest size: {flat:.2f}x (flat is about 1x); "
                 f"naive concat vs append at {rows[0]['naive_n']:,} rows: "
                 f"{rows[0]['naive_append_us'] / rows[0]['append_us']:,.0f}x")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"pandas {pd.__version__}, python {sys.version.split()[0]}, best of {args.repeat}")
    with tempfile.TemporaryDirectory() as directory:
        rows = [measure(n, args.repeat, directory) for n in args.sizes]
    print(table(rows))


if __name__ == "__main__":
    main()
