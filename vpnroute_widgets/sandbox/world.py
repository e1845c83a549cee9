"""The demo world: accounts, keys, regions, VPN gateways and IPsec connections.

Everything is derived from one ``seed`` with :class:`random.Random`, so the same seed
gives the same ids on every run and machine. Ids are shaped like real ones
(``vpn-bp1`` + 17 lower-case letters/digits in cn-hangzhou, ``uf6`` in cn-shanghai)
and pass the model's checkers. Keys are the sandbox's own (``sandbox-...``): they
only ever work against the sandbox.

The default world (documented in README.md, "The sandbox"):

* cn-hangzhou: ``gateways`` healthy gateways (two IPsec connections each, for
  active/standby pairs), one gateway with a small route quota, one financially
  locked gateway;
* cn-shanghai: one healthy gateway with two connections.

Every IPsec connection has a name, a customer gateway and subnets (DescribeVpnConnections);
every healthy gateway has a few BGP-learned routes; with ``routes_per_gateway=N`` every
healthy gateway also starts with N destination routes (:mod:`.seeding`). What is added to
the world comes from its own random streams, so the ids of a seed never change.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

__all__ = ["AccessKey", "ConnectionSpec", "GatewaySpec", "SeedRoute", "World", "build_world"]

_ALNUM = string.ascii_lowercase + string.digits
REGION_PREFIX = {"cn-hangzhou": "bp1", "cn-shanghai": "uf6"}
HOME_REGION = "cn-hangzhou"
SECOND_REGION = "cn-shanghai"
ACCOUNT_ID = "1000000000000001"


@dataclass(frozen=True)
class AccessKey:
    """A sandbox key pair. ``role``: ``owner`` (full access), ``subuser`` or ``forbidden``."""

    access_key_id: str
    access_key_secret: str
    account_id: str
    role: str
    security_token: str | None = None  # set: every request must carry this STS token

    def __repr__(self) -> str:  # never show the secret or the token
        sts = ", sts=True" if self.security_token else ""
        return f"AccessKey({self.access_key_id!r}, role={self.role!r}{sts})"


@dataclass(frozen=True)
class GatewaySpec:
    """The initial state of one VPN gateway (the backend copies it on reset)."""

    vpn_gateway_id: str
    region_id: str
    name: str
    connections: tuple[str, ...]
    route_quota: int
    kind: str  # healthy | quota | locked
    vpc_id: str
    create_time: int
    business_status: str = "Normal"


@dataclass(frozen=True)
class ConnectionSpec:
    """One IPsec connection of a gateway, as DescribeVpnConnections lists it."""

    vpn_connection_id: str
    vpn_gateway_id: str
    region_id: str
    name: str
    customer_gateway_id: str
    local_subnet: str
    remote_subnet: str
    create_time: int


@dataclass(frozen=True)
class SeedRoute:
    """A route that exists when the world is (re)set: a seeded destination route or a BGP-learned one.

    ``route_entry_type`` is ``custom`` or ``bgp``; ``as_path`` and ``community`` are set for BGP routes.
    """

    region_id: str
    vpn_gateway_id: str
    route_dest: str
    next_hop: str
    weight: int
    publish_vpc: bool
    create_time: int
    description: str | None = None
    route_entry_type: str = "custom"
    as_path: str | None = None
    community: str | None = None


@dataclass(frozen=True)
class World:
    """The seeded demo world: keys by id, gateway specs per region, connections and the routes at reset."""

    seed: int
    keys: dict[str, AccessKey]
    gateways: tuple[GatewaySpec, ...]
    home_region: str = HOME_REGION
    regions: tuple[str, ...] = (HOME_REGION, SECOND_REGION)
    connections: tuple[ConnectionSpec, ...] = ()
    routes: tuple[SeedRoute, ...] = ()
    routes_per_gateway: int = 0

    def key_for(self, role: str) -> AccessKey:
        return next(k for k in self.keys.values() if k.role == role)

    def of_kind(self, kind: str, region_id: str | None = None) -> list[GatewaySpec]:
        return [g for g in self.gateways if g.kind == kind and (region_id is None or g.region_id == region_id)]


def _suffix(rng: random.Random, n: int = 17) -> str:
    return "".join(rng.choice(_ALNUM) for _ in range(n))


def _ids(rng: random.Random, region_id: str) -> tuple[str, str]:
    prefix = REGION_PREFIX.get(region_id, "xx1")
    return f"vpn-{prefix}{_suffix(rng)}", f"vpc-{prefix}{_suffix(rng)}"


def _connections(rng: random.Random, region_id: str, count: int) -> tuple[str, ...]:
    prefix = REGION_PREFIX.get(region_id, "xx1")
    return tuple(f"vco-{prefix}{_suffix(rng)}" for _ in range(count))


def _gateway(rng, region_id, name, kind, *, connections, quota, created, locked=False) -> GatewaySpec:
    gw_id, vpc_id = _ids(rng, region_id)
    return GatewaySpec(gw_id, region_id, name, _connections(rng, region_id, connections), quota, kind, vpc_id,
                       created, "FinancialLocked" if locked else "Normal")


def _keys(seed: int) -> dict[str, AccessKey]:
    rng = random.Random(f"vpnroute-sandbox-keys-{seed}")
    keys = {}
    for role in ("owner", "subuser", "forbidden"):
        label = {"owner": "demo", "subuser": "subuser", "forbidden": "noperm"}[role]
        key = AccessKey(f"sandbox-{label}-{_suffix(rng, 12)}", f"sandbox-secret-{_suffix(rng, 24)}",
                        ACCOUNT_ID, role)
        keys[key.access_key_id] = key
    return keys


def build_world(seed: int = 0, *, gateways: int = 2, route_quota: int = 100, small_quota: int = 3,
                routes_per_gateway: int = 0) -> World:
    """The default demo world for ``seed`` with ``gateways`` healthy gateways in cn-hangzhou.

    ``routes_per_gateway`` destination routes are seeded on every healthy gateway (at most
    ``route_quota``); the BGP-learned routes and the connections' details are always there.
    """
    if gateways < 1:
        raise ValueError("gateways must be at least 1")
    if not 0 <= routes_per_gateway <= route_quota:
        raise ValueError(f"routes_per_gateway must be from 0 to the route quota ({route_quota}), "
                         f"got {routes_per_gateway}")
    rng = random.Random(seed)
    created = 1_700_000_000_000 + rng.randrange(10**9)
    specs = [
        _gateway(rng, HOME_REGION, f"demo-gateway-{i + 1}", "healthy", connections=2, quota=route_quota,
                 created=created + i)
        for i in range(gateways)
    ]
    specs.append(_gateway(rng, HOME_REGION, "demo-small-quota", "quota", connections=2, quota=small_quota,
                          created=created + 100))
    specs.append(_gateway(rng, HOME_REGION, "demo-financially-locked", "locked", connections=1,
                          quota=route_quota, created=created + 101, locked=True))
    specs.append(_gateway(rng, SECOND_REGION, "demo-shanghai", "healthy", connections=2, quota=route_quota,
                          created=created + 200))
    from . import seeding  # seeding builds the dataclasses above

    frozen = tuple(specs)
    return World(seed, _keys(seed), frozen, connections=seeding.connections(seed, frozen),
                 routes=seeding.routes(seed, frozen, routes_per_gateway), routes_per_gateway=routes_per_gateway)
