"""Pacing by status: ask a gateway whether it takes changes again, instead of spending a write on it.

Write quotas are small (about one call a second per operation in the cloud), and every write
refused with ``VpnGateway.Configuring`` costs a whole slot. Reads have their own, larger quota,
so after a refusal the scheduler asks the gateway's status (DescribeVpnGateway) until it is
``active`` again, and only then sends the write. :func:`gateway_probe` builds that question for
the scheduler's lanes, which are ``(region_id, vpn_gateway_id)`` pairs.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Hashable
from typing import Any, cast
from urllib.parse import urlsplit

from ..errors import ValidationError
from ..wire import is_loopback
from .scheduler import Progress, Scheduler

__all__ = ["DEFAULT_RATE", "PACING_LIMITS", "SANDBOX_RATE", "batch_scheduler", "check_pacing", "default_rate",
           "gateway_probe", "gateway_status"]

#: CreateVpnRouteEntry's quota is not published; the sibling operations allow 60 calls per 60 s.
DEFAULT_RATE = 1.0
#: A local endpoint (the sandbox) has no cloud quota; this pace still shows the scheduler at work.
SANDBOX_RATE = 100.0
#: The accepted range of each pacing option: (lowest, highest, whole numbers only). The CLI checks the same.
PACING_LIMITS = {"rate": (0.001, 10_000, False), "burst": (1, 10_000, False), "concurrency": (1, 256, True),
                 "max_failures": (1, 100, True), "busy_timeout": (0, 86_400, False)}


def default_rate(client: Any) -> float:
    """DEFAULT_RATE for the cloud; SANDBOX_RATE when the client talks to 127.0.0.1/localhost."""
    host = urlsplit(getattr(client, "endpoint", None) or "").hostname or ""
    return SANDBOX_RATE if host and is_loopback(host) else DEFAULT_RATE


def check_pacing(**options: Any) -> None:
    """Refuse pacing options the scheduler cannot honour, naming the option and its range."""
    for name, value in options.items():
        low, high, whole = PACING_LIMITS[name]
        if value is None and name in ("rate", "burst"):
            continue  # the defaults
        fits = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        if not (fits and low <= value <= high and (not whole or float(value).is_integer())):
            kind = "an integer" if whole else "a number"
            raise ValidationError(name, f"must be {kind} from {low:g} to {high:g}; got {value!r}.", value=value)


def batch_scheduler(client: Any, *, rate: float | None, burst: float | None, concurrency: int, max_failures: int,
                    busy_timeout: float, cancel: threading.Event,
                    progress: Callable[[Progress], None] | None) -> Scheduler:
    """The scheduler every batch operation runs on (apply, resume, rollback, sync), set up once.

    It sends through a quiet single-attempt copy of ``client`` (the scheduler does the retrying,
    each run records its own rows), paces writes at ``rate`` (default :func:`default_rate`) and
    learns when a gateway is free from its status (:func:`gateway_probe`) rather than from
    refused writes. Options out of range raise ValidationError naming the option.
    """
    check_pacing(rate=rate, burst=burst, concurrency=concurrency, max_failures=max_failures,
                 busy_timeout=busy_timeout)
    quiet = client.clone(log=None, on_call=None, max_attempts=1, retry_configuring=False)
    return Scheduler(quiet, rate=rate or default_rate(client), burst=burst, concurrency=concurrency,
                     max_failures=max_failures, busy_timeout=busy_timeout, cancel=cancel, progress=progress,
                     probe=gateway_probe(quiet))


def gateway_status(answer: Any) -> str | None:
    """The ``Status`` of a DescribeVpnGateway answer, typed (``.status``) or a plain dict."""
    status = getattr(answer, "status", None)
    if status is None and hasattr(answer, "get"):
        status = answer.get("Status")
    return None if status is None else str(status)


def gateway_probe(client: Any) -> Callable[[Hashable], bool]:
    """``probe(lane) -> bool``: True when the lane's gateway is ``active`` (takes a change now).

    The reads go through a quiet copy of ``client`` (no log records: they are the scheduler's
    own bookkeeping, not the user's calls) with a single attempt: a failed read is the
    scheduler's to judge (it then simply sends the write).
    """
    reader = client.clone(log=None, on_call=None, max_attempts=1) if hasattr(client, "clone") else client

    def probe(lane: Hashable) -> bool:
        region_id, vpn_gateway_id = cast(tuple[str, str], lane)  # lanes of batches are (region, gateway) pairs
        status = gateway_status(reader.describe_vpn_gateway(region_id, vpn_gateway_id))
        return (status or "").lower() == "active"

    return probe
