"""The operations of the VPC API (2016-04-28) that the toolkit calls, and their parameters.

Parameter names are those of Alibaba Cloud's API reference, cross-checked against the request
classes of ``aliyun-python-sdk-vpc``. ``write`` operations change a gateway (they put it in
``updating`` for a while and accept a ``ClientToken``); reads do not. ``paged`` reads take
``PageNumber``/``PageSize`` (at most ``page_size_max``) and answer ``TotalCount``. The request
types of :mod:`vpnroute_widgets.model.requests` and the sandbox both read this table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["OPERATIONS", "OperationSpec", "attr_of"]


@dataclass(frozen=True)
class OperationSpec:
    """One operation: its API parameters (required, then optional) and how it behaves."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    write: bool = False
    paged: bool = False
    page_size_max: int = 50
    summary: str = ""


OPERATIONS: dict[str, OperationSpec] = {spec.name: spec for spec in (
    OperationSpec("CreateVpnRouteEntry",
                  ("RegionId", "VpnGatewayId", "RouteDest", "NextHop", "Weight", "PublishVpc"),
                  ("ClientToken", "OverlayMode", "Description"), write=True,
                  summary="Adds a destination route to a VPN gateway."),
    OperationSpec("DeleteVpnRouteEntry", ("RegionId", "VpnGatewayId", "RouteDest", "NextHop", "Weight"),
                  ("ClientToken", "OverlayMode"), write=True,
                  summary="Deletes a destination route (named by destination, next hop and current weight)."),
    OperationSpec("ModifyVpnRouteEntryWeight",
                  ("RegionId", "VpnGatewayId", "RouteDest", "NextHop", "Weight", "NewWeight"),
                  ("ClientToken", "OverlayMode"), write=True,
                  summary="Changes the weight of a destination route: 100 (active) or 0 (standby)."),
    OperationSpec("PublishVpnRouteEntry",
                  ("RegionId", "VpnGatewayId", "RouteDest", "NextHop", "PublishVpc", "RouteType"),
                  ("ClientToken",), write=True,
                  summary="Advertises a route to the VPC (PublishVpc=true) or withdraws it (false)."),
    OperationSpec("DescribeVpnRouteEntries", ("RegionId", "VpnGatewayId"), ("RouteEntryType",), paged=True,
                  summary="Lists a gateway's destination routes and BGP-learned routes."),
    OperationSpec("DescribeVpnGateway", ("RegionId", "VpnGatewayId"),
                  summary="A gateway's attributes, among them Status (active, updating) and BusinessStatus."),
    OperationSpec("DescribeVpnGateways", ("RegionId",), ("VpcId", "VpnGatewayId", "Status", "BusinessStatus"),
                  paged=True, summary="Lists the region's VPN gateways."),
    OperationSpec("DescribeVpnConnections", ("RegionId",), ("VpnGatewayId", "VpnConnectionId", "CustomerGatewayId"),
                  paged=True, summary="Lists the region's IPsec connections, or one gateway's."),
)}


def attr_of(name: str) -> str:
    """The Python attribute of an API name: ``RouteDest`` -> ``route_dest``, ``VpcId`` -> ``vpc_id``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
