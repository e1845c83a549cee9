"""The scheduler on its own: token bucket, lanes, busy gateways, retries, cancel, progress.

Jobs here call a small in-process gateway model (one change at a time, busy for a while after
each), not the client: the scheduler only sees ``send(client)`` callables and their errors.
The batch tests run the same scheduler against the sandbox over HTTP.
"""

from __future__ import annotations

import threading
import time

import pytest

from vpnroute_widgets.batch.scheduler import Job, Scheduler, TokenBucket
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


def test_token_bucket_paces_and_halves_on_throttling():
    now = [0.0]
    bucket = TokenBucket(10, burst=2, clock=lambda: now[0])
    assert bucket.take() == 0.0
    assert bucket.take() == pytest.approx(0.1)
    now[0] += 0.1
    assert bucket.take() == 0.0
    bucket.throttled()
    assert bucket.rate == 5
    for _ in range(40):
        bucket.recovered()
    assert bucket.rate == 10
    with pytest.raises(ValueError):
        TokenBucket(0)


def test_one_change_in_flight_per_gateway_and_gateways_in_parallel():
    gateways = [Gateway(busy_s=0.02) for _ in range(3)]
    jobs = [Job((g, i), g, lambda _c, gw=gateways[g]: gw.change()) for g in range(3) for i in range(10)]
    scheduler = Scheduler(None, rate=1000, concurrency=8)
    started = time.monotonic()
    counts = scheduler.run(jobs, outcome)
    elapsed = time.monotonic() - started
    assert counts == {"ok": 30}
    assert all(gw.max_in_flight == 1 and len(gw.accepted) == 10 for gw in gateways)
    assert elapsed < 10 * 0.02 * 2.5  # gateways ran side by side: about one lane's time, not three


def test_busy_gateway_is_polled_in_milliseconds_and_learned():
    gateway = Gateway(busy_s=0.05, latency_s=0.002)
    jobs = [Job(i, "gw", lambda _c: gateway.change()) for i in range(30)]
    scheduler = Scheduler(None, rate=1000)
    started = time.monotonic()
    assert scheduler.run(jobs, outcome) == {"ok": 30}
    elapsed = time.monotonic() - started
    gaps = [b - a for a, b in zip(gateway.accepted, gateway.accepted[1:], strict=False)]
    assert elapsed < 30 * 0.05 * 1.3
    assert sorted(gaps)[len(gaps) // 2] < 0.05 * 1.15  # the median gap is close to the busy time
    assert gateway.refused < 30  # learned: not a poll storm


def test_rate_limit_holds_for_all_lanes():
    gateways = [Gateway(busy_s=0.0) for _ in range(4)]
    jobs = [Job((g, i), g, lambda _c, gw=gateways[g]: gw.change()) for g in range(4) for i in range(10)]
    scheduler = Scheduler(None, rate=100, burst=1)
    started = time.monotonic()
    scheduler.run(jobs, outcome)
    assert time.monotonic() - started >= 39 / 100 * 0.95


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
        calls.append(time.monotonic())
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

    def record(job, value, error):
        results.setdefault(job.key, []).append(outcome(job, value, error))
        if len(results) == 3:
            cancel.set()
        return results[job.key][-1]

    jobs = [Job(i, "gw", lambda _c: gateway.change()) for i in range(50)]
    started = time.monotonic()
    counts = Scheduler(None, rate=1000, cancel=cancel).run(jobs, record)
    assert time.monotonic() - started < 1.0
    assert sorted(results) == list(range(50)) and all(len(v) == 1 for v in results.values())
    assert counts["ok"] == 3 and counts["cancelled"] == 47


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
