"""retry.py: when a call may be tried again and after how long; the token bucket that paces calls.

Everything runs on an injected clock and an injected random generator: nothing here waits.
"""

from __future__ import annotations

import random

import pytest
from fakes import FakeClock

from vpnroute_widgets.errors import ApiError, TransportError, ValidationError
from vpnroute_widgets.retry import BUSY_CODES, RetryPolicy, TokenBucket, is_busy, is_throttling


def api_error(code: str, status: int = 400) -> ApiError:
    return ApiError(code, "message", http_status=status)


# --- RetryPolicy.retryable / should_retry ---------------------------------------------------------------


@pytest.mark.parametrize("error", [
    TransportError("connection dropped", unknown_outcome=True, retryable=True),
    api_error("Throttling.User"), api_error("Throttling"),
    api_error("ServiceUnavailable", 503), api_error("InternalError", 500),
])
def test_retryable_errors(error):
    assert RetryPolicy().retryable(error)


@pytest.mark.parametrize("error", [
    None, ValidationError("RouteDest", "not a CIDR block"), api_error("Forbidden.SubUser", 403),
    api_error("InvalidParameter"), TransportError("TLS verification failed", retryable=False),
    ValueError("a bug"),
])
def test_never_retryable(error):
    assert not RetryPolicy().retryable(error)


def test_a_busy_gateway_is_retried_unless_the_caller_paces_gateways():
    busy = api_error(sorted(BUSY_CODES)[0])
    assert is_busy(busy) and not is_throttling(busy)
    assert RetryPolicy().retryable(busy)
    assert not RetryPolicy(retry_busy=False).retryable(busy)  # the batch scheduler waits for gateways itself


def test_should_retry_counts_the_first_try():
    policy, error = RetryPolicy(max_attempts=3), api_error("Throttling.User")
    assert [policy.should_retry(error, attempt) for attempt in (1, 2, 3, 4)] == [True, True, False, False]
    assert not policy.should_retry(api_error("Forbidden.SubUser", 403), 1)
    assert not RetryPolicy(max_attempts=1).should_retry(error, 1)


@pytest.mark.parametrize("attempts", [0, -1])
def test_at_least_one_attempt(attempts):
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=attempts)


# --- RetryPolicy.backoff --------------------------------------------------------------------------------


def test_backoff_doubles_with_jitter_between_half_and_the_whole_ceiling():
    policy = RetryPolicy(backoff_base=0.2, backoff_max=5.0)
    rng = random.Random(7)
    for attempt, ceiling in ((1, 0.2), (2, 0.4), (3, 0.8), (4, 1.6), (5, 3.2), (6, 5.0), (12, 5.0)):
        delays = [policy.backoff(attempt, rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays), (attempt, min(delays), max(delays))
        assert max(delays) - min(delays) > ceiling / 4  # jittered, not a fixed step


def test_backoff_is_reproducible_with_the_same_generator():
    policy = RetryPolicy()
    first = [policy.backoff(a, random.Random(3)) for a in range(1, 6)]
    assert first == [policy.backoff(a, random.Random(3)) for a in range(1, 6)]


class Fixed(random.Random):
    """A generator whose ``random()`` is always ``value``."""

    def __init__(self, value: float):
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


def test_backoff_bounds_come_from_the_generator():
    policy = RetryPolicy(backoff_base=1.0, backoff_max=8.0)
    assert policy.backoff(1, Fixed(0.0)) == 0.5 and policy.backoff(1, Fixed(1.0)) == 1.0
    assert policy.backoff(3, Fixed(0.5)) == pytest.approx(3.0)


def test_a_servers_retry_after_wins_when_larger_but_is_capped():
    policy = RetryPolicy(backoff_base=0.2, backoff_max=5.0)
    assert policy.backoff(1, Fixed(1.0), retry_after=3.0) == 3.0  # the server's hint is longer: wait for it
    assert policy.backoff(1, Fixed(1.0), retry_after=0.01) == 0.2  # shorter: the backoff stands
    assert policy.backoff(1, Fixed(1.0), retry_after=3600) == 20.0  # capped at 4 x backoff_max


# --- TokenBucket ----------------------------------------------------------------------------------------


def test_token_bucket_paces_and_halves_on_throttling():
    clock = FakeClock(0.0)
    bucket = TokenBucket(10, burst=2, clock=clock)
    assert bucket.take() == 0.0
    assert bucket.take() == pytest.approx(0.1)  # seconds until the next token
    clock.advance(0.1)
    assert bucket.take() == 0.0
    bucket.throttled()
    assert bucket.rate == 5
    for _ in range(40):
        bucket.recovered()
    assert bucket.rate == 10
    with pytest.raises(ValueError):
        TokenBucket(0)


def test_a_new_bucket_holds_one_token_or_a_full_burst():
    clock = FakeClock(0.0)
    one = TokenBucket(5, burst=3, clock=clock)
    assert [one.take() == 0.0 for _ in range(3)] == [True, False, False]
    full = TokenBucket(5, burst=3, clock=clock, full=True)  # the sandbox's quota window starts full
    assert [full.take() == 0.0 for _ in range(4)] == [True, True, True, False]


def test_saved_tokens_never_exceed_the_burst():
    clock = FakeClock(0.0)
    bucket = TokenBucket(10, burst=2, clock=clock)
    clock.advance(3600)
    assert [bucket.take() == 0.0 for _ in range(3)] == [True, True, False]


def test_the_rate_holds_over_time():
    clock = FakeClock(0.0)
    bucket = TokenBucket(100, burst=1, clock=clock)
    taken = 0
    for _ in range(1000):  # one second in 1 ms steps, asking every step
        if bucket.take() == 0.0:
            taken += 1
        clock.advance(0.001)
    assert 99 <= taken <= 101


def test_take_accepts_an_explicit_now():
    bucket = TokenBucket(4, burst=1, clock=FakeClock(0.0))
    assert bucket.take(now=0.0) == 0.0
    assert bucket.take(now=0.0) == pytest.approx(0.25)
    assert bucket.take(now=0.25) == 0.0


def test_throttling_drops_saved_tokens_and_never_goes_below_a_64th():
    clock = FakeClock(0.0)
    bucket = TokenBucket(64, burst=10, clock=clock, full=True)
    bucket.throttled()
    assert bucket.rate == 32 and bucket.take() > 0  # the saved burst is gone
    for _ in range(20):
        bucket.throttled()
    assert bucket.rate == 1.0  # 64 / 64
    for _ in range(100):
        bucket.recovered()
    assert bucket.rate == 64  # additive increase, up to the target and no further


def test_default_burst_is_half_the_rate_capped_and_at_least_one():
    assert TokenBucket(100).burst == 5.0
    assert TokenBucket(4).burst == 2.0
    assert TokenBucket(0.5).burst == 1.0
