"""The sandbox's API errors: the code, HTTP status and message the real service answers.

Messages come from the API reference where it prints one (:data:`MESSAGES`), otherwise from the
toolkit's error catalogue (:func:`vpnroute_widgets.errors.error_info`), which also gives the usual
HTTP status.
"""

from __future__ import annotations

from ..errors import ValidationError, error_info

__all__ = ["MESSAGES", "SandboxError", "from_validation", "invalid", "missing"]

#: Messages of the API reference (and of common Alibaba Cloud errors).
MESSAGES = {
    "Forbidden.SubUser": "User not authorized to operate on the specified resource as your account is created "
                         "by another user.",
    "Forbidden": "User not authorized to operate on the specified resource.",
    "Resource.QuotaFull": "The quota of resource is full.",
    "InvalidVpnGatewayInstanceId.NotFound": "The specified vpn gateway instance id does not exist.",
    "VpnGateway.Configuring": "The specified service is configuring.",
    "VpnGateway.FinancialLocked": "The specified service is financial locked.",
    "Throttling.User": "Request was denied due to user flow control.",
    "Throttling": "Request was denied due to request throttling.",
    "ServiceUnavailable": "The request has failed due to a temporary failure of the server.",
    "InternalError": "The request processing has failed due to some unknown error, exception or failure.",
    "VpnRouteEntry.AlreadyExist": "The specified route entry already exists.",
    "VpnRouteEntry.Conflict": "An active route (weight 100) to this destination already exists through another "
                              "connection.",
    "InvalidNextHop.NotFound": "The specified next hop is not an IPsec connection of this VPN gateway.",
    "InvalidRouteEntry.NotFound": "The specified route entry does not exist.",
    "IdempotentParameterMismatch": "The request uses the same client token as a previous, but non-identical "
                                   "request.",
    "VpnRouteEntry.ActiveStandbyPair": "The destination has an active and a standby route: to change the weight "
                                       "of one of them, delete the other route first, then recreate it.",
    "OperationUnsupported.BgpRoute": "The specified route is learned through BGP and cannot be modified, "
                                     "published or deleted.",
}


class SandboxError(Exception):
    """An API error: ``code``, ``http_status`` and ``message`` as the real service answers them."""

    def __init__(self, code: str, message: str | None = None, status: int | None = None):
        self.code = code
        self.message = message or MESSAGES.get(code) or error_info(code).meaning
        self.http_status = status or error_info(code).http_status or 400
        super().__init__(f"{self.http_status} {code}: {self.message}")


def missing(name: str) -> SandboxError:
    """MissingParameter naming ``name``, worded like the service."""
    return SandboxError("MissingParameter",
                        f'The input parameter "{name}" that is mandatory for processing this request is not supplied.')


def invalid(name: str, why: str = "") -> SandboxError:
    """InvalidParameter naming ``name``, with the reason when there is one."""
    detail = f" {why}" if why else ""
    return SandboxError("InvalidParameter", f'The specified parameter "{name}" is not valid.{detail}')


def from_validation(err: ValidationError) -> SandboxError:
    """The API error for a field the shared checkers refused."""
    return missing(err.field) if err.missing else invalid(err.field, err.message)
