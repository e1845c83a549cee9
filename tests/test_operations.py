"""The typed operations against the sandbox (V1/V3, JSON/XML) and the paging helper against hostile servers.

No test sleeps: the sandbox and the client share a fake clock that only ``sleep`` moves, so waiting
for a gateway costs no time and its polls are counted exactly.
"""

from __future__ import annotations

import json
import time

import pytest
from fakes import FakeClock
from stub_server import StubServer, reply

import vpnroute_widgets as vw
from vpnroute_widgets.operations import DESCRIBE, MAX_PAGES

STYLES = [("JSON", "v3"), ("JSON", "v1"), ("XML", "v1")]  # V3 is always answered in JSON
GATEWAY = "vpn-bp1a3kqjiiq9legfx0000"
HOP = "vco-bp15oes1py4i66rmd0000"



CLOCK = FakeClock(start=None)  # real epoch time, moved only by sleeps
SANDBOX_OPTIONS = {"seed": 0, "configuring_s": 0, "clock": CLOCK.time}


@pytest.fixture(autouse=True)
def _fresh_clock():
    CLOCK.now = time.time()


@pytest.fixture(params=STYLES, ids=[f"{f}-{v}" for f, v in STYLES])
def style(request):
    return request.param


def client_for(sb, style=("JSON", "v3"), **kwargs) -> vw.VpcClient:
    fmt, version = style
    kwargs.setdefault("sleep", CLOCK.sleep)
    kwargs.setdefault("clock", CLOCK.time)
    kwargs.setdefault("timeout", (2, 5))
    kwargs.setdefault("log", vw.ResponseLog())
    return vw.VpcClient(sb.credentials, endpoint=sb.endpoint, format=fmt, signature_version=version, **kwargs)


def seed_route(sb, dest, hop, weight, *, publish=True, description=None):
    """A route made through the backend directly (no request log entry, no client record)."""
    params = {"RegionId": sb.region_id, "VpnGatewayId": sb.vpn_gateway_id, "RouteDest": dest, "NextHop": hop,
              "Weight": str(weight), "PublishVpc": "true" if publish else "false"}
    if description:
        params["Description"] = description
    sb.backend.handle(sb.world.key_for("owner"), "CreateVpnRouteEntry", params)


def custom_routes(client, sb, dest=None):
    listed = client.describe_vpn_route_entries(sb.region_id, sb.vpn_gateway_id, route_entry_type="custom")
    return {(r.next_hop, r.weight, r.state) for r in listed if dest is None or r.route_dest == dest}


def sent(sb, action):
    return [r for r in sb.requests if r["action"] == action]


def operations(client):
    return [r["operation"] for r in client.log.records()]


# --- the writes ---------------------------------------------------------------------------


def test_modify_weight(sb, style):
    seed_route(sb, "10.1.0.0/24", sb.next_hop, 100)
    client = client_for(sb, style)
    request_id = client.modify_vpn_route_entry_weight(sb.region_id, sb.vpn_gateway_id, "10.1.0.0/24", sb.next_hop,
                                                      100, 0)
    assert request_id and custom_routes(client, sb, "10.1.0.0/24") == {(sb.next_hop, 0, "published")}
    (modify,) = sent(sb, "ModifyVpnRouteEntryWeight")
    assert (modify["params"]["Weight"], modify["params"]["NewWeight"]) == ("100", "0")
    assert modify["params"]["ClientToken"] and modify["signature"] == style[1]
    (record,) = [r for r in client.log.records() if r["operation"] == "ModifyVpnRouteEntryWeight"]
    assert (record["outcome"], record["request_id"]) == ("ok", request_id)
    assert (record["old_weight"], record["weight"]) == (100, 0)  # the log says what the weight became


def test_modify_is_refused_on_a_pair_and_nothing_changes(sb, style):
    seed_route(sb, "10.2.0.0/24", sb.next_hops[0], 100)
    seed_route(sb, "10.2.0.0/24", sb.next_hops[1], 0)
    client = client_for(sb, style, max_attempts=1)
    with pytest.raises(vw.ApiError) as caught:
        client.modify_vpn_route_entry_weight(sb.region_id, sb.vpn_gateway_id, "10.2.0.0/24", sb.next_hops[0], 100, 0)
    assert caught.value.code == "VpnRouteEntry.ActiveStandbyPair" and "switch_active" in caught.value.info.remedy
    assert custom_routes(client, sb, "10.2.0.0/24") == {(sb.next_hops[0], 100, "published"),
                                                        (sb.next_hops[1], 0, "published")}


