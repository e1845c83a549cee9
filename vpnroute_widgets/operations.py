"""The typed operations of :class:`~vpnroute_widgets.client.VpcClient`, one method per API operation.

Each method validates its input through a request type of :mod:`vpnroute_widgets.model` before
any I/O, sends it with ``self.call`` (sign, send, retry when safe, record one log record named
after the operation) and returns a typed value. Writes always carry a ClientToken, generated
when none is given; the call loop reuses the same parameters, hence the same token, on every
retry, so a retried write is applied at most once.

Listings follow every page through one helper, :meth:`RouteOperations.list_pages`, which trusts
the server only as far as its answers prove: it stops with a :class:`TransportError` when a page
repeats an entry, when the pages do not add up to ``TotalCount``, when ``TotalCount`` is not a
non-negative integer or is absurd, and after :data:`MAX_PAGES` pages at most. A lying server
costs at most a few requests, and memory stays bounded by the entries actually returned.
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .errors import TransportError, ValidationError
from .lifecycle import wait_until_active
from .model import (
    DeleteRouteEntryRequest,
    DescribeConnectionsRequest,
    DescribeGatewayRequest,
    DescribeGatewaysRequest,
    DescribeRouteEntriesRequest,
    ModifyRouteWeightRequest,
    PublishRouteRequest,
    RouteEntry,
    RouteEntryRequest,
)
from .model.requests import ApiRequest
from .model.resources import VpnConnection, VpnGateway
from .reference import OPERATIONS
from .wire import list_items

__all__ = [
    "CREATE", "DELETE", "DESCRIBE", "DESCRIBE_CONNECTIONS", "DESCRIBE_GATEWAY", "DESCRIBE_GATEWAYS", "MAX_PAGES",
    "MODIFY_WEIGHT", "PUBLISH", "ROUTE_ENTRY_TYPES", "RouteOperations",
]

CREATE = "CreateVpnRouteEntry"
DESCRIBE = "DescribeVpnRouteEntries"
DELETE = "DeleteVpnRouteEntry"
MODIFY_WEIGHT = "ModifyVpnRouteEntryWeight"
PUBLISH = "PublishVpnRouteEntry"
DESCRIBE_GATEWAY = "DescribeVpnGateway"
DESCRIBE_GATEWAYS = "DescribeVpnGateways"
DESCRIBE_CONNECTIONS = "DescribeVpnConnections"

#: The most pages one listing follows (2,000 pages of 50 entries: 100,000 entries).
MAX_PAGES = 2_000
#: The values of RouteEntryType, in listing order: destination routes, then BGP-learned routes.
#: The API lists ``custom`` routes when RouteEntryType is left out, so "every route" is two listings.
ROUTE_ENTRY_TYPES = ("custom", "bgp")
_MAX_COUNT_DIGITS = 12

Context = Mapping[str, Any] | None
T = TypeVar("T")


class RouteOperations:
    """Mixed into VpcClient: needs ``self.call(action, params, context=None) -> dict`` and ``self.config``
    (its ``sleep`` and ``clock`` pace :meth:`wait_for_gateway`)."""

    config: Any
    call: Callable[..., dict[str, Any]]  # VpcClient.call: sign, send, retry, record one call

    # --- writes ------------------------------------------------------------------------------

    def _write(self, request: ApiRequest, context: Context) -> dict[str, Any]:
        """Send a validated write with its ClientToken (generated when none was given)."""
        params = request.to_params()
        params.setdefault("ClientToken", str(uuid.uuid4()))  # valid by construction: no second validation
        return self.call(request.ACTION, params, context=context)

    def create_vpn_route_entry(self, request: RouteEntryRequest | Mapping[str, Any], *,
                               context: Context = None) -> RouteEntry:
        """Create a route; a ClientToken is generated when the request has none and reused on retries."""
        checked: RouteEntryRequest = (request if isinstance(request, RouteEntryRequest)
                                      else RouteEntryRequest.from_params(request))
        data = self._write(checked, context)
        return RouteEntry.from_api(data)  # checked readable by call()

    def delete_vpn_route_entry(self, region_id: str, vpn_gateway_id: str, route_dest: str, next_hop: str,
                               weight: int, *, overlay_mode: str | None = None, client_token: str | None = None,
                               context: Context = None) -> str | None:
        """Delete one route (named by destination, next hop and current weight); returns the RequestId."""
        request = DeleteRouteEntryRequest(region_id, vpn_gateway_id, route_dest, next_hop, weight,
                                          client_token=client_token, overlay_mode=overlay_mode)
        return self._write(request, context).get("RequestId")

    def modify_vpn_route_entry_weight(self, region_id: str, vpn_gateway_id: str, route_dest: str, next_hop: str,
                                      weight: int, new_weight: int, *, overlay_mode: str | None = None,
                                      client_token: str | None = None, context: Context = None) -> str | None:
        """Change a route's weight from ``weight`` (its current one) to ``new_weight``; returns the RequestId.

        The API refuses this on a destination that also has a route through another connection
        (delete that one first: :func:`vpnroute_widgets.switch_active` runs the whole failover).
        ``new_weight == weight`` is refused here, before anything is sent.
        """
        request = ModifyRouteWeightRequest(region_id, vpn_gateway_id, route_dest, next_hop, weight, new_weight,
                                           client_token=client_token, overlay_mode=overlay_mode)
        return self._write(request, context).get("RequestId")

    def publish_vpn_route_entry(self, region_id: str, vpn_gateway_id: str, route_dest: str, next_hop: str,
                                publish_vpc: bool, *, route_type: str = "dbr", client_token: str | None = None,
                                context: Context = None) -> str | None:
        """Advertise the route to the VPC's route table (``publish_vpc=True``) or withdraw it; returns the RequestId.

        ``route_type`` is ``dbr`` (a destination-based route, the routes of this toolkit) or ``pbr``.
        """
        request = PublishRouteRequest(region_id, vpn_gateway_id, route_dest, next_hop, publish_vpc,
                                      route_type=route_type, client_token=client_token)
        return self._write(request, context).get("RequestId")

    # --- reads -------------------------------------------------------------------------------

    def describe_vpn_route_entries(self, region_id: str, vpn_gateway_id: str, *, route_entry_type: str | None = None,
                                   context: Context = None) -> list[RouteEntry]:
        """Every route of the gateway, all pages: destination routes (``custom``), then BGP-learned (``bgp``).

        ``route_entry_type`` (``custom`` or ``bgp``) lists one kind only. The API lists only
        ``custom`` routes when the type is left out, so the full listing is two listings, each
        sending its type explicitly.
        """
        request = DescribeRouteEntriesRequest(region_id, vpn_gateway_id, route_entry_type)
        entries: list[RouteEntry] = []
        for kind in (request.route_entry_type,) if request.route_entry_type else ROUTE_ENTRY_TYPES:
            params = {**request.to_params(), "RouteEntryType": kind}
            for item, request_id in self.list_pages(DESCRIBE, params, "VpnRouteEntries", "VpnRouteEntry",
                                                    context=context):
                entry = _read(RouteEntry.from_api, DESCRIBE, item, request_id)
                if (entry.route_entry_type or kind).lower() == kind:  # a server ignoring the filter: no duplicates
                    entries.append(entry)
        return entries

    def describe_vpn_gateway(self, region_id: str, vpn_gateway_id: str, *, context: Context = None) -> VpnGateway:
        """The gateway's attributes: ``status`` (``active``, ``updating``, ...), ``business_status``, spec, VPC, ...

        The value also answers ``gateway["Status"]`` (API names), as the dict returned before did.
        """
        request = DescribeGatewayRequest(region_id, vpn_gateway_id)
        read: list[VpnGateway] = []
        self.call(DESCRIBE_GATEWAY, request.to_params(), context=context,
                  check=lambda data: read.append(_read(VpnGateway.from_api, DESCRIBE_GATEWAY, data,
                                                       data.get("RequestId"))))
        return read[0]

    def describe_vpn_gateways(self, region_id: str, *, vpc_id: str | None = None,
                              context: Context = None) -> list[VpnGateway]:
        """The region's VPN gateways (or one VPC's), all pages."""
        request = DescribeGatewaysRequest(region_id, vpc_id)
        pages = self.list_pages(DESCRIBE_GATEWAYS, request.to_params(), "VpnGateways", "VpnGateway", context=context)
        return [_read(VpnGateway.from_api, DESCRIBE_GATEWAYS, item, rid) for item, rid in pages]

    def describe_vpn_connections(self, region_id: str, vpn_gateway_id: str | None = None, *,
                                 context: Context = None) -> list[VpnConnection]:
        """The region's IPsec connections (or one gateway's), all pages: the ids a route's NextHop takes."""
        request = DescribeConnectionsRequest(region_id, vpn_gateway_id)
        pages = self.list_pages(DESCRIBE_CONNECTIONS, request.to_params(), "VpnConnections", "VpnConnection",
                                context=context)
        return [_read(VpnConnection.from_api, DESCRIBE_CONNECTIONS, item, rid) for item, rid in pages]

    def wait_for_gateway(self, region_id: str, vpn_gateway_id: str, *, timeout: float = 300.0, poll: float = 1.0,
                         max_poll: float = 15.0, context: Context = None) -> VpnGateway:
        """Poll DescribeVpnGateway until the gateway is ``active``; return it.

        Polls after ``poll`` seconds, then twice as long each time up to ``max_poll``, never past
        ``timeout``. Raises :class:`~vpnroute_widgets.lifecycle.GatewayWaitError` naming the
        gateway, its last status and the time waited when ``timeout`` passes, or at once when the
        gateway is being deleted. Sleeping and time come from the client (``sleep``, ``clock``).
        """
        DescribeGatewayRequest(region_id, vpn_gateway_id)  # validated before the first poll

        def describe() -> VpnGateway:
            return self.describe_vpn_gateway(region_id, vpn_gateway_id, context=context)

        return wait_until_active(describe, region_id=region_id, vpn_gateway_id=vpn_gateway_id, timeout=timeout,
                                 poll=poll, max_poll=max_poll, sleep=self.config.sleep, clock=self.config.clock)

    # --- paging ------------------------------------------------------------------------------

    def list_pages(self, action: str, params: Mapping[str, str], outer: str, inner: str, *,
                   context: Context = None, max_pages: int = MAX_PAGES) -> list[tuple[dict[str, Any], str | None]]:
        """Every item of a paged listing with the RequestId of its page, bounded by what the server proves.

        Asks for the largest page the operation allows (or follows a smaller page size the
        answer states). Raises TransportError (the calls made are in the log) when a page repeats
        an entry or carries more entries than a page holds, when a page before the last is not
        full, when the pages do not add up to TotalCount, and when TotalCount is missing, not a
        non-negative integer, or more than ``max_pages`` pages could hold.
        """
        pager = _Pager(action, OPERATIONS[action].page_size_max, max_pages)
        for page in range(1, max_pages + 1):
            judged: list[bool] = []  # the page's checks run inside the call, so a lying page is recorded as an error
            self.call(action, {**params, "PageNumber": str(page), "PageSize": str(pager.size)}, context=context,
                      check=lambda data, page=page, judged=judged: judged.append(  # type: ignore[misc]
                          pager.add(page, data, list_items(data, outer, inner))))
            if judged[0]:
                return pager.items
        raise pager.error(max_pages, None, f"did not end within {max_pages:,} pages")  # pragma: no cover


