"""A scheduler that follows the cloud's limits instead of fighting them.

A VPN gateway accepts one change at a time (it answers ``VpnGateway.Configuring`` while it is
``updating``), and each API has a rate quota. So the scheduler keeps one *lane* per gateway with
at most one call in flight, runs lanes in parallel under a concurrency cap, and spends a global
token bucket for every attempt. The best possible time is about
``max(calls / rate, longest lane x gateway update time)``; to come close to it, each lane learns
how long its gateway stays busy after a change and sends the next item just as it becomes free,
then polls briefly (milliseconds, doubling) if it was a little early. Throttling halves the
rate for everyone and it recovers gradually. Cancel stops dispatching; calls in flight finish.

The scheduler knows nothing of routes: a :class:`Job` carries a ``send(client)`` callable, and
``finish(job, value, error)`` (the caller's) turns the final answer into an outcome word.
"""

from __future__ import annotations

import collections
import queue
import random
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..errors import ApiError, TransportError
from ..retry import BUSY_CODES, RetryPolicy, TokenBucket, is_busy, is_throttling  # noqa: F401 - re-exported
from .lanes import Lane

__all__ = ["BUSY_CODES", "Job", "Progress", "Scheduler", "TokenBucket"]  # the last two re-exported from retry

_TICK = 0.05  # the longest the dispatcher sleeps without looking at cancel


@dataclass
class Job:
    """One logical operation (one input row) for one lane (one gateway)."""

    key: Any  # the caller's id for the row
    lane: Hashable
    send: Callable[[Any], Any]  # send(client) -> value, raises ApiError / TransportError
    attempts: int = 0
    unknown: bool = False  # an earlier attempt may have reached the service (outcome unknown)
    first_sent: float | None = None
    last_done: float | None = None
    busy_polls: int = 0
    failures: int = 0  # retryable failures other than "gateway busy"
    cancelled: bool = False  # finished by cancel: not sent, or not sent again
    sent_at: float = 0.0


@dataclass
class Progress:
    """What a progress callback gets: counts, throughput (rows/s) and an estimate of the time left."""

    done: int
    total: int
    ok: int
    errors: int
    rate: float
    eta_s: float | None
    elapsed_s: float
    counts: dict[str, int] = field(default_factory=dict)
    cancelled: bool = False
    finished: bool = False


