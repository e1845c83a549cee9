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

__all__ = [
    "ApiError",
    "ConfigurationError",
    "CredentialsError",
    "ErrorInfo",
    "TransportError",
    "ValidationError",
    "VpnRouteError",
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
    """

    def __init__(
        self,
        message: str,
        *,
        unknown_outcome: bool = False,
        http_status: int | None = None,
        endpoint: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.unknown_outcome = unknown_outcome
        self.http_status = http_status
        self.endpoint = endpoint
        self.code = "TransportError"
        self.request_id = None


class ApiError(VpnRouteError):
    """The service answered with an error body.

    ``str(err)`` names the code, status, message and request id, so a pasted traceback
    is enough for a support ticket.
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
    ):
        self.code = code
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


_SUBUSER = (
    403,
    "You are not authorized to use this resource: your account is a RAM user created by another account.",
    "Ask the owner of the account to grant your RAM user permission for VPN route operations "
    "(for example AliyunVPCFullAccess), then try again.",
)

_CATALOGUE: dict[str, tuple[int | None, str, str, bool, bool]] = {
    # code: (status, meaning, remedy, retryable, documented by the reference)
    "Forbidden.SubUser": (*_SUBUSER, False, True),
    "Forbbiden.SubUser": (*_SUBUSER, False, True),  # the spelling of the Chinese reference
    "Forbidden": (
        403,
        "You are not authorized to use this resource.",
        "Check the RAM policy of the AccessKey in use; if it should have access, open a ticket.",
        False,
        True,
    ),
    "Resource.QuotaFull": (
        400,
        "The route quota of this VPN gateway has been reached.",
        "Delete routes you no longer need, or request a higher quota in the Quota Center, then try again.",
        False,
        True,
    ),
    "InvalidVpnGatewayInstanceId.NotFound": (
        404,
        "The specified VPN gateway does not exist in this region.",
        "Check VpnGatewayId and RegionId (the gateway must be in the region you call).",
        False,
        True,
    ),
    "VpnGateway.Configuring": (
        400,
        "The VPN gateway is applying another change and accepts one change at a time.",
        "Wait until the gateway is active again (usually seconds), then retry with the same ClientToken.",
        True,
        True,
    ),
    "VpnGateway.FinancialLocked": (
        400,
        "The VPN gateway is locked because the account has an overdue payment.",
        "Top up the account balance or settle the overdue bill, then try again.",
        False,
        True,
    ),
    "IncorrectVpcStatus": (
        400,
        "The VPC of this gateway is not in a state that allows the change.",
        "Wait until the VPC is Available, then retry.",
        False,
        False,
    ),
    "MissingParameter": (
        400,
        "A required parameter is missing.",
        "Fill in the parameter named in the message.",
        False,
        False,
    ),
    "InvalidParameter": (
        400,
        "A parameter has a value the service does not accept.",
        "Correct the parameter named in the message.",
        False,
        False,
    ),
    "VpnRouteEntry.AlreadyExist": (
        400,
        "A route with the same destination, next hop and weight already exists on this gateway.",
        "Nothing to do if the existing route is the one you wanted; otherwise change RouteDest or NextHop.",
        False,
        False,
    ),
    "VpnRouteEntry.Conflict": (
        400,
        "The route conflicts with an existing route (an active route for this destination already exists).",
        "Use Weight 0 for a standby route, or delete the existing active route first.",
        False,
        False,
    ),
    "InvalidNextHop.NotFound": (
        400,
        "NextHop is not an IPsec connection of this VPN gateway.",
        "Use the id (vco-...) of an IPsec connection attached to this gateway.",
        False,
        False,
    ),
    "InvalidRouteEntry.NotFound": (
        404,
        "No route with this destination, next hop and weight exists on the gateway.",
        "Describe the gateway's routes to check the exact values.",
        False,
        False,
    ),
    "IdempotentParameterMismatch": (
        400,
        "This ClientToken was already used for a request with different parameters.",
        "Use a new ClientToken for a different request; reuse a token only to retry the same request.",
        False,
        False,
    ),
    "SignatureDoesNotMatch": (
        400,
        "The signature does not match: the AccessKeySecret is wrong or the request was changed in transit.",
        "Check the AccessKeySecret belongs to the AccessKeyId; check no proxy rewrites the request.",
        False,
        False,
    ),
    "IncompleteSignature": (
        400,
        "The request's signature parameters are incomplete.",
        "Use a supported client; every signature parameter must be sent.",
        False,
        False,
    ),
    "InvalidAccessKeyId.NotFound": (
        404,
        "The AccessKeyId does not exist.",
        "Check the AccessKeyId, or create a new AccessKey pair in the RAM console.",
        False,
        False,
    ),
    "InvalidAccessKeyId.Inactive": (
        400,
        "The AccessKey pair is disabled.",
        "Enable the AccessKey pair in the RAM console, or use another one.",
        False,
        False,
    ),
    "SignatureNonceUsed": (
        400,
        "The signature nonce was already used.",
        "Retry: each attempt gets a fresh nonce.",
        True,
        False,
    ),
    "InvalidTimeStamp.Expired": (
        400,
        "The request's timestamp is too far from the server's clock.",
        "Synchronise this machine's clock (NTP), then retry.",
        False,
        False,
    ),
    "IllegalTimestamp": (
        400,
        "The request's timestamp is malformed or out of range.",
        "Synchronise this machine's clock (NTP), then retry.",
        False,
        False,
    ),
    "Throttling": (
        400,
        "Too many requests: the request was throttled.",
        "Slow down; the call is retried with backoff.",
        True,
        False,
    ),
    "Throttling.User": (
        400,
        "Too many requests from this account for this API in this region.",
        "Slow down (lower the batch rate); the call is retried with backoff.",
        True,
        False,
    ),
    "Throttling.Api": (
        400,
        "This API is receiving too many requests in this region.",
        "Slow down; the call is retried with backoff.",
        True,
        False,
    ),
    "ServiceUnavailable": (
        503,
        "The service is temporarily unavailable.",
        "Retry later with the same ClientToken.",
        True,
        False,
    ),
    "InternalError": (
        500,
        "The service hit an internal error.",
        "Retry with the same ClientToken; if it persists, open a ticket with the RequestId.",
        True,
        False,
    ),
    "TaskConflict": (
        400,
        "Another task is running on the same resource.",
        "Retry shortly with the same ClientToken.",
        True,
        False,
    ),
    "Appliance.Configuring": (
        400,
        "The appliance behind the gateway is being configured.",
        "Retry shortly with the same ClientToken.",
        True,
        False,
    ),
    "VpnTask.CONFLICT": (
        400,
        "Another VPN task is running on the same gateway.",
        "Retry shortly with the same ClientToken.",
        True,
        False,
    ),
    "VpnConnection.Configuring": (
        400,
        "The IPsec connection used as next hop is being configured.",
        "Retry shortly with the same ClientToken.",
        True,
        False,
    ),
    "ValidationError": (
        None,
        "The input was refused by vpnroute_widgets before anything was sent.",
        "Correct the field named in the message.",
        False,
        False,
    ),
    "TransportError": (
        None,
        "No usable response came back (connection refused, reset, timed out, or an unreadable body).",
        "Check the endpoint and network; a create is retried with the same ClientToken, so it is never "
        "made twice.",
        True,
        False,
    ),
}


def error_info(code: str | None, http_status: int | None = None) -> ErrorInfo:
    """Return the catalogue entry for ``code``.

    Unknown codes get a generic entry: retryable when the status is 5xx or the code is a
    throttling code, since those are safe to retry with the same ClientToken.
    """
    code = code or "Unknown"
    entry = _CATALOGUE.get(code)
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


def known_codes(documented_only: bool = False) -> list[str]:
    """Every code in the catalogue (or only those the CreateVpnRouteEntry reference lists)."""
    return [code for code, entry in _CATALOGUE.items() if entry[4] or not documented_only]