class _Pager:
    """The state of one listing: the items so far, a fingerprint of each, and the checks per page."""

    def __init__(self, action: str, size: int, max_pages: int):
        self.action, self.size, self.max_pages = action, size, max_pages
        self.items: list[tuple[dict[str, Any], str | None]] = []
        self._seen: set[bytes] = set()

    def add(self, page: int, data: Mapping[str, Any], items: list[dict[str, Any]]) -> bool:
        """Check one page and keep its items; True when the listing is complete."""
        request_id = _text_or_none(data.get("RequestId"))
        total = self._total(page, data, request_id)
        size = _page_size(data.get("PageSize"), self.size)
        if len(items) > size:
            raise self.error(page, request_id, f"carried {len(items)} entries, more than a page of {size} holds")
        for item in items:
            key = _fingerprint(item)
            if key in self._seen:
                raise self.error(page, request_id, "repeats an entry of an earlier page (the server is paging "
                                                   "in a loop, or the list changed while it was read)")
            self._seen.add(key)
            self.items.append((item, request_id))
        count, last_page = len(self.items), math.ceil(total / size)
        if count == total:
            return True
        if count > total:
            raise self.error(page, request_id, f"brought the entries to {count}, more than TotalCount {total}")
        if len(items) < size or page >= last_page:  # only the last page may be short
            raise self.error(page, request_id, f"ended the listing with {count} entries, but TotalCount is {total}")
        return False

    def _total(self, page: int, data: Mapping[str, Any], request_id: str | None) -> int:
        if "TotalCount" not in data:
            raise self.error(page, request_id, "has no TotalCount, so nothing bounds the listing")
        total = _count(data.get("TotalCount"))
        if total is None:
            raise self.error(page, request_id, f"has TotalCount {_shown(data.get('TotalCount'))}, "
                                               "not a non-negative integer")
        if total > self.max_pages * self.size:
            raise self.error(page, request_id, f"claims TotalCount {_shown(data.get('TotalCount'))}: more than "
                                               f"{self.max_pages:,} pages of {self.size} (the most this toolkit "
                                               "follows)")
        return total

    def error(self, page: int, request_id: str | None, what: str) -> TransportError:
        rid = f" (RequestId: {request_id})" if request_id else ""
        return TransportError(
            f"{self.action}: page {page} {what}{rid}. The listing was stopped after {page} page(s); "
            "nothing was changed. List again; if this persists, the service's answers are not consistent.",
            http_status=200, retryable=False)


def _count(value: object) -> int | None:
    """TotalCount as a non-negative int, or None (absent, negative, a bool, a fraction, text that is not digits)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value[:_MAX_COUNT_DIGITS + 1])  # a longer number is absurd anyway: never parse it whole
    return None


def _page_size(value: object, requested: int) -> int:
    """The page size the answer states when it is a sane smaller one, else the one requested."""
    stated = _count(value)
    return stated if stated is not None and 1 <= stated <= requested else requested


def _fingerprint(item: Mapping[str, Any]) -> bytes:
    """16 bytes standing for one entry: equal entries, equal fingerprints (memory stays small)."""
    text = json.dumps(item, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _text_or_none(value: object) -> str | None:
    return None if value in (None, "") or isinstance(value, Mapping | list) else str(value)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _read(build: Callable[..., T], action: str, data: Mapping[str, Any], request_id: str | None) -> T:
    """A typed value from an answer; an unreadable one is a TransportError naming the operation."""
    try:
        return build(data, request_id=request_id)
    except ValidationError as exc:
        raise TransportError(f"{action}: the answer could not be read ({exc})", http_status=200,
                             retryable=False) from exc
