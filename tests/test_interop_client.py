"""VpcClient against the sandbox: the same checks as the official SDKs, in JSON and XML, V1 and V3."""

from __future__ import annotations

import time

import pytest

import vpnroute_widgets as vw

pytestmark = pytest.mark.interop

STYLES = [("JSON", "v3"), ("JSON", "v1"), ("XML", "v1")]  # V3 is always answered in JSON


@pytest.fixture(params=STYLES, ids=[f"{f}-{v}" for f, v in STYLES])
def style(request):
    return request.param


def client_for(sb, style, creds=None, **kwargs):
    fmt, version = style
    kwargs.setdefault("max_attempts", 1)
    kwargs.setdefault("timeout", (2, 5))
    return vw.VpcClient(creds or sb.credentials, endpoint=sb.endpoint, format=fmt, signature_version=version,
                        **kwargs)


def request(sb, dest="10.0.0.0/24", *, gateway=None, hop=None, weight=0, token=None):
    return vw.RouteEntryRequest(region_id=sb.region_id, vpn_gateway_id=gateway or sb.vpn_gateway_id,
                                route_dest=dest, next_hop=hop or sb.next_hop, weight=weight, publish_vpc=True,
                                client_token=token)


def api_error(fn, *args, **kwargs) -> vw.ApiError:
    with pytest.raises(vw.ApiError) as caught:
        fn(*args, **kwargs)
    return caught.value


def test_create_list_delete(sb, style):
    client = client_for(sb, style)
    entry = client.create_vpn_route_entry(request(sb, weight=100))
    assert (entry.vpn_instance_id, entry.route_dest, entry.weight, entry.state) == (
        sb.vpn_gateway_id, "10.0.0.0/24", 100, "published")
    assert isinstance(entry.create_time, int) and entry.request_id
    client.create_vpn_route_entry(request(sb, hop=sb.next_hops[1], weight=0))
    listed = client.describe_vpn_route_entries(sb.region_id, sb.vpn_gateway_id, route_entry_type="custom")
    assert {(e.next_hop, e.weight) for e in listed} == {(sb.next_hops[0], 100), (sb.next_hops[1], 0)}
    assert all(e.route_entry_type == "custom" for e in listed)
    learned = client.describe_vpn_route_entries(sb.region_id, sb.vpn_gateway_id, route_entry_type="bgp")
    assert learned and all(e.route_entry_type == "bgp" and e.is_bgp for e in learned)  # the demo world's BGP routes
    everything = client.describe_vpn_route_entries(sb.region_id, sb.vpn_gateway_id)
    assert len(everything) == len(listed) + len(learned)  # no filter: yours and the learned ones
    request_id = client.delete_vpn_route_entry(sb.region_id, sb.vpn_gateway_id, "10.0.0.0/24", sb.next_hop, 100)
    assert request_id
    assert len(client.describe_vpn_route_entries(sb.region_id, sb.vpn_gateway_id, route_entry_type="custom")) == 1
    wire = {"v1": "v1", "v3": "v3"}[style[1]]
    assert {r["signature"] for r in sb.requests} == {wire}


def test_describe_follows_every_page(sb, style):
    client = client_for(sb, style)
    for i in range(55):
        sb.backend.handle(sb.world.key_for("owner"), "CreateVpnRouteEntry", request(sb, f"10.{i}.0.0/24").to_params())
    listed = client.describe_vpn_route_entries(sb.region_id, sb.vpn_gateway_id, route_entry_type="custom")
    assert [e.route_dest for e in listed] == [f"10.{i}.0.0/24" for i in range(55)]
    pages = [r["params"]["PageNumber"] for r in sb.requests if r["action"] == "DescribeVpnRouteEntries"]
    assert pages == ["1", "2"]


def test_gateway_status_for_the_scheduler(sb, style):
    client = client_for(sb, style)
    sb.configuring_s = 30
    client.create_vpn_route_entry(request(sb))
    data = client.describe_vpn_gateway(sb.region_id, sb.vpn_gateway_id)
    assert (data["Status"], data["BusinessStatus"]) == ("updating", "Normal")
    locked = client.describe_vpn_gateway(sb.region_id, sb.locked_gateway_id)
    assert (locked["Status"], locked["BusinessStatus"]) == ("active", "FinancialLocked")


