"""Redaction of the credentials in use from server text: every spelling, cached per Credentials."""

from __future__ import annotations

import base64
import json
import pickle
import re
from urllib.parse import quote, quote_plus

import pytest
from hostile_server import find_leaks, spellings, views

import vpnroute_widgets as vw
from vpnroute_widgets.redact import Redactor, mask_key_id
from vpnroute_widgets.wire import excerpt, parse_response

KEY_ID = "LTAI" "5tRedactKey9Z7Q"
SECRET = "SENTINEL/redact+SECRET=x~y z"  # noqa: S105 - a marker with characters every encoding changes
TOKEN = "CAIS" "SENTINEL+sts/TOKEN==" + "ab/cd+ef" * 40  # noqa: S105 - base64-like, long as STS tokens are
CREDS = vw.Credentials(KEY_ID, SECRET, TOKEN)
VALUES = (SECRET, TOKEN, KEY_ID)


def test_every_spelling_of_every_value_is_replaced():
    for value in VALUES:
        for name, spelled in spellings(value).items():
            text = f"before {spelled} after"
            redacted = CREDS.redact(text)
            assert find_leaks([redacted], VALUES) == [], (value[:8], name, redacted)
            assert redacted.startswith("before ") and redacted.endswith(" after"), (name, redacted)


@pytest.mark.parametrize("spell", [
    lambda v: re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(quote(v, safe=""), safe="")),
    lambda v: quote(quote(quote(v, safe=""), safe=""), safe=""),  # three times
    lambda v: quote(v, safe="/="),  # some characters left alone
    lambda v: "".join(quote(c, safe="") if i % 2 else c for i, c in enumerate(v)),  # mixed
    lambda v: json.dumps(v).replace("/", "\\/")[1:-1],
    lambda v: json.dumps(v, ensure_ascii=True).encode().decode()[1:-1],
    lambda v: "".join(f"\\u{ord(c):04X}" for c in v),  # every character escaped, upper-case hex
    lambda v: "".join(f"&#{ord(c)};" for c in v),
    lambda v: "".join(f"&#x{ord(c):04X};" for c in v),
    lambda v: "".join(f"&amp;#{ord(c)};" for c in v),
    lambda v: quote_plus(v),
    lambda v: base64.b64encode(v.encode()).decode(),
    lambda v: base64.b64encode(b"ab" + v.encode() + b"c").decode(),
    lambda v: base64.urlsafe_b64encode(b"a" + v.encode()).decode(),
], ids=range(14))
def test_more_spellings(spell):
    for value in VALUES:
        assert find_leaks([CREDS.redact("<" + spell(value) + ">")], VALUES) == [], value[:8]


def test_labels_and_the_masked_key_id_replace_the_values():
    text = CREDS.redact(f"a={KEY_ID}&s={quote(SECRET, safe='')}&t={quote(quote(TOKEN, safe=''), safe='')}")
    assert text == "a=LTAI****9Z7Q&s=[redacted AccessKeySecret]&t=[redacted SecurityToken]"
    assert mask_key_id(KEY_ID) == CREDS.masked_key_id == "LTAI****9Z7Q"


def test_innocent_text_is_left_alone():
    text = "HTTP 400 SignatureDoesNotMatch: POST&%2F&Action%3DCreateVpnRouteEntry%26RegionId%3Dcn-hangzhou"
    assert CREDS.redact(text) == text
    assert CREDS.redact("") == ""


def test_without_a_token_only_the_pair_is_redacted():
    creds = vw.Credentials(KEY_ID, SECRET)
    assert creds.redact(f"{KEY_ID} {SECRET} {TOKEN}") == f"LTAI****9Z7Q [redacted AccessKeySecret] {TOKEN}"


def test_patterns_are_built_once_per_credentials_and_never_shown():
    creds = vw.Credentials(KEY_ID, SECRET, TOKEN)
    creds.redact("x")
    redactor = creds._redactor
    creds.redact("y")
    assert creds._redactor is redactor and SECRET not in repr(redactor) and "Redactor(3 values)" == repr(redactor)
    with pytest.raises(TypeError):
        pickle.dumps(redactor)
    assert SECRET not in repr(creds) and creds == vw.Credentials(KEY_ID, SECRET, TOKEN)


def test_a_value_straddling_the_excerpt_cut_leaves_no_piece():
    body = ("x" * 190 + SECRET).encode()
    shown = excerpt(body, CREDS.redact)
    assert SECRET[:5] not in shown and "[redacted" in shown


def test_parse_response_redacts_error_fields_body_and_success_values():
    echoed = quote(quote(TOKEN, safe=""), safe="")
    body = json.dumps({"Code": f"Bad{KEY_ID}", "Message": f"sts {echoed}", "Recommend": f"u?t={TOKEN}",
                       "HostId": SECRET, "RequestId": f"R-{KEY_ID}", "Extra": {"Token": TOKEN}}).encode()
    with pytest.raises(vw.ApiError) as caught:
        parse_response(400, body, "JSON", redact=CREDS.redact)
    err = caught.value
    texts = [str(err), repr(err), err.code, err.message, err.recommend, err.host_id, err.request_id, err.body]
    assert find_leaks(texts, VALUES) == [] and "[redacted SecurityToken]" in err.message
    assert err.code == "BadLTAI****9Z7Q"
    data = parse_response(200, json.dumps({"RequestId": TOKEN, SECRET: [{"Description": KEY_ID}]}).encode(),
                          "JSON", redact=CREDS.redact)
    assert find_leaks([json.dumps(data)], VALUES) == []
    with pytest.raises(vw.TransportError) as caught:
        parse_response(502, f"<html>{TOKEN}".encode(), "JSON", redact=CREDS.redact)
    assert find_leaks([str(caught.value)], VALUES) == [] and "[redacted SecurityToken]" in str(caught.value)


def test_a_redactor_of_nothing_changes_nothing():
    assert Redactor(None, None, None).text("abc") == "abc"


@pytest.mark.parametrize("spell", [lambda v: v, lambda v: quote(v, safe=""),
                                   lambda v: quote(quote(v, safe=""), safe="")])
@pytest.mark.parametrize("keep", [24, 40, 300])
def test_a_value_cut_short_by_the_server_is_redacted_with_what_follows(spell, keep):
    for value in (SECRET, TOKEN):
        text = f"SecurityToken={spell(value)[:keep]} (message truncated)"
        redacted = CREDS.redact(text)
        assert "[redacted" in redacted and redacted.endswith(" (message truncated)"), redacted
        assert value[4:16] not in " ".join(views(redacted)), redacted


def test_the_whole_value_keeps_the_text_after_it():
    once = quote(TOKEN, safe="")
    assert CREDS.redact(f"T={once}%26Timestamp%3D2026") == "T=[redacted SecurityToken]%26Timestamp%3D2026"