def test_withdraw_and_publish(sb, style):
    seed_route(sb, "10.3.0.0/24", sb.next_hop, 0)
    client = client_for(sb, style)
    assert client.publish_vpn_route_entry(sb.region_id, sb.vpn_gateway_id, "10.3.0.0/24", sb.next_hop, False)
    assert custom_routes(client, sb, "10.3.0.0/24") == {(sb.next_hop, 0, "normal")}
    client.publish_vpn_route_entry(sb.region_id, sb.vpn_gateway_id, "10.3.0.0/24", sb.next_hop, "true",
                                   client_token="publish-again-1")
    assert custom_routes(client, sb, "10.3.0.0/24") == {(sb.next_hop, 0, "published")}
    first, second = sent(sb, "PublishVpnRouteEntry")
    assert (first["params"]["PublishVpc"], first["params"]["RouteType"]) == ("false", "dbr")
    assert second["params"]["ClientToken"] == "publish-again-1"


def test_a_bgp_route_cannot_be_changed(sb):
    client = client_for(sb, max_attempts=1)
    (bgp, *_) = client.describe_vpn_route_entries(sb.region_id, sb.vpn_gateway_id, route_entry_type="bgp")
    with pytest.raises(vw.ApiError) as caught:
        client.publish_vpn_route_entry(sb.region_id, sb.vpn_gateway_id, bgp.route_dest, bgp.next_hop, True)
    assert caught.value.code == "OperationUnsupported.BgpRoute"


@pytest.mark.parametrize("action", ["ModifyVpnRouteEntryWeight", "PublishVpnRouteEntry"])
def test_the_client_token_is_reused_after_a_dropped_connection(sb, action):
    seed_route(sb, "10.4.0.0/24", sb.next_hop, 100)
    sb.faults.add(kind="commit_then_drop", action=action, times=1)
    client = client_for(sb, max_attempts=3)
    if action == "ModifyVpnRouteEntryWeight":
        client.modify_vpn_route_entry_weight(sb.region_id, sb.vpn_gateway_id, "10.4.0.0/24", sb.next_hop, 100, 0)
        expected = {(sb.next_hop, 0, "published")}
    else:
        client.publish_vpn_route_entry(sb.region_id, sb.vpn_gateway_id, "10.4.0.0/24", sb.next_hop, False)
        expected = {(sb.next_hop, 100, "normal")}
    first, second = sent(sb, action)
    assert first["params"]["ClientToken"] == second["params"]["ClientToken"]  # the second attempt is a replay
    assert (second["status"], second["code"]) == (200, None)
    (record,) = [r for r in client.log.records() if r["operation"] == action]
    assert (record["outcome"], record["attempts"]) == ("ok", 2)
    assert custom_routes(client, sb, "10.4.0.0/24") == expected


# --- the reads ----------------------------------------------------------------------------


def test_describe_gateway_is_typed_and_shows_the_update_window(sb, style):
    client = client_for(sb, style)
    gateway = client.describe_vpn_gateway(sb.region_id, sb.vpn_gateway_id)
    assert isinstance(gateway, vw.VpnGateway) and gateway.vpn_gateway_id == sb.vpn_gateway_id
    assert (gateway.status, gateway.business_status, gateway["Status"]) == ("active", "Normal", "active")
    assert isinstance(gateway.create_time, int) and gateway.vpc_id.startswith("vpc-") and gateway.request_id
    sb.configuring_s = 30
    seed_route(sb, "10.5.0.0/24", sb.next_hop, 100)
    assert client.describe_vpn_gateway(sb.region_id, sb.vpn_gateway_id).status == "updating"
    assert client.describe_vpn_gateway(sb.region_id, sb.locked_gateway_id).is_locked


def test_describe_gateways_and_connections(sb, style):
    client = client_for(sb, style)
    gateways = client.describe_vpn_gateways(sb.region_id)
    ids = [g.vpn_gateway_id for g in gateways]
    assert sb.vpn_gateway_id in ids and len(ids) == len(set(ids)) and all(g.status for g in gateways)
    home = next(g for g in gateways if g.vpn_gateway_id == sb.vpn_gateway_id)
    assert {g.vpc_id for g in client.describe_vpn_gateways(sb.region_id, vpc_id=home.vpc_id)} == {home.vpc_id}
    connections = client.describe_vpn_connections(sb.region_id, sb.vpn_gateway_id)
    assert {c.vpn_connection_id for c in connections} == set(sb.next_hops)
    assert all(c.vpn_gateway_id == sb.vpn_gateway_id and c.name and c.create_time for c in connections)
    assert len(client.describe_vpn_connections(sb.region_id)) > len(connections)
    assert set(operations(client)) == {"DescribeVpnGateways", "DescribeVpnConnections"}


