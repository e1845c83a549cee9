"""Gateways and connections as the read operations show them (DescribeVpnGateway(s), DescribeVpnConnections).

A :class:`Gateway` is a spec from the world, its :class:`~.routes.RouteTable` and the time until
which it is ``updating`` (every write puts it there for the backend's ``configuring_s``). The
fields are those of the API reference (VpnGatewayId, Name, Status, BusinessStatus, Spec, VpcId,
VSwitchId, InternetIp, CreateTime, EndTime, ChargeType, IpsecVpn, SslVpn, ...); values the world
does not hold (vSwitch, public IP) are derived from the gateway id, so they never change.
The sandbox adds ``RegionId``, ``RouteQuota``, ``RouteCount`` and ``VpnConnections`` (its own).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import invalid
from .routes import CUSTOM, RouteTable
from .world import ConnectionSpec, GatewaySpec

__all__ = ["CONNECTION_FILTERS", "GATEWAY_FILTERS", "Gateway", "connection_as_api", "filtered", "new_gateway",
           "page_of"]

STATUSES = ("init", "provisioning", "active", "updating", "deleting")
BUSINESS_STATUSES = ("Normal", "FinancialLocked")
_YEAR_MS = 365 * 24 * 3600 * 1000


@dataclass
class Gateway:
    """A VPN gateway's live state: its spec, its routes and how long it stays ``updating``."""

    spec: GatewaySpec
    table: RouteTable
    busy_until: float = 0.0

    def status(self, now: float) -> str:
        return "updating" if now < self.busy_until else "active"

    def as_api(self, now: float) -> dict[str, Any]:
        """The gateway as DescribeVpnGateway answers it (and DescribeVpnGateways lists it)."""
        s = self.spec
        rng = random.Random(s.vpn_gateway_id)  # stable per gateway, like the real attributes
        return {"VpnGatewayId": s.vpn_gateway_id, "RegionId": s.region_id, "Name": s.name,
                "Description": f"Sandbox demo gateway ({s.kind})", "VpcId": s.vpc_id,
                "VSwitchId": "vsw-" + s.vpc_id[4:], "InternetIp": f"47.{rng.randrange(96, 120)}."
                f"{rng.randrange(256)}.{rng.randrange(1, 255)}", "Status": self.status(now),
                "BusinessStatus": s.business_status, "Spec": "10M", "ChargeType": "POSTPAY",
                "CreateTime": s.create_time, "EndTime": s.create_time + 10 * _YEAR_MS, "IpsecVpn": "enable",
                "SslVpn": "disable", "SslMaxConnections": 0, "EnableBgp": True, "AutoPropagate": False,
                "GatewayType": "Traditional", "NetworkType": "public", "VpnType": "Normal", "Tag": "",
                "Tags": {"Tag": []}, "RouteQuota": s.route_quota,
                "RouteCount": len(self.table.of_type(CUSTOM)),
                "VpnConnections": {"VpnConnectionId": list(s.connections)}}


#: DescribeVpnGateways' optional filters: parameter -> (answer field, allowed values or None for any).
GATEWAY_FILTERS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "VpcId": ("VpcId", None), "VpnGatewayId": ("VpnGatewayId", None),
    "Status": ("Status", STATUSES), "BusinessStatus": ("BusinessStatus", BUSINESS_STATUSES),
}
#: DescribeVpnConnections' optional filters, in the same shape.
CONNECTION_FILTERS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "VpnGatewayId": ("VpnGatewayId", None), "VpnConnectionId": ("VpnConnectionId", None),
    "CustomerGatewayId": ("CustomerGatewayId", None),
}


def filtered(items: Iterable[dict[str, Any]], params: Mapping[str, str],
             filters: Mapping[str, tuple[str, tuple[str, ...] | None]]) -> list[dict[str, Any]]:
    """The items whose fields equal every filter given in ``params``; a value outside the allowed ones is invalid."""
    wanted = {}
    for name, (answer_field, allowed) in filters.items():
        value = params.get(name)
        if value in (None, ""):
            continue
        if allowed is not None and value not in allowed:
            raise invalid(name, f"Valid values: {', '.join(allowed)}.")
        wanted[answer_field] = value
    return [item for item in items if all(item.get(k) == v for k, v in wanted.items())]


def page_of(items: list[dict[str, Any]], page: int, size: int, list_name: str, item_name: str) -> dict[str, Any]:
    """One page of a paged read, with TotalCount, PageNumber and PageSize."""
    return {"TotalCount": len(items), "PageNumber": page, "PageSize": size,
            list_name: {item_name: items[(page - 1) * size: page * size]}}


def connection_as_api(c: ConnectionSpec) -> dict[str, Any]:
    """An IPsec connection as DescribeVpnConnections lists it (negotiation done, attached to its gateway)."""
    return {"VpnConnectionId": c.vpn_connection_id, "Name": c.name, "VpnGatewayId": c.vpn_gateway_id,
            "CustomerGatewayId": c.customer_gateway_id, "Status": "ipsec_sa_established", "State": "active",
            "LocalSubnet": c.local_subnet, "RemoteSubnet": c.remote_subnet, "CreateTime": c.create_time,
            "EffectImmediately": False, "EnableDpd": True, "EnableNatTraversal": True,
            "EnableTunnelsBgp": False, "NetworkType": "public", "AttachType": "",
            "IkeConfig": {"IkeVersion": "ikev2", "IkeMode": "main", "IkeEncAlg": "aes", "IkeAuthAlg": "sha1",
                          "IkePfs": "group2", "IkeLifetime": 86400},
            "IpsecConfig": {"IpsecEncAlg": "aes", "IpsecAuthAlg": "sha1", "IpsecPfs": "group2",
                            "IpsecLifetime": 86400},
            "VpnBgpConfig": {"EnableBgp": "true", "Status": "success"}}


def new_gateway(spec: GatewaySpec) -> Gateway:
    """A gateway as reset leaves it: active, with an empty route table of its quota."""
    return Gateway(spec, RouteTable(spec.connections, spec.route_quota))
