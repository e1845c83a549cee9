"""Typed values of what the service returns: routes, gateways, connections.

Built from a parsed JSON or XML answer (XML gives every value as text; numbers and booleans
are converted here). A route never fails to build (an unreadable number becomes None and is
noted in ``problems``: a create answer is the service's word that the route exists). A gateway
or connection value that cannot be read raises :class:`~vpnroute_widgets.errors.ValidationError`
naming the field; the client turns that into an error of the call. Gateways and connections keep
the whole answer (``raw``) so fields this toolkit does not model (tags, tunnel options) are still
there, and ``gateway["Status"]`` reads like the dict that ``describe_vpn_gateway`` returned
before it was typed (the notebooks and tests that index it keep working).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import ValidationError

__all__ = ["RouteEntry", "VpnConnection", "VpnGateway"]

_TRUE, _FALSE = "true", "false"


_INT64 = (-(2**63), 2**63 - 1)
_WEIGHT = (0, 2**31 - 1)
_DIGITS = re.compile(r"[+-]?[0-9]{1,20}")


def _as_int(field: str, value: object, bounds: tuple[int, int] = _INT64) -> int | None:
    """An int from a JSON number or XML text; absent is None; anything else raises ValidationError.

    Accepted: an int, an integral finite float (``100.0``), or ASCII digits with an optional sign.
    Refused: booleans, fractions, NaN and infinities, other text, and values outside ``bounds``
    (a 64-bit integer by default: the log and pandas hold no more).
    """
    if value is None or value == "":
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        number = int(value.strip())
    if number is None or not bounds[0] <= number <= bounds[1]:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise ValidationError(field, f"the response carried {shown}, not an integer from {bounds[0]} to "
                                     f"{bounds[1]}.", value=value)
    return number


def _as_bool(field: str, value: object) -> bool | None:
    """``true``/``false`` (any case, XML gives text) or a JSON boolean; absent is None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in (_TRUE, _FALSE):
        return value.strip().lower() == _TRUE
    raise ValidationError(field, f"the response carried {value!r} where true or false was expected.", value=value)


def _as_text(value: object) -> str | None:
    """Any scalar as text; absent, empty or a nested structure (not a scalar field) is None."""
    if value is None or value == "" or isinstance(value, Mapping | list):
        return None
    if isinstance(value, bool):
        return _TRUE if value else _FALSE
    return str(value)


@dataclass(frozen=True)
class RouteEntry:
    """A VPN route as the service returned it (weight and create_time always ints).

    ``route_entry_type`` is ``custom`` for destination routes and ``bgp`` for BGP-learned
    routes; ``source``, ``as_path`` and ``community`` come with BGP-learned routes where the
    service gives them. A listing does not return ``description`` or ``overlay_mode`` on the
    real service; a create answer does.
    """

    request_id: str | None
    vpn_instance_id: str | None
    route_dest: str | None
    next_hop: str | None
    weight: int | None
    overlay_mode: str | None = None
    state: str | None = None
    create_time: int | None = None
    description: str | None = None
    route_entry_type: str | None = None
    source: str | None = None
    as_path: str | None = None
    community: str | None = None
    #: What could not be read: one message per field set to None because its value was unreadable.
    problems: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any], request_id: str | None = None) -> RouteEntry:
        """Build from a parsed JSON or XML body, converting text numbers to ints; never raises.

        A number that cannot be read (not an integer, a fraction, NaN, out of range: a Weight
        past 2**31-1, a CreateTime past 64 bits) becomes None and its message goes to
        ``problems``. The answer is still the service's word: a create answer with one odd
        field means the route WAS created, so it must not turn into an error that would make
        the user create it again (the client notes the problem in the call's record).
        """
        problems: list[str] = []

        def text(key: str) -> str | None:
            return _as_text(data.get(key))

        def number(key: str, bounds: tuple[int, int] = _INT64) -> int | None:
            try:
                return _as_int(key, data.get(key), bounds)
            except ValidationError as err:
                problems.append(f"{err} Kept as None.")
                return None

        return cls(
            request_id=text("RequestId") or request_id,
            vpn_instance_id=text("VpnInstanceId"),
            route_dest=text("RouteDest"),
            next_hop=text("NextHop"),
            weight=number("Weight", _WEIGHT),
            overlay_mode=text("OverlayMode"),
            state=text("State"),
            create_time=number("CreateTime", (0, _INT64[1])),
            description=text("Description"),
            route_entry_type=text("RouteEntryType"),
            source=text("Source"),
            as_path=text("AsPath"),
            community=text("Community"),
            problems=tuple(problems),
        )

    @property
    def is_bgp(self) -> bool:
        """True for a BGP-learned route (it cannot be modified or deleted through the route API)."""
        return (self.route_entry_type or "").lower() == "bgp"

    @property
    def published(self) -> bool | None:
        """Whether the route is advertised to the VPC (``State`` ``published``); None when unknown."""
        if not self.state:
            return None
        return self.state.lower() == "published"