def test_route_listing_gives_destination_then_bgp_routes(sb, style):
    seed_route(sb, "10.6.0.0/24", sb.next_hop, 100)
    client = client_for(sb, style)
    listed = client.describe_vpn_route_entries(sb.region_id, sb.vpn_gateway_id)
    kinds = [e.route_entry_type for e in listed]
    assert kinds[0] == "custom" and set(kinds[1:]) == {"bgp"} and len(kinds) >= 3
    assert all(e.as_path and e.community and e.source for e in listed[1:])
    assert [r["params"]["RouteEntryType"] for r in sent(sb, DESCRIBE)] == ["custom", "bgp"]
    only_bgp = client.describe_vpn_route_entries(sb.region_id, sb.vpn_gateway_id, route_entry_type="BGP")
    assert [(e.route_dest, e.next_hop) for e in only_bgp] == [(e.route_dest, e.next_hop) for e in listed[1:]]
    assert sent(sb, DESCRIBE)[-1]["params"]["RouteEntryType"] == "bgp"


def test_route_listing_follows_every_page(sb):
    for i in range(99):  # the gateway's route quota is 100
        seed_route(sb, f"10.7.{i}.0/24", sb.next_hop, 0)
    client = client_for(sb)
    listed = client.describe_vpn_route_entries(sb.region_id, sb.vpn_gateway_id, route_entry_type="custom")
    assert [e.route_dest for e in listed] == [f"10.7.{i}.0/24" for i in range(99)]
    assert [(r["params"]["PageNumber"], r["params"]["PageSize"]) for r in sent(sb, DESCRIBE)] == [
        ("1", "50"), ("2", "50")]


def test_one_record_per_call_named_after_its_operation(sb):
    seed_route(sb, "10.8.0.0/24", sb.next_hop, 100)
    client = client_for(sb)
    client.modify_vpn_route_entry_weight(sb.region_id, sb.vpn_gateway_id, "10.8.0.0/24", sb.next_hop, 100, 0)
    client.publish_vpn_route_entry(sb.region_id, sb.vpn_gateway_id, "10.8.0.0/24", sb.next_hop, False)
    client.describe_vpn_gateway(sb.region_id, sb.vpn_gateway_id)
    client.wait_for_gateway(sb.region_id, sb.vpn_gateway_id)
    client.describe_vpn_gateways(sb.region_id)
    client.describe_vpn_connections(sb.region_id, sb.vpn_gateway_id)
    client.describe_vpn_route_entries(sb.region_id, sb.vpn_gateway_id)
    assert operations(client) == ["ModifyVpnRouteEntryWeight", "PublishVpnRouteEntry", "DescribeVpnGateway",
                                  "DescribeVpnGateway", "DescribeVpnGateways", "DescribeVpnConnections",
                                  DESCRIBE, DESCRIBE]
    assert len(sb.requests) == len(operations(client))


