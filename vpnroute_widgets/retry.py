"""The one retry policy and the one token bucket, shared by the client, the batch scheduler and the sandbox.

:class:`RetryPolicy` says whether an error may be tried again and how long to wait first
(exponential backoff with jitter; a server's retry-after hint wins when larger).
:class:`TokenBucket` paces calls: the scheduler spends a token per attempt, the sandbox one
per request of an action (to emulate the cloud's quotas). Both take an injected clock and
random generator, so tests need no waiting. Standard library only.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["BUSY_CODES", "RetryPolicy", "TokenBucket", "is_busy", "is_throttling"]

#: Codes meaning "this gateway is busy with another change": wait for the gateway, not for the quota.
BUSY_CODES = frozenset({"VpnGateway.Configuring", "TaskConflict", "VpnTask.CONFLICT", "Appliance.Configuring",
                        "VpnConnection.Configuring", "VpnRouteEntry.Configuring", "IncorrectStatus.VpnGateway"})


def is_busy(error: BaseException | None) -> bool:
    """True for an answer saying the gateway is still applying another change."""
    return getattr(error, "code", None) in BUSY_CODES


def is_throttling(error: BaseException | None) -> bool:
    """True for an answer saying the quota of calls is spent (``Throttling``, ``Throttling.User``, ...)."""
    return str(getattr(error, "code", None) or "").startswith("Throttling")


@dataclass(frozen=True)
class RetryPolicy:
    """When to try a call again, and after how long.

    ``max_attempts`` counts the first try. ``retry_busy=False`` hands "gateway busy" answers
    straight back (the batch scheduler paces gateways itself). An error is retryable when it
    says so (``error.retryable``: the catalogue for API errors, the failure's kind for
    transport errors): never a validation error, never a refusal.
    """

    max_attempts: int = 4
    backoff_base: float = 0.2
    backoff_max: float = 5.0
    retry_busy: bool = True

    def __post_init__(self) -> None:
        if int(self.max_attempts) < 1:
            raise ValueError("max_attempts must be at least 1.")

    def retryable(self, error: BaseException | None) -> bool:
        """True when ``error`` is of a kind that may be tried again (whatever the attempt count)."""
        if error is None:
            return False
        if is_busy(error):
            return self.retry_busy
        return is_throttling(error) or bool(getattr(error, "retryable", False))

    def should_retry(self, error: BaseException | None, attempt: int) -> bool:
        """True when ``error``, the answer to attempt number ``attempt``, may be tried again now."""
        return attempt < self.max_attempts and self.retryable(error)

    def backoff(self, attempt: int, rng: random.Random, retry_after: float | None = None) -> float:
        """Seconds to wait after attempt ``attempt`` (1-based): half the ceiling plus jitter up to it."""
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        delay = ceiling / 2 + rng.random() * ceiling / 2
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.backoff_max * 4))
        return delay


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up; ``throttled()`` halves the rate for a while.

    A new bucket holds one token, or ``burst`` tokens with ``full=True`` (the sandbox's quota
    starts full, as a quota window does).
    """

    def __init__(self, rate: float, burst: float | None = None, *, clock: Callable[[], float] = time.monotonic,
                 full: bool = False):
        if not rate or rate <= 0:
            raise ValueError(f"rate must be a positive number of calls per second, got {rate!r}.")
        self.target = float(rate)
        self.rate = float(rate)
        self.burst = max(1.0, float(burst if burst is not None else min(rate, 10.0) / 2))
        self._clock = clock
        self._tokens = self.burst if full else 1.0
        self._stamp = clock()

    def _refill(self, now: float) -> None:
        self._tokens = min(self.burst, self._tokens + max(0.0, now - self._stamp) * self.rate)
        self._stamp = now

    def take(self, now: float | None = None) -> float:
        """Take a token if one is there (returns 0), else return the seconds until one will be."""
        now = self._clock() if now is None else now
        self._refill(now)
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self.rate

    def throttled(self) -> None:
        """The service said slow down: halve the rate (not below 1/64 of the target), drop saved tokens."""
        self._refill(self._clock())
        self.rate = max(self.target / 64, self.rate / 2)
        self._tokens = min(self._tokens, 0.0)

    def recovered(self) -> None:
        """A call went through: grow back towards the target (additive increase)."""
        if self.rate < self.target:
            self._refill(self._clock())
            self.rate = min(self.target, self.rate + self.target / 32)
