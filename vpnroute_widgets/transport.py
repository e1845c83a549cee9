"""Sending one signed call: the seam between the client and the network.

A transport is anything with ``send(call, timeout, attempt) -> Answer``; it raises
:class:`~vpnroute_widgets.errors.TransportError` when no usable answer came back, with
``retryable`` and ``unknown_outcome`` said by the kind of failure (never guessed from the
text of an exception). Two ship here:

* :class:`HttpTransport`: ``requests``, one session per thread, no proxies or netrc, TLS
  verified, no redirects, a timeout on every request, bodies capped at :data:`MAX_BODY_BYTES`
  and bounded in time (a body dribbled byte by byte cannot hold a call open).
* :class:`InProcessTransport`: hands the call to a function (for example the sandbox's
  ``SandboxApp.handle``), no sockets; for tests that want to be fast and need no server.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

import requests
import urllib3

from .errors import TransportError
from .wire import PreparedCall

__all__ = ["MAX_BODY_BYTES", "Answer", "HttpTransport", "InProcessTransport", "Timeout", "Transport",
           "read_timeout", "retry_after_seconds"]

MAX_BODY_BYTES = 2 * 1024 * 1024
Timeout = float | tuple[float, float]


@dataclass(frozen=True)
class Answer:
    """What came back: the HTTP status, the body, and the server's retry-after hint in seconds (if any)."""

    status: int
    body: bytes
    retry_after: float | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


class Transport(Protocol):
    """Sends one prepared call; raises TransportError when no usable answer came back."""

    def send(self, call: PreparedCall, timeout: Timeout, attempt: int) -> Answer: ...


def read_timeout(timeout: Timeout) -> float:
    """The read part of a timeout given as seconds or a (connect, read) pair."""
    return float(timeout[1] if isinstance(timeout, tuple) else timeout)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``x-acs-retry-after`` (milliseconds) or ``Retry-After`` (seconds)."""
    for name, scale in (("x-acs-retry-after", 0.001), ("Retry-After", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                continue
    return None


def _failure(what: str, exc: BaseException, attempt: int, *, retryable: bool, unknown: bool) -> TransportError:
    return TransportError(f"{what}: {exc.__class__.__name__}", unknown_outcome=unknown, retryable=retryable,
                          attempts=attempt)


def _too_large(status: int, attempt: int) -> TransportError:
    return TransportError(f"HTTP {status}: response body larger than {MAX_BODY_BYTES} bytes refused",
                          http_status=status, retryable=False, attempts=attempt)


def _refused(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the connection was never made (nothing was sent), known by the exception's type."""
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # MaxRetryError wraps the cause
    return isinstance(reason, urllib3.exceptions.NewConnectionError | ConnectionRefusedError)


def read_capped(response: requests.Response, budget_s: float, attempt: int = 1) -> bytes:
    """The body, refusing anything over MAX_BODY_BYTES (no API answer is that large), and refusing a
    body still arriving ``budget_s`` seconds after its headers: the read timeout bounds each wait
    for a byte, so without this a server dribbling bytes could hold a call open for ever."""
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        response.close()
        raise _too_large(response.status_code, attempt)
    deadline = time.monotonic() + budget_s
    chunks, size = [], 0
    while chunk := response.raw.read1(64 * 1024, decode_content=True):  # returns as soon as bytes arrive
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            response.close()
            raise _too_large(response.status_code, attempt)
        chunks.append(chunk)
        if time.monotonic() > deadline:
            response.close()
            raise TransportError(f"HTTP {response.status_code}: read timed out: the body was still arriving "
                                 f"{budget_s:g} s after the headers", unknown_outcome=True, attempts=attempt)
    response.close()  # the body is consumed: hands the connection back for keep-alive
    return b"".join(chunks)


def _prepared(call: PreparedCall) -> requests.PreparedRequest:
    """The request as ``requests`` sends it, with no session merging (headers, auth and proxies explicit).

    The URL is used as the signer built it: already percent-encoded, so requests' URL preparation
    (a character-by-character re-encoding of the whole query) is skipped; the URL was vetted by
    :func:`~vpnroute_widgets.wire.check_endpoint` when the client was made.
    """
    request = requests.PreparedRequest()
    request.method = call.method
    request.url = call.url
    request.prepare_headers(call.headers)
    request.prepare_cookies(None)  # an empty jar: nothing is sent, and a redirect answer can be inspected
    request.prepare_body(call.body or None, None)
    return request


class HttpTransport:
    """Real HTTP with ``requests``: one session per thread (or the one given), nothing implicit."""

    def __init__(self, session: requests.Session | None = None):
        self._session = session
        self._local = threading.local()

    def _session_for_thread(self) -> requests.Session:
        if self._session is not None:
            return self._session
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.trust_env = False  # no proxies or netrc surprises: endpoints are explicit
        return session

    def send(self, call: PreparedCall, timeout: Timeout, attempt: int = 1) -> Answer:
        """One HTTP exchange; every failure becomes a TransportError saying whether a retry is safe."""
        session = self._session_for_thread()
        request = _prepared(call)
        try:
            response = session.send(request, timeout=timeout, stream=True, allow_redirects=False,
                                    verify=True, proxies={})
            body = read_capped(response, read_timeout(timeout), attempt)
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise _failure("read timed out after sending", exc, attempt, retryable=True, unknown=True) from exc
        except urllib3.exceptions.HTTPError as exc:  # the body broke off (raw reads are not wrapped by requests)
            raise _failure("connection dropped or reset", exc, attempt, retryable=True, unknown=True) from exc
        except requests.exceptions.SSLError as exc:
            raise _failure("TLS verification failed", exc, attempt, retryable=False, unknown=False) from exc
        except requests.exceptions.ConnectTimeout as exc:
            raise _failure("connect timed out", exc, attempt, retryable=True, unknown=False) from exc
        except requests.exceptions.ReadTimeout as exc:
            raise _failure("read timed out after sending", exc, attempt, retryable=True, unknown=True) from exc
        except requests.exceptions.ConnectionError as exc:
            refused = _refused(exc)
            what = "connection refused" if refused else "connection dropped or reset"
            raise _failure(what, exc, attempt, retryable=True, unknown=not refused) from exc
        except requests.exceptions.RequestException as exc:
            raise _failure("request failed", exc, attempt, retryable=True, unknown=True) from exc
        return Answer(response.status_code, body, retry_after_seconds(response.headers), dict(response.headers))


#: ``handler(method, path_and_query, headers, body) -> (status, headers, body)``, as the sandbox app serves.
Handler = Callable[[str, str, Mapping[str, str], bytes], tuple[int, Mapping[str, str], bytes]]


class InProcessTransport:
    """Calls ``handler`` directly: no sockets, no threads, the same bytes a server would see.

    The ``host`` header is added from the call's URL, as an HTTP client would. Body size is
    capped as over HTTP, so a test through here and one through a socket agree.
    """

    def __init__(self, handler: Handler):
        self._handler = handler

    def send(self, call: PreparedCall, timeout: Timeout, attempt: int = 1) -> Answer:
        parts = urlsplit(call.url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {"host": parts.netloc, **call.headers}
        if call.body:
            headers["Content-Length"] = str(len(call.body))
        try:
            status, answer_headers, body = self._handler(call.method, target, headers, call.body)
        except OSError as exc:  # the handler's way of saying "the connection broke after sending"
            raise _failure("connection dropped or reset", exc, attempt, retryable=True, unknown=True) from exc
        if len(body) > MAX_BODY_BYTES:
            raise _too_large(status, attempt)
        return Answer(status, body, retry_after_seconds(answer_headers), dict(answer_headers))