class _ApiFields:
    """Shared reading of the gateway and connection answers: typed fields plus the raw answer.

    Subclasses list their API names in ``API_NAMES`` (API name -> attribute) and which are
    ints or booleans. ``value["ApiName"]`` returns the typed attribute for a modelled field and
    the raw value otherwise (KeyError when the answer had no such field).
    """

    API_NAMES: ClassVar[dict[str, str]] = {}
    INTS: ClassVar[frozenset[str]] = frozenset()
    BOOLS: ClassVar[frozenset[str]] = frozenset()
    raw: Mapping[str, Any]

    @classmethod
    def from_api(cls, data: Mapping[str, Any], request_id: str | None = None) -> Any:
        """Build from one parsed JSON or XML item (text numbers become ints, ``true`` a bool)."""
        values: dict[str, Any] = {}
        for name, attr in cls.API_NAMES.items():
            value = data.get(name)
            if name in cls.INTS:
                values[attr] = _as_int(name, value)
            elif name in cls.BOOLS:
                values[attr] = _as_bool(name, value)
            else:
                values[attr] = _as_text(value)
        values["request_id"] = _as_text(data.get("RequestId")) or request_id
        raw = {k: v for k, v in data.items() if not k.startswith("__")}  # a copy: the caller keeps its dict
        return cls(**values, raw=raw)  # type: ignore[call-arg]

    def __getitem__(self, name: str) -> Any:
        attr = self.API_NAMES.get(name)
        if attr is not None:
            return getattr(self, attr)
        return self.raw[name]

    def get(self, name: str, default: Any = None) -> Any:
        """Like ``dict.get`` with API names: the typed value of a modelled field, else the raw one."""
        try:
            value = self[name]
        except KeyError:
            return default
        return default if value is None else value

    __iter__ = None  # not a sequence: __getitem__ takes API names

    def to_api(self) -> dict[str, Any]:
        """The answer as the service gave it (a plain dict copy)."""
        return dict(self.raw)

    def as_dict(self) -> dict[str, Any]:
        """The typed fields (without ``raw``), for a table or a DataFrame row."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)  # type: ignore[arg-type]
                if f.name != "raw"}


@dataclass(frozen=True)
class VpnGateway(_ApiFields):
    """A VPN gateway (DescribeVpnGateway / DescribeVpnGateways).

    ``status`` is ``init``, ``provisioning``, ``active``, ``updating`` or ``deleting``: a change
    is accepted only while ``active``. ``business_status`` is ``Normal`` or ``FinancialLocked``
    (overdue payment: every change is refused). Times are epoch milliseconds.
    """

    API_NAMES: ClassVar[dict[str, str]] = {
        "VpnGatewayId": "vpn_gateway_id", "Name": "name", "Status": "status", "BusinessStatus": "business_status",
        "Spec": "spec", "VpcId": "vpc_id", "VSwitchId": "vswitch_id", "InternetIp": "internet_ip",
        "CreateTime": "create_time", "EndTime": "end_time", "ChargeType": "charge_type",
        "Description": "description", "IpsecVpn": "ipsec_vpn", "SslVpn": "ssl_vpn",
        "SslMaxConnections": "ssl_max_connections", "EnableBgp": "enable_bgp", "AutoPropagate": "auto_propagate",
        "VpnType": "vpn_type", "NetworkType": "network_type", "GatewayType": "gateway_type",
        "DisasterRecoveryInternetIp": "disaster_recovery_internet_ip", "SslVpnInternetIp": "ssl_vpn_internet_ip",
        "ResourceGroupId": "resource_group_id",
    }
    INTS: ClassVar[frozenset[str]] = frozenset({"CreateTime", "EndTime", "SslMaxConnections"})
    BOOLS: ClassVar[frozenset[str]] = frozenset({"EnableBgp", "AutoPropagate"})

    vpn_gateway_id: str | None
    name: str | None = None
    status: str | None = None
    business_status: str | None = None
    spec: str | None = None
    vpc_id: str | None = None
    vswitch_id: str | None = None
    internet_ip: str | None = None
    create_time: int | None = None
    end_time: int | None = None
    charge_type: str | None = None
    description: str | None = None
    ipsec_vpn: str | None = None
    ssl_vpn: str | None = None
    ssl_max_connections: int | None = None
    enable_bgp: bool | None = None
    auto_propagate: bool | None = None
    vpn_type: str | None = None
    network_type: str | None = None
    gateway_type: str | None = None
    disaster_recovery_internet_ip: str | None = None
    ssl_vpn_internet_ip: str | None = None
    resource_group_id: str | None = None
    request_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_active(self) -> bool:
        """True when the gateway accepts a change now (``Status`` ``active``)."""
        return (self.status or "").lower() == "active"

    @property
    def is_locked(self) -> bool:
        """True when an overdue payment locks the gateway (``BusinessStatus`` ``FinancialLocked``)."""
        return (self.business_status or "").lower() == "financiallocked"


@dataclass(frozen=True)
class VpnConnection(_ApiFields):
    """An IPsec connection (DescribeVpnConnections): the ``vco-...`` id a route's NextHop names.

    ``status`` is the tunnel's negotiation state (``ike_sa_not_established``, ...,
    ``ipsec_sa_established``); ``state`` the resource's (``active``, ``attached``, ``updating``,
    ...). ``local_subnet`` and ``remote_subnet`` are comma-separated CIDR blocks, as the API gives them.
    """

    API_NAMES: ClassVar[dict[str, str]] = {
        "VpnConnectionId": "vpn_connection_id", "Name": "name", "VpnGatewayId": "vpn_gateway_id",
        "CustomerGatewayId": "customer_gateway_id", "Status": "status", "State": "state",
        "LocalSubnet": "local_subnet", "RemoteSubnet": "remote_subnet", "CreateTime": "create_time",
        "EffectImmediately": "effect_immediately", "EnableDpd": "enable_dpd",
        "EnableNatTraversal": "enable_nat_traversal", "EnableTunnelsBgp": "enable_tunnels_bgp", "Spec": "spec",
        "NetworkType": "network_type", "InternetIp": "internet_ip", "AttachType": "attach_type",
        "AttachInstanceId": "attach_instance_id", "TransitRouterId": "transit_router_id",
        "ResourceGroupId": "resource_group_id",
    }
    INTS: ClassVar[frozenset[str]] = frozenset({"CreateTime"})
    BOOLS: ClassVar[frozenset[str]] = frozenset({"EffectImmediately", "EnableDpd", "EnableNatTraversal",
                                                 "EnableTunnelsBgp"})

    vpn_connection_id: str | None
    name: str | None = None
    vpn_gateway_id: str | None = None
    customer_gateway_id: str | None = None
    status: str | None = None
    state: str | None = None
    local_subnet: str | None = None
    remote_subnet: str | None = None
    create_time: int | None = None
    effect_immediately: bool | None = None
    enable_dpd: bool | None = None
    enable_nat_traversal: bool | None = None
    enable_tunnels_bgp: bool | None = None
    spec: str | None = None
    network_type: str | None = None
    internet_ip: str | None = None
    attach_type: str | None = None
    attach_instance_id: str | None = None
    transit_router_id: str | None = None
    resource_group_id: str | None = None
    request_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def label(self) -> str:
        """``name (vco-...)`` for a picker; the id alone when the connection has no name."""
        if self.name and self.name != self.vpn_connection_id:
            return f"{self.name} ({self.vpn_connection_id})"
        return self.vpn_connection_id or ""
