"""The sandbox's VPC backend: state and rules, no HTTP (moto-style).

``Backend.handle(key, action, params)`` runs one API action for an authenticated
sandbox key and returns the response fields, or raises :class:`SandboxError` with
the code, HTTP status and message the real service would give. Requests are validated
by the client's own request types (:mod:`vpnroute_widgets.model`), so both sides share
one set of rules. The route rules live in :mod:`.routes`, the gateway and connection
listings in :mod:`.gateways`; this module is the entry point: authorisation, rate limits,
ClientToken idempotency and the ``updating`` window that every write opens.

State is kept per account and region; ``reset()`` restores the seeded world. Time comes
from an injectable ``clock`` (epoch seconds).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ValidationError
from ..model import (
    ApiRequest,
    DeleteRouteEntryRequest,
    ModifyRouteWeightRequest,
    PublishRouteRequest,
    RouteEntryRequest,
)
from ..model.checks import CHECKERS
from ..reference import OPERATIONS
from ..retry import TokenBucket
from . import gateways as gw
from .errors import MESSAGES, SandboxError, from_validation, invalid, missing
from .gateways import Gateway
from .routes import BGP, CUSTOM, Route
from .world import AccessKey, World

__all__ = ["MESSAGES", "Backend", "SandboxError"]

#: RouteEntryType values accepted by DescribeVpnRouteEntries: the documented ``custom`` and ``bgp`` in any
#: case, and the ``System`` of older SDK examples (the routes that are not destination routes).
ROUTE_ENTRY_TYPES = {"custom": CUSTOM, "bgp": BGP, "system": BGP}
_WRITES: dict[str, type[ApiRequest]] = {
    "CreateVpnRouteEntry": RouteEntryRequest, "DeleteVpnRouteEntry": DeleteRouteEntryRequest,
    "ModifyVpnRouteEntryWeight": ModifyRouteWeightRequest, "PublishVpnRouteEntry": PublishRouteRequest}


class Backend:
    """State and rules of the emulated VPC API for one :class:`World`. Thread-safe."""

    ACTIONS = ("CreateVpnRouteEntry", "DeleteVpnRouteEntry", "ModifyVpnRouteEntryWeight", "PublishVpnRouteEntry",
               "DescribeVpnRouteEntries", "DescribeVpnGateway", "DescribeVpnGatewayAttribute",
               "DescribeVpnGateways", "DescribeVpnConnections")
    WRITES = tuple(_WRITES)

    def __init__(self, world: World, *, clock: Callable[[], float] = time.time, configuring_s: float = 0.2,
                 rate: float | Mapping[str, float] | None = None):
        self.world = world
        self.clock = clock
        self.configuring_s = configuring_s
        self.rate = rate
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Back to the seeded world: its routes only, every gateway active, tokens and buckets forgotten."""
        with self._lock:
            self._gateways = {(spec.region_id, spec.vpn_gateway_id): gw.new_gateway(spec)
                              for spec in self.world.gateways}
            for seed in self.world.routes:
                self._gateways[seed.region_id, seed.vpn_gateway_id].table.routes.append(Route.seeded(seed))
            self._tokens: dict[tuple, tuple[Any, dict]] = {}
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
        with self._lock:
            self._throttle(key, params.get("RegionId", ""), action)
            if action in _WRITES:
                return self._write(key, action, params)
            return getattr(self, "_" + action)(params)

    def _throttle(self, key: AccessKey, region_id: str, action: str) -> None:
        """One token bucket per account, region and action: a read never spends a write's quota."""
        rate = self._rate_of(action)
        if rate is None:
            return
        bucket = self._buckets.get((key.account_id, region_id, action))
        if bucket is None:
            bucket = TokenBucket(rate, max(1.0, rate), clock=self.clock, full=True)
            self._buckets[key.account_id, region_id, action] = bucket
        if bucket.take(self.clock()) > 0:
            raise SandboxError("Throttling.User")

    def _rate_of(self, action: str) -> float | None:
        """Calls per second allowed for ``action``: ``rate`` itself, or its entry for the action (``"*"``: the
        others) when it is a mapping, as the real quotas differ (writes about 1/s, reads more); None: unlimited."""
        if isinstance(self.rate, Mapping):
            return self.rate.get(action, self.rate.get("*"))
        return self.rate

    # --- writes ---------------------------------------------------------------------------

    def _write(self, key: AccessKey, action: str, params: Mapping[str, str]) -> dict[str, Any]:
        """The path every write takes: validate, find the gateway, replay a ClientToken, refuse while
        ``updating``, apply the route rule, then open the ``updating`` window and remember the answer."""
        req = self._request(action, params)
        identity = dataclasses.replace(req, client_token=None)
        gateway = self._writable(req.region_id, req.vpn_gateway_id)
        token = (key.account_id, req.region_id, action, req.client_token)
        if req.client_token and token in self._tokens:
            stored_identity, stored = self._tokens[token]
            if stored_identity != identity:
                raise SandboxError("IdempotentParameterMismatch")
            return dict(stored)
        if gateway.status(self.clock()) == "updating":
            raise SandboxError("VpnGateway.Configuring")
        result = self._apply(action, gateway, req)
        if self.configuring_s > 0:
            gateway.busy_until = self.clock() + self.configuring_s
        if req.client_token:
            self._tokens[token] = (identity, dict(result))
        return result

    def _request(self, action: str, params: Mapping[str, str]) -> Any:
        """The operation's validated request; every required parameter must be present and non-empty."""
        for name in OPERATIONS[action].required:
            if params.get(name) in (None, ""):
                raise missing(name)
        try:
            return _WRITES[action].from_params(params)
        except ValidationError as err:
            raise from_validation(err) from None

    def _apply(self, action: str, gateway: Gateway, req: Any) -> dict[str, Any]:
        """Run the route rule of ``action``; the answer's fields (a create's route, nothing for the others)."""
        table = gateway.table
        if action == "CreateVpnRouteEntry":
            return table.create(req, int(self.clock() * 1000)).as_created()
        if action == "DeleteVpnRouteEntry":
            table.delete(req)
        elif action == "ModifyVpnRouteEntryWeight":
            table.modify_weight(req)
        else:
            table.publish(req)
        return {}

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

    # --- reads ----------------------------------------------------------------------------

    def _checked(self, params: Mapping[str, str], names: tuple[str, ...]) -> dict[str, Any]:
        """Required ids of a read, through the shared checkers."""
        values = {}
        for name in names:
            if params.get(name) in (None, ""):
                raise missing(name)
            try:
                values[name] = CHECKERS[name](params.get(name))
            except ValidationError as err:
                raise from_validation(err) from None
        return values

    def _DescribeVpnRouteEntries(self, params: Mapping[str, str]) -> dict[str, Any]:
        """A gateway's destination routes (the default, ``custom``) or its BGP-learned routes (``bgp``)."""
        v = self._checked(params, ("RegionId", "VpnGatewayId"))
        page, size = _paging(params)
        raw = params.get("RouteEntryType") or "custom"
        kind = ROUTE_ENTRY_TYPES.get(str(raw).strip().lower())
        if kind is None:
            raise invalid("RouteEntryType", "Valid values: custom, bgp.")
        routes = self._gateway(v["RegionId"], v["VpnGatewayId"]).table.of_type(kind)
        return _route_page(routes, page, size)

    def _DescribeVpnGateway(self, params: Mapping[str, str]) -> dict[str, Any]:
        v = self._checked(params, ("RegionId", "VpnGatewayId"))
        return self._gateway(v["RegionId"], v["VpnGatewayId"]).as_api(self.clock())

    _DescribeVpnGatewayAttribute = _DescribeVpnGateway

    def _DescribeVpnGateways(self, params: Mapping[str, str]) -> dict[str, Any]:
        """The region's gateways, filtered by VpcId, VpnGatewayId, Status and BusinessStatus."""
        v = self._checked(params, ("RegionId",))
        page, size = _paging(params)
        now = self.clock()
        listed = [g.as_api(now) for (region, _), g in self._gateways.items() if region == v["RegionId"]]
        return gw.page_of(gw.filtered(listed, params, gw.GATEWAY_FILTERS), page, size, "VpnGateways", "VpnGateway")

    def _DescribeVpnConnections(self, params: Mapping[str, str]) -> dict[str, Any]:
        """The region's IPsec connections, filtered by VpnGatewayId, VpnConnectionId and CustomerGatewayId."""
        v = self._checked(params, ("RegionId",))
        page, size = _paging(params)
        listed = [gw.connection_as_api(c) for c in self.world.connections if c.region_id == v["RegionId"]]
        found = gw.filtered(listed, params, gw.CONNECTION_FILTERS)
        return gw.page_of(found, page, size, "VpnConnections", "VpnConnection")

    # --- inspection ----------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Every gateway with its destination routes (``Routes``) and BGP-learned routes (``BgpRoutes``),
        as plain JSON-ready data (no keys, no secrets)."""
        with self._lock:
            now = self.clock()
            gateways = []
            for gateway in self._gateways.values():
                data = gateway.as_api(now)
                data["Kind"] = gateway.spec.kind
                data["Routes"] = [r.as_api() for r in gateway.table.of_type(CUSTOM)]
                data["BgpRoutes"] = [r.as_api() for r in gateway.table.of_type(BGP)]
                gateways.append(data)
            return {"seed": self.world.seed, "account_id": self.world.key_for("owner").account_id,
                    "regions": list(self.world.regions), "routes_per_gateway": self.world.routes_per_gateway,
                    "gateways": gateways}


def _route_page(routes: list[Route], page: int, size: int) -> dict[str, Any]:
    """One page of routes; only the page's routes are rendered (a gateway may hold thousands)."""
    chosen = [r.as_api() for r in routes[(page - 1) * size: page * size]]
    return {"TotalCount": len(routes), "PageNumber": page, "PageSize": size,
            "VpnRouteEntries": {"VpnRouteEntry": chosen}}


def _paging(params: Mapping[str, str]) -> tuple[int, int]:
    """PageNumber (default 1) and PageSize (default 10, at most 50), as the paged reads take them."""
    return _int_param(params, "PageNumber", 1, 1, 10**6), _int_param(params, "PageSize", 10, 1, 50)


def _int_param(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:  # '²'.isdigit() is True
        raise invalid(name, f"Expected an integer from {low} to {high}.")
    return int(text)
