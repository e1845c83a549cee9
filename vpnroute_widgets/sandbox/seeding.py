"""What exists in the demo world besides gateways: connection details and the routes at reset.

Each part draws from its own :class:`random.Random` stream (named after the seed and the
part), so adding a part never changes the ids an existing seed already gives.

* Connections: a name (``<gateway name>-ipsec-1``), a customer gateway, local and remote subnets.
* BGP-learned routes: two or three per healthy gateway, in 172.16.0.0/12, with an AS path and a
  community. They cannot be modified, published or deleted (the backend refuses).
* Seeded destination routes (``routes_per_gateway``): in 10.0.0.0/8, with active/standby pairs
  (the same destination, weight 100 through one connection and 0 through the other),
  unpublished routes and descriptions.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator

from .world import ConnectionSpec, GatewaySpec, SeedRoute

__all__ = ["connections", "routes"]

_ALNUM = string.ascii_lowercase + string.digits
PAIR_SHARE = 0.25        # share of seeded destinations that are active/standby pairs
UNPUBLISHED_SHARE = 0.25  # share of seeded routes not advertised to the VPC
DESCRIBED_SHARE = 0.5     # share of seeded routes with a description


def connections(seed: int, gateways: tuple[GatewaySpec, ...]) -> tuple[ConnectionSpec, ...]:
    """Details of every connection of ``gateways``, deterministic per seed."""
    rng = random.Random(f"vpnroute-sandbox-connections-{seed}")
    found = []
    for g in gateways:
        for index, connection_id in enumerate(g.connections):
            customer = "cgw-" + connection_id[4:7] + "".join(rng.choice(_ALNUM) for _ in range(17))
            remote = f"192.168.{rng.randrange(256)}.0/24"
            found.append(ConnectionSpec(connection_id, g.vpn_gateway_id, g.region_id, f"{g.name}-ipsec-{index + 1}",
                                        customer, "10.0.0.0/8", remote, g.create_time + 1000 * (index + 1)))
    return tuple(found)


def routes(seed: int, gateways: tuple[GatewaySpec, ...], per_gateway: int) -> tuple[SeedRoute, ...]:
    """The BGP-learned routes of every healthy gateway, then ``per_gateway`` destination routes on each."""
    healthy = [g for g in gateways if g.kind == "healthy"]
    bgp_rng = random.Random(f"vpnroute-sandbox-bgp-{seed}")
    custom_rng = random.Random(f"vpnroute-sandbox-routes-{seed}")
    found: list[SeedRoute] = []
    for g in healthy:
        found.extend(_bgp_routes(bgp_rng, g))
    for g in healthy:
        found.extend(_custom_routes(custom_rng, g, per_gateway))
    return tuple(found)


def _bgp_routes(rng: random.Random, g: GatewaySpec) -> Iterator[SeedRoute]:
    """Two or three routes learned from the customer gateway's BGP peer (AS 65000-65499)."""
    peer_as = 65000 + rng.randrange(500)
    for i in range(rng.choice((2, 3))):
        dest = f"172.{16 + rng.randrange(16)}.{rng.randrange(256)}.0/24"
        yield SeedRoute(g.region_id, g.vpn_gateway_id, dest, rng.choice(g.connections), 0, rng.random() < 0.5,
                        g.create_time + 60_000 + i, route_entry_type="bgp", as_path=f"{peer_as} {peer_as + 1}",
                        community=f"{peer_as}:{100 + i}")


def _custom_routes(rng: random.Random, g: GatewaySpec, count: int) -> Iterator[SeedRoute]:
    """``count`` destination routes on ``g``: singles and active/standby pairs, unique destinations."""
    base = rng.randrange(20_000)  # 10.a.b.0/24 numbering starts here: gateways differ, no wrap-around
    made, k = 0, 0
    while made < count:
        dest = f"10.{(base + k) // 256 % 256}.{(base + k) % 256}.0/24"
        # the first destination is always a pair, the third route always unpublished: every kind shows up
        pair = count - made >= 2 and len(g.connections) >= 2 and (k == 0 or rng.random() < PAIR_SHARE)
        hops = rng.sample(g.connections, 2) if pair else [rng.choice(g.connections)]
        weights = (100, 0) if pair else (rng.choice((100, 100, 0)),)
        for hop, weight in zip(hops, weights, strict=True):
            made += 1
            text = f"seeded route {made} of {g.name}" if made == 1 or rng.random() < DESCRIBED_SHARE else None
            published = made != 3 and rng.random() >= UNPUBLISHED_SHARE
            yield SeedRoute(g.region_id, g.vpn_gateway_id, dest, hop, weight, published,
                            g.create_time + 120_000 + made, description=text)
        k += 1
