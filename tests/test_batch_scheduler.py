"""The scheduler on its own: lanes, busy gateways, the shared token bucket, retries, cancel, progress.

Jobs here call a small in-process gateway model (one change at a time, busy for a while after
each), not the client: the scheduler only sees ``send(client)`` callables and their errors.
The batch tests run the same scheduler against the sandbox over HTTP. The token bucket itself is
tested in test_retry.py. Nothing here asserts how long a run took: parallelism is shown by a
barrier only parallel lanes can pass, pacing by counting tokens; how close the scheduler comes to
the best possible time is measured by tests/benchmarks/bench_scheduler.py.
"""

from __future__ import annotations

import threading
import time

from vpnroute_widgets.batch.scheduler import Job, Scheduler
from vpnroute_widgets.errors import ApiError, TransportError


class Gateway:
    """One change at a time: busy for ``busy_s`` after each accepted change; records overlap."""

    def __init__(self, busy_s: float = 0.01, latency_s: float = 0.001):
        self.busy_s, self.latency_s = busy_s, latency_s
        self.free_at = 0.0
        self.lock = threading.Lock()
        self.accepted: list[float] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.refused = 0

    def change(self, fail: Exception | None = None):
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(self.latency_s)
            with self.lock:
                if fail is not None:
                    raise fail
                now = time.monotonic()
                if now < self.free_at:
                    self.refused += 1
                    raise ApiError("VpnGateway.Configuring", "busy", http_status=400)
                self.free_at = now + self.busy_s
                self.accepted.append(now)
                return len(self.accepted)
        finally:
            with self.lock:
                self.in_flight -= 1


def outcome(job, value, error):
    return "cancelled" if job.cancelled else "ok" if error is None else "error"


def test_one_change_in_flight_per_gateway_and_gateways_in_parallel():
    gateways = [Gateway(busy_s=0.02) for _ in range(3)]
    together = threading.Barrier(3, timeout=30)  # passed only when all three lanes have a call in flight

    def first_then_change(gw):
        if not gw.accepted:
            together.wait()  # a BrokenBarrierError (the row's error) if the lanes ran one after another
        return gw.change()

    jobs = [Job((g, i), g, lambda _c, gw=gateways[g]: first_then_change(gw)) for g in range(3) for i in range(10)]
    scheduler = Scheduler(None, rate=1000, concurrency=8)
    counts = scheduler.run(jobs, outcome)
    assert counts == {"ok": 30}  # gateways ran side by side
    assert all(gw.max_in_flight == 1 and len(gw.accepted) == 10 for gw in gateways)


def test_busy_gateway_is_polled_and_learned():
    """The makespan and the median gap between changes (close to the busy time) are measured by
    tests/benchmarks/bench_scheduler.py; here: every change lands, and the lane learns (no poll storm)."""
    gateway = Gateway(busy_s=0.05, latency_s=0.002)
    jobs = [Job(i, "gw", lambda _c: gateway.change()) for i in range(30)]
    scheduler = Scheduler(None, rate=1000)
    assert scheduler.run(jobs, outcome) == {"ok": 30}
    assert gateway.refused < 30  # learned: not a poll storm
    assert scheduler.calls == 30 + gateway.refused  # every busy answer cost one call, no more


class CountingBucket:
    """Stands in for the scheduler's token bucket: grants every token and counts who asked."""

    def __init__(self, rate: float):
        self.rate = self.target = rate
        self.taken = 0

    def take(self, now: float | None = None) -> float:
        self.taken += 1
        return 0.0

    def throttled(self) -> None:
        self.rate /= 2

    def recovered(self) -> None:
        self.rate = self.target


def test_rate_limit_holds_for_all_lanes():
    """Every attempt of every lane spends a token of the one bucket (test_retry.py: the bucket paces)."""
    gateways = [Gateway(busy_s=0.0) for _ in range(4)]
    jobs = [Job((g, i), g, lambda _c, gw=gateways[g]: gw.change()) for g in range(4) for i in range(10)]
    scheduler = Scheduler(None, rate=100, burst=1)
    assert scheduler.bucket.rate == 100 and scheduler.bucket.burst == 1
    scheduler.bucket = bucket = CountingBucket(100)
    assert scheduler.run(jobs, outcome) == {"ok": 40}
    assert bucket.taken == scheduler.calls == 40


