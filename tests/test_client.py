"""VpcClient against a scripted HTTP server on 127.0.0.1: real sockets, canned answers."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from stub_server import StubServer, drop, reply, stall

import vpnroute_widgets as vw
from vpnroute_widgets import signing
from vpnroute_widgets.client import VpcClient

DATA = Path(__file__).parent / "data"
SENTINEL_SECRET = "SENTINEL-secret-4f1c9e"
SENTINEL_TOKEN = "SENTINEL-sts-token-77ab"
GATEWAY = "vpn-bp1a3kqjiiq9legfx0000"
HOP = "vco-bp15oes1py4i66rmd0000"

DOCUMENTED = [
    (403, "Forbidden.SubUser", "User not authorized to operate on the specified resource as your account is "
     "created by another user."),
    (403, "Forbidden", "User not authorized to operate on the specified resource."),
    (400, "Resource.QuotaFull", "The quota of resource is full."),
    (404, "InvalidVpnGatewayInstanceId.NotFound", "The specified vpn gateway instance id does not exist."),
    (400, "VpnGateway.Configuring", "The specified service is configuring."),
    (400, "VpnGateway.FinancialLocked", "The specified service is financial locked."),
]


@pytest.fixture
def stub():
    server = StubServer()
    yield server
    server.close()


def make_client(stub, **kwargs) -> VpcClient:
    kwargs.setdefault("sleep", lambda s: None)
    creds = kwargs.pop("credentials", vw.Credentials("testkeyid0001", SENTINEL_SECRET))
    return VpcClient(creds, endpoint=stub.endpoint, **kwargs)


def request(**overrides) -> vw.RouteEntryRequest:
    values = dict(region_id="cn-hangzhou", vpn_gateway_id=GATEWAY, route_dest="10.0.0.0/24", next_hop=HOP,
                  weight=100, publish_vpc=True)
    values.update(overrides)
    return vw.RouteEntryRequest(**values)


def error_body(code: str, message: str, fmt: str, request_id: str = "REQ-ERR-1") -> str:
    recommend = f"https://api.aliyun.com/troubleshoot?q={code}&amp;product=Vpc&amp;requestId={request_id}"
    if fmt == "JSON":
        return json.dumps({"RequestId": request_id, "HostId": "vpc.cn-hangzhou.aliyuncs.com", "Code": code,
                           "Message": message, "Recommend": recommend.replace("&amp;", "&")})
    return (f'<?xml version="1.0" encoding="UTF-8"?><Error><RequestId>{request_id}</RequestId>'
            f"<HostId>vpc.cn-hangzhou.aliyuncs.com</HostId><Code>{code}</Code><Message>{message}</Message>"
            f"<Recommend><![CDATA[{recommend.replace('&amp;', '&')}]]></Recommend></Error>")


# --- success bodies -----------------------------------------------------------------


def test_json_success_uses_the_reference_body_byte_for_byte(stub):
    stub.script(reply(200, (DATA / "create_success.json").read_bytes()))
    entry = make_client(stub).create_vpn_route_entry(request())
    assert entry == vw.RouteEntry(
        request_id="CB2793A8-845F-444C-8E93-76F1BBDF9C78", vpn_instance_id="vpn-bp1cmw7jh1nfe43m9****",
        route_dest="10.0.0.0/24", next_hop="vco-bp1tui07ob10fmuro****", weight=100, overlay_mode="Ipsec",
        state="published", create_time=1563873294331)


def test_xml_success_gives_the_same_typed_result(stub):
    stub.script(reply(200, (DATA / "create_success.xml").read_bytes(), "text/xml"),
                reply(200, (DATA / "create_success.json").read_bytes()))
    from_xml = make_client(stub, format="XML", signature_version="v1").create_vpn_route_entry(request())
    from_json = make_client(stub).create_vpn_route_entry(request())
    assert isinstance(from_xml.weight, int) and isinstance(from_xml.create_time, int)
    assert from_xml.request_id == "EE4C2417-9437-4333-BDEB-8493F7AA7258"
    assert {**vars(from_xml), "request_id": None} == {**vars(from_json), "request_id": None}
    assert b"Format=XML" in stub.requests[0].body


# --- signatures on the wire ------------------------------------------------------------


def test_v1_request_carries_a_signature_the_server_can_verify(stub):
    make_client(stub, signature_version="v1").create_vpn_route_entry(request())
    seen = stub.requests[0]
    assert seen.query == {} and seen.headers["content-type"] == "application/x-www-form-urlencoded"
    params = dict(parse_qsl(seen.body.decode(), keep_blank_values=True))
    signature = params.pop("Signature")
    assert signature == signing.sign_v1("POST", params, SENTINEL_SECRET)
    assert params["PublishVpc"] == "true" and params["Weight"] == "100"
    assert params["SignatureMethod"] == "HMAC-SHA1" and params["Version"] == "2016-04-28"
    assert params["Action"] == "CreateVpnRouteEntry"


def test_v3_request_carries_a_signature_the_server_can_verify(stub):
    creds = vw.Credentials("testkeyid0001", SENTINEL_SECRET, SENTINEL_TOKEN)
    make_client(stub, credentials=creds).create_vpn_route_entry(request())
    seen = stub.requests[0]
    key_id, names, signature = signing.parse_v3_authorization(seen.headers["authorization"])
    assert key_id == "testkeyid0001"
    assert {"host", "x-acs-action", "x-acs-date", "x-acs-security-token"} <= set(names)
    expected, _ = signing.sign_v3("POST", "/", seen.query, seen.headers, names, SENTINEL_SECRET)
    assert signature == expected
    assert seen.headers["x-acs-content-sha256"] == signing.sha256_hex(seen.body)
    assert "Signature" not in seen.query and "AccessKeyId" not in seen.query


# --- errors --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JSON", "XML"])
@pytest.mark.parametrize(("status", "code", "message"), DOCUMENTED)
def test_each_documented_error_becomes_an_api_error(stub, fmt, status, code, message):
    ctype = "text/xml" if fmt == "XML" else "application/json"
    stub.script(*[reply(status, error_body(code, message, fmt), ctype)] * 4)
    client = make_client(stub, format=fmt, signature_version="v1" if fmt == "XML" else "v3", max_attempts=1)
    with pytest.raises(vw.ApiError) as caught:
        client.create_vpn_route_entry(request())
    err = caught.value
    assert (err.code, err.http_status, err.message, err.request_id) == (code, status, message, "REQ-ERR-1")
    assert err.recommend.startswith("https://api.aliyun.com/troubleshoot?q=" + code)
    assert err.host_id == "vpc.cn-hangzhou.aliyuncs.com"
    assert "REQ-ERR-1" in str(err) and code in str(err)
    assert err.info.documented and err.info.remedy


def test_retryable_errors_keep_the_client_token_and_change_the_nonce(stub):
    throttled = reply(400, error_body("Throttling.User", "Request was denied due to user flow control.", "JSON"))
    stub.script(throttled, throttled, reply(200, (DATA / "create_success.json").read_bytes()))
    sleeps: list[float] = []
    client = make_client(stub, sleep=sleeps.append)
    client.create_vpn_route_entry(request())
    tokens = {r.query["ClientToken"] for r in stub.requests}
    nonces = {r.headers["x-acs-signature-nonce"] for r in stub.requests}
    assert len(stub.requests) == 3 and len(tokens) == 1 and len(nonces) == 3
    assert len(sleeps) == 2 and 0 < sleeps[0] <= sleeps[1] * 2


def test_explicit_client_token_is_sent_unchanged(stub):
    make_client(stub).create_vpn_route_entry(request(client_token="my-token-1"))
    assert stub.requests[0].query["ClientToken"] == "my-token-1"


def test_non_retryable_errors_are_not_retried(stub):
    stub.script(reply(403, error_body("Forbidden", "User not authorized.", "JSON")))
    with pytest.raises(vw.ApiError):
        make_client(stub).create_vpn_route_entry(request())
    assert len(stub.requests) == 1


def test_retry_after_header_is_honoured(stub):
    stub.script(reply(400, error_body("Throttling", "slow down", "JSON"), headers={"x-acs-retry-after": "1500"}))
    sleeps: list[float] = []
    make_client(stub, sleep=sleeps.append).create_vpn_route_entry(request())
    assert sleeps == [pytest.approx(1.5)]


def test_configuring_is_handed_back_when_the_caller_paces_gateways(stub):
    stub.script(reply(400, error_body("VpnGateway.Configuring", "configuring", "JSON")))
    with pytest.raises(vw.ApiError, match="VpnGateway.Configuring"):
        make_client(stub, retry_configuring=False).create_vpn_route_entry(request())
    assert len(stub.requests) == 1


# --- transport failures ------------------------------------------------------------------


def test_read_timeout_is_an_unknown_outcome_retried_with_the_same_token(stub):
    stub.script(stall(0.6), stall(0.6))
    client = make_client(stub, timeout=(2, 0.2), max_attempts=2)
    with pytest.raises(vw.TransportError) as caught:
        client.create_vpn_route_entry(request())
    assert caught.value.unknown_outcome
    assert len(stub.requests) == 2
    assert len({r.query["ClientToken"] for r in stub.requests}) == 1


def test_dropped_connection_then_success(stub):
    stub.script(drop(), reply(200, (DATA / "create_success.json").read_bytes()))
    entry = make_client(stub).create_vpn_route_entry(request())
    assert entry.state == "published" and len(stub.requests) == 2


def test_connection_refused_is_a_transport_error_with_known_outcome():
    client = VpcClient(vw.Credentials("id", SENTINEL_SECRET), endpoint="http://127.0.0.1:9", max_attempts=2,
                       sleep=lambda s: None)
    with pytest.raises(vw.TransportError) as caught:
        client.create_vpn_route_entry(request())
    assert not caught.value.unknown_outcome
    assert "refused" in str(caught.value)


def test_html_error_page_becomes_a_transport_error_with_an_excerpt(stub):
    page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    stub.script(*[reply(502, page, "text/html")] * 2)
    with pytest.raises(vw.TransportError) as caught:
        make_client(stub, max_attempts=2).create_vpn_route_entry(request())
    assert caught.value.http_status == 502
    assert "502 Bad Gateway" in str(caught.value)
    assert len(stub.requests) == 2


def test_truncated_body_is_a_transport_error_not_a_parser_traceback(stub):
    body = (DATA / "create_success.json").read_bytes()
    stub.script(reply(200, body[:40], declared_length=len(body)))
    with pytest.raises(vw.TransportError):
        make_client(stub, max_attempts=1).create_vpn_route_entry(request())


def test_body_that_is_neither_json_nor_xml(stub):
    stub.script(reply(200, b"\x00\x01 not a body", "application/octet-stream"))
    with pytest.raises(vw.TransportError, match="not JSON or XML"):
        make_client(stub, max_attempts=1).create_vpn_route_entry(request())


def test_xml_entity_declarations_are_refused_not_expanded(stub):
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            "<CreateVpnRouteEntryResponse><RouteDest>&lol2;</RouteDest></CreateVpnRouteEntryResponse>")
    stub.script(reply(200, bomb, "text/xml"))
    with pytest.raises(vw.TransportError):
        make_client(stub, format="XML", signature_version="v1", max_attempts=1).create_vpn_route_entry(request())


def test_oversized_body_is_refused_and_not_retried(stub):
    stub.script(reply(200, b"{" + b" " * (3 * 1024 * 1024) + b"}"))
    with pytest.raises(vw.TransportError, match="larger than"):
        make_client(stub).create_vpn_route_entry(request())
    assert len(stub.requests) == 1


# --- other operations -------------------------------------------------------------------


def _page(items, total, page, fmt="JSON"):
    if fmt == "JSON":
        return json.dumps({"RequestId": f"P{page}", "TotalCount": total, "PageNumber": page, "PageSize": 50,
                           "VpnRouteEntries": {"VpnRouteEntry": items}})
    rows = "".join("<VpnRouteEntry>" + "".join(f"<{k}>{v}</{k}>" for k, v in item.items()) + "</VpnRouteEntry>"
                   for item in items)
    return (f"<DescribeVpnRouteEntriesResponse><RequestId>P{page}</RequestId><TotalCount>{total}</TotalCount>"
            f"<PageNumber>{page}</PageNumber><PageSize>50</PageSize><VpnRouteEntries>{rows}</VpnRouteEntries>"
            "</DescribeVpnRouteEntriesResponse>")


def _route(i):
    return {"VpnInstanceId": GATEWAY, "RouteDest": f"10.{i // 256}.{i % 256}.0/24", "NextHop": HOP,
            "Weight": 100, "State": "published", "CreateTime": 1563873294331 + i}


@pytest.mark.parametrize("fmt", ["JSON", "XML"])
def test_describe_follows_every_page(stub, fmt):
    routes = [_route(i) for i in range(51)]
    ctype = "text/xml" if fmt == "XML" else "application/json"
    stub.script(reply(200, _page(routes[:50], 51, 1, fmt), ctype), reply(200, _page(routes[50:], 51, 2, fmt), ctype))
    client = make_client(stub, format=fmt, signature_version="v1" if fmt == "XML" else "v3")
    entries = client.describe_vpn_route_entries("cn-hangzhou", GATEWAY, route_entry_type="custom")
    assert [e.route_dest for e in entries] == [r["RouteDest"] for r in routes]
    assert all(isinstance(e.weight, int) and isinstance(e.create_time, int) for e in entries)
    assert [r.params["PageNumber"] for r in stub.requests] == ["1", "2"]


def test_describe_with_a_single_xml_item_is_still_a_list(stub):
    stub.script(reply(200, _page([_route(0)], 1, 1, "XML"), "text/xml"))
    client = make_client(stub, format="XML", signature_version="v1")
    assert len(client.describe_vpn_route_entries("cn-hangzhou", GATEWAY, route_entry_type="custom")) == 1


def test_delete_after_an_unknown_outcome_accepts_route_gone(stub):
    stub.script(drop(), reply(404, error_body("InvalidRouteEntry.NotFound", "not found", "JSON")))
    request_id = make_client(stub).delete_vpn_route_entry("cn-hangzhou", GATEWAY, "10.0.0.0/24", HOP, 100)
    assert request_id == "REQ-ERR-1"
    assert stub.requests[1].query["Weight"] == "100" and "PublishVpc" not in stub.requests[1].query
    assert stub.requests[1].headers["x-acs-action"] == "DeleteVpnRouteEntry"


# --- input, endpoints, secrets ----------------------------------------------------------------


def test_invalid_input_never_reaches_the_network(stub):
    with pytest.raises(vw.ValidationError) as caught:
        make_client(stub).create_vpn_route_entry({"RegionId": "cn-hangzhou", "VpnGatewayId": GATEWAY,
                                                  "RouteDest": "10.0.0.1/24", "NextHop": HOP, "Weight": 100,
                                                  "PublishVpc": True})
    assert caught.value.field == "RouteDest" and "10.0.0.0/24" in str(caught.value)
    assert stub.requests == []


@pytest.mark.parametrize("endpoint", ["http://vpc.cn-hangzhou.aliyuncs.com", "http://10.0.0.5:8080",
                                      "ftp://127.0.0.1", "https://vpc.example.com/path"])
def test_unsafe_or_malformed_endpoints_are_refused(endpoint):
    with pytest.raises(vw.ConfigurationError):
        VpcClient(vw.Credentials("id", "secret"), endpoint=endpoint)


@pytest.mark.parametrize(("given", "kept"), [("https://vpc.cn-shanghai.aliyuncs.com/", "https://vpc.cn-shanghai.aliyuncs.com"),
                                             ("vpc.cn-hangzhou.aliyuncs.com", "https://vpc.cn-hangzhou.aliyuncs.com"),
                                             ("http://localhost:8080", "http://localhost:8080"),
                                             ("http://127.0.0.1:1234", "http://127.0.0.1:1234")])
def test_accepted_endpoints(given, kept):
    assert VpcClient(vw.Credentials("id", "secret"), endpoint=given).endpoint == kept


def test_default_endpoint_is_https_for_the_region():
    client = VpcClient(vw.Credentials("id", "secret"), region_id="ap-southeast-1")
    assert client.preview("CreateVpnRouteEntry", {"RegionId": "ap-southeast-1"})["url"].startswith(
        "https://vpc.ap-southeast-1.aliyuncs.com/")


def test_no_secret_in_reprs_errors_previews_or_records(stub):
    records: list[dict] = []
    creds = vw.Credentials("testkeyid0001", SENTINEL_SECRET, SENTINEL_TOKEN)
    client = make_client(stub, credentials=creds, on_call=records.append, max_attempts=1)
    stub.script(reply(200, (DATA / "create_success.json").read_bytes()),
                reply(400, error_body("SignatureDoesNotMatch", "The request signature does not conform.", "JSON")),
                drop())
    client.create_vpn_route_entry(request())
    texts = [repr(client), str(client), repr(creds), str(creds),
             json.dumps(client.preview("CreateVpnRouteEntry", request().to_params())),
             json.dumps(client.clone(signature_version="v1").preview("CreateVpnRouteEntry", request().to_params()))]
    for _ in range(2):
        with pytest.raises(vw.VpnRouteError) as caught:
            client.create_vpn_route_entry(request())
        texts += [str(caught.value), repr(caught.value)]
    texts += [repr(r) for r in records]
    signatures = [signing.parse_v3_authorization(r.headers["authorization"])[2] for r in stub.requests]
    for text in texts:
        assert SENTINEL_SECRET not in text and SENTINEL_TOKEN not in text
        assert not any(sig in text for sig in signatures)
    assert [r["outcome"] for r in records] == ["ok", "error", "error"]


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_debug_logging_of_every_library_shows_no_secret(stub, caplog, version):
    caplog.set_level(logging.DEBUG)
    creds = vw.Credentials("testkeyid0001", SENTINEL_SECRET, SENTINEL_TOKEN)
    stub.script(drop(), reply(400, error_body("Forbidden", "no", "JSON")))
    with pytest.raises(vw.ApiError):
        make_client(stub, credentials=creds, signature_version=version).create_vpn_route_entry(request())
    assert "127.0.0.1" in caplog.text  # urllib3 did log the requests
    assert SENTINEL_SECRET not in caplog.text and SENTINEL_TOKEN not in caplog.text
    assert "Signature=" not in caplog.text


@pytest.mark.parametrize("timeout", [None, 0, -1, (5, None), "10", (1, 2, 3)])
def test_every_request_has_a_timeout(timeout):
    with pytest.raises(vw.ConfigurationError, match="timeout"):
        VpcClient(vw.Credentials("id", "secret"), region_id="cn-hangzhou", timeout=timeout)


def test_one_record_per_logical_call_with_attempts(stub):
    records: list[dict] = []
    stub.script(drop(), reply(200, (DATA / "create_success.json").read_bytes()))
    make_client(stub, on_call=records.append).create_vpn_route_entry(request(), context={"batch_id": "b1", "row": 7})
    (record,) = records
    assert record["attempts"] == 2 and record["outcome"] == "ok" and record["http_status"] == 200
    assert record["route_dest"] == "10.0.0.0/24" and record["weight"] == 100 and record["publish_vpc"] is True
    assert record["state"] == "published" and record["create_time"] == 1563873294331
    assert record["endpoint"] == stub.endpoint.split("//")[1]
    assert (record["batch_id"], record["row"]) == ("b1", 7)


def test_client_imports_neither_pandas_nor_ipywidgets():
    code = ("import sys, vpnroute_widgets.client, vpnroute_widgets as vw; vw.VpcClient; "
            "print('pandas' in sys.modules, 'ipywidgets' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_a_create_answer_with_an_unreadable_number_is_the_created_route(stub):
    """The route was made: an odd field must not push the user into creating it again."""
    records: list[dict] = []
    stub.script(reply(200, '{"RequestId": "R-BAD", "Weight": "heavy", "RouteDest": "10.0.0.0/24"}'))
    entry = make_client(stub, on_call=records.append).create_vpn_route_entry(request())
    assert entry.weight is None and entry.request_id == "R-BAD" and "Weight" in entry.problems[0]
    assert [r["outcome"] for r in records] == ["ok"] and "Weight" in records[0]["error_message"]


def test_low_level_call_refuses_parameters_that_cannot_be_sent(stub):
    with pytest.raises(vw.ValidationError) as caught:
        make_client(stub).call("CreateVpnRouteEntry", {"RegionId": "cn-hangzhou", "Description": "bad \ud800"})
    assert caught.value.field == "Description" and stub.requests == []


def test_xml_with_v3_is_refused_instead_of_silently_answered_in_json():
    with pytest.raises(vw.ConfigurationError, match="signature_version='v1'"):
        VpcClient(vw.Credentials("id", "secret"), region_id="cn-hangzhou", format="XML")
