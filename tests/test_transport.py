"""transport.py: sending one signed call, over HTTP or in-process.

``HttpTransport``: HTTPS verified (and the environment cannot turn that off), no proxies from the
environment, no redirects, a timeout on every request, bodies capped in size and in time, a refused
connection recognised by the exception's type. ``InProcessTransport``: the sandbox's handler called
directly, no sockets, with the same answers and the same failures. Building and parsing the bytes
is wire.py's (tests/test_wire.py). Several of these came from the security audit (issue 8, promise 4).

Already covered elsewhere (not repeated): a 3 MB body with a Content-Length, an https default
endpoint, plain HTTP to a remote host refused, no timeout refused (tests/test_client.py).
"""

from __future__ import annotations

import gzip
import http.server
import socket
import ssl
import subprocess
import threading

import pytest
import requests
from stub_server import StubServer, reply

import vpnroute_widgets as vw
from vpnroute_widgets.client import VpcClient
from vpnroute_widgets.transport import (
    MAX_BODY_BYTES,
    HttpTransport,
    InProcessTransport,
    read_capped,
    read_timeout,
    retry_after_seconds,
)
from vpnroute_widgets.wire import prepare_call

GATEWAY = "vpn-bp1a3kqjiiq9legfx0000"
CREDS = vw.Credentials("transport-key", "transport-secret-NET")


@pytest.fixture
def stub():
    server = StubServer()
    yield server
    server.close()


def client(endpoint: str, **kwargs) -> VpcClient:
    kwargs.setdefault("sleep", lambda s: None)
    return VpcClient(CREDS, endpoint=endpoint, **kwargs)


