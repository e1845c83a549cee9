"""route_picture: the structure of the SVG (elements, labels, counts, pair marks), not its pixels."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd
import pytest

import vpnroute_widgets as vw
from vpnroute_widgets.widgets.route_picture import route_picture

SVG = "{http://www.w3.org/2000/svg}"
SANDBOX_OPTIONS = {"seed": 0, "configuring_s": 0, "routes_per_gateway": 8}


def tree(picture) -> ET.Element:
    return ET.fromstring(picture.svg)  # well-formed XML, or this raises


def by_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if name in (e.get("class") or "").split()]


def texts(element: ET.Element) -> list[str]:
    return [t.text or "" for t in element.iter(f"{SVG}text")]


@pytest.fixture
def client(sb):
    return vw.VpcClient(sb.credentials, endpoint=sb.endpoint, region_id=sb.region_id)


def test_gateway_connections_and_destinations_with_pairs_solid_and_dashed(client, sb):
    picture = route_picture(client, region_id=sb.region_id, vpn_gateway_id=sb.vpn_gateway_id)
    root = tree(picture)
    frame = vw.export_routes(client, sb.region_id, [sb.vpn_gateway_id])
    assert [g.get("data-id") for g in by_class(root, "vw-gateway")] == [sb.vpn_gateway_id]
    assert "demo-gateway-1" in texts(by_class(root, "vw-gateway")[0])
    conns = {g.get("data-id"): texts(g)[0] for g in by_class(root, "vw-conn")}
    names = {c.vpn_connection_id: c.name for c in client.describe_vpn_connections(sb.region_id, sb.vpn_gateway_id)}
    assert conns == names and all(name.startswith("demo-gateway-1-ipsec-") for name in conns.values())
    dests = by_class(root, "vw-dest")
    assert len(dests) == frame["RouteDest"].nunique() and not picture.grouped
    links = by_class(root, "vw-link")
    assert len(links) == len(frame)  # one link per route
    for row in frame.to_dict("records"):
        link = [lk for lk in links if lk.get("data-dest") == row["RouteDest"] and lk.get("data-hop") == row["NextHop"]]
        assert len(link) == 1 and ("vw-active" if row["Weight"] == 100 else "vw-standby") in link[0].get("class")
    pair = frame["RouteDest"][frame["RouteDest"].duplicated()].iloc[0]
    kinds = sorted(lk.get("class") for lk in links if lk.get("data-dest") == pair)
    assert kinds == ["vw-link vw-active", "vw-link vw-standby"]
    assert "stroke-dasharray" in by_class(root, "vw-standby")[0].get("style")
    assert "stroke-dasharray" not in by_class(root, "vw-active")[0].get("style")


def test_unpublished_and_bgp_are_marked_and_the_legend_explains_them(client, sb):
    frame = vw.export_routes(client, sb.region_id, [sb.vpn_gateway_id])
    root = tree(route_picture(frame))
    unpublished = {g.get("data-dest") for g in by_class(root, "vw-unpublished")}
    assert unpublished == set(frame["RouteDest"][frame["PublishVpc"] == False])  # noqa: E712
    bgp = {g.get("data-dest") for g in by_class(root, "vw-bgp")}
    assert bgp == set(frame["RouteDest"][frame["RouteEntryType"] == "bgp"]) and len(bgp) == 2
    legend = " ".join(texts(by_class(root, "vw-legend")[0]))
    for words in ("active route (weight 100)", "standby route (weight 0)", "published", "unpublished",
                  "learned by BGP"):
        assert words in legend


def test_hundreds_of_routes_are_grouped_by_16_with_counts():
    rows = [{"VpnGatewayId": "vpn-x", "RouteDest": f"10.{i // 200}.{i % 200}.0/24", "NextHop": "vco-a",
             "Weight": 100, "PublishVpc": i % 7 != 0, "RouteEntryType": "custom"} for i in range(400)]
    rows += [{**rows[i], "NextHop": "vco-b", "Weight": 0} for i in range(0, 60)]
    picture = route_picture(pd.DataFrame(rows), connections={"vco-a": "to-dc1", "vco-b": "to-dc2"}, max_rows=40)
    root = tree(picture)
    assert picture.grouped and picture.routes == 460 and picture.destinations == 400
    groups = {g.get("data-dest"): g for g in by_class(root, "vw-dest")}
    assert set(groups) == {"10.0.0.0/16", "10.1.0.0/16"}
    assert int(groups["10.0.0.0/16"].get("data-routes")) == 260
    assert "260 routes · 60 pairs" in " ".join(texts(groups["10.0.0.0/16"]))
    counts = {(lk.get("data-hop"), lk.get("data-dest"), lk.get("class")): int(lk.get("data-count"))
              for lk in by_class(root, "vw-link")}
    assert counts[("vco-b", "10.0.0.0/16", "vw-link vw-standby")] == 60
    assert counts[("vco-a", "10.1.0.0/16", "vw-link vw-active")] == 200
    assert len(picture.svg) < 40_000  # a screenful, not hundreds of rows


def test_more_groups_than_a_screen_collapse_into_one_node():
    rows = [{"VpnGatewayId": "vpn-x", "RouteDest": f"10.{i}.0.0/24", "NextHop": "vco-a", "Weight": 100,
             "PublishVpc": True, "RouteEntryType": "custom"} for i in range(120)]
    root = tree(route_picture(pd.DataFrame(rows), max_rows=10))
    dests = by_class(root, "vw-dest")
    assert len(dests) == 10 and dests[-1].get("data-dest") == "more"
    assert "and 111 more groups" in texts(dests[-1]) and dests[-1].get("data-routes") == "111"


def test_server_text_is_escaped_and_colours_are_theme_variables():
    rows = [{"VpnGatewayId": "vpn-<b>x</b>", "RouteDest": "10.0.0.0/24", "NextHop": "vco-\"><script>",
             "Weight": 100, "PublishVpc": True, "RouteEntryType": "custom"}]
    picture = route_picture(pd.DataFrame(rows), connections={"vco-\"><script>": "<img src=x onerror=alert(1)>"},
                            gateway_name="<i>gw</i>")
    tree(picture)
    assert "<script>" not in picture.svg and "<img" not in picture.svg and "<i>" not in picture.svg
    assert "#" not in picture.svg.replace("&#x27;", "") and "rgb(" not in picture.svg
    assert picture._repr_html_().startswith('<div class="vw-route-picture"')


def test_route_entries_work_too_and_an_empty_gateway_says_so(client, sb):
    entries = client.describe_vpn_route_entries(sb.region_id, sb.vpn_gateway_id)
    root = tree(route_picture(entries, vpn_gateway_id=sb.vpn_gateway_id))
    assert len(by_class(root, "vw-link")) == len(entries)
    empty = tree(route_picture([], vpn_gateway_id="vpn-empty"))
    assert texts(by_class(empty, "vw-empty")[0]) == ["no routes"]
