"""One validated, immutable request value per operation, built from the shared field checkers.

A request cannot exist in an invalid state: building one runs every field through
:data:`~vpnroute_widgets.model.checks.CHECKERS`, and a bad value raises
:class:`~vpnroute_widgets.errors.ValidationError` naming the API parameter. ``to_params()``
gives the API names and wire strings (booleans as ``true``/``false``; unset optional fields
left out); ``from_params()`` builds from API names. Which parameters each operation takes is
the reference's (:data:`vpnroute_widgets.reference.OPERATIONS`), so the names are written once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import ValidationError
from ..reference import OPERATIONS, REQUEST_FIELDS, attr_of
from .checks import CHECKERS

__all__ = [
    "ApiRequest", "DeleteRouteEntryRequest", "DescribeConnectionsRequest", "DescribeGatewayRequest",
    "DescribeGatewaysRequest", "DescribeRouteEntriesRequest", "ModifyRouteWeightRequest", "PublishRouteRequest",
    "RouteEntryRequest",
]

_TRUE, _FALSE = "true", "false"
_NAMES: dict[type, dict[str, str]] = {}  # request type -> {attribute: API name}; filled on first use


class ApiRequest:
    """Shared behaviour of the request values: check on build, convert to and from API names.

    Subclasses are frozen dataclasses whose field names are the attributes of the operation's
    parameters (``route_dest`` for ``RouteDest``) and set ``ACTION``.
    """

    ACTION: ClassVar[str] = ""

    def __post_init__(self) -> None:
        required = OPERATIONS[self.ACTION].required
        for attr, name in self._names().items():
            value = getattr(self, attr)
            if name not in required and (value is None or value == ""):
                object.__setattr__(self, attr, None)  # an optional parameter left out
                continue
            object.__setattr__(self, attr, CHECKERS[name](value))

    @classmethod
    def _names(cls) -> dict[str, str]:
        """attribute -> API name, in the order of the dataclass fields (worked out once per type)."""
        names = _NAMES.get(cls)
        if names is None:
            spec = OPERATIONS[cls.ACTION]
            by_attr = {attr_of(name): name for name in (*spec.required, *spec.optional)}
            names = _NAMES[cls] = {f.name: by_attr[f.name] for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return names

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Any:
        """Build from API names (``{"RouteDest": ...}``); a missing required name raises ValidationError."""
        spec = OPERATIONS[cls.ACTION]
        defaulted = {f.name for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING}  # type: ignore[arg-type]
        kwargs = {}
        for attr, name in cls._names().items():
            if name in params:
                kwargs[attr] = params[name]
            elif name in spec.required and attr not in defaulted:
                raise ValidationError(name, "is required and was not given.", missing=True)
        return cls(**kwargs)

    def to_params(self) -> dict[str, str]:
        """API parameter names mapped to wire strings; unset optional fields are left out."""
        params: dict[str, str] = {}
        for attr, name in self._names().items():
            value = getattr(self, attr)
            if value is None:
                continue
            params[name] = (_TRUE if value else _FALSE) if isinstance(value, bool) else str(value)
        return params

    def with_client_token(self, token: str) -> Any:
        """A copy carrying ``token`` as its ClientToken (write operations only)."""
        return dataclasses.replace(self, client_token=token)  # type: ignore[type-var]


@dataclass(frozen=True)
class RouteEntryRequest(ApiRequest):
    """A validated CreateVpnRouteEntry request. Building one with a bad value raises ValidationError."""

    ACTION: ClassVar[str] = "CreateVpnRouteEntry"

    region_id: str
    vpn_gateway_id: str
    route_dest: str
    next_hop: str
    weight: int
    publish_vpc: bool
    client_token: str | None = None
    overlay_mode: str | None = None
    description: str | None = None

    def identity(self) -> tuple:
        """What makes two creates 'the same route' on a gateway (used for idempotency and duplicates)."""
        return (self.region_id, self.vpn_gateway_id, self.route_dest, self.next_hop, self.weight,
                self.publish_vpc, self.overlay_mode, self.description)


@dataclass(frozen=True)
class DeleteRouteEntryRequest(ApiRequest):
    """DeleteVpnRouteEntry: the route is named by its destination, next hop and current weight."""

    ACTION: ClassVar[str] = "DeleteVpnRouteEntry"

    region_id: str
    vpn_gateway_id: str
    route_dest: str
    next_hop: str
    weight: int
    client_token: str | None = None
    overlay_mode: str | None = None


@dataclass(frozen=True)
class ModifyRouteWeightRequest(ApiRequest):
    """ModifyVpnRouteEntryWeight: ``weight`` is the route's current weight, ``new_weight`` the one to set."""

    ACTION: ClassVar[str] = "ModifyVpnRouteEntryWeight"

    region_id: str
    vpn_gateway_id: str
    route_dest: str
    next_hop: str
    weight: int
    new_weight: int
    client_token: str | None = None
    overlay_mode: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.weight == self.new_weight:
            raise ValidationError("NewWeight", f"is the route's current weight ({self.weight}); nothing would change.",
                                  value=self.new_weight)


@dataclass(frozen=True)
class PublishRouteRequest(ApiRequest):
    """PublishVpnRouteEntry: advertise the route to the VPC (``publish_vpc=True``) or withdraw it."""

    ACTION: ClassVar[str] = "PublishVpnRouteEntry"

    region_id: str
    vpn_gateway_id: str
    route_dest: str
    next_hop: str
    publish_vpc: bool
    route_type: str = "dbr"
    client_token: str | None = None


@dataclass(frozen=True)
class DescribeRouteEntriesRequest(ApiRequest):
    """DescribeVpnRouteEntries (one gateway; the client follows every page)."""

    ACTION: ClassVar[str] = "DescribeVpnRouteEntries"

    region_id: str
    vpn_gateway_id: str
    route_entry_type: str | None = None


@dataclass(frozen=True)
class DescribeGatewayRequest(ApiRequest):
    """DescribeVpnGateway: one gateway's attributes and status."""

    ACTION: ClassVar[str] = "DescribeVpnGateway"

    region_id: str
    vpn_gateway_id: str


@dataclass(frozen=True)
class DescribeGatewaysRequest(ApiRequest):
    """DescribeVpnGateways: the region's gateways, optionally one VPC's."""

    ACTION: ClassVar[str] = "DescribeVpnGateways"

    region_id: str
    vpc_id: str | None = None


@dataclass(frozen=True)
class DescribeConnectionsRequest(ApiRequest):
    """DescribeVpnConnections: the region's IPsec connections, optionally one gateway's."""

    ACTION: ClassVar[str] = "DescribeVpnConnections"

    region_id: str
    vpn_gateway_id: str | None = None


assert {d.name for d in REQUEST_FIELDS} <= set(CHECKERS)  # noqa: S101 - every documented field has a checker
