"""Fault injection: rules that make the sandbox misbehave on purpose, reproducibly.

A rule matches by ``action`` and ``vpn_gateway_id`` (None matches any) and fires when
its limits allow: ``nth`` (only the n-th matching request, 1-based), ``times`` (at
most that many firings) and ``probability`` (drawn from a seeded RNG, so a seed gives
the same sequence). The first rule that fires decides the request's fate. Kinds:

============== ==================================================== ================
kind           what the client sees                                  request applied?
============== ==================================================== ================
error          an API error body (``code``, ``status``, ``message``)  no
html_5xx       an HTML error page with ``status`` (default 502)       no
drop           the connection closes without a response              no
reset          a TCP reset (SO_LINGER 0)                              no
timeout        no answer for ``delay_s`` (default 30 s), then the     yes, after the delay
               normal answer (long gone past the client's timeout)
commit_then    the request is applied, then the connection closes    yes
_drop          without a response (the case ClientToken exists for)
malformed      HTTP 200 with a body that does not parse              yes
truncated      HTTP 200, the body cut in half, connection closed     yes
latency        the normal answer after ``delay_s`` seconds           yes
============== ==================================================== ================
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import error_info

__all__ = ["KINDS", "FaultRule", "FaultSet"]

KINDS = ("error", "html_5xx", "malformed", "truncated", "drop", "reset", "timeout", "commit_then_drop",
         "latency")
#: Kinds whose request is still applied by the backend.
APPLIED = frozenset({"timeout", "commit_then_drop", "malformed", "truncated", "latency"})
_FIELDS = ("kind", "action", "vpn_gateway_id", "code", "status", "message", "times", "nth", "probability",
           "delay_s")


@dataclass
class FaultRule:
    """One fault rule; ``seen`` counts matching requests, ``fired`` the firings."""

    kind: str
    action: str | None = None
    vpn_gateway_id: str | None = None
    code: str | None = None
    status: int | None = None
    message: str | None = None
    times: int | None = None
    nth: int | None = None
    probability: float | None = None
    delay_s: float | None = None
    seen: int = field(default=0, compare=False)
    fired: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if self.kind == "error":
            self.code = self.code or "ServiceUnavailable"
            self.status = int(self.status or error_info(self.code).http_status or 400)
        elif self.kind == "html_5xx":
            self.status = int(self.status or 502)
        for name in ("times", "nth"):
            value = getattr(self, name)
            if value is not None and (int(value) < 1):
                raise ValueError(f"{name} must be at least 1, got {value!r}")
        if self.probability is not None and not 0.0 <= float(self.probability) <= 1.0:
            raise ValueError(f"probability must be within [0, 1], got {self.probability!r}")
        if self.delay_s is not None and float(self.delay_s) < 0:
            raise ValueError(f"delay_s must be >= 0, got {self.delay_s!r}")

    def matches(self, action: str, gateway_id: str | None) -> bool:
        return self.action in (None, action) and self.vpn_gateway_id in (None, gateway_id)

    def may_fire(self, rng: random.Random) -> bool:
        if self.nth is not None and self.seen != self.nth:
            return False
        if self.times is not None and self.fired >= self.times:
            return False
        return self.probability is None or rng.random() < self.probability

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


class FaultSet:
    """The active fault rules of one sandbox. Thread-safe; ``clear()`` removes them all."""

    def __init__(self, seed: int = 0):
        self._seed = seed
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._rng = random.Random(f"faults-{seed}")

    def add(self, kind: str = "error", code: str | None = None, status: int | None = None, *,
            action: str | None = None, vpn_gateway_id: str | None = None, times: int | None = None,
            nth: int | None = None, probability: float | None = None, delay_s: float | None = None,
            message: str | None = None) -> FaultRule:
        """Add a rule (see the module docstring for kinds); returns it (``.seen``, ``.fired``)."""
        rule = FaultRule(kind, action, vpn_gateway_id, code, status, message, times, nth, probability, delay_s)
        with self._lock:
            self._rules.append(rule)
        return rule

    def add_many(self, rules: Iterable[Mapping[str, Any]]) -> list[FaultRule]:
        """Add rules given as dicts (the JSON of ``POST /_sandbox/faults``); all or none."""
        built = []
        for spec in rules:
            unknown = set(spec) - set(_FIELDS)
            if unknown:
                raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
            built.append(FaultRule(**{k: spec[k] for k in _FIELDS if k in spec and spec[k] is not None}
                                   | {"kind": spec.get("kind", "error")}))
        with self._lock:
            self._rules.extend(built)
        return built

    def clear(self) -> None:
        """Remove every rule and restart the seeded random sequence."""
        with self._lock:
            self._rules.clear()
            self._rng = random.Random(f"faults-{self._seed}")

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.to_dict() for rule in self._rules]

    def __len__(self) -> int:
        return len(self._rules)

    def pick(self, action: str, gateway_id: str | None) -> FaultRule | None:
        """Count this request against every matching rule; return the first that fires."""
        chosen = None
        with self._lock:
            for rule in self._rules:
                if not rule.matches(action, gateway_id):
                    continue
                rule.seen += 1
                if chosen is None and rule.may_fire(self._rng):
                    rule.fired += 1
                    chosen = rule
        return chosen
