"""Fault injection over real HTTP: every kind, the limits (times, nth, probability), and ClientToken safety."""

from __future__ import annotations

import socket
import time
import uuid

import pytest
import requests

import vpnroute_widgets as vw
from vpnroute_widgets.sandbox import KINDS
from vpnroute_widgets.wire import prepare_call


def signed(sb, action, params, *, version="v3", fmt="JSON"):
    return prepare_call(action, params, sb.credentials, sb.endpoint, version=version, fmt=fmt,
                        nonce=uuid.uuid4().hex, timestamp=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))


def send(http, prepared, timeout=5):
    return http.request(prepared.method, prepared.url, headers=prepared.headers, data=prepared.body or None,
                        timeout=timeout)


def create(sb, dest="10.0.0.0/24", gateway=None, hop=None, **extra):
    return {"RegionId": sb.region_id, "VpnGatewayId": gateway or sb.vpn_gateway_id, "RouteDest": dest,
            "NextHop": hop or sb.next_hop, "Weight": "0", "PublishVpc": "true", **extra}


def describe(sb):
    return {"RegionId": sb.region_id, "VpnGatewayId": sb.vpn_gateway_id}


def routes(sb, gateway=None):
    gateway = gateway or sb.vpn_gateway_id
    (found,) = [g for g in sb.state()["gateways"] if g["VpnGatewayId"] == gateway]
    return [r["RouteDest"] for r in found["Routes"]]


def test_every_documented_kind_exists():
    assert set(KINDS) >= {"error", "html_5xx", "malformed", "truncated", "drop", "reset", "timeout",
                          "commit_then_drop"}


def test_error_fault_limited_by_times(sb, http):
    rule = sb.faults.add(kind="error", code="Throttling.User", status=400, action="CreateVpnRouteEntry", times=2)
    answers = [send(http, signed(sb, "CreateVpnRouteEntry", create(sb, f"10.{i}.0.0/24"))) for i in range(3)]
    assert [a.status_code for a in answers] == [400, 400, 200]
    assert [a.json().get("Code") for a in answers[:2]] == ["Throttling.User"] * 2
    assert set(answers[0].json()) == {"RequestId", "HostId", "Code", "Message", "Recommend"}
    assert routes(sb) == ["10.2.0.0/24"] and (rule.seen, rule.fired) == (3, 2)
    assert send(http, signed(sb, "DescribeVpnRouteEntries", describe(sb))).status_code == 200  # other action


def test_error_fault_in_xml_and_default_status_from_the_catalogue(sb, http):
    sb.faults.add(kind="error", code="ServiceUnavailable", times=1)
    response = send(http, signed(sb, "DescribeVpnRouteEntries", describe(sb), version="v1", fmt="XML"))
    assert response.status_code == 503 and "<Code>ServiceUnavailable</Code>" in response.text


def test_nth_and_gateway_matching(sb, http):
    other = sb.gateways[1]
    sb.faults.add(kind="error", code="InternalError", status=500, nth=2, vpn_gateway_id=other["vpn_gateway_id"])
    statuses = []
    for i in range(3):
        statuses.append(send(http, signed(sb, "CreateVpnRouteEntry", create(sb, f"10.{i}.0.0/24"))).status_code)
        statuses.append(send(http, signed(sb, "CreateVpnRouteEntry", create(
            sb, f"10.{i}.0.0/24", gateway=other["vpn_gateway_id"], hop=other["next_hops"][0]))).status_code)
    assert statuses == [200, 200, 200, 500, 200, 200]


def test_probability_is_seeded_and_reproducible(http):
    def outcomes(seed):
        with vw.Sandbox(seed=seed, configuring_s=0) as sb:
            sb.faults.add(kind="error", code="Throttling.User", probability=0.5)
            return [send(http, signed(sb, "DescribeVpnRouteEntries", describe(sb))).status_code for _ in range(16)]

    first = outcomes(7)
    assert first == outcomes(7) and {200, 400} == set(first)


def test_html_5xx_page(sb, http):
    sb.faults.add(kind="html_5xx", status=504, times=1)
    response = send(http, signed(sb, "CreateVpnRouteEntry", create(sb)))
    assert response.status_code == 504 and response.headers["Content-Type"] == "text/html"
    assert response.text.startswith("<!DOCTYPE html>") and routes(sb) == []


def test_malformed_body_after_the_create_was_applied(sb, http):
    sb.faults.add(kind="malformed", times=1)
    response = send(http, signed(sb, "CreateVpnRouteEntry", create(sb)))
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    assert routes(sb) == ["10.0.0.0/24"]


