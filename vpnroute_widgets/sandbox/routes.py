"""A gateway's route table and the documented rules of changing it (no HTTP, no clock).

The rules, as Alibaba Cloud's API reference states them:

* Weights are 0 (standby) or 100 (active); a destination never has two active routes.
* To change the weight of one route of a destination that also has another route (an
  active/standby pair), the other route must be deleted first and recreated afterwards: the
  modify is refused and nothing changes.
* A route is named by its destination, next hop and current weight (delete, modify) or by its
  destination and next hop (publish). Publishing sets its ``State`` to ``published``,
  withdrawing to ``normal``.
* BGP-learned routes (``RouteEntryType`` ``bgp``) are listed but cannot be modified, published or
  deleted.

The backend checks the gateway (exists, not locked, not ``updating``) and ClientTokens before
calling these functions; each one either changes the table or raises :class:`SandboxError`
having changed nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model import DeleteRouteEntryRequest, ModifyRouteWeightRequest, PublishRouteRequest, RouteEntryRequest
from .errors import SandboxError
from .world import SeedRoute

__all__ = ["Route", "RouteTable"]

CUSTOM, BGP = "custom", "bgp"


@dataclass
class Route:
    """One route of a gateway: a destination route (``custom``) or a BGP-learned one (``bgp``)."""

    vpn_instance_id: str
    route_dest: str
    next_hop: str
    weight: int
    publish_vpc: bool
    overlay_mode: str | None
    description: str | None
    create_time: int
    route_entry_type: str = CUSTOM
    as_path: str | None = None
    community: str | None = None

    @classmethod
    def seeded(cls, seed: SeedRoute) -> Route:
        return cls(seed.vpn_gateway_id, seed.route_dest, seed.next_hop, seed.weight, seed.publish_vpc, None,
                   seed.description, seed.create_time, seed.route_entry_type, seed.as_path, seed.community)

    @property
    def state(self) -> str:
        """``published`` when advertised to the VPC, ``normal`` otherwise (the API's ``State``)."""
        return "published" if self.publish_vpc else "normal"

    def as_api(self) -> dict[str, Any]:
        """The entry as DescribeVpnRouteEntries lists it."""
        data = {"VpnInstanceId": self.vpn_instance_id, "RouteDest": self.route_dest, "NextHop": self.next_hop,
                "Weight": self.weight, "State": self.state, "CreateTime": self.create_time,
                "RouteEntryType": self.route_entry_type, "Source": self.route_entry_type.upper()}
        if self.route_entry_type == BGP:
            data.update(AsPath=self.as_path, Community=self.community)
        else:
            data["OverlayMode"] = self.overlay_mode or "Ipsec"
        if self.description:
            data["Description"] = self.description
        return data

    def as_created(self) -> dict[str, Any]:
        """The answer of CreateVpnRouteEntry for this route (the entry without its type and source)."""
        return {k: v for k, v in self.as_api().items() if k not in ("RouteEntryType", "Source")}


@dataclass
class RouteTable:
    """The routes of one gateway with the rules of changing them."""

    connections: tuple[str, ...]
    quota: int
    routes: list[Route] = field(default_factory=list)

    def of_type(self, kind: str | None) -> list[Route]:
        """Routes of ``kind`` (``custom``, ``bgp``), or all of them for None, in creation order."""
        return [r for r in self.routes if kind is None or r.route_entry_type == kind]

    # --- lookups ------------------------------------------------------------------------

    def _custom(self, dest: str, hop: str, weight: int | None = None) -> Route | None:
        return next((r for r in self.routes if r.route_entry_type == CUSTOM and r.route_dest == dest
                     and r.next_hop == hop and weight in (None, r.weight)), None)

    def _named(self, dest: str, hop: str, weight: int | None = None) -> Route:
        """The destination route a write names; a BGP route or none at all is refused."""
        route = self._custom(dest, hop, weight)
        if route is not None:
            return route
        if any(r.route_entry_type == BGP and (r.route_dest, r.next_hop) == (dest, hop) for r in self.routes):
            raise SandboxError("OperationUnsupported.BgpRoute")
        raise SandboxError("InvalidRouteEntry.NotFound")

    # --- writes -------------------------------------------------------------------------

    def create(self, req: RouteEntryRequest, now_ms: int) -> Route:
        """Add a destination route: a known connection, no duplicate, one active route per destination."""
        if req.next_hop not in self.connections:
            raise SandboxError("InvalidNextHop.NotFound")
        for route in self.of_type(CUSTOM):
            if route.route_dest == req.route_dest and route.next_hop == req.next_hop:
                raise SandboxError("VpnRouteEntry.AlreadyExist")
            if route.route_dest == req.route_dest and req.weight == 100 and route.weight == 100:
                raise SandboxError("VpnRouteEntry.Conflict")
        if len(self.of_type(CUSTOM)) >= self.quota:
            raise SandboxError("Resource.QuotaFull")
        route = Route(req.vpn_gateway_id, req.route_dest, req.next_hop, req.weight, req.publish_vpc,
                      req.overlay_mode, req.description, now_ms)
        self.routes.append(route)
        return route

    def delete(self, req: DeleteRouteEntryRequest) -> None:
        """Remove the route named by destination, next hop and current weight."""
        self.routes.remove(self._named(req.route_dest, req.next_hop, req.weight))

    def modify_weight(self, req: ModifyRouteWeightRequest) -> Route:
        """Set a new weight, refused while the destination has another route (the pair rule)."""
        route = self._named(req.route_dest, req.next_hop, req.weight)
        if any(r is not route and r.route_dest == req.route_dest for r in self.of_type(CUSTOM)):
            raise SandboxError("VpnRouteEntry.ActiveStandbyPair")
        route.weight = req.new_weight
        return route

    def publish(self, req: PublishRouteRequest) -> Route:
        """Advertise (PublishVpc true) or withdraw a destination route; there are no policy-based routes here."""
        if req.route_type != "dbr":
            raise SandboxError("InvalidRouteEntry.NotFound", "The specified policy-based route does not exist.")
        route = self._named(req.route_dest, req.next_hop)
        route.publish_vpc = req.publish_vpc
        return route
