"""The typed operations of :class:`~vpnroute_widgets.client.VpcClient`, one method per API operation.

Each method validates its input through a request type of :mod:`vpnroute_widgets.model` before
any I/O, sends it with ``self.call`` (sign, send, retry when safe, record) and returns a typed
value. Writes always carry a ClientToken, generated when none is given, reused on every retry.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from .errors import TransportError, ValidationError
from .model import RouteEntry, RouteEntryRequest, check_region_id, check_vpn_gateway_id
from .wire import list_items

__all__ = ["CREATE", "DELETE", "DESCRIBE", "DESCRIBE_GATEWAY", "RouteOperations", "entry_from_answer"]

CREATE = "CreateVpnRouteEntry"
DESCRIBE = "DescribeVpnRouteEntries"
DELETE = "DeleteVpnRouteEntry"
DESCRIBE_GATEWAY = "DescribeVpnGateway"
_PAGE_SIZE = 50


class RouteOperations:
    """Mixed into VpcClient: needs ``self.call(action, params, context=None) -> dict``."""

    def call(self, action: str, params: Mapping[str, str], *,
             context: Mapping[str, Any] | None = None) -> dict[str, Any]:  # pragma: no cover - VpcClient's
        raise NotImplementedError

    def create_vpn_route_entry(self, request: RouteEntryRequest | Mapping[str, Any], *,
                               context: Mapping[str, Any] | None = None) -> RouteEntry:
        """Create a route; a ClientToken is generated when the request has none and reused on retries."""
        if not isinstance(request, RouteEntryRequest):
            request = RouteEntryRequest.from_params(request)
        params = request.to_params()
        params.setdefault("ClientToken", str(uuid.uuid4()))  # valid by construction: no second validation
        data = self.call(CREATE, params, context=context)
        return RouteEntry.from_api(data)  # checked readable by call()

    def describe_vpn_route_entries(self, region_id: str, vpn_gateway_id: str, *,
                                   route_entry_type: str | None = None) -> list[RouteEntry]:
        """Every route of the gateway, following all pages."""
        params = {"RegionId": check_region_id(region_id), "VpnGatewayId": check_vpn_gateway_id(vpn_gateway_id),
                  "PageSize": str(_PAGE_SIZE)}
        if route_entry_type:
            if route_entry_type not in ("Custom", "System"):
                raise ValidationError("RouteEntryType", "must be 'Custom' or 'System'.", value=route_entry_type)
            params["RouteEntryType"] = route_entry_type
        entries: list[RouteEntry] = []
        for page in range(1, 10_000):
            data = self.call(DESCRIBE, {**params, "PageNumber": str(page)})
            items = list_items(data, "VpnRouteEntries", "VpnRouteEntry")
            entries += [entry_from_answer(item, 200, 1, request_id=data.get("RequestId")) for item in items]
            total = int(data.get("TotalCount") or 0)
            if not items or len(entries) >= total:
                return entries
        raise TransportError("DescribeVpnRouteEntries did not stop paging after 10,000 pages.")

    def delete_vpn_route_entry(self, region_id: str, vpn_gateway_id: str, route_dest: str, next_hop: str,
                               weight: int, *, overlay_mode: str | None = None, client_token: str | None = None,
                               context: Mapping[str, Any] | None = None) -> str | None:
        """Delete one route; returns the RequestId. Validated like a create (same field rules)."""
        probe = RouteEntryRequest(region_id, vpn_gateway_id, route_dest, next_hop, weight, True,
                                  client_token=client_token or str(uuid.uuid4()), overlay_mode=overlay_mode)
        params = {k: v for k, v in probe.to_params().items() if k != "PublishVpc"}
        return self.call(DELETE, params, context=context).get("RequestId")

    def describe_vpn_gateway(self, region_id: str, vpn_gateway_id: str) -> dict[str, Any]:
        """The gateway's attributes (``Status``: active/updating, ``BusinessStatus``: Normal/FinancialLocked)."""
        params = {"RegionId": check_region_id(region_id), "VpnGatewayId": check_vpn_gateway_id(vpn_gateway_id)}
        return self.call(DESCRIBE_GATEWAY, params)


def entry_from_answer(data: Mapping[str, Any], status: int, attempts: int, request_id: str | None = None) -> RouteEntry:
    """A RouteEntry from an answer; an unreadable one is a TransportError, never a ValidationError.

    The request did reach the service, so the outcome is unknown: a retry must reuse the ClientToken.
    """
    try:
        return RouteEntry.from_api(data, request_id=request_id)
    except ValidationError as exc:
        raise TransportError(f"HTTP {status}: the answer could not be read ({exc})", http_status=status,
                             unknown_outcome=True, attempts=attempts) from exc
