"""The sandbox's VPC backend: state and rules, no HTTP (moto-style).

``Backend.handle(key, action, params)`` runs one API action for an authenticated
sandbox key and returns the response fields, or raises :class:`SandboxError` with
the code, HTTP status and message the real service would give. Validation reuses the
client's own checkers (:data:`vpnroute_widgets.model.CHECKERS`), so both sides share
one set of rules. State is kept per account and region; ``reset()`` restores the
seeded world. Time comes from an injectable ``clock`` (epoch seconds).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ValidationError, error_info
from ..model import CHECKERS, RouteEntryRequest
from ..retry import TokenBucket
from .world import AccessKey, GatewaySpec, World

__all__ = ["MESSAGES", "Backend", "SandboxError"]

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
}

_ROUTE_PARAMS = ("RegionId", "VpnGatewayId", "RouteDest", "NextHop", "Weight")


class SandboxError(Exception):
    """An API error: ``code``, ``http_status`` and ``message`` as the real service answers them."""

    def __init__(self, code: str, message: str | None = None, status: int | None = None):
        self.code = code
        self.message = message or MESSAGES.get(code) or error_info(code).meaning
        self.http_status = status or error_info(code).http_status or 400
        super().__init__(f"{self.http_status} {code}: {self.message}")


def missing(name: str) -> SandboxError:
    return SandboxError("MissingParameter",
                        f'The input parameter "{name}" that is mandatory for processing this request is not supplied.')


def invalid(name: str, why: str = "") -> SandboxError:
    detail = f" {why}" if why else ""
    return SandboxError("InvalidParameter", f'The specified parameter "{name}" is not valid.{detail}')


def _from_validation(err: ValidationError) -> SandboxError:
    return missing(err.field) if err.missing else invalid(err.field, err.message)


@dataclass
class Route:
    """One VPN destination route on a gateway."""

    vpn_instance_id: str
    route_dest: str
    next_hop: str
    weight: int
    publish_vpc: bool
    overlay_mode: str | None
    description: str | None
    create_time: int
    route_entry_type: str = "Custom"

    def as_api(self) -> dict[str, Any]:
        data = {"VpnInstanceId": self.vpn_instance_id, "RouteDest": self.route_dest, "NextHop": self.next_hop,
                "Weight": self.weight, "State": "published" if self.publish_vpc else "normal",
                "CreateTime": self.create_time, "RouteEntryType": self.route_entry_type,
                "Source": "CUSTOM" if self.route_entry_type == "Custom" else "SYSTEM",
                "OverlayMode": self.overlay_mode or "Ipsec"}
        if self.description:
            data["Description"] = self.description
        return data


@dataclass
class Gateway:
    """A VPN gateway's live state."""

    spec: GatewaySpec
    routes: list[Route] = field(default_factory=list)
    busy_until: float = 0.0

    def status(self, now: float) -> str:
        return "updating" if now < self.busy_until else "active"

    def as_api(self, now: float) -> dict[str, Any]:
        s = self.spec
        return {"VpnGatewayId": s.vpn_gateway_id, "RegionId": s.region_id, "Name": s.name, "VpcId": s.vpc_id,
                "Status": self.status(now), "BusinessStatus": s.business_status, "Spec": "10M",
                "ChargeType": "PostPaid", "CreateTime": s.create_time, "IpsecVpn": "enable", "SslVpn": "disable",
                "RouteQuota": s.route_quota, "RouteCount": len(self.routes),
                "VpnConnections": {"VpnConnectionId": list(s.connections)}}


