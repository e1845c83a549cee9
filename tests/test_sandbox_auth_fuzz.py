"""The sandbox's request parsing (auth.parse_call, the server) as a target: raw HTTP and signed calls.

Any request line, headers and body sent to the sandbox get an HTTP answer in the API's error format
(a code; never ``InternalError``, a traceback or an HTML page); nothing unsigned changes its state;
nothing is printed. Signed calls with any parameters get a success or an API error naming the
parameter, never ``InternalError``. The sandbox never parses what a client sends as XML. The server's
limits: loopback by default, bodies bounded in size and in time. From the security audit (issue 8,
promises 1 and 4). `make fuzz` runs 10,000 examples per test.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import string
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vpnroute_widgets as vw
from vpnroute_widgets.sandbox import server as sandbox_server

SANDBOX_DIR = Path(vw.__file__).parent / "sandbox"
ACTIONS = ["CreateVpnRouteEntry", "DescribeVpnRouteEntries", "DeleteVpnRouteEntry", "DescribeVpnGateway",
           "DescribeVpnGateways", "DescribeVpnGatewayAttribute", "NoSuchAction", ""]


@pytest.fixture(scope="module")
def sandbox():
    with vw.Sandbox(seed=10, configuring_s=0.0) as sb:
        yield sb


TOKEN = st.text(string.ascii_letters + string.digits + "-_.~%+=&?/:;,'\"<>!*()[]{}@ \t\x00\x7f\u00e9", max_size=20)
METHODS = st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "BREW", "G\x00T", "get"])
PATHS = st.one_of(st.sampled_from(["/", "/?", "/_sandbox/", "/_sandbox/state", "/_sandbox/faults", "/_sandbox/reset",
                                   "//", "/../../etc/passwd", "*", "http://evil/"]),
                  st.builds(lambda p, q: "/" + p + "?" + q, TOKEN, TOKEN))
HEADER_NAMES = st.sampled_from(["Authorization", "x-acs-action", "x-acs-version", "x-acs-date",
                                "x-acs-signature-nonce", "x-acs-content-sha256", "x-acs-security-token",
                                "Content-Type", "Transfer-Encoding", "Content-Length", "Host", "X-Other"])
HEADER_VALUES = st.one_of(TOKEN, st.sampled_from([
    "ACS3-HMAC-SHA256 Credential=sandbox-demo-x,SignedHeaders=host;x-acs-date,Signature=00",
    "ACS3-HMAC-SHA256", "application/x-www-form-urlencoded", "text/xml", "chunked", "-1", "99999999999",
    "2024-01-01T00:00:00Z", "CreateVpnRouteEntry", "2016-04-28"]))
BODIES = st.one_of(st.binary(max_size=200), st.sampled_from([
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><x>&b;</x>',
    b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    b"Action=CreateVpnRouteEntry&RouteDest=10.0.0.0/24&AccessKeyId=sandbox-demo-x&Signature=x",
    b'{"rules": [{"kind": "drop"}]}', b"{" * 50]))


def raw_exchange(endpoint: str, method: str, target: str, headers: list[tuple[str, str]], body: bytes):
    host, port = endpoint.split("//")[1].rsplit(":", 1)
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers if name != "Content-Length"]
    names = {name for name, _ in headers}
    if "Content-Length" not in names and "Transfer-Encoding" not in names:
        lines.append(f"Content-Length: {len(body)}")
    else:
        lines += [f"{name}: {value}" for name, value in headers if name == "Content-Length"]
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", errors="surrogatepass") + body
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(data)
        response = http.client.HTTPResponse(sock, method="HEAD" if method == "HEAD" else "GET")
        response.begin()
        return response.status, response.getheader("Content-Type") or "", response.read()


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])  # capfd is read (emptied) by every example
@given(method=METHODS, target=PATHS, headers=st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=6),
       body=BODIES)
def test_fuzz_any_http_request_gets_an_api_shaped_answer(sandbox, capfd, method, target, headers, body):
    if any(n == "Content-Length" and v.strip().isdigit() and int(v) > len(body) for n, v in headers):
        headers = [(n, v) for n, v in headers if n != "Content-Length"]  # a body that never comes: see network tests
    if target.startswith("/_sandbox/") and method in ("POST", "DELETE"):
        target = "/_sandbox/health"  # the control endpoints change state on purpose
    status, ctype, data = raw_exchange(sandbox.endpoint, method, target, headers, body)
    assert 200 <= status < 600
    if method != "HEAD" and status != 200:
        assert data, (status, ctype)
        parsed = json.loads(data) if "json" in ctype else None
        if parsed is not None:
            assert parsed.get("Code") and parsed["Code"] != "InternalError", parsed
        else:
            assert data.startswith(b"<?xml") and b"<Code>" in data and b"InternalError" not in data, data[:200]
    assert all(not g["Routes"] for g in sandbox.state()["gateways"])  # nothing unsigned changed anything
    out, err = capfd.readouterr()
    assert out == "" and err == ""


TEXT = st.text(st.characters(codec="utf-8", categories=None, exclude_categories=["Cs"]), max_size=12)
PARAM_VALUES = st.one_of(TEXT, st.sampled_from(["", "1", "0", "100", "50", "²", "٣", "-1", "1e3", "true",
                                               "Custom", "System", "Ipsec", "10.0.0.0/24", "10.0.0.1/24",
                                               "cn-hangzhou", "cn-shanghai"]))
PARAM_NAMES = st.sampled_from(["RegionId", "VpnGatewayId", "RouteDest", "NextHop", "Weight", "PublishVpc",
                               "ClientToken", "OverlayMode", "Description", "PageNumber", "PageSize",
                               "RouteEntryType", "Extra"])


@given(action=st.sampled_from(ACTIONS), params=st.dictionaries(PARAM_NAMES, PARAM_VALUES, max_size=8),
       real_ids=st.booleans(), xml=st.booleans())
def test_fuzz_signed_calls_with_any_parameters(sandbox, action, params, real_ids, xml):
    """Past the signature check, the backend answers every parameter set with data or an API error."""
    if real_ids:  # so that some calls get past the id checks into the rules
        params = {"RegionId": sandbox.region_id, "VpnGatewayId": sandbox.vpn_gateway_id, **params}
    client = vw.VpcClient(sandbox.credentials, endpoint=sandbox.endpoint, max_attempts=1, timeout=(2, 5),
                          **({"signature_version": "v1", "format": "XML"} if xml else {}))
    try:
        data = client.call(action or "CreateVpnRouteEntry", {k: str(v) for k, v in params.items()})
    except vw.ApiError as err:
        assert err.code != "InternalError", err
        assert err.http_status and 400 <= err.http_status < 500, err
        if err.code in ("InvalidParameter", "MissingParameter"):
            assert '"' in err.message  # names the parameter
    else:
        assert isinstance(data, dict) and data.get("RequestId")
    finally:
        sandbox.reset()


def test_sandbox_page_numbers_must_be_ascii_digits(sandbox):
    """Found by the fuzz above: '²'.isdigit() is True but int('²') fails, which was an InternalError 500."""
    client = vw.VpcClient(sandbox.credentials, endpoint=sandbox.endpoint, max_attempts=1)
    for page in ("²", "٣", "１"):
        with pytest.raises(vw.ApiError) as caught:
            client.call("DescribeVpnRouteEntries", {"RegionId": sandbox.region_id,
                                                    "VpnGatewayId": sandbox.vpn_gateway_id, "PageNumber": page})
        assert caught.value.code == "InvalidParameter" and "PageNumber" in caught.value.message


def test_the_sandbox_never_parses_client_xml():
    """No XML parser is imported by any sandbox module: only xml.sax.saxutils.escape, to write answers."""
    for path in SANDBOX_DIR.glob("*.py"):
        text = path.read_text()
        for parser in ("xmltodict", "xml.etree", "xml.dom", "minidom", "expat", "lxml", "xml.sax import make_parser",
                       "xml.sax.parse", "ElementTree", "defusedxml"):
            assert parser not in text, f"{path.name} mentions {parser}"


# --- the server's limits (from the audit's network part, issue 8, promise 4) ------------------------------


def test_the_sandbox_listens_on_127_0_0_1_only_by_default():
    with vw.Sandbox() as sb:
        assert sb.endpoint.startswith("http://127.0.0.1:")
        assert sb._server._httpd.socket.getsockname()[0] == "127.0.0.1"


def test_the_sandbox_command_line_warns_when_bound_elsewhere():
    proc = subprocess.Popen([sys.executable, "-m", "vpnroute_widgets.sandbox", "--host", "127.0.0.2"],  # noqa: S603
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert '"endpoint": "http://127.0.0.2:' in line
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "not 127.0.0.1" in err and "other machines may reach it" in err


def test_sandbox_warns_in_the_log_when_not_on_loopback(caplog):
    with caplog.at_level(logging.WARNING):
        vw.Sandbox(host="127.0.0.2")  # not started: the warning comes at construction
    assert "other machines may reach it" in caplog.text
    assert Path(sandbox_server.__file__).exists()


@pytest.fixture
def no_xml_parser(monkeypatch):
    """Counts every XML parser created in this process (the sandbox runs in a thread of it)."""
    import xml.etree.ElementTree as ElementTree
    from xml.parsers import expat

    made: list[str] = []
    real_expat, real_etree = expat.ParserCreate, ElementTree.XMLParser

    def counting_expat(*args, **kwargs):
        made.append("expat")
        return real_expat(*args, **kwargs)

    def counting_etree(*args, **kwargs):
        made.append("ElementTree")
        return real_etree(*args, **kwargs)

    monkeypatch.setattr(expat, "ParserCreate", counting_expat)
    monkeypatch.setattr(ElementTree, "XMLParser", counting_etree)
    return made


def test_the_sandbox_answers_an_xml_bomb_body_without_parsing_it(vpc_sandbox, no_xml_parser):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "' + b"a" * 1000 + b'">'
            + b"".join(b'<!ENTITY a%d "&a%s;&a%s;&a%s;&a%s;">' % (i, b"" if i == 1 else b"%d" % (i - 1),
                                                                 b"" if i == 1 else b"%d" % (i - 1),
                                                                 b"" if i == 1 else b"%d" % (i - 1),
                                                                 b"" if i == 1 else b"%d" % (i - 1))
                       for i in range(1, 12)) + b"]><x>&a11;</x>")
    with requests.Session() as http:
        http.trust_env = False
        answer = http.post(vpc_sandbox.endpoint + "/", data=bomb, headers={"Content-Type": "text/xml"}, timeout=5)
    assert answer.status_code == 400 and b"<Code>MissingParameter</Code>" in answer.content  # V1's default XML
    assert no_xml_parser == []  # read as form parameters, never as XML: nothing was expanded


def test_the_sandbox_refuses_oversized_or_unbounded_request_bodies(vpc_sandbox):
    """Found by the raw HTTP fuzz: a chunked body was answered 411 with the code InternalError. The body is
    never sent here, so an answer at all shows the sandbox refused it from the headers, unread."""
    host, port = vpc_sandbox.endpoint.split("//")[1].split(":")
    for head, expected in ((f"Content-Length: {sandbox_server.MAX_BODY + 1}", b" 413 "),
                           ("Transfer-Encoding: chunked", b" 411 "), ("Content-Length: -5", b" 413 ")):
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            sock.sendall(f"POST / HTTP/1.1\r\nHost: x\r\n{head}\r\n\r\n".encode())
            answer = sock.recv(4096)
            assert expected in answer.split(b"\r\n", 1)[0]
            code = json.loads(answer.split(b"\r\n\r\n", 1)[1])["Code"]
            assert code == ("LengthRequired" if b"411" in expected else "RequestEntityTooLarge"), code


def test_the_sandbox_drops_a_request_whose_body_never_arrives(monkeypatch, vpc_sandbox):
    assert 0 < sandbox_server._Handler.timeout <= 300  # the socket timeout of every sandbox connection
    monkeypatch.setattr(sandbox_server._Handler, "timeout", 0.5)
    said: list[str] = []  # what the handler would log (it is silent by design: nothing reaches a notebook)
    monkeypatch.setattr(sandbox_server._Handler, "log_message", lambda self, fmt, *args: said.append(fmt % args))
    host, port = vpc_sandbox.endpoint.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")  # 99 bytes never come
        assert sock.recv(4096) == b""  # closed, without an answer
    assert any(line.startswith("Request timed out") for line in said), said  # because its timeout ran out
