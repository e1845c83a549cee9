"""The catalogue of error codes: for each code, the usual HTTP status, what it means, what to do,
whether a retry with the same ClientToken is safe, and whether the CreateVpnRouteEntry reference
documents it. Plain data, read through :func:`vpnroute_widgets.errors.error_info`.
"""

from __future__ import annotations

__all__ = ["CATALOGUE"]

_SUBUSER = (
    403,
    "You are not authorized to use this resource: your account is a RAM user created by another account.",
    "Ask the owner of the account to grant your RAM user permission for VPN route operations "
    "(for example AliyunVPCFullAccess), then try again.",
)

CATALOGUE: dict[str, tuple[int | None, str, str, bool, bool]] = {
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
    # --- the route lifecycle (ModifyVpnRouteEntryWeight, PublishVpnRouteEntry): the reference documents the
    # rules but prints no code for them; these are the codes the sandbox answers.
    "VpnRouteEntry.ActiveStandbyPair": (
        400,
        "The destination has an active and a standby route; the weight of one of them cannot change while the "
        "other exists.",
        "Delete the other route of the destination, change the weight, then recreate the other route "
        "(vw.switch_active does this in order).",
        False,
        False,
    ),
    "OperationUnsupported.BgpRoute": (
        400,
        "The route was learned through BGP: it cannot be modified, published or deleted.",
        "Change it on the BGP peer (the customer gateway), or add a destination route for the CIDR instead.",
        False,
        False,
    ),
    # --- the route lifecycle, client side (operations.py, lifecycle.py): codes the service may answer
    # around weight changes and publishing, and the toolkit's own errors of wait_for_gateway and switch_active.
    "VpnRouteEntry.Configuring": (
        400,
        "The route is being changed by an earlier request that has not finished.",
        "Wait until the gateway is active (client.wait_for_gateway), then retry with the same ClientToken.",
        True,
        False,
    ),
    "IncorrectStatus.VpnGateway": (
        400,
        "The VPN gateway is not in a state that allows this change (it is not active).",
        "Wait until the gateway is active (client.wait_for_gateway); if it stays in another state, check it "
        "in the console.",
        True,
        False,
    ),
    "GatewayWaitTimeout": (
        None,
        "vpnroute_widgets waited for the VPN gateway to become active and gave up (timeout, or the gateway is "
        "being deleted).",
        "Wait longer (wait_for_gateway's timeout) or look at the gateway in the console; nothing was sent "
        "while waiting.",
        True,
        False,
    ),
    "SwitchError": (
        None,
        "vw.switch_active stopped before the failover was complete.",
        "Read the error's account: it names the steps done, the routes left and the calls that finish or undo "
        "the switch.",
        False,
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
