"""Requests and responses as validated, immutable values, and the one checker per API field.

``checks`` holds the field rules (:data:`CHECKERS`), ``requests`` one request type per
operation, ``resources`` the typed answers (routes, gateways, connections).
"""

from __future__ import annotations

from ..errors import ValidationError  # re-exported: the error every checker raises
from .checks import (
    CHECKERS,
    check_client_token,
    check_description,
    check_new_weight,
    check_next_hop,
    check_overlay_mode,
    check_publish_vpc,
    check_region_id,
    check_route_dest,
    check_route_entry_type,
    check_route_type,
    check_vpn_gateway_id,
    check_weight,
)
from .requests import (
    ApiRequest,
    DeleteRouteEntryRequest,
    DescribeConnectionsRequest,
    DescribeGatewayRequest,
    DescribeGatewaysRequest,
    DescribeRouteEntriesRequest,
    ModifyRouteWeightRequest,
    PublishRouteRequest,
    RouteEntryRequest,
)
from .resources import RouteEntry
from .values import is_blank, parse_bool

__all__ = [
    "CHECKERS", "ApiRequest", "DeleteRouteEntryRequest", "DescribeConnectionsRequest", "DescribeGatewayRequest",
    "DescribeGatewaysRequest", "DescribeRouteEntriesRequest", "ModifyRouteWeightRequest", "PublishRouteRequest",
    "RouteEntry", "RouteEntryRequest", "ValidationError", "check_client_token", "check_description", "check_new_weight",
    "check_next_hop", "check_overlay_mode", "check_publish_vpc", "check_region_id", "check_route_dest",
    "check_route_entry_type", "check_route_type", "check_vpn_gateway_id", "check_weight", "is_blank",
    "parse_bool",
]