class Backend:
    """State and rules of the emulated VPC API for one :class:`World`. Thread-safe."""

    ACTIONS = ("CreateVpnRouteEntry", "DescribeVpnRouteEntries", "DeleteVpnRouteEntry",
               "DescribeVpnGateway", "DescribeVpnGatewayAttribute", "DescribeVpnGateways")
    WRITES = ("CreateVpnRouteEntry", "DeleteVpnRouteEntry")

    def __init__(self, world: World, *, clock: Callable[[], float] = time.time, configuring_s: float = 0.2,
                 rate: float | None = None):
        self.world = world
        self.clock = clock
        self.configuring_s = configuring_s
        self.rate = rate
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Back to the seeded world: no routes, every gateway active, tokens and buckets forgotten."""
        with self._lock:
            self._gateways = {(g.spec.region_id, g.spec.vpn_gateway_id): g
                              for g in (Gateway(spec) for spec in self.world.gateways)}
            self._tokens: dict[tuple, tuple[tuple, dict]] = {}
            self._buckets: dict[tuple, TokenBucket] = {}

    # --- entry point --------------------------------------------------------------------

    def handle(self, key: AccessKey, action: str, params: Mapping[str, str]) -> dict[str, Any]:
        """Run ``action`` for ``key``; returns the response fields (without RequestId)."""
        if action not in self.ACTIONS:
            raise SandboxError("InvalidAction.NotFound",
                               f"Specified api is not found, please check your url and method: {action}", 404)
        if key.role == "subuser":
            raise SandboxError("Forbidden.SubUser")
        if key.role == "forbidden":
            raise SandboxError("Forbidden")
        handler = getattr(self, "_" + action)
        with self._lock:
            self._throttle(key, params.get("RegionId", ""), action)
            return handler(key, params)

    def _throttle(self, key: AccessKey, region_id: str, action: str) -> None:
        if self.rate is None:
            return
        now = self.clock()
        bucket = self._buckets.get((key.account_id, region_id, action))
        if bucket is None:
            bucket = TokenBucket(self.rate, max(1.0, self.rate), clock=self.clock, full=True)
            self._buckets[key.account_id, region_id, action] = bucket
        if bucket.take(now) > 0:
            raise SandboxError("Throttling.User")

    # --- lookups --------------------------------------------------------------------------

    def _checked(self, params: Mapping[str, str], names: tuple[str, ...]) -> dict[str, Any]:
        values = {}
        for name in names:
            if params.get(name) in (None, "") and name in _ROUTE_PARAMS:
                raise missing(name)
            try:
                values[name] = CHECKERS[name](params.get(name))
            except ValidationError as err:
                raise _from_validation(err) from None
        return values

    def _gateway(self, region_id: str, gateway_id: str) -> Gateway:
        gateway = self._gateways.get((region_id, gateway_id))
        if gateway is None:
            raise SandboxError("InvalidVpnGatewayInstanceId.NotFound")
        return gateway

    def _writable(self, region_id: str, gateway_id: str) -> Gateway:
        gateway = self._gateway(region_id, gateway_id)
        if gateway.spec.business_status == "FinancialLocked":
            raise SandboxError("VpnGateway.FinancialLocked")
        return gateway

    def _ensure_active(self, gateway: Gateway) -> None:
        if gateway.status(self.clock()) == "updating":
            raise SandboxError("VpnGateway.Configuring")

    def _configure(self, gateway: Gateway) -> None:
        """A change puts the gateway in ``updating`` for ``configuring_s`` seconds."""
        if self.configuring_s > 0:
            gateway.busy_until = self.clock() + self.configuring_s

    def _replay(self, key: AccessKey, action: str, params: Mapping[str, str], identity: tuple) -> dict | None:
        """ClientToken idempotency: the stored result for a repeat, an error for a mismatch."""
        token = params.get("ClientToken")
        if not token:
            return None
        stored = self._tokens.get((key.account_id, params.get("RegionId"), action, token))
        if stored is None:
            return None
        if stored[0] != identity:
            raise SandboxError("IdempotentParameterMismatch")
        return dict(stored[1])

    def _remember(self, key: AccessKey, action: str, params: Mapping[str, str], identity: tuple, result: dict):
        token = params.get("ClientToken")
        if token:
            self._tokens[(key.account_id, params.get("RegionId"), action, token)] = (identity, dict(result))

    # --- actions --------------------------------------------------------------------------

    def _CreateVpnRouteEntry(self, key: AccessKey, params: Mapping[str, str]) -> dict[str, Any]:
        for name in ("RegionId", "VpnGatewayId", "RouteDest", "NextHop", "Weight", "PublishVpc"):
            if params.get(name) in (None, ""):
                raise missing(name)
        try:
            req = RouteEntryRequest.from_params(params)
        except ValidationError as err:
            raise _from_validation(err) from None
        identity = req.with_client_token("").identity()
        gateway = self._writable(req.region_id, req.vpn_gateway_id)
        replay = self._replay(key, "CreateVpnRouteEntry", params, identity)
        if replay is not None:
            return replay
        self._ensure_active(gateway)
        self._check_new_route(gateway, req)
        route = Route(req.vpn_gateway_id, req.route_dest, req.next_hop, req.weight, req.publish_vpc,
                      req.overlay_mode, req.description, int(self.clock() * 1000))
        gateway.routes.append(route)
        self._configure(gateway)
        result = {k: v for k, v in route.as_api().items() if k not in ("RouteEntryType", "Source")}
        self._remember(key, "CreateVpnRouteEntry", params, identity, result)
        return result

    def _check_new_route(self, gateway: Gateway, req: RouteEntryRequest) -> None:
        if req.next_hop not in gateway.spec.connections:
            raise SandboxError("InvalidNextHop.NotFound")
        for route in gateway.routes:
            if route.route_dest == req.route_dest and route.next_hop == req.next_hop:
                raise SandboxError("VpnRouteEntry.AlreadyExist")
            if route.route_dest == req.route_dest and req.weight == 100 and route.weight == 100:
                raise SandboxError("VpnRouteEntry.Conflict")
        custom = sum(1 for r in gateway.routes if r.route_entry_type == "Custom")
        if custom >= gateway.spec.route_quota:
            raise SandboxError("Resource.QuotaFull")

    def _DeleteVpnRouteEntry(self, key: AccessKey, params: Mapping[str, str]) -> dict[str, Any]:
        v = self._checked(params, (*_ROUTE_PARAMS, "ClientToken", "OverlayMode"))
        identity = tuple(v[name] for name in (*_ROUTE_PARAMS, "OverlayMode"))
        gateway = self._writable(v["RegionId"], v["VpnGatewayId"])
        replay = self._replay(key, "DeleteVpnRouteEntry", params, identity)
        if replay is not None:
            return replay
        self._ensure_active(gateway)
        for route in gateway.routes:
            if (route.route_dest, route.next_hop, route.weight) == (v["RouteDest"], v["NextHop"], v["Weight"]):
                gateway.routes.remove(route)
                self._configure(gateway)
                self._remember(key, "DeleteVpnRouteEntry", params, identity, {})
                return {}
        raise SandboxError("InvalidRouteEntry.NotFound")

    def _DescribeVpnRouteEntries(self, key: AccessKey, params: Mapping[str, str]) -> dict[str, Any]:
        v = self._checked(params, ("RegionId", "VpnGatewayId"))
        page = _int_param(params, "PageNumber", 1, 1, 10**6)
        size = _int_param(params, "PageSize", 10, 1, 50)
        kind = params.get("RouteEntryType") or None
        if kind not in (None, "Custom", "System"):
            raise invalid("RouteEntryType", "Valid values: Custom, System.")
        gateway = self._gateway(v["RegionId"], v["VpnGatewayId"])
        routes = [r for r in gateway.routes if kind is None or r.route_entry_type == kind]
        chosen = routes[(page - 1) * size: page * size]
        return {"TotalCount": len(routes), "PageNumber": page, "PageSize": size,
                "VpnRouteEntries": {"VpnRouteEntry": [r.as_api() for r in chosen]}}

    def _DescribeVpnGateway(self, key: AccessKey, params: Mapping[str, str]) -> dict[str, Any]:
        v = self._checked(params, ("RegionId", "VpnGatewayId"))
        return self._gateway(v["RegionId"], v["VpnGatewayId"]).as_api(self.clock())

    _DescribeVpnGatewayAttribute = _DescribeVpnGateway

    def _DescribeVpnGateways(self, key: AccessKey, params: Mapping[str, str]) -> dict[str, Any]:
        v = self._checked(params, ("RegionId",))
        page = _int_param(params, "PageNumber", 1, 1, 10**6)
        size = _int_param(params, "PageSize", 10, 1, 50)
        now = self.clock()
        found = [g.as_api(now) for (region, _), g in self._gateways.items() if region == v["RegionId"]
                 and params.get("VpnGatewayId") in (None, "", g.spec.vpn_gateway_id)]
        return {"TotalCount": len(found), "PageNumber": page, "PageSize": size,
                "VpnGateways": {"VpnGateway": found[(page - 1) * size: page * size]}}

    # --- inspection ----------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Every gateway with its routes, as plain JSON-ready data (no keys, no secrets)."""
        with self._lock:
            now = self.clock()
            gateways = []
            for gateway in self._gateways.values():
                data = gateway.as_api(now)
                data["Kind"] = gateway.spec.kind
                data["Routes"] = [r.as_api() for r in gateway.routes]
                gateways.append(data)
            return {"seed": self.world.seed, "account_id": self.world.key_for("owner").account_id,
                    "regions": list(self.world.regions), "gateways": gateways}


def _int_param(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:  # '²'.isdigit() is True
        raise invalid(name, f"Expected an integer from {low} to {high}.")
    return int(text)
