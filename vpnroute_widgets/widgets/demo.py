"""Demo values for the route form: a RouteDest that is not on the gateway yet.

"Use demo values" must give a request that succeeds, so the destination it offers overlaps
none of the gateway's current routes (read through the client by the form, in a worker).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

__all__ = ["free_route_dest"]


def _networks(route_dests: Iterable[str]) -> list[ipaddress.IPv4Network]:
    found: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for text in route_dests:
        try:
            found.append(ipaddress.ip_network(str(text), strict=False))
        except ValueError:  # a destination this toolkit cannot parse cannot be offered either
            continue
    return [n for n in found if isinstance(n, ipaddress.IPv4Network)]


def free_route_dest(route_dests: Iterable[str], *, base: str = "10.0.0.0/16", prefix: int = 24) -> str:
    """The first ``/prefix`` of ``base`` that overlaps none of ``route_dests`` (then the next /16s)."""
    taken = _networks(route_dests)
    start = ipaddress.IPv4Network(base)
    for second in range(start.network_address.packed[1], 256):
        block = ipaddress.IPv4Network(f"10.{second}.0.0/16")
        if any(block.subnet_of(t) for t in taken if t.prefixlen <= 16):
            continue
        for candidate in block.subnets(new_prefix=prefix):
            if not any(candidate.overlaps(t) for t in taken):
                return str(candidate)
    raise ValueError("no free /24 left in 10.0.0.0/8 on this gateway")
