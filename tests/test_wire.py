"""Request building and response parsing: previews hide secrets; bodies map to data or errors."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest

import vpnroute_widgets as vw
from vpnroute_widgets import signing
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
