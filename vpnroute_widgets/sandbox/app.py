"""One request in, one reply out: authentication, faults, latency, backend, rendering.

:class:`SandboxApp` is independent of the HTTP server: it takes an
:class:`~.auth.Incoming` and returns a :class:`Reply` (status, body, and a network
action for faults the HTTP layer must act out: drop, reset, truncate). The control
endpoints under ``/_sandbox/`` are :mod:`.control`'s. Every API request is noted in
:class:`RequestLog` with its action and non-secret parameters only.
"""

from __future__ import annotations

import email.message
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from ..credentials import mask_key_id
from ..log.records import SECRET_KEY_PATTERN
from . import wire
from .auth import Call, Incoming, NonceCache, parse_call, verify
from .backend import Backend, SandboxError
from .control import ControlEndpoints
from .faults import FaultRule, FaultSet

__all__ = ["Reply", "RequestLog", "SandboxApp"]

_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


@dataclass
class Reply:
    """What to send. ``network``: None, ``drop``, ``reset`` or ``truncate`` (acted out by the server)."""

    status: int
    body: bytes
    content_type: str = wire.CONTENT_TYPES["JSON"]
    request_id: str | None = None
    network: str | None = None
    code: str | None = None  # the API error code, for the request log


class RequestLog:
    """A thread-safe list of the API requests the sandbox received (never control calls or secrets).

    Each entry is a dict: ``action``, ``params`` (the operation's parameters), ``signature``
    ("v1"/"v3"), ``method``, ``access_key_id`` (masked), ``time``, then ``status`` and ``code``
    once answered (``code`` None on success).
    """

    def __init__(self):
        self._items: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def note(self, call: Call, method: str, now: float) -> dict[str, Any]:
        params = {k: v for k, v in call.api_params.items() if not SECRET_KEY_PATTERN.search(k)}
        entry = {"action": call.action, "params": params, "signature": call.version, "method": method,
                 "access_key_id": mask_key_id(call.key_id), "time": now, "status": None, "code": None}
        with self._lock:
            self._items.append(entry)
        return entry

    def __iter__(self) -> Iterator[dict[str, Any]]:
        with self._lock:
            return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index):
        with self._lock:
            return self._items[index]

    def __bool__(self) -> bool:
        return bool(self._items)

    def __eq__(self, other: object) -> bool:
        """Compares like a list of its entries, so ``sb.requests == []`` reads naturally."""
        if isinstance(other, list | tuple | RequestLog):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # compares like a list: unhashable like one

    def count(self, action: str | None = None) -> int:
        """How many requests (of ``action``, if given) arrived."""
        with self._lock:
            return sum(1 for e in self._items if action is None or e["action"] == action)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __repr__(self) -> str:
        return f"RequestLog({len(self)} requests)"