def test_retryable_errors_retry_and_permanent_ones_end_the_row():
    gateway = Gateway(busy_s=0.0)
    tries = {"flaky": 0}

    def flaky(_c):
        tries["flaky"] += 1
        if tries["flaky"] < 3:
            raise ApiError("ServiceUnavailable", "try later", http_status=503)
        return gateway.change()

    def dropped(_c, seen=[]):  # noqa: B006 - counts calls
        seen.append(1)
        if len(seen) == 1:
            raise TransportError("connection dropped", unknown_outcome=True)
        return "ok"

    def denied(_c):
        raise ApiError("Forbidden.SubUser", "no", http_status=403)

    def always_5xx(_c):
        raise ApiError("InternalError", "boom", http_status=500)

    seen: dict = {}

    def record(job, value, error):
        seen[job.key] = (job.attempts, job.unknown, getattr(error, "code", None))
        return outcome(job, value, error)

    jobs = [Job("flaky", "a", flaky), Job("dropped", "b", dropped), Job("denied", "c", denied),
            Job("5xx", "d", always_5xx)]
    counts = Scheduler(None, rate=1000, max_failures=4).run(jobs, record)
    assert counts == {"ok": 2, "error": 2}
    assert seen["flaky"] == (3, False, None)
    assert seen["dropped"] == (2, True, None)
    assert seen["denied"] == (1, False, "Forbidden.SubUser")
    assert seen["5xx"] == (4, False, "InternalError")


def test_throttling_slows_everyone_then_recovers():
    calls = []

    def throttled_once(_c):
        calls.append(_c)
        if len(calls) == 1:
            raise ApiError("Throttling.User", "slow down", http_status=400)
        return "ok"

    scheduler = Scheduler(None, rate=200)
    assert scheduler.run([Job(i, i % 3, throttled_once) for i in range(6)], outcome) == {"ok": 6}
    assert scheduler.bucket.rate <= 200


def test_cancel_stops_scheduling_lets_in_flight_finish_and_every_row_has_one_outcome():
    gateway = Gateway(busy_s=0.05)
    cancel = threading.Event()
    results: dict = {}

    calls_at_cancel = []

    def record(job, value, error):
        results.setdefault(job.key, []).append(outcome(job, value, error))
        if len(results) == 3:
            calls_at_cancel.append(scheduler.calls)  # one lane: nothing is in flight while a row is judged
            cancel.set()
        return results[job.key][-1]

    jobs = [Job(i, "gw", lambda _c: gateway.change()) for i in range(50)]
    scheduler = Scheduler(None, rate=1000, cancel=cancel)
    counts = scheduler.run(jobs, record)
    assert sorted(results) == list(range(50)) and all(len(v) == 1 for v in results.values())
    assert counts["ok"] == 3 and counts["cancelled"] == 47
    assert calls_at_cancel == [scheduler.calls] and len(gateway.accepted) == 3  # nothing was sent after cancel


def test_progress_reports_counts_rate_and_time_left():
    gateway = Gateway(busy_s=0.01)
    seen = []
    jobs = [Job(i, "gw", lambda _c: gateway.change()) for i in range(20)]
    Scheduler(None, rate=1000, progress=seen.append, progress_interval=0.0).run(jobs, outcome,
                                                                               preset={"skipped": 5})
    first, last = seen[0], seen[-1]
    assert (first.done, first.total) == (5, 25)
    assert last.finished and (last.done, last.ok, last.errors) == (25, 20, 0) and last.eta_s is None
    assert last.rate > 0 and last.counts == {"skipped": 5, "ok": 20}
    assert any(p.eta_s and p.eta_s > 0 for p in seen[1:-1])


def test_a_bug_in_send_ends_that_row_as_error_not_the_batch():
    def broken(_c):
        raise KeyError("oops")

    seen = {}
    counts = Scheduler(None, rate=1000).run(
        [Job(1, "a", broken), Job(2, "a", lambda _c: "fine")],
        lambda job, value, error: seen.setdefault(job.key, outcome(job, value, error)))
    assert counts == {"error": 1, "ok": 1} and isinstance(seen, dict)
