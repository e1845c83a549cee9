"""The sandbox over real HTTP on 127.0.0.1: signatures, formats, keep-alive, errors, control endpoints."""

from __future__ import annotations

import http.client as httpclient
import json
import re
import socket
import time
import uuid
import xml.etree.ElementTree as ET  # noqa: S405 - parses the sandbox's own answers

import pytest
import requests

import vpnroute_widgets as vw
from vpnroute_widgets import signing
from vpnroute_widgets.wire import prepare_call

UUID_UPPER = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")


def now_stamp(offset_s: float = 0) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset_s))


def signed(sb, action, params, *, version="v3", fmt="JSON", creds=None, nonce=None, timestamp=None):
    return prepare_call(action, params, creds or sb.credentials, sb.endpoint, version=version, fmt=fmt,
                        nonce=nonce or uuid.uuid4().hex, timestamp=timestamp or now_stamp())


def send(http, prepared):
    return http.request(prepared.method, prepared.url, headers=prepared.headers, data=prepared.body or None,
                        timeout=5)


def describe_params(sb):
    return {"RegionId": sb.region_id, "VpnGatewayId": sb.vpn_gateway_id}


def create_params(sb, dest="10.0.0.0/24", weight=100, **extra):
    return {"RegionId": sb.region_id, "VpnGatewayId": sb.vpn_gateway_id, "RouteDest": dest,
            "NextHop": sb.next_hop, "Weight": str(weight), "PublishVpc": "true", **extra}


def v1_url(sb, params: dict, *, method="GET", secret=None, sign_params=None) -> str:
    """A V1 GET URL; ``sign_params`` signs something other than what is sent (for negative tests)."""
    signature = signing.sign_v1(method, sign_params or params, secret or sb.credentials.access_key_secret)
    query = signing.v1_canonical_query(params) + "&Signature=" + signing.percent_encode(signature)
    return f"{sb.endpoint}/?{query}"


def v1_common(sb, action, fmt="JSON", **extra):
    return {"Action": action, "Format": fmt, "Version": "2016-04-28", "AccessKeyId": sb.credentials.access_key_id,
            "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "SignatureNonce": uuid.uuid4().hex,
            "Timestamp": now_stamp(), **extra}


# --- success bodies --------------------------------------------------------------------------


@pytest.mark.parametrize("version,fmt", [("v3", "JSON"), ("v1", "JSON"), ("v1", "XML")])
def test_signed_create_answers_in_the_real_format(sb, http, version, fmt):
    response = send(http, signed(sb, "CreateVpnRouteEntry", create_params(sb), version=version, fmt=fmt))
    assert response.status_code == 200
    rid = response.headers["x-acs-request-id"]
    assert UUID_UPPER.match(rid)
    if fmt == "JSON":
        assert response.headers["Content-Type"].startswith("application/json")
        data = response.json()
        assert data["RequestId"] == rid and data["Weight"] == 100 and isinstance(data["CreateTime"], int)
    else:
        assert response.headers["Content-Type"].startswith("text/xml")
        text = response.text
        assert "<CreateVpnRouteEntryResponse>" in text and f"<RequestId>{rid}</RequestId>" in text
        assert "<Weight>100</Weight>" in text and f"<VpnInstanceId>{sb.vpn_gateway_id}</VpnInstanceId>" in text


def test_v1_get_with_the_legacy_empty_signature_type_is_signed_as_received(sb, http):
    params = v1_common(sb, "DescribeVpnRouteEntries", SignatureType="", **describe_params(sb))
    assert http.get(v1_url(sb, params)).status_code == 200
    forged = v1_common(sb, "DescribeVpnRouteEntries", **describe_params(sb))
    unsigned_extra = dict(forged, SignatureType="")
    response = http.get(v1_url(sb, unsigned_extra, sign_params=forged))
    assert (response.status_code, response.json()["Code"]) == (400, "SignatureDoesNotMatch")


def test_describe_list_in_xml_repeats_items(sb, http):
    for i in range(2):
        send(http, signed(sb, "CreateVpnRouteEntry", create_params(sb, f"10.{i}.0.0/24", weight=0)))
    response = send(http, signed(sb, "DescribeVpnRouteEntries", describe_params(sb), version="v1", fmt="XML"))
    text = response.text
    assert text.count("<VpnRouteEntry>") == 2 and "<VpnRouteEntries>" in text
    assert "<TotalCount>2</TotalCount>" in text and "<RouteEntryType>custom</RouteEntryType>" in text