class SandboxApp:
    """Ties keys, backend, faults and latency together; ``dispatch(incoming)`` answers one request."""

    def __init__(self, backend: Backend, faults: FaultSet, *, clock: Callable[[], float] = time.time,
                 latency_ms: float = 0.0, latency_jitter_ms: float = 0.0, seed: int = 0):
        self.backend = backend
        self.faults = faults
        self.clock = clock
        self.latency_ms = latency_ms
        self.latency_jitter_ms = latency_jitter_ms
        self.requests = RequestLog()
        self.nonces = NonceCache()
        self.stopping = threading.Event()
        self._seed = seed
        self._rng = random.Random(f"latency-{seed}")
        self._rng_lock = threading.Lock()
        self.endpoint = ""
        self._control = ControlEndpoints(self, _json)

    def reset(self) -> None:
        """World state back to the seed; faults and the request log cleared."""
        self.backend.reset()
        self.faults.clear()
        self.requests.clear()
        with self._rng_lock:
            self._rng = random.Random(f"latency-{self._seed}")

    def dispatch(self, incoming: Incoming) -> Reply:
        if incoming.path.startswith("/_sandbox/"):
            return self._control(incoming)
        return self._api(incoming)

    def handle_raw(self, method: str, target: str, headers: Mapping[str, str],
                   body: bytes) -> tuple[int, dict[str, str], bytes]:
        """Answer one request without a socket: ``(status, headers, body)``, as the server would send.

        The client's in-process transport calls this. A network fault (drop, reset, truncate)
        raises ``ConnectionResetError``, the closest a function can come to a broken connection.
        """
        path, _, query = target.partition("?")
        message = email.message.Message()  # case-insensitive lookups, like the server's headers
        for name, value in headers.items():
            message[name] = value
        reply = self.dispatch(Incoming(method, path or "/", parse_qsl(query, keep_blank_values=True), message, body))
        if reply.network is not None:
            raise ConnectionResetError(f"sandbox fault: connection {reply.network}")
        answer_headers = {"Content-Type": reply.content_type}
        if reply.request_id:
            answer_headers["x-acs-request-id"] = reply.request_id
        return reply.status, answer_headers, reply.body

    # --- the API --------------------------------------------------------------------------

    def _api(self, incoming: Incoming) -> Reply:
        call = parse_call(incoming)
        host = incoming.header("Host") or "127.0.0.1"
        request_id = wire.new_request_id()
        entry = self.requests.note(call, incoming.method, self.clock())
        try:
            key = verify(call, incoming, self.backend.world.keys, self.clock, self.nonces)
            reply = self._run(call, key, request_id, host)
        except SandboxError as err:
            reply = _error_reply(err, request_id, host, call.fmt)
        entry["status"] = reply.status
        entry["code"] = _code_of(reply)
        return reply

    def _run(self, call: Call, key, request_id: str, host: str) -> Reply:
        params = call.api_params
        rule = self.faults.pick(call.action, params.get("VpnGatewayId"))
        self._pause(self._latency_s())
        if rule is not None and rule.kind not in ("commit_then_drop", "malformed", "truncated"):
            early = self._early_fault(rule, call, request_id, host)
            if early is not None:
                return early
        data = self.backend.handle(key, call.action, params)
        body = wire.success_body(call.action, data, request_id, call.fmt)
        reply = Reply(200, body, wire.CONTENT_TYPES[call.fmt], request_id)
        if rule is not None:
            return _late_fault(rule, reply, call.fmt)
        return reply

    def _early_fault(self, rule: FaultRule, call: Call, request_id: str, host: str) -> Reply | None:
        """Faults decided before the backend runs; None lets the request through (timeout, latency)."""
        if rule.kind == "error":
            err = SandboxError(rule.code or "InternalError", rule.message, rule.status)
            return _error_reply(err, request_id, host, call.fmt)
        if rule.kind == "html_5xx":
            status = rule.status or 502  # the rule sets its default; this keeps the type honest
            reason = _REASONS.get(status, "Server Error")
            return Reply(status, wire.html_page(status, reason), "text/html", request_id)
        if rule.kind in ("drop", "reset"):
            return Reply(0, b"", request_id=request_id, network=rule.kind)
        default = 30.0 if rule.kind == "timeout" else 0.0
        self._pause(rule.delay_s if rule.delay_s is not None else default)
        return None

    def _latency_s(self) -> float:
        if not self.latency_ms and not self.latency_jitter_ms:
            return 0.0
        with self._rng_lock:
            jitter = self._rng.uniform(-self.latency_jitter_ms, self.latency_jitter_ms)
        return max(0.0, self.latency_ms + jitter) / 1000.0

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            self.stopping.wait(seconds)  # a stop wakes every sleeping request

    def internal_error(self, fmt: str = "JSON") -> Reply:
        """The reply for an unexpected exception: InternalError 500 in the API's format."""
        return _error_reply(SandboxError("InternalError", status=500), wire.new_request_id(), "127.0.0.1", fmt)


def _json(status: int, data: dict[str, Any]) -> Reply:
    return Reply(status, wire.to_json(data), wire.CONTENT_TYPES["JSON"])


def _error_reply(err: SandboxError, request_id: str, host: str, fmt: str) -> Reply:
    body = wire.error_body(err.code, err.message, request_id, host, fmt)
    return Reply(err.http_status, body, wire.CONTENT_TYPES[fmt], request_id, code=err.code)


def _late_fault(rule: FaultRule, reply: Reply, fmt: str) -> Reply:
    """Faults acted out after the backend applied the request."""
    if rule.kind == "commit_then_drop":
        return Reply(0, b"", request_id=reply.request_id, network="drop")
    if rule.kind == "malformed":
        return Reply(200, wire.malformed_body(reply.request_id or wire.new_request_id(), fmt), reply.content_type,
                     reply.request_id)
    if rule.kind == "truncated":
        return Reply(200, reply.body, reply.content_type, reply.request_id, network="truncate")
    return reply


def _code_of(reply: Reply) -> str | None:
    if reply.network in ("drop", "reset"):
        return f"<{reply.network}>"
    return reply.code
