"""A picture of one gateway's routes: the gateway, its IPsec connections, the destinations behind each.

    vw.route_picture(frame)                                   # an export_routes frame (one gateway)
    vw.route_picture(client, region_id="cn-hangzhou", vpn_gateway_id="vpn-...")   # read it now

Three columns, left to right: the gateway, its connections (name and id), the destinations. A
link from a connection to a destination is solid for the active route (weight 100) and dashed
for the standby one (weight 0), so an active/standby pair is a destination with one solid and
one dashed link. An unpublished route's destination has a hollow dot (published: filled), and a
BGP-learned route carries a ``BGP`` tag; a legend says so. With more destinations than
``max_rows``, destinations are grouped by their /16 (one node per group with its counts of routes,
pairs, unpublished and BGP routes, and one solid/dashed link per connection carrying its
counts); groups beyond ``max_rows`` collapse into one "and N more" node.

Why SVG built here, not matplotlib: the picture is an inline SVG inside an HTML widget, so its
colours are JupyterLab's ``--jp-*`` CSS variables and follow the light and dark themes; nothing
is needed in the browser (no JavaScript, no image encoding), Voila and Binder show it the same
way, it stays sharp at any zoom, and tests read its structure (elements, classes, counts) as
XML instead of comparing pixels. Every text from the server is escaped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .common import esc
from .route_actions import Route, role_of, routes_from_frame

__all__ = ["RoutePicture", "route_picture"]

ROW_H, GROUP_H, TOP, WIDTH = 24, 36, 12, 860
X_GW, X_CONN, X_DEST = 8, 250, 560
W_GW, W_CONN = 190, 230
_STYLE = {
    "text": "fill:var(--jp-ui-font-color1);font-family:var(--jp-ui-font-family);font-size:12px",
    "muted": "fill:var(--jp-ui-font-color2);font-family:var(--jp-ui-font-family);font-size:11px",
    "box": "fill:var(--jp-layout-color2);stroke:var(--jp-border-color1);stroke-width:1",
    "trunk": "stroke:var(--jp-border-color1);stroke-width:1.5;fill:none",
    "active": "stroke:var(--jp-brand-color1);stroke-width:1.6;fill:none",
    "standby": "stroke:var(--jp-warn-color1);stroke-width:1.6;stroke-dasharray:5 4;fill:none",
    "other": "stroke:var(--jp-ui-font-color2);stroke-width:1.2;stroke-dasharray:1 3;fill:none",
    "published": "fill:var(--jp-ui-font-color1);stroke:var(--jp-ui-font-color1)",
    "unpublished": "fill:none;stroke:var(--jp-ui-font-color1);stroke-width:1.4",
    "bgp": "fill:var(--jp-info-color1);font-family:var(--jp-ui-font-family);font-size:10px;font-weight:bold",
}


@dataclass
class _Node:
    """A destination (or a group of them) on the right: its label, counts and links per connection."""

    key: str
    label: str
    note: str = ""
    routes: list[Route] = field(default_factory=list)
    links: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))


@dataclass
class RoutePicture:
    """The picture: ``svg`` (text), ``html`` (for an HTML widget), and what it shows in numbers."""

    vpn_gateway_id: str
    svg: str
    routes: int
    destinations: int
    grouped: bool
    connections: dict[str, str]

    @property
    def html(self) -> str:
        return f'<div class="vw-route-picture" style="overflow-x:auto;max-width:100%">{self.svg}</div>'

    def _repr_html_(self) -> str:
        return self.html


def _role(weight: int | None) -> str:
    return role_of(weight, "other")


def _group_key(dest: str) -> str:
    parts = dest.split("/")[0].split(".")
    return f"{parts[0]}.{parts[1]}.0.0/16" if len(parts) == 4 else dest


def _nodes(routes: list[Route], max_rows: int) -> tuple[list[_Node], bool]:
    """Destinations (or /16 groups, when there are more than ``max_rows``), with their links."""
    dests = sorted({r.route_dest for r in routes}, key=_sort_key)
    grouped = len(dests) > max_rows
    nodes: dict[str, _Node] = {}
    for route in sorted(routes, key=lambda r: _sort_key(r.route_dest)):
        key = _group_key(route.route_dest) if grouped else route.route_dest
        node = nodes.setdefault(key, _Node(key, key))
        node.routes.append(route)
        node.links[route.next_hop][_role(route.weight)] += 1
    shown = list(nodes.values())
    if len(shown) > max_rows:
        rest = shown[max_rows - 1:]
        more = _Node("more", f"and {len(rest)} more groups")
        for node in rest:
            more.routes += node.routes
            for hop, roles in node.links.items():
                for role, n in roles.items():
                    more.links[hop][role] += n
        shown = shown[:max_rows - 1] + [more]
    for node in shown:
        node.note = _note(node, grouped) if grouped else ""
    return shown, grouped


def _note(node: _Node, grouped: bool) -> str:
    dests: dict[str, int] = defaultdict(int)
    for r in node.routes:
        dests[r.route_dest] += 1
    pairs = sum(1 for n in dests.values() if n > 1)
    unpublished = sum(1 for r in node.routes if r.published is False)
    bgp = sum(1 for r in node.routes if r.kind == "bgp")
    parts = [f"{len(node.routes)} route{'' if len(node.routes) == 1 else 's'}", f"{pairs} pairs" if pairs else "",
             f"{unpublished} unpublished" if unpublished else "", f"{bgp} BGP" if bgp else ""]
    return " · ".join(p for p in parts if p)


def _sort_key(dest: str) -> tuple:
    try:
        address, _, length = dest.partition("/")
        return (0, *(int(p) for p in address.split(".")), int(length or 32))
    except ValueError:
        return (1, dest)


def _text(x: float, y: float, text: str, style: str = "text", cls: str = "", anchor: str = "start") -> str:
    klass = f' class="{cls}"' if cls else ""
    return (f'<text x="{x:.0f}" y="{y:.0f}" text-anchor="{anchor}" dominant-baseline="middle"{klass} '
            f'style="{_STYLE[style]}">{esc(text)}</text>')


def _link(x1: float, y1: float, x2: float, y2: float, role: str, count: int | None, hop: str, dest: str) -> str:
    mid = (x1 + x2) / 2
    path = (f'<path class="vw-link vw-{role}" data-hop="{esc(hop)}" data-dest="{esc(dest)}" '
            f'd="M{x1:.0f},{y1:.0f} C{mid:.0f},{y1:.0f} {mid:.0f},{y2:.0f} {x2:.0f},{y2:.0f}" '
            f'style="{_STYLE[role]}"/>')
    if count is None:
        return path
    # grouped: the count rides on the link (data-count, and a tooltip); the group's note sums it up
    return path.replace("/>", f' data-count="{count}"><title>{count} {role} via {esc(hop)}</title></path>')


def _dest_node(node: _Node, y: float, grouped: bool = False) -> str:
    kinds = {r.kind for r in node.routes}
    unpublished = all(r.published is False for r in node.routes)
    some_unpublished = any(r.published is False for r in node.routes)
    dot_style = "unpublished" if unpublished or (some_unpublished and len(node.routes) == 1) else "published"
    classes = ["vw-dest"] + (["vw-unpublished"] if some_unpublished else []) + (["vw-bgp"] if "bgp" in kinds else [])
    out = [f'<g class="{" ".join(classes)}" data-dest="{esc(node.key)}" data-routes="{len(node.routes)}">',
           f'<circle cx="{X_DEST + 5}" cy="{y:.0f}" r="4" class="vw-dot vw-dot-{dot_style}" '
           f'style="{_STYLE[dot_style]}"/>', _text(X_DEST + 14, y - 7 if grouped else y, node.label)]
    x = X_DEST + 14 + 6.8 * len(node.label) + 8
    if "bgp" in kinds:
        out.append(_text(x, y - 7 if grouped else y, "BGP", "bgp", "vw-bgp-tag"))
    if node.note:
        out.append(_text(X_DEST + 14, y + 8, node.note, "muted", "vw-group-note"))
    out.append("</g>")
    return "".join(out)


def _box(x: float, y: float, w: float, title: str, subtitle: str, cls: str, key: str) -> str:
    return (f'<g class="{cls}" data-id="{esc(key)}"><rect x="{x}" y="{y - 17:.0f}" width="{w}" height="34" rx="4" '
            f'style="{_STYLE["box"]}"/>{_text(x + 8, y - 6, _clip(title))}'
            f'{_text(x + 8, y + 8, _clip(subtitle), "muted")}</g>')


def _clip(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _legend(y: float) -> str:
    items = [
        f'<path class="vw-legend-active" d="M8,{y:.0f} h36" style="{_STYLE["active"]}"/>'
        + _text(50, y, "active route (weight 100)"),
        f'<path class="vw-legend-standby" d="M230,{y:.0f} h36" style="{_STYLE["standby"]}"/>'
        + _text(272, y, "standby route (weight 0)"),
        f'<circle cx="452" cy="{y:.0f}" r="4" style="{_STYLE["published"]}"/>' + _text(462, y, "published"),
        f'<circle cx="548" cy="{y:.0f}" r="4" style="{_STYLE["unpublished"]}"/>' + _text(558, y, "unpublished"),
        _text(650, y, "BGP", "bgp") + _text(680, y, "learned by BGP"),
    ]
    return f'<g class="vw-legend">{"".join(items)}</g>'


def _svg(gateway: str, gateway_name: str, connections: dict[str, str], nodes: list[_Node], grouped: bool) -> str:
    hops = list(dict.fromkeys([*connections, *(h for n in nodes for h in n.links)]))
    row_h = GROUP_H if grouped else ROW_H
    span = max(len(nodes) * row_h, len(hops) * 44, ROW_H)
    height = TOP + span + 46
    y_of = {n.key: TOP + row_h * (i + 0.5) for i, n in enumerate(nodes)}
    step = span / max(len(hops), 1)
    hop_y = {h: TOP + step * (i + 0.5) for i, h in enumerate(hops)}
    gw_y = TOP + span / 2
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="vw-route-svg" width="{WIDTH}" height="{height:.0f}" '
             f'viewBox="0 0 {WIDTH} {height:.0f}" role="img" aria-label="{esc(f"Routes of {gateway}")}">',
             f"<title>{esc(f'Routes of {gateway}')}</title>"]
    for hop in hops:
        parts.append(f'<path class="vw-trunk" d="M{X_GW + W_GW},{gw_y:.0f} L{X_CONN},{hop_y[hop]:.0f}" '
                     f'style="{_STYLE["trunk"]}"/>')
    for node in nodes:
        for hop, roles in node.links.items():
            for role, count in sorted(roles.items()):
                parts.append(_link(X_CONN + W_CONN, hop_y[hop], X_DEST, y_of[node.key], role,
                                   count if grouped else None, hop, node.key))
    parts.append(_box(X_GW, gw_y, W_GW, gateway, gateway_name or "VPN gateway", "vw-gateway", gateway))
    for hop in hops:
        name = connections.get(hop) or "(connection not listed)"
        parts.append(_box(X_CONN, hop_y[hop], W_CONN, name, hop, "vw-conn", hop))
    parts += [_dest_node(n, y_of[n.key], grouped) for n in nodes]
    if not nodes:
        parts.append(_text(X_DEST, TOP + ROW_H / 2, "no routes", "muted", "vw-empty"))
    parts.append(_legend(height - 20))
    parts.append("</svg>")
    return "".join(parts)


def _read(client: Any, region_id: str, vpn_gateway_id: str) -> tuple[Any, dict[str, str], str]:
    from ..batch import export_routes

    frame = export_routes(client, region_id, [vpn_gateway_id])
    conns = {c.vpn_connection_id: c.name or "" for c in client.describe_vpn_connections(region_id, vpn_gateway_id)}
    name = client.describe_vpn_gateway(region_id, vpn_gateway_id).name or ""
    return frame, conns, name


def _as_routes(source: Any) -> list[Route]:
    if hasattr(source, "to_dict") and hasattr(source, "columns"):
        return routes_from_frame(source)
    return [Route(str(e.route_dest), str(e.next_hop), e.weight,
                  None if e.state is None else str(e.state).lower() == "published",
                  str(getattr(e, "route_entry_type", None) or "custom")) for e in source]


def route_picture(routes_or_client: Any, *, region_id: str | None = None, vpn_gateway_id: str | None = None,
                  connections: Mapping[str, str] | None = None, gateway_name: str = "",
                  max_rows: int = 40) -> RoutePicture:
    """Draw one gateway's routes (module docstring).

    ``routes_or_client``: an :func:`~vpnroute_widgets.export_routes` frame, a list of RouteEntry,
    or a client (then ``region_id`` and ``vpn_gateway_id`` are read now: its routes, connections
    and name; reads only). ``connections`` maps connection ids to names; ``max_rows`` is how
    many destinations are drawn one by one before they are grouped by /16.
    """
    conns = dict(connections or {})
    source = routes_or_client
    if hasattr(routes_or_client, "describe_vpn_route_entries"):
        if not (region_id and vpn_gateway_id):
            raise ValueError("route_picture(client, ...) needs region_id and vpn_gateway_id")
        source, read_conns, read_name = _read(routes_or_client, region_id, vpn_gateway_id)
        conns = {**read_conns, **conns}
        gateway_name = gateway_name or read_name
    if vpn_gateway_id is None and hasattr(source, "columns") and "VpnGatewayId" in source.columns and len(source):
        vpn_gateway_id = str(source["VpnGatewayId"].iloc[0])
    routes = _as_routes(source)
    nodes, grouped = _nodes(routes, max(2, max_rows))
    gateway = vpn_gateway_id or "VPN gateway"
    return RoutePicture(gateway, _svg(gateway, gateway_name, conns, nodes, grouped), len(routes),
                        len({r.route_dest for r in routes}), grouped, conns)