# --- signature and key refusals ------------------------------------------------------------------


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_wrong_secret_is_refused_with_the_servers_string_to_sign(sb, http, version):
    creds = vw.Credentials(sb.credentials.access_key_id, "not-the-secret")
    prepared = signed(sb, "DescribeVpnRouteEntries", describe_params(sb), version=version, creds=creds)
    response = send(http, prepared)
    data = response.json()
    assert (response.status_code, data["Code"]) == (400, "SignatureDoesNotMatch")
    assert "server string to sign is:" in data["Message"]
    if version == "v1":
        params = dict(x.split("=", 1) for x in prepared.body.decode().split("&"))
        from urllib.parse import unquote

        decoded = {unquote(k): unquote(v) for k, v in params.items()}
        assert data["Message"].endswith(signing.v1_string_to_sign("POST", signing.v1_canonical_query(decoded)))
    else:
        assert "ACS3-HMAC-SHA256\n" in data["Message"]
    assert sb.credentials.access_key_secret not in response.text and "not-the-secret" not in response.text
    assert set(data) == {"RequestId", "HostId", "Code", "Message", "Recommend"}
    assert data["Recommend"] == ("https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch&product=Vpc"
                                 f"&requestId={data['RequestId']}")


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_unknown_key_and_real_looking_key(sb, http, version):
    unknown = vw.Credentials("sandbox-nobody-000000", "whatever-secret")
    response = send(http, signed(sb, "DescribeVpnRouteEntries", describe_params(sb), version=version, creds=unknown))
    assert (response.status_code, response.json()["Code"]) == (404, "InvalidAccessKeyId.NotFound")
    real = vw.Credentials("LTAI" "5tQwErTyUiOpAsDfGh12", "real-looking-secret-value")
    response = send(http, signed(sb, "DescribeVpnRouteEntries", describe_params(sb), version=version, creds=real))
    data = response.json()
    assert (response.status_code, data["Code"]) == (404, "InvalidAccessKeyId.NotFound")
    assert "sandbox" in data["Message"] and "only accepts its own" in data["Message"]
    assert "real-looking-secret-value" not in response.text and "LTAI" "5tQwErTyUiOpAsDfGh12" not in response.text


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_stale_timestamp_and_reused_nonce(sb, http, version):
    stale = signed(sb, "DescribeVpnRouteEntries", describe_params(sb), version=version, timestamp=now_stamp(-16 * 60))
    response = send(http, stale)
    assert (response.status_code, response.json()["Code"]) == (400, "InvalidTimeStamp.Expired")
    fine = signed(sb, "DescribeVpnRouteEntries", describe_params(sb), version=version, timestamp=now_stamp(-14 * 60))
    assert send(http, fine).status_code == 200
    again = signed(sb, "DescribeVpnRouteEntries", describe_params(sb), version=version, nonce=fine.headers.get(
        "x-acs-signature-nonce") or re.search(r"SignatureNonce=([^&]+)", fine.body.decode()).group(1))
    response = send(http, again)
    assert (response.status_code, response.json()["Code"]) == (400, "SignatureNonceUsed")


def test_v3_body_hash_must_match(sb, http):
    prepared = signed(sb, "DescribeVpnRouteEntries", describe_params(sb))
    response = http.post(prepared.url, headers=prepared.headers, data=b"extra=1", timeout=5)
    assert (response.status_code, response.json()["Code"]) == (400, "SignatureDoesNotMatch")


def test_tampered_parameter_is_refused(sb, http):
    prepared = signed(sb, "CreateVpnRouteEntry", create_params(sb))
    response = http.post(prepared.url.replace("10.0.0.0", "10.6.0.0"), headers=prepared.headers, timeout=5)
    assert response.json()["Code"] == "SignatureDoesNotMatch"
    assert sb.state()["gateways"][0]["Routes"] == []


def test_error_xml_has_the_five_children(sb, http):
    prepared = signed(sb, "CreateVpnRouteEntry", {**create_params(sb), "VpnGatewayId": sb.locked_gateway_id,
                                                  "NextHop": sb.locked_next_hop}, version="v1", fmt="XML")
    response = send(http, prepared)
    text = response.text
    assert response.status_code == 400 and text.startswith("<?xml") and "<Error>" in text
    for child in ("RequestId", "HostId", "Code", "Message", "Recommend"):
        assert f"<{child}>" in text
    assert "<Code>VpnGateway.FinancialLocked</Code>" in text and "&amp;product=Vpc&amp;requestId=" in text


def test_missing_parameter_over_http_names_it(sb, http):
    params = create_params(sb)
    del params["RouteDest"]
    data = send(http, signed(sb, "CreateVpnRouteEntry", params)).json()
    assert data["Code"] == "MissingParameter" and '"RouteDest"' in data["Message"]


# --- robustness -------------------------------------------------------------------------------


