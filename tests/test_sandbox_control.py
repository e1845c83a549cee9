"""The ``/_sandbox/`` control endpoints refuse what a web page could send: other hosts (DNS rebinding),
other origins, and bodies that are not ``application/json``; every refusal changes nothing.

Raw HTTP through http.client, so the tests choose every header themselves.
"""

from __future__ import annotations

import email.message
import http.client
import json

import pytest

import vpnroute_widgets as vw
from vpnroute_widgets.sandbox.auth import Incoming
from vpnroute_widgets.sandbox.control import refusal


def call(sb, method: str, path: str, *, host: str | None = None, headers: dict | None = None,
         body: bytes | None = None) -> tuple[int, dict]:
    """One raw request; ``host`` replaces the Host header http.client would send."""
    conn = http.client.HTTPConnection("127.0.0.1", int(sb.endpoint.rsplit(":", 1)[1]), timeout=5)
    try:
        conn.putrequest(method, path, skip_host=host is not None, skip_accept_encoding=True)
        if host is not None:
            conn.putheader("Host", host)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(body or b"")))
        conn.endheaders(body or None)
        response = conn.getresponse()
        assert response.getheader("Content-Type", "").startswith("application/json")
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def add_route(sb) -> None:
    sb.backend.handle(sb.world.key_for("owner"), "CreateVpnRouteEntry", {
        "RegionId": sb.region_id, "VpnGatewayId": sb.vpn_gateway_id, "RouteDest": "10.9.0.0/24",
        "NextHop": sb.next_hop, "Weight": "100", "PublishVpc": "true"})


JSON = {"Content-Type": "application/json"}


def port(sb) -> int:
    return int(sb.endpoint.rsplit(":", 1)[1])


def test_loopback_hosts_with_the_sandbox_port_are_accepted(sb):
    for host in ("127.0.0.1:{p}", "localhost:{p}", "LOCALHOST:{p}", "[::1]:{p}", "127.1.2.3:{p}"):
        status, data = call(sb, "GET", "/_sandbox/health", host=host.format(p=port(sb)))
        assert (status, data["status"]) == (200, "ok"), host


@pytest.mark.parametrize("host", ["evil.example:{p}", "evil.example", "127.0.0.1", "127.0.0.1:1",
                                  "localhost.evil.example:{p}", "10.0.0.1:{p}", "0.0.0.0:{p}", "", "[::2]:{p}",
                                  "127.0.0.1:{p}@evil.example", "user@127.0.0.1:{p}x"])
def test_other_hosts_are_refused_and_nothing_changes(sb, host):
    sb.faults.add(kind="drop", action="NoSuchAction")
    before = sb.state()
    status, data = call(sb, "POST", "/_sandbox/reset", host=host.format(p=port(sb)), headers=JSON)
    assert (status, data["Code"]) == (403, "Forbidden.Host") and "Message" in data
    status, data = call(sb, "GET", "/_sandbox/state", host=host.format(p=port(sb)))
    assert status == 403
    assert sb.state() == before and len(sb.faults) == 1


@pytest.mark.parametrize("origin", ["http://evil.example", "http://localhost:8888", "null", "file://",
                                    "http://127.0.0.1", "https://127.0.0.1:1", "chrome-extension://abc"])
def test_other_origins_are_refused(sb, origin):
    add_route(sb)
    for method, path in (("POST", "/_sandbox/reset"), ("POST", "/_sandbox/faults"), ("GET", "/_sandbox/state")):
        body = b'{"kind": "drop"}' if path.endswith("faults") else b""
        status, data = call(sb, method, path, headers={**JSON, "Origin": origin}, body=body)
        assert (status, data["Code"]) == (403, "Forbidden.Origin"), (method, path)
    assert sb.state()["gateways"][0]["Routes"] and len(sb.faults) == 0


def test_same_origin_is_accepted(sb):
    for origin in (sb.endpoint, f"http://localhost:{port(sb)}"):
        status, _ = call(sb, "POST", "/_sandbox/reset", headers={**JSON, "Origin": origin})
        assert status == 200


@pytest.mark.parametrize("content_type", [None, "application/x-www-form-urlencoded", "text/plain",
                                          "multipart/form-data; boundary=x", "application/jsonp", "text/json"])
def test_writes_need_a_json_content_type(sb, content_type):
    add_route(sb)
    sb.faults.add(kind="drop", action="NoSuchAction")
    headers = {"Content-Type": content_type} if content_type else {}
    for method, path, body in (("POST", "/_sandbox/reset", b""), ("POST", "/_sandbox/faults", b'{"kind":"drop"}'),
                               ("DELETE", "/_sandbox/faults", b""), ("PUT", "/_sandbox/reset", b"{}")):
        status, data = call(sb, method, path, headers=headers, body=body)
        assert (status, data["Code"]) == (415, "UnsupportedMediaType"), (method, path)
        assert "application/json" in data["Message"]
    assert sb.state()["gateways"][0]["Routes"] and len(sb.faults) == 1


def test_json_writes_work_with_or_without_a_body(sb):
    add_route(sb)
    status, data = call(sb, "POST", "/_sandbox/faults", headers={"Content-Type": "application/json; charset=utf-8"},
                        body=b'{"rules": [{"kind": "drop", "action": "NoSuchAction"}]}')
    assert status == 200 and len(data["rules"]) == 1
    assert call(sb, "DELETE", "/_sandbox/faults", headers=JSON) == (200, {"rules": []})
    assert call(sb, "POST", "/_sandbox/reset", headers=JSON) == (200, {"status": "reset"})
    assert sb.state()["gateways"][0]["Routes"] == []
    status, data = call(sb, "POST", "/_sandbox/faults", headers=JSON, body=b"not json")
    assert (status, data["Code"]) == (400, "InvalidParameter")


def test_reads_need_no_content_type(sb):
    status, state = call(sb, "GET", "/_sandbox/state")
    assert status == 200 and state == json.loads(json.dumps(sb.state()))


def test_api_calls_are_not_affected_by_the_control_rules(sb):
    client = vw.VpcClient(sb.credentials, endpoint=sb.endpoint)  # no Origin, an empty POST body, no JSON type
    client.create_vpn_route_entry(vw.RouteEntryRequest(region_id=sb.region_id, vpn_gateway_id=sb.vpn_gateway_id,
                                                       route_dest="10.9.0.0/24", next_hop=sb.next_hop, weight=100,
                                                       publish_vpc=True))
    assert sb.state()["gateways"][0]["Routes"][0]["RouteDest"] == "10.9.0.0/24"


def test_refusal_without_a_started_endpoint_accepts_any_loopback_port():
    def incoming(host: str) -> Incoming:
        message = email.message.Message()
        message["Host"] = host
        return Incoming("GET", "/_sandbox/health", [], message, b"")

    assert refusal(incoming("127.0.0.1:5"), "") is None
    assert refusal(incoming("evil.example:5"), "")[0] == 403
