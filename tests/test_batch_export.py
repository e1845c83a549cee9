"""export_routes: every page of every gateway, the columns a batch and a sync read, and the round trip."""

from __future__ import annotations

import pandas as pd
import pytest

import vpnroute_widgets as vw
from vpnroute_widgets.batch.export import EXPORT_COLUMNS, route_sort_key, write_csv

SANDBOX_OPTIONS = {"seed": 3, "configuring_s": 0, "routes_per_gateway": 60, "route_quota": 200}


@pytest.fixture
def client(sb):
    return vw.VpcClient(sb.credentials, endpoint=sb.endpoint, log=vw.ResponseLog())


def live_routes(sb, gateway_id=None) -> list[dict]:
    """Custom and BGP-learned routes of one gateway (or all), as the sandbox holds them."""
    return [r for g in sb.state()["gateways"] if gateway_id in (None, g["VpnGatewayId"])
            for r in g["Routes"] + g.get("BgpRoutes", [])]


def test_one_row_per_route_on_every_page_with_the_documented_columns(sb, client):
    frame = vw.export_routes(client, sb.region_id, [sb.vpn_gateway_id])
    assert list(frame.columns) == list(EXPORT_COLUMNS)
    routes = live_routes(sb, sb.vpn_gateway_id)
    assert len(routes) > 60 and len(frame) == len(routes)  # more than one page of 50 custom routes
    assert set(zip(frame.RouteDest, frame.NextHop, strict=True)) == {(r["RouteDest"], r["NextHop"]) for r in routes}
    assert str(frame.CreateTime.dtype).endswith(", UTC]")
    assert str(frame.Weight.dtype) == "Int64" and str(frame.PublishVpc.dtype) == "boolean"


def test_publish_vpc_follows_the_state_and_bgp_routes_are_marked(sb, client):
    frame = vw.export_routes(client, sb.region_id, sb.vpn_gateway_id)
    assert (frame.PublishVpc == (frame.State == "published")).all()
    assert {False, True} <= set(frame.PublishVpc)  # the seeded world has unpublished routes
    bgp = frame[frame.RouteEntryType == "bgp"]
    assert len(bgp) >= 2 and bgp.AsPath.notna().all() and bgp.Community.notna().all()
    custom = frame[frame.RouteEntryType == "custom"]
    assert custom.AsPath.isna().all() and len(custom) == 60


def test_all_gateways_of_the_region_when_none_are_named(sb, client):
    frame = vw.export_routes(client, sb.region_id)
    gateways = {g["VpnGatewayId"] for g in sb.state()["gateways"] if g["RegionId"] == sb.region_id}
    with_routes = {g["VpnGatewayId"] for g in sb.state()["gateways"]
                   if g["Routes"] + g.get("BgpRoutes", []) and g["RegionId"] == sb.region_id}
    assert set(frame.VpnGatewayId) == with_routes and with_routes <= gateways
    assert (frame.RegionId == sb.region_id).all()


def test_rows_are_sorted_by_gateway_then_address_and_reads_are_not_logged(sb, client):
    frame = vw.export_routes(client, sb.region_id, [sb.vpn_gateway_id])
    keys = [(route_sort_key(d), h) for d, h in zip(frame.RouteDest, frame.NextHop, strict=True)]
    assert keys == sorted(keys)
    assert len(client.log) == 0


def test_csv_round_trip_reads_back_unchanged_as_a_batch_and_as_a_sync(sb, client, tmp_path):
    frame = vw.export_routes(client, sb.region_id, [sb.vpn_gateway_id])
    path = tmp_path / "routes.csv"
    write_csv(frame, path)
    again = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(again.columns) == list(EXPORT_COLUMNS) and len(again) == len(frame)
    batch = vw.plan_batch(path, client)
    assert batch.counts()["exists"] == len(frame) and batch.counts()["ready"] == 0
    plan = vw.plan_sync(path, client, prune=True)
    assert plan.counts() == {"none": len(frame)}
    assert vw.plan_sync(frame, client, prune=True).counts() == {"none": len(frame)}


def test_formula_cells_are_escaped_in_the_file(tmp_path):
    frame = pd.DataFrame({c: pd.array([None], dtype="str") for c in EXPORT_COLUMNS})
    frame["Description"] = pd.array(["=HYPERLINK(1)"], dtype="str")
    write_csv(frame, tmp_path / "x.csv")
    assert "'=HYPERLINK(1)" in (tmp_path / "x.csv").read_text()


def test_an_unreadable_gateway_raises_instead_of_exporting_nothing(sb, client):
    with pytest.raises(vw.ApiError) as caught:
        vw.export_routes(client, sb.region_id, ["vpn-bp1doesnotexist000000"])
    assert caught.value.code == "InvalidVpnGatewayInstanceId.NotFound"