def closed_port() -> int:
    """A 127.0.0.1 port nobody listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def describe_call(endpoint: str):
    return prepare_call("DescribeVpnGateway", {"RegionId": "cn-hangzhou", "VpnGatewayId": GATEWAY}, CREDS,
                        endpoint, version="v3", fmt="JSON", nonce="n-1", timestamp="2026-01-01T00:00:00Z")


# --- small helpers --------------------------------------------------------------------------------------


def test_read_timeout_and_retry_after():
    assert read_timeout(7) == 7.0 and read_timeout((1, 2.5)) == 2.5
    assert retry_after_seconds({"x-acs-retry-after": "1500"}) == 1.5  # milliseconds
    assert retry_after_seconds({"Retry-After": "3"}) == 3.0  # seconds
    assert retry_after_seconds({"Retry-After": "soon"}) is None and retry_after_seconds({}) is None
    assert retry_after_seconds({"Retry-After": "-4"}) == 0.0


# --- a refused connection, known by the exception's type ---------------------------------------------------


def test_a_closed_port_is_connection_refused_with_a_known_outcome():
    endpoint = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(vw.TransportError, match="connection refused") as caught:
        HttpTransport().send(describe_call(endpoint), (2, 2), attempt=3)
    assert not caught.value.unknown_outcome  # nothing was sent: a create did not happen
    assert caught.value.retryable and caught.value.attempts == 3


class _FailingSession(requests.Session):
    """A session whose send raises ``exc`` (what requests raises for a broken exchange)."""

    def __init__(self, exc: BaseException):
        super().__init__()
        self.exc = exc

    def send(self, request, **kwargs):
        raise self.exc


def test_refused_is_decided_by_type_not_by_the_words_in_the_message():
    call = describe_call("http://127.0.0.1:1")
    words_only = requests.exceptions.ConnectionError("Connection refused (but nothing says so by type)")
    with pytest.raises(vw.TransportError, match="connection dropped or reset") as caught:
        HttpTransport(_FailingSession(words_only)).send(call, 1)
    assert caught.value.unknown_outcome  # may have been sent: a retry must reuse the ClientToken

    typed = requests.exceptions.ConnectionError(ConnectionRefusedError(111, "no words needed"))
    with pytest.raises(vw.TransportError, match="connection refused") as caught:
        HttpTransport(_FailingSession(typed)).send(call, 1)
    assert not caught.value.unknown_outcome


# --- the in-process transport: the sandbox's handler, no sockets -----------------------------------------


@pytest.fixture
def in_process_sandbox():
    """A sandbox started once (for its endpoint, which goes into the signature), then stopped: no server."""
    sandbox = vw.Sandbox(seed=0, configuring_s=0.0)
    sandbox.start()
    sandbox.stop()
    return sandbox


def in_process_client(sandbox: vw.Sandbox, **kwargs) -> VpcClient:
    kwargs.setdefault("sleep", lambda s: None)
    return VpcClient(sandbox.credentials, endpoint=sandbox.endpoint,
                     transport=InProcessTransport(sandbox._app.handle_raw), **kwargs)


@pytest.mark.parametrize(("version", "fmt"), [("v3", "JSON"), ("v1", "JSON"), ("v1", "XML")])
def test_in_process_create_and_list_a_route(in_process_sandbox, version, fmt):
    sb = in_process_sandbox
    assert not sb.running  # every answer below came without a socket
    c = in_process_client(sb, signature_version=version, format=fmt)
    entry = c.create_vpn_route_entry(vw.RouteEntryRequest(sb.region_id, sb.vpn_gateway_id, "10.20.0.0/24",
                                                          sb.next_hop, 0, True, description="in process"))
    assert entry.route_dest == "10.20.0.0/24" and entry.weight == 0
    listed = c.describe_vpn_route_entries(sb.region_id, sb.vpn_gateway_id, route_entry_type="custom")  # not BGP
    assert [(e.route_dest, e.next_hop, e.description) for e in listed] == [("10.20.0.0/24", sb.next_hop,
                                                                            "in process")]
    assert sb.requests.count("CreateVpnRouteEntry") == 1 and sb.requests[0]["signature"] == version


def test_in_process_api_errors_are_the_sandboxs(in_process_sandbox):
    sb = in_process_sandbox
    with pytest.raises(vw.ApiError) as caught:
        VpcClient(vw.Credentials("LTAI" "5tNotAKeyOfThisSandbox", "x"), endpoint=sb.endpoint, max_attempts=1,
                  transport=InProcessTransport(sb._app.handle_raw)).describe_vpn_gateway(sb.region_id,
                                                                                        sb.vpn_gateway_id)
    assert caught.value.http_status in (400, 403, 404) and caught.value.request_id


@pytest.mark.parametrize("kind", ["drop", "reset"])
def test_in_process_network_fault_is_a_transport_error_with_unknown_outcome(in_process_sandbox, kind):
    sb = in_process_sandbox
    sb.faults.add(kind, action="DescribeVpnGateway", times=5)
    log = vw.ResponseLog()
    with pytest.raises(vw.TransportError, match="connection dropped or reset") as caught:
        in_process_client(sb, max_attempts=2, log=log).describe_vpn_gateway(sb.region_id, sb.vpn_gateway_id)
    assert caught.value.unknown_outcome and caught.value.retryable and caught.value.attempts == 2
    assert sb.requests.count("DescribeVpnGateway") == 2  # retried once, as over HTTP
    assert log.records()[0]["error_code"] == "TransportError"


def test_in_process_bodies_are_capped_as_over_http():
    def huge(method, target, headers, body):
        return 200, {"Content-Type": "application/json"}, b"{" + b" " * MAX_BODY_BYTES + b"}"

    with pytest.raises(vw.TransportError, match="larger than") as caught:
        InProcessTransport(huge).send(describe_call("http://127.0.0.1:1"), 1)
    assert not caught.value.retryable


def test_in_process_handler_sees_what_a_server_would():
    seen = {}

    def handler(method, target, headers, body):
        seen.update(method=method, target=target, headers=dict(headers), body=body)
        return 200, {"x-acs-retry-after": "250"}, b'{"RequestId": "R"}'

    call = prepare_call("CreateVpnRouteEntry", {"RegionId": "cn-hangzhou"}, CREDS, "http://127.0.0.1:8080",
                        version="v1", fmt="JSON", nonce="n-1", timestamp="2026-01-01T00:00:00Z")
    answer = InProcessTransport(handler).send(call, 1)
    assert (answer.status, answer.body, answer.retry_after) == (200, b'{"RequestId": "R"}', 0.25)
    assert seen["method"] == "POST" and seen["target"] == "/" and seen["body"] == call.body
    assert seen["headers"]["host"] == "127.0.0.1:8080"
    assert seen["headers"]["Content-Length"] == str(len(call.body))


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
    assert caught.value.attempts == 1  # not retried: a bad certificate will not get better
    assert seen == []  # no request was ever handed to the impostor
    assert log.records()[0]["error_code"] == "TransportError"


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


class _Raw:
    """``response.raw`` handing out a body one byte per read, as a dribbling server would."""

    def __init__(self, body: bytes):
        self.body, self.reads = body, 0

    def read1(self, size: int, decode_content: bool = True) -> bytes:
        chunk, self.body = self.body[:1], self.body[1:]
        self.reads += bool(chunk)
        return chunk


class _Response:
    def __init__(self, body: bytes, headers: dict | None = None):
        self.raw, self.headers, self.status_code, self.closed = _Raw(body), headers or {}, 200, False

    def close(self) -> None:
        self.closed = True


def test_the_body_has_a_budget_counted_from_its_headers():
    """The read timeout bounds each wait for a byte, not the body: the budget does (spent here from the start)."""
    response = _Response(b'{"RequestId": "X"}')
    with pytest.raises(vw.TransportError, match="still arriving") as caught:
        read_capped(response, budget_s=-1.0, attempt=2)
    assert response.raw.reads == 1 and response.closed  # gave up at the first byte past the budget
    assert caught.value.unknown_outcome and caught.value.attempts == 2  # a slow create may have been made

    response = _Response(b'{"RequestId": "X"}')
    assert read_capped(response, budget_s=3600.0) == b'{"RequestId": "X"}' and response.closed


def test_a_declared_length_over_the_cap_is_refused_unread():
    response = _Response(b"{}", {"Content-Length": str(MAX_BODY_BYTES + 1)})
    with pytest.raises(vw.TransportError, match="larger than"):
        read_capped(response, budget_s=3600.0)
    assert response.raw.reads == 0 and response.closed


def test_a_body_dribbled_byte_by_byte_cannot_hold_a_call_open(stub):
    """Found by the audit: the read timeout bounds each wait for a byte, not the body; a server sending a
    byte every 0.1 s held a call with a 0.5 s read timeout for 6.5 s (and could for ever). The server
    here would need over 6 s for the body; the call ends on the body budget while it is still sending."""
    body = b'{"RequestId":"X","VpnGatewayId":"' + GATEWAY.encode() + b'","Status":"active"}'
    hang_up, finished = threading.Event(), threading.Event()

    def dribble(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        for byte in body:
            try:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
            except OSError:
                return
            if hang_up.wait(0.1):  # a byte every 0.1 s, well within the 0.5 s read timeout
                return
        finished.set()

    stub.script(dribble)
    try:
        with pytest.raises(vw.TransportError, match="still arriving") as caught:
            client(stub.endpoint, timeout=(1, 0.5), max_attempts=1).describe_vpn_gateway("cn-hangzhou", GATEWAY)
        assert not finished.is_set()  # the call ended while the body was still coming
    finally:
        hang_up.set()
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
        panel = BatchPanel(connection, vw.ResponseLog(), reports_dir=tmp_path)
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
