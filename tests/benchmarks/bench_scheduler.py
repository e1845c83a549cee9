"""The batch scheduler against an in-process gateway model: how close to the best possible time?

Run: ``.venv/bin/python tests/benchmarks/bench_scheduler.py`` (or ``make bench``). These were
wall-clock assertions in tests/test_scheduler.py; the unit tests (tests/test_batch_scheduler.py)
now check the same behaviour without a clock (a barrier for parallel lanes, a counting bucket for
the rate), and the timings live here. The gateway model is the unit tests' ``Gateway``: one change
at a time, busy for ``busy_s`` after each. Targets:

* lanes in parallel: 3 gateways x 10 changes (busy 20 ms) in under 2.5 x one lane's time;
* a busy gateway learned: 30 changes (busy 50 ms) in under 1.3 x 30 x 50 ms, and the median gap
  between accepted changes under 1.15 x the busy time;
* the rate holds for all lanes: 4 gateways x 10 changes at 100 calls/s (burst 1) take at least
  0.95 x 39 / 100 s.

Exit status 1 when a target is missed.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS.parent))
sys.path.insert(0, str(TESTS))

from test_batch_scheduler import Gateway, outcome  # noqa: E402

from vpnroute_widgets.batch.scheduler import Job, Scheduler  # noqa: E402


def timed(scheduler: Scheduler, jobs: list[Job]) -> float:
    started = time.monotonic()
    counts = scheduler.run(jobs, outcome)
    assert counts == {"ok": len(jobs)}, counts
    return time.monotonic() - started


def parallel_lanes() -> tuple[str, float, str, bool]:
    gateways = [Gateway(busy_s=0.02) for _ in range(3)]
    jobs = [Job((g, i), g, lambda _c, gw=gateways[g]: gw.change()) for g in range(3) for i in range(10)]
    seconds = timed(Scheduler(None, rate=1000, concurrency=8), jobs)
    bound = 10 * 0.02
    return "3 lanes in parallel", seconds, f"< {2.5 * bound:.2f} s (2.5 x one lane)", seconds < 2.5 * bound


def busy_gateway() -> list[tuple[str, float, str, bool]]:
    gateway = Gateway(busy_s=0.05, latency_s=0.002)
    jobs = [Job(i, "gw", lambda _c: gateway.change()) for i in range(30)]
    seconds = timed(Scheduler(None, rate=1000), jobs)
    gaps = [b - a for a, b in zip(gateway.accepted, gateway.accepted[1:], strict=False)]
    median = statistics.median(gaps)
    return [("busy gateway: makespan", seconds, f"< {30 * 0.05 * 1.3:.2f} s", seconds < 30 * 0.05 * 1.3),
            (f"busy gateway: median gap ({gateway.refused} busy answers)", median, f"< {0.05 * 1.15:.4f} s",
             median < 0.05 * 1.15)]


def rate_limit() -> tuple[str, float, str, bool]:
    gateways = [Gateway(busy_s=0.0) for _ in range(4)]
    jobs = [Job((g, i), g, lambda _c, gw=gateways[g]: gw.change()) for g in range(4) for i in range(10)]
    seconds = timed(Scheduler(None, rate=100, burst=1), jobs)
    floor = 39 / 100 * 0.95
    return "rate 100/s over 4 lanes", seconds, f">= {floor:.3f} s", seconds >= floor


def main() -> int:
    rows = [parallel_lanes(), *busy_gateway(), rate_limit()]
    width = max(len(r[0]) for r in rows)
    print(f"{'scenario':<{width}} {'seconds':>8}  {'target':<28} met")
    for name, seconds, target, met in rows:
        print(f"{name:<{width}} {seconds:>8.3f}  {target:<28} {'yes' if met else 'NO'}")
    return 0 if all(r[3] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