class Scheduler:
    """Run jobs lane by lane: one in flight per lane, ``concurrency`` in all, ``rate`` attempts per second.

    ``finish(job, value, error) -> outcome`` is called once per job, in the dispatcher thread, with
    either the value of ``send`` or the final error; ``job.cancelled`` is true when cancel ended it
    (before it was sent, or before a retry). ``max_failures`` bounds retries of 5xx, throttling and transport errors;
    ``busy_timeout`` bounds the wait for one busy gateway.

    Pacing by status: with ``probe(lane) -> bool`` (True when the gateway takes changes again; for
    routes, a DescribeVpnGateway read), a lane whose write was refused as busy asks the gateway's
    status instead of sending the write again, so writes, whose quota is small, are spent only when
    they can succeed. Probes have their own token bucket (``probe_rate``, default ``rate``): reads
    have their own quota. ``calls`` counts writes, ``probes`` reads.
    """

    def __init__(self, client: Any, *, rate: float, burst: float | None = None, concurrency: int = 16,
                 max_failures: int = 8, busy_timeout: float = 600.0, cancel: threading.Event | None = None,
                 progress: Callable[[Progress], None] | None = None, progress_interval: float = 0.1,
                 clock: Callable[[], float] = time.monotonic, rng: random.Random | None = None,
                 probe: Callable[[Hashable], bool] | None = None, probe_rate: float | None = None):
        if int(concurrency) < 1:
            raise ValueError("concurrency must be at least 1.")
        self.client = client
        self.bucket = TokenBucket(rate, burst, clock=clock)
        self.concurrency = int(concurrency)
        self.policy = RetryPolicy(max_attempts=int(max_failures), backoff_base=0.05, backoff_max=2.0)
        self.busy_timeout = float(busy_timeout)
        self.cancel = cancel or threading.Event()
        self.progress = progress
        self.progress_interval = progress_interval
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter
        self._done: queue.Queue = queue.Queue()
        self.calls = 0
        self.probe = probe
        self.probe_bucket = TokenBucket(probe_rate or rate, burst, clock=clock)
        self.probes = 0

    # --- the dispatcher ---

    def run(self, jobs: Iterable[Job], finish: Callable[[Job, Any, BaseException | None], str], *,
            preset: dict[str, int] | None = None) -> dict[str, int]:
        """Run every job to one outcome; returns outcome counts. Blocks until all are finished.

        ``preset`` counts outcomes decided without a call (they show in progress, not in the rate).
        """
        lanes: dict[Hashable, Lane] = {}
        for job in jobs:
            lanes.setdefault(job.lane, Lane(key=job.lane, can_probe=self.probe is not None)).jobs.append(job)
        self._counts: collections.Counter = collections.Counter(preset or {})
        self._preset = sum(self._counts.values())
        self._total = self._preset + sum(len(lane.jobs) for lane in lanes.values())
        self._started = self._clock()
        self._last_progress = -1.0
        self._finish, self._lanes = finish, lanes
        self._unjudged: set[int] = set()  # ids of jobs sent whose answer is not judged yet
        in_flight = 0
        workers = min(self.concurrency, max(1, len(lanes)))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vw-batch")
        try:
            self._report(force=True)
            while in_flight or any(lane.jobs for lane in lanes.values()):
                if self.cancel.is_set():
                    self._cancel_waiting()
                    if not in_flight:
                        break
                wake = _TICK
                if not self.cancel.is_set():
                    started, wake = self._dispatch(pool, in_flight)
                    in_flight += started
                in_flight -= self._collect(max(0.0, min(wake, _TICK)))
        except BaseException:
            self._interrupted(pool)  # KeyboardInterrupt (a kernel interrupt) or a failing callback
            raise
        pool.shutdown(wait=True)
        self._report(force=True, finished=True)
        return dict(self._counts)

    def _interrupted(self, pool: ThreadPoolExecutor) -> None:
        """Settle every job before the exception goes on: no answer that came back may be lost.

        Calls in flight finish (each is bounded by the client's timeout) and are judged as usual, so
        a route that was made gets its record; every other job ends as cancelled. Progress is no
        longer reported (the callback may be what raised).
        """
        self.cancel.set()
        self.progress = None
        pool.shutdown(wait=True)
        while True:
            try:
                item = self._done.get_nowait()
            except queue.Empty:
                break
            self._judge(*item)
        for lane in self._lanes.values():
            lane.busy = False
            for job in list(lane.jobs):
                if id(job) in self._unjudged:  # sent, but its answer was lost to the interrupt
                    job.unknown = True
        self._cancel_waiting()

    def _dispatch(self, pool: ThreadPoolExecutor, in_flight: int) -> tuple[int, float]:
        """Start what may start now; return how many started and the seconds until more may."""
        started = 0
        now = self._clock()
        wake = _TICK
        # the lane with most left goes first: the longest lane bounds the makespan
        ready = sorted((lane for lane in self._lanes.values() if lane.jobs and not lane.busy),
                       key=lambda lane: -len(lane.jobs))
        for lane in ready:
            if in_flight + started >= self.concurrency:
                break
            if lane.not_before > now:
                wake = min(wake, lane.not_before - now)
                continue
            if lane.wants_probe(now):
                delay = self.probe_bucket.take(now)
                if delay == 0:
                    lane.busy = True
                    self.probes += 1
                    pool.submit(self._probe_call, lane, now)
                    started += 1
                    continue
                if not lane.skip_bisect(now) or lane.not_before > now:  # no read quota: wait, or write at hi
                    wake = min(wake, delay if lane.wants_probe(now) else lane.not_before - now)
                    continue
            delay = self.bucket.take(now)
            if delay > 0:
                return started, min(wake, delay)
            job = lane.jobs[0]
            lane.busy = True
            job.attempts += 1
            self.calls += 1
            job.first_sent = job.first_sent if job.first_sent is not None else now
            job.sent_at = now
            self._unjudged.add(id(job))
            pool.submit(self._call, lane, job)
            started += 1
        return started, wake

    def _call(self, lane: Lane, job: Job) -> None:
        try:
            value, error = job.send(self.client), None
        except BaseException as exc:  # noqa: BLE001 - every failure is judged in the dispatcher
            value, error = None, exc
        self._done.put((lane, job, value, error, self._clock()))

    def _probe_call(self, lane: Lane, sent_at: float) -> None:
        try:
            free, error = bool(self.probe(lane.key)), None  # type: ignore[misc]
        except Exception as exc:  # noqa: BLE001 - a failed probe means "don't know": write and see
            free, error = True, exc
        self._done.put((lane, None, (free, sent_at), error, self._clock()))

    def _collect(self, timeout: float) -> int:
        """Handle answers; waits up to ``timeout`` for the first. Returns how many came in."""
        got = 0
        try:
            item = self._done.get(timeout=timeout) if timeout > 0 else self._done.get_nowait()
        except queue.Empty:
            return 0
        while True:
            got += 1
            self._judge(*item)
            try:
                item = self._done.get_nowait()
            except queue.Empty:
                return got

    # --- judging one answer ---

    def _judge(self, lane: Lane, job: Job | None, value: Any, error: BaseException | None, now: float) -> None:
        if job is None:
            free, sent_at = value
            return self._judge_probe(lane, free, sent_at, now)
        self._unjudged.discard(id(job))
        lane.busy = False
        job.last_done = now
        if isinstance(error, ApiError) and is_busy(error):
            return self._busy(lane, job, now)
        unknown = isinstance(error, TransportError) and (error.unknown_outcome or error.http_status is not None)
        job.unknown = job.unknown or unknown
        if is_throttling(error):
            self.bucket.throttled()
        if self.policy.should_retry(error, job.failures + 1) and not self.cancel.is_set():
            job.failures += 1
            if unknown:
                lane.unknown_change(now)  # the change may have been made: the gateway may be busy from now
            backoff = self.policy.backoff(job.failures, self._rng)
            lane.not_before = now + max(backoff, 1.0 / self.bucket.rate)
            return None
        if self.policy.retryable(error) and self.cancel.is_set():
            job.cancelled = True
            return self._end(lane, job, None, error, now)
        if error is None:
            self.bucket.recovered()
            self._learn(lane, job, now)
        return self._end(lane, job, value, error, now)

    def _judge_probe(self, lane: Lane, free: bool, sent_at: float, now: float) -> None:
        """A status answer: write now if the gateway is free, else ask again a little later."""
        lane.busy = False
        lane.probed(free, sent_at, now)
        if lane.jobs and not free:
            self._check_patience(lane, lane.jobs[0], now)

    def _busy(self, lane: Lane, job: Job, now: float) -> None:
        """The gateway is still applying the previous change: wait for it (reading its status if we can)."""
        if self.cancel.is_set():
            job.cancelled = True
            return self._end(lane, job, None, None, now)
        job.busy_polls += 1
        lane.refused(job.sent_at, now)
        return self._check_patience(lane, job, now)

    def _check_patience(self, lane: Lane, job: Job, now: float) -> None:
        """A gateway busy for longer than ``busy_timeout`` ends the job waiting on it as an error."""
        if now - (job.first_sent or now) > self.busy_timeout:
            lane.probing = lane.bisecting = False
            err = ApiError("VpnGateway.Configuring", f"the gateway stayed busy for over {self.busy_timeout:.0f} s.")
            self._end(lane, job, None, err, now)

    def _learn(self, lane: Lane, job: Job, now: float) -> None:
        """A change went through: the lane decides when the gateway will take the next one."""
        lane.changed(job.sent_at, now)

    def _end(self, lane: Lane, job: Job, value: Any, error: BaseException | None, now: float) -> None:
        lane.jobs.popleft()
        outcome = self._finish(job, value, error)
        self._counts[outcome] += 1
        self._report()

    def _cancel_waiting(self) -> None:
        """Every job not in flight ends as cancelled; the one in flight on a lane (if any) stays."""
        for lane in self._lanes.values():
            keep = 1 if lane.busy else 0
            while len(lane.jobs) > keep:
                job = lane.jobs.pop()
                job.cancelled = True
                self._counts[self._finish(job, None, None)] += 1
        self._report()

    # --- progress ---

    def _report(self, *, force: bool = False, finished: bool = False) -> None:
        if self.progress is None:
            return
        now = self._clock()
        if not force and now - self._last_progress < self.progress_interval:
            return
        self._last_progress = now
        done = sum(self._counts.values())
        elapsed = now - self._started
        rate = (done - self._preset) / elapsed if elapsed > 0 else 0.0
        ok = self._counts.get("ok", 0)
        self.progress(Progress(done=done, total=self._total, ok=ok, errors=self._counts.get("error", 0),
                               rate=rate, eta_s=None if finished else self._eta(rate), elapsed_s=elapsed,
                               counts=dict(self._counts), cancelled=self.cancel.is_set(), finished=finished))

    def _eta(self, rate: float) -> float | None:
        """max(calls left / rate, the slowest lane's items left x its time per change)."""
        left = sum(len(lane.jobs) for lane in self._lanes.values())
        if not left:
            return 0.0
        by_lane = max((len(lane.jobs) * lane.cycle for lane in self._lanes.values()), default=0.0)
        by_rate = left / self.bucket.rate
        estimate = max(by_lane, by_rate)
        if not by_lane and rate > 0:
            estimate = max(estimate, left / rate)
        return estimate
