"""Small fakes shared by the tests: a clock that moves only when a test (or a sleep) moves it."""

from __future__ import annotations

import time


class FakeClock:
    """Seconds that move only when the test says so: ``clock()`` or ``clock.time()`` reads it,
    ``advance(s)`` and ``sleep(s)`` move it (so it can stand in for both ``clock=`` and ``sleep=``)."""

    def __init__(self, start: float | None = 1_800_000_000.0):
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    sleep = advance