BAD_INPUTS = {
    "new weight equals weight": lambda c, sb: c.modify_vpn_route_entry_weight(
        sb.region_id, sb.vpn_gateway_id, "10.0.0.0/24", sb.next_hop, 100, 100),
    "weight 50": lambda c, sb: c.modify_vpn_route_entry_weight(
        sb.region_id, sb.vpn_gateway_id, "10.0.0.0/24", sb.next_hop, 50, 0),
    "masked gateway": lambda c, sb: c.modify_vpn_route_entry_weight(
        sb.region_id, "vpn-bp1a3kqjiiq9legfx****", "10.0.0.0/24", sb.next_hop, 100, 0),
    "route type": lambda c, sb: c.publish_vpn_route_entry(
        sb.region_id, sb.vpn_gateway_id, "10.0.0.0/24", sb.next_hop, True, route_type="static"),
    "publish flag": lambda c, sb: c.publish_vpn_route_entry(
        sb.region_id, sb.vpn_gateway_id, "10.0.0.0/24", sb.next_hop, "yes"),
    "token": lambda c, sb: c.publish_vpn_route_entry(
        sb.region_id, sb.vpn_gateway_id, "10.0.0.0/24", sb.next_hop, True, client_token="x" * 65),
    "delete weight": lambda c, sb: c.delete_vpn_route_entry(
        sb.region_id, sb.vpn_gateway_id, "10.0.0.0/24", sb.next_hop, 7),
    "gateway id": lambda c, sb: c.describe_vpn_gateway(sb.region_id, "gw-1"),
    "wait gateway id": lambda c, sb: c.wait_for_gateway(sb.region_id, "VPN-ABC"),
    "vpc id": lambda c, sb: c.describe_vpn_gateways(sb.region_id, vpc_id="vpc_1"),
    "region": lambda c, sb: c.describe_vpn_connections("Hangzhou"),
    "connection gateway": lambda c, sb: c.describe_vpn_connections(sb.region_id, "vco-abcd"),
    "route entry type": lambda c, sb: c.describe_vpn_route_entries(sb.region_id, sb.vpn_gateway_id,
                                                                   route_entry_type="System"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_nothing_is_sent_for_a_bad_input(sb, case):
    client = client_for(sb)
    with pytest.raises(vw.ValidationError):
        BAD_INPUTS[case](client, sb)
    assert sb.requests == [] and client.log.records() == []


# --- waiting for a gateway ------------------------------------------------------------------


def test_wait_for_gateway_backs_off_until_active(sb):
    client = client_for(sb)
    sb.configuring_s = 30
    seed_route(sb, "10.9.0.0/24", sb.next_hop, 100)
    started = CLOCK.now
    gateway = client.wait_for_gateway(sb.region_id, sb.vpn_gateway_id, poll=1, max_poll=15)
    assert gateway.is_active and CLOCK.now - started == 30  # polls at 0, 1, 3, 7, 15, 30 s
    assert len(sent(sb, "DescribeVpnGateway")) == 6


def test_wait_for_gateway_times_out_with_a_clear_error(sb):
    client = client_for(sb)
    sb.configuring_s = 1000
    seed_route(sb, "10.10.0.0/24", sb.next_hop, 100)
    with pytest.raises(vw.GatewayWaitError) as caught:
        client.wait_for_gateway(sb.region_id, sb.vpn_gateway_id, timeout=20, poll=1)
    err = caught.value
    assert (err.vpn_gateway_id, err.last_status, err.waited_s, err.polls) == (sb.vpn_gateway_id, "updating", 20, 6)
    assert sb.vpn_gateway_id in str(err) and "'updating'" in str(err) and "20.0 s" in str(err)
    assert isinstance(err, vw.VpnRouteError) and vw.error_info(err.code).retryable


def test_wait_for_gateway_ends_even_when_sleep_returns_at_once(sb):
    client = client_for(sb, sleep=lambda seconds: None)  # the clock never moves
    sb.configuring_s = 1000
    seed_route(sb, "10.11.0.0/24", sb.next_hop, 100)
    with pytest.raises(vw.GatewayWaitError):
        client.wait_for_gateway(sb.region_id, sb.vpn_gateway_id, timeout=20, poll=1)
    assert len(sent(sb, "DescribeVpnGateway")) == 6


@pytest.mark.parametrize("settings", [{"timeout": -1}, {"poll": 0}, {"poll": 20, "max_poll": 10}])
def test_wait_for_gateway_refuses_nonsense_settings(sb, settings):
    with pytest.raises(vw.ConfigurationError):
        client_for(sb).wait_for_gateway(sb.region_id, sb.vpn_gateway_id, **settings)
    assert len(sb.requests) <= 1


# --- paging against hostile servers ---------------------------------------------------------


@pytest.fixture
def stub():
    server = StubServer()
    yield server
    server.close()


def stub_client(stub, fmt="JSON", **kwargs) -> vw.VpcClient:
    return vw.VpcClient(vw.Credentials("testkeyid0001", "stub-secret"), endpoint=stub.endpoint, format=fmt,
                        signature_version="v1" if fmt == "XML" else "v3", sleep=lambda s: None,
                        log=vw.ResponseLog(), **kwargs)


def route(i):
    return {"VpnInstanceId": GATEWAY, "RouteDest": f"10.{i // 256}.{i % 256}.0/24", "NextHop": HOP, "Weight": 0,
            "State": "published", "CreateTime": 1563873294331 + i, "RouteEntryType": "custom"}


def page_body(items, total, page, fmt="JSON", size=50) -> bytes:
    if fmt == "JSON":
        return json.dumps({"RequestId": f"P{page}", "TotalCount": total, "PageNumber": page, "PageSize": size,
                           "VpnRouteEntries": {"VpnRouteEntry": items}}).encode()
    rows = "".join("<VpnRouteEntry>" + "".join(f"<{k}>{v}</{k}>" for k, v in item.items()) + "</VpnRouteEntry>"
                   for item in items)
    return (f"<DescribeVpnRouteEntriesResponse><RequestId>P{page}</RequestId><TotalCount>{total}</TotalCount>"
            f"<PageNumber>{page}</PageNumber><PageSize>{size}</PageSize><VpnRouteEntries>{rows}</VpnRouteEntries>"
            "</DescribeVpnRouteEntriesResponse>").encode()


def serve_pages(stub, make_page, fmt="JSON"):
    """Answer every request by its PageNumber: ``make_page(page) -> (items, total)``."""
    ctype = "text/xml" if fmt == "XML" else "application/json"

    def respond(handler):
        page = int(stub.requests[-1].params.get("PageNumber", "1"))
        items, total = make_page(page)
        reply(200, page_body(items, total, page, fmt), ctype)(handler)

    stub._default = respond


def listing_error(client) -> vw.TransportError:
    with pytest.raises(vw.TransportError) as caught:
        client.describe_vpn_route_entries("cn-hangzhou", GATEWAY, route_entry_type="custom")
    return caught.value


@pytest.mark.parametrize("fmt", ["JSON", "XML"])
def test_a_server_repeating_page_one_forever_is_stopped_at_page_two(stub, fmt):
    serve_pages(stub, lambda page: ([route(i) for i in range(50)], 10_000), fmt)
    client = stub_client(stub, fmt)
    err = listing_error(client)
    assert "page 2 repeats an entry" in str(err) and "RequestId: P2" in str(err) and not err.retryable
    assert len(stub.requests) == 2
    records = client.log.records()  # the lying page's call is recorded as the error it proved
    assert [(r["operation"], r["outcome"]) for r in records] == [(DESCRIBE, "ok"), (DESCRIBE, "error")]
    assert "repeats an entry" in records[1]["error_message"]


def test_an_absurd_total_count_is_refused_before_a_second_request(stub):
    serve_pages(stub, lambda page: ([route(page * 50 + i) for i in range(50)], 10**9))
    err = listing_error(stub_client(stub))
    assert "claims TotalCount 1000000000" in str(err) and f"{MAX_PAGES:,} pages" in str(err)
    assert len(stub.requests) == 1


def test_a_lying_total_count_with_short_pages_is_stopped_at_once(stub):
    serve_pages(stub, lambda page: ([route(page * 10 + i) for i in range(10)], 5_000))
    err = listing_error(stub_client(stub))
    assert "ended the listing with 10 entries, but TotalCount is 5000" in str(err)
    assert len(stub.requests) == 1


def test_fresh_entries_forever_are_stopped_by_the_page_cap(stub):
    serve_pages(stub, lambda page: ([route(page * 50 + i) for i in range(50)], 151))
    client = stub_client(stub)
    with pytest.raises(vw.TransportError, match="more than 3 pages of 50"):
        client.list_pages(DESCRIBE, {"RegionId": "cn-hangzhou", "VpnGatewayId": GATEWAY}, "VpnRouteEntries",
                          "VpnRouteEntry", max_pages=3)
    assert len(stub.requests) == 1
    serve_pages(stub, lambda page: ([route(page * 50 + i) for i in range(50)], 150))
    items = client.list_pages(DESCRIBE, {"RegionId": "cn-hangzhou", "VpnGatewayId": GATEWAY}, "VpnRouteEntries",
                              "VpnRouteEntry", max_pages=3)
    assert len(items) == 150 and items[-1][1] == "P3" and len(stub.requests) == 4


@pytest.mark.parametrize("total", ["many", -1, True, 1.5, None, "12abc", "", {"n": 1}, "１２"])
def test_a_total_count_that_is_not_a_non_negative_integer(stub, total):
    body = {"RequestId": "P1", "PageNumber": 1, "PageSize": 50, "VpnRouteEntries": {"VpnRouteEntry": [route(0)]}}
    if total is not None:
        body["TotalCount"] = total
    stub.script(reply(200, json.dumps(body)))
    err = listing_error(stub_client(stub))
    expected = "has no TotalCount" if total is None else "not a non-negative integer"
    assert "page 1" in str(err) and expected in str(err)
    assert len(stub.requests) == 1


def test_more_entries_than_total_count_or_than_a_page_holds(stub):
    stub.script(reply(200, page_body([route(i) for i in range(5)], 3, 1)))
    assert "more than TotalCount 3" in str(listing_error(stub_client(stub)))
    stub.script(reply(200, page_body([route(i) for i in range(60)], 60, 1)))
    assert "carried 60 entries, more than a page of 50" in str(listing_error(stub_client(stub)))


def test_a_smaller_page_size_stated_by_the_server_is_followed(stub):
    def pages(page):
        return [route((page - 1) * 10 + i) for i in range(10 if page < 3 else 5)], 25
    ctype = "application/json"

    def respond(handler):
        page = int(stub.requests[-1].params["PageNumber"])
        items, total = pages(page)
        reply(200, page_body(items, total, page, size=10), ctype)(handler)

    stub._default = respond
    listed = stub_client(stub).describe_vpn_route_entries("cn-hangzhou", GATEWAY, route_entry_type="custom")
    assert len(listed) == 25 and len(stub.requests) == 3


def test_gateway_and_connection_listings_share_the_checks(stub):
    gateway = {"VpnGatewayId": GATEWAY, "Status": "active"}
    body = {"RequestId": "G", "TotalCount": 100, "PageSize": 50, "VpnGateways": {"VpnGateway": [gateway] * 50}}
    stub.script(reply(200, json.dumps(body)))
    with pytest.raises(vw.TransportError, match="DescribeVpnGateways: page 1 repeats an entry"):
        stub_client(stub).describe_vpn_gateways("cn-hangzhou")
    body = {"RequestId": "C", "TotalCount": "lots", "VpnConnections": {"VpnConnection": []}}
    stub.script(reply(200, json.dumps(body)))
    with pytest.raises(vw.TransportError, match="DescribeVpnConnections: page 1 has TotalCount 'lots'"):
        stub_client(stub).describe_vpn_connections("cn-hangzhou")
    assert len(stub.requests) == 2


def test_an_unreadable_gateway_answer_is_a_transport_error(stub):
    stub.script(reply(200, json.dumps({"RequestId": "R", "VpnGatewayId": GATEWAY, "CreateTime": "yesterday"})))
    with pytest.raises(vw.TransportError, match="DescribeVpnGateway: the answer could not be read.*CreateTime"):
        stub_client(stub).describe_vpn_gateway("cn-hangzhou", GATEWAY)


def test_a_write_during_the_update_window_is_refused_and_waiting_mends_it(sb):
    seed_route(sb, "10.12.0.0/24", sb.next_hop, 100)
    sb.configuring_s = 30
    client = client_for(sb, retry_configuring=False)
    client.publish_vpn_route_entry(sb.region_id, sb.vpn_gateway_id, "10.12.0.0/24", sb.next_hop, False)
    with pytest.raises(vw.ApiError) as caught:
        client.modify_vpn_route_entry_weight(sb.region_id, sb.vpn_gateway_id, "10.12.0.0/24", sb.next_hop, 100, 0)
    assert caught.value.code == "VpnGateway.Configuring"
    assert custom_routes(client, sb, "10.12.0.0/24") == {(sb.next_hop, 100, "normal")}  # nothing changed
    client.wait_for_gateway(sb.region_id, sb.vpn_gateway_id)
    client.modify_vpn_route_entry_weight(sb.region_id, sb.vpn_gateway_id, "10.12.0.0/24", sb.next_hop, 100, 0)
    assert custom_routes(client, sb, "10.12.0.0/24") == {(sb.next_hop, 0, "normal")}


def test_a_server_ignoring_the_type_filter_gives_no_duplicates(stub):
    custom = [route(0), route(1)]
    serve_pages(stub, lambda page: (custom, 2))  # the same custom routes whatever RouteEntryType asks
    listed = stub_client(stub).describe_vpn_route_entries("cn-hangzhou", GATEWAY)
    assert [e.route_dest for e in listed] == ["10.0.0.0/24", "10.0.1.0/24"]
    assert [r.params["RouteEntryType"] for r in stub.requests] == ["custom", "bgp"]
