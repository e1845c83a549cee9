"""How LogView scales with the log: widget state size and refresh time at 1k, 10k and 100k records.

Run: ``.venv/bin/python tests/benchmarks/bench_logview.py`` (or ``make bench``). The point it
shows: state and refresh time stay flat, because only the last N rows are rendered and the
counts come from the log's running counters.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import vpnroute_widgets as vw  # noqa: E402
from vpnroute_widgets.widgets.common import iter_widgets  # noqa: E402
from vpnroute_widgets.widgets.logview import LogView  # noqa: E402


def record(i: int) -> dict:
    failed = i % 10 == 0
    return {"operation": "CreateVpnRouteEntry", "region_id": "cn-hangzhou", "vpn_gateway_id": "vpn-abcd1234",
            "route_dest": f"10.{i // 256 % 256}.{i % 256}.0/24", "next_hop": "vco-abcd1234", "weight": 100,
            "outcome": "error" if failed else "ok", "error_code": "Resource.QuotaFull" if failed else None,
            "http_status": 400 if failed else 200, "request_id": f"REQ-{i:08d}", "latency_ms": 12.5}


def state_bytes(widget) -> int:
    return sum(len(json.dumps(w.get_state(), default=str)) for w in iter_widgets(widget))


def measure(n: int, rows: int = 20, repeats: int = 20) -> tuple[int, float, float]:
    log = vw.ResponseLog(record(i) for i in range(n))
    view = LogView(log, rows=rows)
    started = time.perf_counter()
    for _ in range(repeats):
        view.refresh()
    plain = (time.perf_counter() - started) / repeats
    view.outcome_filter.value = "error"
    started = time.perf_counter()
    for _ in range(repeats):
        view.refresh()
    filtered = (time.perf_counter() - started) / repeats
    view.outcome_filter.value = "(all)"
    size = state_bytes(view)
    view.close()
    return size, plain, filtered


def main() -> None:
    print(f"{'records':>8} {'state bytes':>12} {'refresh ms':>11} {'filtered ms':>12}")
    for n in (1_000, 10_000, 100_000):
        size, plain, filtered = measure(n)
        print(f"{n:>8} {size:>12,} {plain * 1000:>11.2f} {filtered * 1000:>12.2f}")


if __name__ == "__main__":
    main()
