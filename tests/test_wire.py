"""wire.py, pure: request building and response parsing (previews hide secrets; bodies map to data or errors),
endpoint checks, and XML declarations refused, never expanded."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
import xmltodict

import vpnroute_widgets as vw
from vpnroute_widgets import signing
from vpnroute_widgets.client import VpcClient
from vpnroute_widgets.transport import InProcessTransport
from vpnroute_widgets.wire import check_endpoint, list_items, parse_response, prepare_call

SECRET = "SENTINEL-transport-secret"
TOKEN = "SENTINEL-transport-token"
CREDS = vw.Credentials("LTAI" "5tExampleKey1234", SECRET, TOKEN)
PARAMS = {"RegionId": "cn-hangzhou", "RouteDest": "10.0.0.0/24"}


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_preview_masks_the_key_and_hides_signature_and_token(version):
    call = prepare_call("CreateVpnRouteEntry", PARAMS, CREDS, "https://vpc.cn-hangzhou.aliyuncs.com",
                        version=version, fmt="JSON", nonce="n-1", timestamp="2026-01-01T00:00:00Z")
    text = json.dumps(call.preview())
    assert SECRET not in text and TOKEN not in text and "LTAI" "5tExampleKey1234" not in text
    assert "LTAI****1234" in text and "10.0.0.0%2F24" in text
    if version == "v1":
        signature = call.body.decode().split("Signature=")[-1]
        assert "Signature=" not in call.url and TOKEN not in call.url
    else:
        signature = signing.parse_v3_authorization(call.headers["Authorization"])[2]
    assert signature not in text


def test_v1_url_signature_verifies():
    call = prepare_call("CreateVpnRouteEntry", PARAMS, CREDS, "http://127.0.0.1:1", version="v1", fmt="XML",
                        nonce="n-1", timestamp="2026-01-01T00:00:00Z")
    assert urlsplit(call.url).query == ""
    query = dict(parse_qsl(call.body.decode(), keep_blank_values=True))
    signature = query.pop("Signature")
    assert signing.sign_v1("POST", query, SECRET) == signature
    assert query["SecurityToken"] == TOKEN and query["Format"] == "XML"


def test_success_json_and_xml_give_the_same_keys():
    as_json = parse_response(200, b'{"RequestId": "R", "Weight": 100}', "JSON")
    as_xml = parse_response(200, b"<X><RequestId>R</RequestId><Weight>100</Weight></X>", "XML")
    assert as_json == {"RequestId": "R", "Weight": 100}
    assert as_xml == {"RequestId": "R", "Weight": "100"}


def test_error_body_with_a_200_status_is_still_an_error():
    with pytest.raises(vw.ApiError) as caught:
        parse_response(200, b"<Error><Code>InternalError</Code><Message>m</Message></Error>", "XML")
    assert caught.value.code == "InternalError" and caught.value.http_status == 200


def test_4xx_without_a_code_is_a_transport_error():
    with pytest.raises(vw.TransportError) as caught:
        parse_response(404, b'{"message": "no route"}', "JSON")
    assert caught.value.http_status == 404 and not caught.value.unknown_outcome


@pytest.mark.parametrize("body", [b"", b"   ", b"<html", b"{\"RequestId\": ", b"[1, 2]"])
def test_unusable_bodies_are_transport_errors(body):
    with pytest.raises(vw.TransportError):
        parse_response(200, body, "JSON")


def test_external_entities_are_never_resolved(tmp_path):
    secret_file = tmp_path / "passwd"
    secret_file.write_text("root:x:0:0")
    body = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file://{secret_file}">]>'
            "<R><RequestId>&e;</RequestId></R>").encode()
    with pytest.raises(vw.TransportError) as caught:
        parse_response(200, body, "XML")
    assert "root:x" not in str(caught.value)


def test_list_items_handles_absent_empty_single_and_many():
    assert list_items({}, "A", "B") == []
    assert list_items({"A": None}, "A", "B") == []
    assert list_items({"A": {"B": {"x": 1}}}, "A", "B") == [{"x": 1}]
    assert list_items({"A": {"B": [{"x": 1}, {"x": 2}]}}, "A", "B") == [{"x": 1}, {"x": 2}]


def test_check_endpoint_accepts_ipv6_loopback():
    assert check_endpoint("http://[::1]:8080") == "http://[::1]:8080"


# --- endpoints: clean https, or plain http to loopback only (the security audit, issue 8, promise 4) ------


@pytest.mark.parametrize("endpoint", [
    "https://user:pw@vpc.cn-hangzhou.aliyuncs.com",  # user info would travel as Basic auth and show in reprs
    "http://127.0.0.1@evil.example.com", "http://evil.example.com#@127.0.0.1", "http://localhost.evil.example.com",
    "http://127.0.0.1.nip.io:8080", "http://0.0.0.0:8080", "http://[::ffff:10.0.0.1]:80", "https://vpc.example.com#x",
    "javascript:alert(1)", "file:///etc/passwd", "https://vpc.example.com:99999", "https://vpc.example.com:x",
])
def test_only_clean_https_or_loopback_http_endpoints(endpoint):
    with pytest.raises(vw.ConfigurationError) as caught:
        check_endpoint(endpoint)
    assert "pw" not in str(caught.value)
    with pytest.raises(vw.ConfigurationError):  # the client checks with the same function
        VpcClient(vw.Credentials("id", "secret"), endpoint=endpoint)


@pytest.mark.parametrize("endpoint", ["http://127.0.0.2:8080", "http://[::1]:8080", "http://LOCALHOST:1"])
def test_every_loopback_address_may_use_plain_http(endpoint):
    assert check_endpoint(endpoint) == endpoint
    assert VpcClient(vw.Credentials("id", "secret"), endpoint=endpoint).endpoint == endpoint


# --- XML: declarations refused, never expanded ---------------------------------------------------------


XML_ATTACKS = {
    "external entity": b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                       b"<CreateVpnRouteEntryResponse><RouteDest>&x;</RouteDest></CreateVpnRouteEntryResponse>",
    "parameter entity": b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>'
                        b"<CreateVpnRouteEntryResponse/>",
    "lower-case doctype": b'<!doctype r [<!entity a "b">]><CreateVpnRouteEntryResponse>&a;'
                          b"</CreateVpnRouteEntryResponse>",
    "error body": b'<?xml version="1.0"?><!DOCTYPE Error [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
                  b"<Error><Code>&b;</Code><Message>&b;</Message></Error>",
    "utf-16": '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY a "AAAA">]>'
              "<CreateVpnRouteEntryResponse><RouteDest>&a;</RouteDest></CreateVpnRouteEntryResponse>".encode("utf-16"),
    "leading whitespace": b'\n  <!DOCTYPE r [<!ENTITY a "b">]><CreateVpnRouteEntryResponse>&a;'
                          b"</CreateVpnRouteEntryResponse>",
    "billion laughs": b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "' + b"a" * 1000 + b'">'
                      + b"".join(b'<!ENTITY a%d "%s">' % (i, b"&a%s;" % (b"" if i == 1 else b"%d" % (i - 1)) * 4)
                                 for i in range(1, 12)) + b"]><CreateVpnRouteEntryResponse>&a11;"
                      b"</CreateVpnRouteEntryResponse>",
}


@pytest.fixture
def xml_parses(monkeypatch):
    """Every call of the XML parser wire.py uses, with its keyword arguments."""
    calls: list[dict] = []
    real = xmltodict.parse

    def spy(body, **kwargs):
        calls.append(kwargs)
        return real(body, **kwargs)

    monkeypatch.setattr(xmltodict, "parse", spy)
    return calls


@pytest.mark.parametrize("name", sorted(XML_ATTACKS))
def test_client_refuses_xml_with_declarations(xml_parses, name):
    """Refused before parsing, or parsed with entities disabled (utf-16 hides the declaration from a byte
    search): an entity is never expanded, so a bomb costs nothing and no file is read."""
    status = 400 if name == "error body" else 200

    def server(method, target, headers, body):
        return status, {"Content-Type": "text/xml"}, XML_ATTACKS[name]

    client = VpcClient(CREDS, endpoint="http://127.0.0.1:1", format="XML", signature_version="v1", max_attempts=1,
                       transport=InProcessTransport(server))
    with pytest.raises(vw.TransportError) as caught:
        client.create_vpn_route_entry(
            vw.RouteEntryRequest("cn-hangzhou", "vpn-bp1a3kqjiiq9legfx0000", "10.0.0.0/24",
                                 "vco-bp15oes1py4i66rmd0000", 0, True))
    assert "root:" not in str(caught.value)  # /etc/passwd was not read into anything
    assert all(kwargs.get("disable_entities") is True for kwargs in xml_parses), xml_parses
    assert (xml_parses == []) == (name != "utf-16")  # a visible declaration is refused before any parsing
