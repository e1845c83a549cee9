"""Golden vectors from Alibaba Cloud's public signature docs, every intermediate stage included."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vpnroute_widgets import signing

V1_PARAMS = {
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "Format": "XML",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "SignatureVersion": "1.0",
    "Timestamp": "2016-02-23T12:46:24Z",
    "Version": "2014-05-26",
}
V1_CANONICAL = (
    "AccessKeyId=testid&Action=DescribeRegions&Format=XML&SignatureMethod=HMAC-SHA1"
    "&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&SignatureVersion=1.0"
    "&Timestamp=2016-02-23T12%3A46%3A24Z&Version=2014-05-26"
)
V1_STRING_TO_SIGN = (
    "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1"
    "%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0"
    "%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
)

V3_HEADERS = {
    "host": "ecs.cn-shanghai.aliyuncs.com",
    "x-acs-action": "RunInstances",
    "x-acs-version": "2014-05-26",
    "x-acs-date": "2023-10-26T10:22:32Z",
    "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
    "x-acs-content-sha256": signing.EMPTY_BODY_SHA256,
}
V3_QUERY = {"ImageId": "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd", "RegionId": "cn-shanghai"}
V3_SIGNED = "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"
V3_CANONICAL_REQUEST = "\n".join([
    "POST",
    "/",
    "ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai",
    "host:ecs.cn-shanghai.aliyuncs.com\nx-acs-action:RunInstances\n"
    f"x-acs-content-sha256:{signing.EMPTY_BODY_SHA256}\nx-acs-date:2023-10-26T10:22:32Z\n"
    "x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\nx-acs-version:2014-05-26\n",
    V3_SIGNED,
    signing.EMPTY_BODY_SHA256,
])
V3_SIGNATURE = "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"


def test_v1_canonical_query():
    assert signing.v1_canonical_query(V1_PARAMS) == V1_CANONICAL


def test_v1_string_to_sign():
    assert signing.v1_string_to_sign("GET", V1_CANONICAL) == V1_STRING_TO_SIGN


def test_v1_signature_matches_the_public_example():
    assert signing.v1_signature("testsecret", V1_STRING_TO_SIGN) == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    assert signing.sign_v1("GET", V1_PARAMS, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_v1_ignores_a_signature_already_present():
    assert signing.v1_canonical_query({**V1_PARAMS, "Signature": "x"}) == V1_CANONICAL


def test_v1_signs_an_empty_value_like_the_legacy_sdk_sends():
    assert signing.v1_canonical_query({"SignatureType": "", "A": "b"}) == "A=b&SignatureType="


def test_v3_canonical_headers():
    block, names = signing.v3_canonical_headers(V3_HEADERS, V3_HEADERS.keys())
    assert names == V3_SIGNED
    assert block.endswith("x-acs-version:2014-05-26\n")


def test_v3_canonical_request():
    block, names = signing.v3_canonical_headers(V3_HEADERS, V3_HEADERS.keys())
    query = signing.v3_canonical_query(V3_QUERY)
    canonical = signing.v3_canonical_request("POST", "/", query, block, names, signing.EMPTY_BODY_SHA256)
    assert canonical == V3_CANONICAL_REQUEST


def test_v3_string_to_sign_and_signature_match_the_public_example():
    string_to_sign = signing.v3_string_to_sign(V3_CANONICAL_REQUEST)
    assert string_to_sign == "ACS3-HMAC-SHA256\n" + signing.sha256_hex(V3_CANONICAL_REQUEST.encode())
    assert signing.v3_signature("YourAccessKeySecret", string_to_sign) == V3_SIGNATURE
    assert signing.sign_v3("POST", "/", V3_QUERY, V3_HEADERS, V3_HEADERS.keys(), "YourAccessKeySecret") == (
        V3_SIGNATURE, V3_SIGNED)


def test_v3_header_names_any_case_and_values_trimmed():
    headers = {k.upper(): f"  {v} " for k, v in V3_HEADERS.items()}
    assert signing.sign_v3("POST", "/", V3_QUERY, headers, V3_HEADERS.keys(), "YourAccessKeySecret")[0] == V3_SIGNATURE


def test_v3_missing_signed_header_is_an_error():
    with pytest.raises(KeyError, match="x-acs-date"):
        signing.v3_canonical_headers({"host": "h"}, ["host", "x-acs-date"])


def test_authorization_round_trip():
    value = signing.v3_authorization("AKID", V3_SIGNED, V3_SIGNATURE)
    assert value == f"ACS3-HMAC-SHA256 Credential=AKID,SignedHeaders={V3_SIGNED},Signature={V3_SIGNATURE}"
    assert signing.parse_v3_authorization(value) == ("AKID", V3_SIGNED.split(";"), V3_SIGNATURE)


@pytest.mark.parametrize("value", ["HMAC-SHA1 Credential=a", "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=h",
                                   "ACS3-HMAC-SHA256 nonsense"])
def test_malformed_authorization_is_refused(value):
    with pytest.raises(ValueError):
        signing.parse_v3_authorization(value)


@pytest.mark.parametrize(("raw", "encoded"), [
    (" ", "%20"), ("*", "%2A"), ("~", "~"), ("+", "%2B"), ("/", "%2F"), ("=", "%3D"), ("&", "%26"),
    ("-_.", "-_."), ("10.0.0.0/24", "10.0.0.0%2F24"), ("中文", "%E4%B8%AD%E6%96%87"), ("é", "%C3%A9"),
    ("a:b", "a%3Ab"),
])
def test_percent_encoding(raw, encoded):
    assert signing.percent_encode(raw) == encoded


def test_non_ascii_values_sign_as_utf8():
    params = {"Description": "分支机构 office", "Action": "X"}
    assert signing.v1_canonical_query(params) == "Action=X&Description=%E5%88%86%E6%94%AF%E6%9C%BA%E6%9E%84%20office"


def test_sts_token_is_signed_in_v1_and_v3():
    with_token = {**V1_PARAMS, "SecurityToken": "tok"}
    assert signing.sign_v1("GET", with_token, "testsecret") != signing.sign_v1("GET", V1_PARAMS, "testsecret")
    headers = {**V3_HEADERS, "x-acs-security-token": "tok"}
    signature, names = signing.sign_v3("POST", "/", V3_QUERY, headers, headers.keys(), "YourAccessKeySecret")
    assert "x-acs-security-token" in names.split(";") and signature != V3_SIGNATURE


def test_sort_is_byte_order_case_sensitive():
    assert signing.v1_canonical_query({"b": "1", "B": "2", "a": "3"}) == "B=2&a=3&b=1"


@given(st.text())
def test_percent_encode_is_rfc3986_for_any_text_with_or_without_the_fast_path(text):
    from urllib.parse import quote

    assert signing.percent_encode(text) == quote(text, safe="-_.~")
