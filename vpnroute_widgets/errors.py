"""The exception tree of vpnroute_widgets and the catalogue of known error codes.

Every exception the toolkit raises on purpose derives from one base class, so
``except vw.VpnRouteError`` catches them all::

    VpnRouteError
    ├── ValidationError        bad input, caught before any I/O (``.field`` is the API name)
    ├── CredentialsError       no credentials found, or a credentials file is unreadable
    ├── ConfigurationError     a client set up wrongly (endpoint, format, signature version)
    ├── TransportError         no usable HTTP response: refused, reset, timed out, unreadable body
    └── ApiError               the service answered with an error code (``.code``, ``.http_status``,
                               ``.request_id``, ``.host_id``, ``.recommend``, ``.body``)

Lower-level exceptions (from ``requests``, the parsers) are translated into this tree
in one place, the client, with ``raise ... from exc``.

The catalogue (:func:`error_info`) says, for each code the reference documents and the
common codes of Alibaba Cloud RPC APIs, what it means, what to do, and whether a retry
with the same ClientToken is safe. The client's retry policy and every widget's result
card read it, so the advice is written once.
"""

from __future__ import annotations

from dataclasses import dataclass

from .reference import CATALOGUE

__all__ = [
    "ApiError",
    "ErrorDescription",
    "ConfigurationError",
    "CredentialsError",
    "ErrorInfo",
    "TransportError",
    "ValidationError",
    "VpnRouteError",
    "describe_error",
    "error_info",
    "known_codes",
]


class VpnRouteError(Exception):
    """Base class of every error vpnroute_widgets raises on purpose."""


class ValidationError(VpnRouteError, ValueError):
    """An input value is not acceptable; raised before anything is sent.

    ``field`` is the API parameter name (``RouteDest``, ``Weight``, ...), ``value``
    the rejected input (never a secret: credentials are not validated through here),
    and ``missing`` is true when a required value was absent rather than wrong.
    """

    code = "ValidationError"

    def __init__(self, field: str, message: str, *, value: object = None, missing: bool = False):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.value = value
        self.missing = missing


class CredentialsError(VpnRouteError):
    """No usable credentials were found, or a credentials file could not be read."""


class ConfigurationError(VpnRouteError, ValueError):
    """The client was configured with something it refuses (for example plain HTTP to a remote host)."""


class TransportError(VpnRouteError):
    """No usable response came back.

    ``unknown_outcome`` is true when the request may have reached the service before the
    failure (a read timeout, a connection dropped after sending): a create may or may not
    have happened, so it must be retried with the same ClientToken, never a new one.
    ``retryable`` is false for failures a retry cannot mend (TLS verification, a body over
    the size cap); ``attempts`` counts the attempts made when the error was final. An
    unusable body is quoted by a short excerpt, redacted like every server text.
    """

    code = "TransportError"
    request_id = None

    def __init__(
        self,
        message: str,
        *,
        unknown_outcome: bool = False,
        http_status: int | None = None,
        endpoint: str | None = None,
        retryable: bool = True,
        attempts: int = 1,
    ):
        super().__init__(message)
        self.message = message
        self.unknown_outcome = unknown_outcome
        self.http_status = http_status
        self.endpoint = endpoint
        self.retryable = retryable
        self.attempts = attempts


class ApiError(VpnRouteError):
    """The service answered with an error body.

    ``str(err)`` names the code, status, message and request id, so a pasted traceback
    is enough for a support ticket. Every text here came from the server and is untrusted:
    the client redacts the credentials in use from all of it (see :mod:`vpnroute_widgets.redact`)
    and caps it (code and ids 256 characters, message and recommend 2,048, ``body`` 4,096)
    before this error is built, so records, reports and widgets can show it as it is.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        http_status: int | None = None,
        request_id: str | None = None,
        host_id: str | None = None,
        recommend: str | None = None,
        body: str | None = None,
        attempts: int = 1,
    ):
        self.code = code
        self.attempts = attempts
        self.message = message
        self.http_status = http_status
        self.request_id = request_id
        self.host_id = host_id
        self.recommend = recommend
        self.body = body
        super().__init__(self._summary())

    def _summary(self) -> str:
        status = f"HTTP {self.http_status} " if self.http_status else ""
        rid = f" (RequestId: {self.request_id})" if self.request_id else ""
        return f"{status}{self.code}: {self.message}{rid}"

    @property
    def info(self) -> ErrorInfo:
        """What this code means and what to do about it (from the catalogue)."""
        return error_info(self.code, self.http_status)

    @property
    def retryable(self) -> bool:
        return self.info.retryable

    def __reduce__(self):
        kwargs = {
            "http_status": self.http_status,
            "request_id": self.request_id,
            "host_id": self.host_id,
            "recommend": self.recommend,
            "body": self.body,
            "attempts": self.attempts,
        }
        return (_rebuild_api_error, (self.code, self.message, kwargs))


def _rebuild_api_error(code: str, message: str, kwargs: dict) -> ApiError:
    return ApiError(code, message, **kwargs)


@dataclass(frozen=True)
class ErrorInfo:
    """One catalogue entry: the usual HTTP status, what it means, what to do, and retry safety."""

    code: str
    http_status: int | None
    meaning: str
    remedy: str
    retryable: bool
    documented: bool = False  # listed in the CreateVpnRouteEntry reference


def error_info(code: str | None, http_status: int | None = None) -> ErrorInfo:
    """Return the catalogue entry for ``code``.

    Unknown codes get a generic entry: retryable when the status is 5xx or the code is a
    throttling code, since those are safe to retry with the same ClientToken.
    """
    code = code or "Unknown"
    entry = CATALOGUE.get(code)
    if entry is not None:
        status, meaning, remedy, retryable, documented = entry
        return ErrorInfo(code, status, meaning, remedy, retryable, documented)
    throttled = code.startswith("Throttling")
    server_side = http_status is not None and http_status >= 500
    return ErrorInfo(
        code,
        http_status,
        "An error code this toolkit has no notes for.",
        "Read the message and the Recommend link; retry only if the message says the condition is temporary.",
        throttled or server_side,
    )


@dataclass(frozen=True)
class ErrorDescription:
    """Everything a person or a report needs about one failure, from :func:`describe_error`."""

    code: str
    http_status: int | None
    message: str
    meaning: str
    remedy: str
    retryable: bool
    request_id: str | None = None

    def record_fields(self) -> dict[str, object]:
        """The columns of a log record for this failure (``outcome`` is "error")."""
        return {"outcome": "error", "error_code": self.code, "error_message": self.message,
                "http_status": self.http_status, "request_id": self.request_id, "remedy": self.remedy}


def describe_error(error: BaseException) -> ErrorDescription:
    """The one description of an error: code, HTTP status, message, meaning, remedy, retry safety.

    Client records, batch records and the widgets' result cards all use it, so a failure reads
    the same everywhere. Any exception is accepted; one from outside the toolkit is described
    by its type name.
    """
    code = getattr(error, "code", None) or type(error).__name__
    status = getattr(error, "http_status", None)
    info = error_info(code, status)
    retryable = bool(getattr(error, "retryable", info.retryable))
    return ErrorDescription(code=str(code), http_status=status, message=str(error), meaning=info.meaning,
                            remedy=info.remedy, retryable=retryable, request_id=getattr(error, "request_id", None))


def known_codes(documented_only: bool = False) -> list[str]:
    """Every code in the catalogue (or only those the CreateVpnRouteEntry reference lists)."""
    return [code for code, entry in CATALOGUE.items() if entry[4] or not documented_only]