def test_forbidden_subuser_and_forbidden(sb, style):
    for creds, code in ((sb.subuser_credentials, "Forbidden.SubUser"), (sb.forbidden_credentials, "Forbidden")):
        err = api_error(client_for(sb, style, creds).create_vpn_route_entry, request(sb))
        assert (err.code, err.http_status) == (code, 403) and err.request_id and err.recommend


def test_quota_full(sb, style):
    client = client_for(sb, style)
    for i in range(3):
        client.create_vpn_route_entry(request(sb, f"10.{i}.0.0/24", gateway=sb.quota_gateway_id,
                                              hop=sb.quota_next_hops[0]))
    err = api_error(client.create_vpn_route_entry, request(sb, "10.9.0.0/24", gateway=sb.quota_gateway_id,
                                                          hop=sb.quota_next_hops[0]))
    assert (err.code, err.http_status, err.message) == ("Resource.QuotaFull", 400, "The quota of resource is full.")


def test_gateway_not_found(sb, style):
    err = api_error(client_for(sb, style).create_vpn_route_entry, request(sb, gateway="vpn-bp1doesnotexist00000"))
    assert (err.code, err.http_status) == ("InvalidVpnGatewayInstanceId.NotFound", 404)


def test_configuring_then_retried_by_the_client(sb, style):
    sb.configuring_s = 0.15
    client_for(sb, style).create_vpn_route_entry(request(sb))
    err = api_error(client_for(sb, style).create_vpn_route_entry, request(sb, "10.1.0.0/24"))
    assert (err.code, err.http_status) == ("VpnGateway.Configuring", 400)
    patient = client_for(sb, style, max_attempts=6, backoff_base=0.1)
    assert patient.create_vpn_route_entry(request(sb, "10.2.0.0/24")).route_dest == "10.2.0.0/24"


def test_financial_locked(sb, style):
    err = api_error(client_for(sb, style).create_vpn_route_entry,
                    request(sb, gateway=sb.locked_gateway_id, hop=sb.locked_next_hop))
    assert (err.code, err.http_status) == ("VpnGateway.FinancialLocked", 400)


def test_duplicate_conflict_and_next_hop(sb, style):
    client = client_for(sb, style)
    client.create_vpn_route_entry(request(sb, weight=100))
    assert api_error(client.create_vpn_route_entry, request(sb)).code == "VpnRouteEntry.AlreadyExist"
    assert api_error(client.create_vpn_route_entry,
                     request(sb, hop=sb.next_hops[1], weight=100)).code == "VpnRouteEntry.Conflict"
    foreign = sb.gateways[1]["next_hops"][0]
    assert api_error(client.create_vpn_route_entry, request(sb, "10.8.0.0/24", hop=foreign)).code == (
        "InvalidNextHop.NotFound")


def test_wrong_secret_is_refused(sb, style):
    client = client_for(sb, style, vw.Credentials(sb.credentials.access_key_id, "definitely-wrong"))
    err = api_error(client.describe_vpn_route_entries, sb.region_id, sb.vpn_gateway_id)
    assert (err.code, err.http_status) == ("SignatureDoesNotMatch", 400)
    assert "definitely-wrong" not in str(err) + (err.body or "")


def test_injected_faults_reach_the_client_as_transport_errors(sb, style):
    client = client_for(sb, style, timeout=(2, 0.2))
    for kind in ("drop", "reset", "html_5xx", "malformed", "truncated"):
        sb.faults.add(kind=kind, times=1)
        with pytest.raises(vw.TransportError):
            client.describe_vpn_route_entries(sb.region_id, sb.vpn_gateway_id)
    sb.faults.add(kind="timeout", delay_s=0.5, times=1)
    with pytest.raises(vw.TransportError) as caught:
        client.create_vpn_route_entry(request(sb))
    assert caught.value.unknown_outcome
    deadline = time.monotonic() + 3  # the sandbox applies the create after the delay: wait, so no test sees it late
    while time.monotonic() < deadline and not sb.state()["gateways"][0]["Routes"]:
        time.sleep(0.05)
    assert sb.state()["gateways"][0]["Routes"][0]["RouteDest"] == "10.0.0.0/24"