def test_unexpected_exception_is_an_internal_error_in_the_api_format(sb, http, monkeypatch, capfd):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(sb.backend, "handle", explode)
    response = send(http, signed(sb, "DescribeVpnRouteEntries", describe_params(sb)))
    data = response.json()
    assert (response.status_code, data["Code"]) == (500, "InternalError") and "boom" not in response.text
    monkeypatch.setattr(sb._app, "dispatch", explode)
    response = send(http, signed(sb, "DescribeVpnRouteEntries", describe_params(sb)))
    assert (response.status_code, response.json()["Code"]) == (500, "InternalError")
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err and "boom" not in out + err


def test_hang_ups_and_garbage_print_nothing(sb, capfd):
    host, port = sb.endpoint.split("//")[1].split(":")
    for payload in (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc", b"GARBAGE\r\n\r\n", b""):
        with socket.create_connection((host, int(port)), timeout=2) as sock:
            sock.sendall(payload)
    with socket.create_connection((host, int(port)), timeout=2) as sock:  # a bad request line: JSON, not HTML
        sock.sendall(b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = sock.recv(65536).decode()
    assert "application/json" in answer and "<html" not in answer.lower()
    time.sleep(0.1)
    out, err = capfd.readouterr()
    assert out + err == ""


def test_keep_alive_reuses_one_connection(sb):
    host, port = sb.endpoint.split("//")[1].split(":")
    conn = httpclient.HTTPConnection(host, int(port), timeout=5)
    conn.connect()
    first_socket = conn.sock
    for _ in range(3):
        prepared = signed(sb, "DescribeVpnRouteEntries", describe_params(sb))
        conn.request("POST", prepared.url.split(sb.endpoint, 1)[1], headers=prepared.headers)
        response = conn.getresponse()
        assert response.status == 200 and response.getheader("Connection") == "keep-alive"
        response.read()
    assert conn.sock is first_socket
    (server_side,) = [s for s in list(sb._server._httpd._open) if s.getpeername() == conn.sock.getsockname()]
    assert server_side.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    conn.close()


def test_request_log_has_actions_and_no_secrets(sb, http):
    send(http, signed(sb, "CreateVpnRouteEntry", create_params(sb), version="v1"))
    send(http, signed(sb, "DescribeVpnRouteEntries", describe_params(sb)))
    seen = list(sb.requests)
    assert [s["action"] for s in seen] == ["CreateVpnRouteEntry", "DescribeVpnRouteEntries"]
    assert seen[0]["params"]["RouteDest"] == "10.0.0.0/24" and seen[0]["status"] == 200
    assert sb.requests.count("CreateVpnRouteEntry") == 1 and len(sb.requests) == 2
    text = json.dumps(seen)
    assert sb.credentials.access_key_secret not in text and "Signature" not in text
    assert sb.credentials.access_key_id not in text  # masked
    sb.reset()
    assert sb.requests == [] and len(sb.requests) == 0


@pytest.mark.parametrize("action, extra, item", [
    ("DescribeVpnGateway", {}, None),
    ("DescribeVpnGateways", {}, "VpnGateway"),
    ("DescribeVpnConnections", {}, "VpnConnection"),
    ("DescribeVpnRouteEntries", {"RouteEntryType": "bgp"}, "VpnRouteEntry"),
])
def test_lifecycle_reads_in_xml(sb, http, action, extra, item):
    params = {**describe_params(sb), **extra}  # the listings take VpnGatewayId as a filter
    response = send(http, signed(sb, action, params, version="v1", fmt="XML"))
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{action}Response" and root.findtext("RequestId")
    if item is None:
        assert root.findtext("VpnGatewayId") == sb.vpn_gateway_id and root.findtext("Status") == "active"
        assert root.findtext("EnableBgp") == "true"  # booleans as the service writes them
        return
    assert len(list(root.iter(item))) == int(root.findtext("TotalCount")) > 0


def test_modify_and_publish_over_http(sb, http):
    assert send(http, signed(sb, "CreateVpnRouteEntry", create_params(sb))).status_code == 200
    key = {k: v for k, v in create_params(sb).items() if k in ("RegionId", "VpnGatewayId", "RouteDest", "NextHop")}
    answer = send(http, signed(sb, "ModifyVpnRouteEntryWeight", {**key, "Weight": "100", "NewWeight": "0"}))
    assert answer.status_code == 200 and set(answer.json()) == {"RequestId"}
    answer = send(http, signed(sb, "PublishVpnRouteEntry", {**key, "PublishVpc": "false", "RouteType": "dbr"},
                               version="v1", fmt="XML"))
    assert answer.status_code == 200 and "<PublishVpnRouteEntryResponse>" in answer.text
    (route,) = sb.state()["gateways"][0]["Routes"]
    assert (route["Weight"], route["State"]) == (0, "normal")
    assert [r["action"] for r in sb.requests] == ["CreateVpnRouteEntry", "ModifyVpnRouteEntryWeight",
                                                 "PublishVpnRouteEntry"]


# --- control endpoints ---------------------------------------------------------------------------


def test_control_endpoints(sb, http):
    base = sb.endpoint + "/_sandbox/"
    assert http.get(base + "health", timeout=5).json()["status"] == "ok"
    send(http, signed(sb, "CreateVpnRouteEntry", create_params(sb)))
    state = http.get(base + "state", timeout=5).json()
    assert state == json.loads(json.dumps(sb.state()))
    assert state["gateways"][0]["Routes"][0]["RouteDest"] == "10.0.0.0/24"
    assert sb.credentials.access_key_secret not in json.dumps(state)
    rules = {"rules": [{"action": "CreateVpnRouteEntry", "kind": "error", "code": "Throttling.User", "status": 400,
                        "probability": 0.2}, {"kind": "drop", "probability": 0.05},
                       {"kind": "commit_then_drop", "probability": 0.05}]}
    assert len(http.post(base + "faults", json=rules, timeout=5).json()["rules"]) == 3
    assert [r["kind"] for r in http.get(base + "faults", timeout=5).json()["rules"]] == [
        "error", "drop", "commit_then_drop"]
    assert http.post(base + "faults", json={"rules": [{"kind": "nope"}]}, timeout=5).status_code == 400
    assert http.delete(base + "faults", json={}, timeout=5).json() == {"rules": []} and len(sb.faults) == 0
    assert http.post(base + "reset", json={}, timeout=5).status_code == 200
    assert sb.state()["gateways"][0]["Routes"] == []
    assert http.get(base + "nothing", timeout=5).status_code == 404


# --- lifecycle -------------------------------------------------------------------------------------


def test_start_stop_idempotent_and_stop_closes_keep_alive_connections(http):
    sb = vw.Sandbox(seed=3)
    with pytest.raises(RuntimeError):
        _ = sb.endpoint
    assert sb.start() is sb and sb.start() is sb and sb.running
    assert send(http, signed(sb, "DescribeVpnRouteEntries", describe_params(sb))).status_code == 200
    sb.stop()
    sb.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        send(http, signed(sb, "DescribeVpnRouteEntries", describe_params(sb)))
    sb.start()
    assert send(http, signed(sb, "DescribeVpnRouteEntries", describe_params(sb))).status_code == 200
    sb.stop()


def test_host_other_than_loopback_logs_a_warning(caplog):
    with caplog.at_level("WARNING"):
        vw.Sandbox(host="0.0.0.0")  # noqa: S104 - never started
    assert "not 127.0.0.1" in caplog.text


def test_rate_limit_over_http():
    with vw.Sandbox(rate=1) as sb, requests.Session() as http:
        codes = [send(http, signed(sb, "DescribeVpnRouteEntries", describe_params(sb))).status_code
                 for _ in range(3)]
        last = send(http, signed(sb, "DescribeVpnRouteEntries", describe_params(sb))).json()
    assert codes[0] == 200 and 400 in codes and last["Code"] == "Throttling.User"


def test_latency_is_added():
    with vw.Sandbox(latency_ms=80, latency_jitter_ms=10) as sb, requests.Session() as http:
        started = time.perf_counter()
        send(http, signed(sb, "DescribeVpnRouteEntries", describe_params(sb)))
        assert time.perf_counter() - started >= 0.065


def test_vpc_sandbox_fixture_is_a_started_sandbox(vpc_sandbox, http):
    assert isinstance(vpc_sandbox, vw.Sandbox) and vpc_sandbox.running
    assert send(http, signed(vpc_sandbox, "DescribeVpnRouteEntries", describe_params(vpc_sandbox))).ok


@pytest.mark.vpc_sandbox(routes_per_gateway=3, seed=2)
def test_vpc_sandbox_fixture_takes_options_from_its_mark(vpc_sandbox):
    assert vpc_sandbox.seed == 2 and vpc_sandbox.world.routes_per_gateway == 3
    assert len(vpc_sandbox.state()["gateways"][0]["Routes"]) == 3


def test_the_sandbox_imports_neither_the_client_nor_pandas_nor_ipywidgets():
    import subprocess
    import sys

    code = ("import sys, vpnroute_widgets.sandbox, vpnroute_widgets.sandbox.__main__;"
            "bad = [m for m in ('vpnroute_widgets.client', 'pandas', 'ipywidgets', 'requests') if m in sys.modules];"
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout.strip()
    assert out == "[]"
