"""Audit (issue 8, promise 4): HTTPS verified by default, plain HTTP to loopback only, the sandbox on
127.0.0.1, XML declarations refused on both sides, bounded bodies, a timeout on every request.

Already covered elsewhere (not repeated): billion laughs in a success body, a 3 MB body with a
Content-Length, an https default endpoint, plain HTTP to a remote host refused, no timeout refused
(tests/test_client.py); the sandbox's warning when bound elsewhere (tests/test_sandbox_server.py).
"""

from __future__ import annotations

import gzip
import http.server
import json
import logging
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from stub_server import StubServer, reply

import vpnroute_widgets as vw
from vpnroute_widgets.client import VpcClient
from vpnroute_widgets.sandbox import server as sandbox_server

GATEWAY = "vpn-bp1a3kqjiiq9legfx0000"


@pytest.fixture
def stub():
    server = StubServer()
    yield server
    server.close()


def client(endpoint: str, **kwargs) -> VpcClient:
    kwargs.setdefault("sleep", lambda s: None)
    return VpcClient(vw.Credentials("audit-key", "audit-secret-NET"), endpoint=endpoint, **kwargs)


# --- HTTPS with verification ------------------------------------------------------------------


@pytest.fixture(scope="module")
def self_signed_https(tmp_path_factory):
    """An HTTPS server on 127.0.0.1 with a self-signed certificate (what a man in the middle presents)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",  # noqa: S603,S607
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}", seen, cert
    httpd.shutdown()
    httpd.server_close()


def test_https_certificates_are_verified_and_env_cannot_turn_it_off(self_signed_https, monkeypatch):
    endpoint, seen, cert = self_signed_https
    monkeypatch.setenv("CURL_CA_BUNDLE", "")  # once disabled verification in requests
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))  # would make the fake certificate trusted
    log = vw.ResponseLog()
    with pytest.raises(vw.TransportError, match="TLS verification failed") as caught:
        client(endpoint, log=log).describe_vpn_gateway("cn-hangzhou", GATEWAY)
    assert getattr(caught.value, "attempts", 1) == 1  # not retried: a bad certificate will not get better
    assert seen == []  # no request was ever handed to the impostor
    assert log.records()[0]["error_code"] == "TransportError"


@pytest.mark.parametrize("endpoint", [
    "https://user:pw@vpc.cn-hangzhou.aliyuncs.com",  # user info would travel as Basic auth and show in reprs
    "http://127.0.0.1@evil.example.com", "http://evil.example.com#@127.0.0.1", "http://localhost.evil.example.com",
    "http://127.0.0.1.nip.io:8080", "http://0.0.0.0:8080", "http://[::ffff:10.0.0.1]:80", "https://vpc.example.com#x",
    "javascript:alert(1)", "file:///etc/passwd", "https://vpc.example.com:99999", "https://vpc.example.com:x",
])
def test_only_clean_https_or_loopback_http_endpoints(endpoint):
    with pytest.raises(vw.ConfigurationError) as caught:
        VpcClient(vw.Credentials("id", "secret"), endpoint=endpoint)
    assert "pw" not in str(caught.value)


@pytest.mark.parametrize("endpoint", ["http://127.0.0.2:8080", "http://[::1]:8080", "http://LOCALHOST:1"])
def test_every_loopback_address_may_use_plain_http(endpoint):
    assert VpcClient(vw.Credentials("id", "secret"), endpoint=endpoint).endpoint == endpoint


def test_redirects_are_never_followed(stub):
    stub.script(reply(302, b"", headers={"Location": "http://198.51.100.7/steal"}))
    with pytest.raises(vw.TransportError, match="HTTP 302"):
        client(stub.endpoint, max_attempts=1).describe_vpn_gateway("cn-hangzhou", GATEWAY)
    assert len(stub.requests) == 1


def test_proxy_settings_in_the_environment_are_ignored(monkeypatch, vpc_sandbox):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # a dead proxy: using it would fail
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    sb = vpc_sandbox
    c = VpcClient(sb.credentials, endpoint=sb.endpoint, max_attempts=1)
    assert c.describe_vpn_gateway(sb.region_id, sb.vpn_gateway_id)["Status"] == "active"


# --- the sandbox binds loopback ---------------------------------------------------------------------


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


# --- XML: declarations refused, never expanded; the sandbox never parses client XML ---------------------


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
}


@pytest.mark.parametrize("name", sorted(XML_ATTACKS))
def test_client_refuses_xml_with_declarations(stub, name):
    stub.script(reply(400 if name == "error body" else 200, XML_ATTACKS[name], "text/xml"))
    started = time.monotonic()
    with pytest.raises(vw.TransportError) as caught:
        client(stub.endpoint, format="XML", signature_version="v1", max_attempts=1).create_vpn_route_entry(
            vw.RouteEntryRequest("cn-hangzhou", GATEWAY, "10.0.0.0/24", "vco-bp15oes1py4i66rmd0000", 0, True))
    assert time.monotonic() - started < 2
    assert "root:" not in str(caught.value)  # /etc/passwd was not read into anything


def test_the_sandbox_answers_an_xml_bomb_body_without_parsing_it(vpc_sandbox):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "' + b"a" * 1000 + b'">'
            + b"".join(b'<!ENTITY a%d "&a%s;&a%s;&a%s;&a%s;">' % (i, b"" if i == 1 else b"%d" % (i - 1),
                                                                 b"" if i == 1 else b"%d" % (i - 1),
                                                                 b"" if i == 1 else b"%d" % (i - 1),
                                                                 b"" if i == 1 else b"%d" % (i - 1))
                       for i in range(1, 12)) + b"]><x>&a11;</x>")
    started = time.monotonic()
    answer = requests.post(vpc_sandbox.endpoint + "/", data=bomb, headers={"Content-Type": "text/xml"}, timeout=5)
    assert time.monotonic() - started < 2
    assert answer.status_code == 400 and b"<Code>MissingParameter</Code>" in answer.content  # V1's default XML


# --- bounded bodies -------------------------------------------------------------------------------------


def _chunked(handler, chunks):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    for chunk in chunks:
        try:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            return
    handler.wfile.write(b"0\r\n\r\n")
    handler.close_connection = True


def test_a_large_chunked_body_without_a_length_is_refused(stub):
    stub.script(lambda h: _chunked(h, [b"{" + b" " * 65536] + [b" " * 65536] * 48 + [b"}"]))
    with pytest.raises(vw.TransportError, match="larger than"):
        client(stub.endpoint).describe_vpn_gateway("cn-hangzhou", GATEWAY)
    assert len(stub.requests) == 1


def test_a_gzip_bomb_is_refused_after_at_most_the_limit(stub):
    bomb = gzip.compress(b"{" + b" " * (64 * 1024 * 1024) + b"}")  # 64 MB inflated, ~64 KB on the wire
    stub.script(reply(200, bomb, headers={"Content-Encoding": "gzip"}))
    with pytest.raises(vw.TransportError, match="larger than"):
        client(stub.endpoint).describe_vpn_gateway("cn-hangzhou", GATEWAY)


def test_a_body_dribbled_byte_by_byte_cannot_hold_a_call_open(stub):
    """Found by this test: the read timeout bounds each wait for a byte, not the body; a server sending a
    byte every 0.1 s held a call with a 0.5 s read timeout for 6.5 s (and could for ever)."""

    def dribble(handler):
        body = b'{"RequestId":"X","VpnGatewayId":"' + GATEWAY.encode() + b'","Status":"active"}'
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        for byte in body:
            try:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
            except OSError:
                return
            time.sleep(0.1)

    stub.script(dribble)
    started = time.monotonic()
    with pytest.raises(vw.TransportError, match="read timed out") as caught:
        client(stub.endpoint, timeout=(1, 0.5), max_attempts=1).describe_vpn_gateway("cn-hangzhou", GATEWAY)
    assert time.monotonic() - started < 1.5
    assert caught.value.unknown_outcome  # a create answered this slowly may have been made


# --- every request has a timeout ----------------------------------------------------------------------------


@pytest.fixture
def spy_timeouts(monkeypatch):
    """Every HTTP request made through requests, with the timeout it was given (the request still goes out)."""
    seen: list[tuple[str, object]] = []
    real = requests.Session.send  # every request goes through send(), whether or not via request()

    def send(self, prepared, **kwargs):
        seen.append((prepared.url.split("?")[0], kwargs.get("timeout")))
        return real(self, prepared, **kwargs)

    monkeypatch.setattr(requests.Session, "send", send)
    return seen


def _bounded(timeout) -> bool:
    parts = timeout if isinstance(timeout, tuple) else (timeout,)
    return all(isinstance(p, int | float) and 0 < p <= 60 for p in parts)


def test_the_cli_batch_and_widgets_give_every_request_a_timeout(spy_timeouts, tmp_path, monkeypatch):
    from vpnroute_widgets import cli
    from vpnroute_widgets.widgets.batch_panel import BatchPanel

    monkeypatch.setenv("HOME", str(tmp_path))
    routes = tmp_path / "routes.csv"
    routes.write_text("RouteDest,NextHop,Weight,PublishVpc\n10.5.0.0/24,,0,true\n")
    with vw.Sandbox(seed=0, configuring_s=0.01) as sb:
        routes.write_text(f"RouteDest,NextHop,Weight,PublishVpc\n10.5.0.0/24,{sb.next_hop},0,true\n"
                          f"10.6.0.0/24,{sb.next_hop},0,true\n")
        connection = vw.ConnectionPanel(sandbox=sb, home=tmp_path)
        form = vw.RouteEntryForm(client=connection)
        form.fields["RegionId"].value = sb.region_id
        form.fields["VpnGatewayId"].value = sb.vpn_gateway_id
        form.fields["NextHop"].value = sb.next_hop
        form.fields["RouteDest"].value = "10.7.0.0/24"
        form.fields["Weight"].value = 0
        form.submit.click()
        form.wait()
        panel = BatchPanel(connection, vw.ResponseLog())
        panel.set_source(routes.read_bytes())
        panel.wait()
        panel.apply_button.click()
        panel.wait()
        for widget in (panel, form, connection):
            widget.close()
    out = tmp_path / "out.txt"
    with out.open("w") as handle:
        assert cli.main(["apply", str(routes), "--report", str(tmp_path / "r.csv"), "--sandbox", "--quiet"],
                        stdout=handle, stderr=handle) in (0, 1)
    assert len(spy_timeouts) >= 6, spy_timeouts  # form create, plans' describes, batch creates, CLI
    assert all(_bounded(timeout) for _url, timeout in spy_timeouts), spy_timeouts


def test_the_sandbox_refuses_oversized_or_unbounded_request_bodies(vpc_sandbox):
    """Found by the raw HTTP fuzz: a chunked body was answered 411 with the code InternalError."""
    host, port = vpc_sandbox.endpoint.split("//")[1].split(":")
    for head, expected in ((f"Content-Length: {sandbox_server.MAX_BODY + 1}", b" 413 "),
                           ("Transfer-Encoding: chunked", b" 411 "), ("Content-Length: -5", b" 413 ")):
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(f"POST / HTTP/1.1\r\nHost: x\r\n{head}\r\n\r\n".encode())
            started = time.monotonic()
            answer = sock.recv(4096)
            assert expected in answer.split(b"\r\n", 1)[0] and time.monotonic() - started < 1  # not read first
            code = json.loads(answer.split(b"\r\n\r\n", 1)[1])["Code"]
            assert code == ("LengthRequired" if b"411" in expected else "RequestEntityTooLarge"), code


def test_the_sandbox_drops_a_request_whose_body_never_arrives(monkeypatch, vpc_sandbox):
    assert 0 < sandbox_server._Handler.timeout <= 300  # the socket timeout of every sandbox connection
    monkeypatch.setattr(sandbox_server._Handler, "timeout", 0.5)
    host, port = vpc_sandbox.endpoint.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")  # 99 bytes never come
        started = time.monotonic()
        assert sock.recv(4096) == b""  # closed, without an answer, once the sandbox's timeout passed
        assert 0.3 < time.monotonic() - started < 3


def test_sandbox_warns_in_the_log_when_not_on_loopback(caplog):
    with caplog.at_level(logging.WARNING):
        vw.Sandbox(host="127.0.0.2")  # not started: the warning comes at construction
    assert "other machines may reach it" in caplog.text
    assert Path(sandbox_server.__file__).exists()
