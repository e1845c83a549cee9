"""One gateway's lane: when to send its next change, learned from what the gateway answers.

A VPN gateway is ``updating`` for a while after each change and refuses another meanwhile. A
lane learns that busy time as an offset after the answer to its last change (``ref``): ``lo``
is the largest offset at which the gateway was seen busy, ``hi`` the smallest at which it was
seen free. Writes are sent at ``ref + hi``, a time the gateway has been seen free at, so they
are rarely refused. The bracket is narrowed with status reads (cheap: reads have their own
quota), never with writes: after a change the lane may read the status once at the middle of
the bracket, and writes at once if the gateway is already free there. When there is no
estimate yet, or a write was refused after all (the gateway got slower), the lane reads the
status at growing intervals (1 ms, 2 ms, 4 ms, ...) until the gateway is free, then writes.

Without a way to read the status (``can_probe=False``) the write itself is the question: the
bracket is narrowed by sending the write at its middle (a refusal is a "still busy" answer, and
the write then goes at ``hi``), and after a refusal writes are retried at growing intervals.

Pure bookkeeping: the scheduler passes the times in, so tests need no clock.
"""

from __future__ import annotations

import collections
from collections.abc import Hashable
from dataclasses import dataclass, field

__all__ = ["Lane"]

_FIRST_STEP = 0.001
_MAX_STEP = 0.5


@dataclass
class Lane:
    """The jobs of one gateway and what the lane knows of the gateway's busy time."""

    jobs: collections.deque = field(default_factory=collections.deque)
    key: Hashable = None  # the caller's lane id (for a gateway: (region, gateway id))
    can_probe: bool = False  # the scheduler can read the gateway's status
    not_before: float = 0.0  # do nothing on this lane before this time
    busy: bool = False  # a call (write or status read) is in flight
    ref: float | None = None  # when the answer to the last change came back
    lo: float = 0.0  # largest offset after ref at which the gateway was seen busy
    hi: float | None = None  # smallest offset after ref at which it was seen free
    probing: bool = False  # read the status until free, then write
    bisecting: bool = False  # one status read at the middle of the bracket, then write at hi
    polls: int = 0  # status reads (or refused writes) in a row while waiting
    cycle: float = 0.0  # smoothed seconds per completed change (for the estimate of time left)

    def wants_probe(self, now: float) -> bool:
        """True when the next call on this lane is a status read rather than the write.

        A narrowing read that comes too late to help (the planned write time has passed) is dropped.
        """
        if self.bisecting and self.ref is not None and self.hi is not None and now >= self.ref + self.hi:
            self.bisecting = False
        return self.can_probe and (self.probing or self.bisecting)

    def skip_bisect(self, now: float) -> bool:
        """Give up the narrowing read (no read quota left now): write at ``ref + hi`` as planned.

        True when the lane then writes (now or at ``not_before``); False when it must keep reading
        because it has no estimate to write at.
        """
        if not self.bisecting or self.hi is None or self.ref is None:
            return False
        self.bisecting = False
        self.not_before = max(now, self.ref + self.hi)
        return True

    def _offset(self, sent_at: float) -> float | None:
        return None if self.ref is None else sent_at - self.ref

    def _precise(self) -> bool:
        return self.hi is not None and self.hi - self.lo <= max(0.001, 0.02 * self.hi)

    def _step(self) -> float:
        return min(_MAX_STEP, _FIRST_STEP * 2 ** min(self.polls, 12))

    def _busy_at(self, offset: float | None) -> None:
        if offset is None:
            return
        self.lo = max(self.lo, offset)
        if self.hi is not None and self.hi <= offset:
            self.hi = None  # the gateway got slower: the old estimate is wrong

    def changed(self, sent_at: float, now: float) -> None:
        """A write went through (answered at ``now``): the gateway is busy from now on."""
        offset = self._offset(sent_at)
        if offset is not None and (self.hi is None or offset < self.hi):
            self.hi = offset  # free at this offset: nobody refused the write
        if self.ref is not None:
            gap = now - self.ref
            self.cycle = gap if not self.cycle else 0.8 * self.cycle + 0.2 * gap
        self.ref, self.polls, self.probing, self.bisecting = now, 0, False, False
        if self.hi is None:
            self.probing = self.can_probe  # learn the busy time by reading, not by writing
            self.not_before = now + (_FIRST_STEP if self.can_probe else 0.0)
        elif not self._precise():
            self.bisecting = True  # with status reads: read at the middle; without: write there
            self.not_before = now + (self.lo + self.hi) / 2
        else:
            self.not_before = now + self.hi

    def refused(self, sent_at: float, now: float) -> None:
        """A write was refused as busy: learn from it and ask again after a growing interval."""
        self._busy_at(self._offset(sent_at))
        if self.bisecting and self.hi is not None and self.ref is not None:  # a write at the middle: go at hi
            self.bisecting = False
            self.not_before = max(now, self.ref + self.hi)
            return
        self.probing, self.bisecting = True, False
        self.polls += 1
        self.not_before = now + self._step()

    def probed(self, free: bool, sent_at: float, now: float) -> None:
        """A status read answered: write at once when free, else keep waiting (or fall back to hi)."""
        offset = self._offset(sent_at)
        if free:
            if offset is not None:
                self.hi = offset if self.hi is None else min(self.hi, offset)
                if offset < self.lo:
                    self.lo = 0.0  # the gateway got faster: the old lower mark is wrong
            self.probing, self.bisecting, self.polls, self.not_before = False, False, 0, now
            return
        self._busy_at(offset)
        if self.bisecting and self.hi is not None and self.ref is not None:
            self.bisecting = False
            self.not_before = max(now, self.ref + self.hi)
            return
        self.bisecting, self.probing = False, True
        self.polls += 1
        self.not_before = now + self._step()

    def unknown_change(self, now: float) -> None:
        """A write's answer was lost: it may have been made, so the gateway may be busy from now."""
        self.ref = now
