"""Demo values for the route form: the connection's gateway and next hop, and a RouteDest not on it yet.

"Use demo values" must give a request that succeeds, so the destination it offers overlaps
none of the gateway's current routes, read through the client in a worker (the kernel never
waits). :class:`DemoValues` is the route form's part that does it; :func:`free_route_dest` picks.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .common import message

__all__ = ["DemoValues", "free_route_dest"]


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


class DemoValues:
    """The "Use demo values" behaviour of :class:`~.form.RouteEntryForm` (which provides ``fields``,
    ``quick_picks``, ``status``, ``client()``, ``_logging_client()`` and ``_demo_runner``)."""

    fields: dict[str, Any]
    quick_picks: dict[str, Any]
    status: Any
    _demo_runner: Any

    if TYPE_CHECKING:  # provided by the form
        def client(self) -> Any: ...

        def _logging_client(self, client: Any) -> Any: ...

    def _on_fill_demo(self, _button=None) -> None:
        """Fill region, gateway and next hop now; read the gateway's routes in a worker for a free RouteDest."""
        gateways = self.quick_picks.get("gateways") or []
        if not gateways or self._demo_runner.busy:
            return
        region = self.quick_picks.get("region_id") or self.fields["RegionId"].value
        gateway = gateways[0]["vpn_gateway_id"]
        self.fields["RegionId"].value = region
        self.fields["VpnGatewayId"].value = gateway
        self.fields["NextHop"].value = (gateways[0].get("next_hops") or [""])[0]
        self.status.value = message(f"Looking for a RouteDest not yet on {gateway}…", "info")
        self._demo_runner.start(self._pick_free_dest(region, gateway, self.fields["RouteDest"].value))

    async def _pick_free_dest(self, region: str, gateway: str, typed: str) -> None:
        """Read the gateway's routes (every page) in an executor; offer the first free /24."""
        loop = asyncio.get_running_loop()
        try:
            client = self._logging_client(self.client())
            entries = await loop.run_in_executor(None, client.describe_vpn_route_entries, region, gateway)
            dest = free_route_dest(e.route_dest for e in entries)
        except Exception as err:  # noqa: BLE001 - shown in the form, never raised into the kernel's loop
            self.status.value = message(f"Could not read {gateway}'s routes: {err}", "error")
            return
        if self.fields["RouteDest"].value != typed:  # typed over meanwhile: the user's value wins
            return
        self.fields["RouteDest"].value = dest
        self.status.value = message(f"{dest} is not on {gateway} yet ({len(entries)} routes there).", "muted")