def test_truncated_body(sb, http):
    sb.faults.add(kind="truncated", times=1)
    with pytest.raises(requests.exceptions.RequestException):
        send(http, signed(sb, "CreateVpnRouteEntry", create(sb)))
    assert routes(sb) == ["10.0.0.0/24"]


@pytest.mark.parametrize("kind", ["drop", "reset"])
def test_drop_and_reset_do_not_apply(sb, http, kind):
    sb.faults.add(kind=kind, times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        send(http, signed(sb, "CreateVpnRouteEntry", create(sb)))
    assert routes(sb) == []
    assert send(http, signed(sb, "CreateVpnRouteEntry", create(sb))).status_code == 200


def test_reset_is_a_tcp_reset(sb):
    sb.faults.add(kind="reset", times=1)
    prepared = signed(sb, "DescribeVpnRouteEntries", describe(sb))
    host, port = sb.endpoint.split("//")[1].split(":")
    path = prepared.url.split(sb.endpoint, 1)[1]
    head = "".join(f"{k}: {v}\r\n" for k, v in prepared.headers.items())
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: 0\r\n{head}\r\n".encode())
        with pytest.raises(ConnectionResetError):
            sock.recv(1024)


def test_timeout_delays_past_the_client_then_applies(sb, http):
    sb.faults.add(kind="timeout", delay_s=0.4, times=1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        send(http, signed(sb, "CreateVpnRouteEntry", create(sb)), timeout=(2, 0.15))
    assert routes(sb) == []
    deadline = time.time() + 3
    while not routes(sb) and time.time() < deadline:
        time.sleep(0.05)
    assert routes(sb) == ["10.0.0.0/24"]


def test_stop_wakes_a_sleeping_timeout(http):
    sb = vw.Sandbox().start()
    sb.faults.add(kind="timeout", delay_s=30)
    with pytest.raises(requests.exceptions.ReadTimeout):
        send(http, signed(sb, "DescribeVpnRouteEntries", describe(sb)), timeout=(2, 0.1))
    started = time.perf_counter()
    sb.stop()
    assert time.perf_counter() - started < 2


def test_latency_fault(sb, http):
    sb.faults.add(kind="latency", delay_s=0.15, times=1)
    started = time.perf_counter()
    assert send(http, signed(sb, "DescribeVpnRouteEntries", describe(sb))).status_code == 200
    assert time.perf_counter() - started >= 0.14


def test_commit_then_drop_and_a_retry_with_the_same_client_token_makes_one_route(sb, http):
    sb.faults.add(kind="commit_then_drop", action="CreateVpnRouteEntry", times=1)
    params = create(sb, ClientToken="retry-me-1")
    with pytest.raises(requests.exceptions.ConnectionError):
        send(http, signed(sb, "CreateVpnRouteEntry", params))
    assert routes(sb) == ["10.0.0.0/24"]  # committed though the client saw nothing
    again = send(http, signed(sb, "CreateVpnRouteEntry", params))
    assert again.status_code == 200 and again.json()["RouteDest"] == "10.0.0.0/24"
    assert routes(sb) == ["10.0.0.0/24"]
    other = send(http, signed(sb, "CreateVpnRouteEntry", create(sb, "10.1.0.0/24", ClientToken="retry-me-1")))
    assert other.json()["Code"] == "IdempotentParameterMismatch"


def test_vpc_client_survives_commit_then_drop_with_one_route(sb):
    sb.faults.add(kind="commit_then_drop", action="CreateVpnRouteEntry", times=1)
    client = vw.VpcClient(sb.credentials, endpoint=sb.endpoint, max_attempts=3, backoff_base=0.01,
                          timeout=(2, 2))
    entry = client.create_vpn_route_entry(vw.RouteEntryRequest(
        region_id=sb.region_id, vpn_gateway_id=sb.vpn_gateway_id, route_dest="10.0.0.0/24",
        next_hop=sb.next_hop, weight=100, publish_vpc=True))
    assert entry.route_dest == "10.0.0.0/24" and routes(sb) == ["10.0.0.0/24"]
    creates = [r for r in sb.requests if r["action"] == "CreateVpnRouteEntry"]
    assert len(creates) == 2 and creates[0]["params"]["ClientToken"] == creates[1]["params"]["ClientToken"]
    assert [c["code"] for c in creates] == ["<drop>", None]


def test_bad_rules_are_refused(sb):
    for kwargs in ({"kind": "explode"}, {"kind": "error", "times": 0}, {"kind": "drop", "probability": 2}):
        with pytest.raises(ValueError):
            sb.faults.add(**kwargs)
    assert len(sb.faults) == 0
