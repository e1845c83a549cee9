"""A hostile endpoint on 127.0.0.1: it echoes the request back in error bodies, or answers garbage.

Unlike the sandbox (which plays the real service faithfully) and the stub server (canned
answers), this server is written to hurt: ``echo_error`` puts everything the client sent
(form body, query, headers, the V1 string to sign) into an error body in many spellings
(raw, percent-encoded once and twice in upper- and lower-case hex, base64, JSON escapes, XML
character references) and in every field (Code, Message, Recommend, HostId, RequestId and
fields of its own). ``known`` adds texts the server pretends to know (the secret, which never
travels) so their echo can be tested too.

Bounded: it stops itself after ``lifetime_s`` seconds, reads at most ``MAX_BODY`` bytes of a
request, times out an idle connection after a few seconds, and serves on daemon threads.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit
from xml.sax.saxutils import escape

MAX_BODY = 1024 * 1024
LISTING = {"TotalCount": 0, "PageNumber": 1, "PageSize": 50, "VpnRouteEntries": {"VpnRouteEntry": []}}
GATEWAY = {"Status": "active", "BusinessStatus": "Normal"}


@dataclass
class Seen:
    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def params(self) -> dict[str, str]:
        """Query and form parameters, decoded (V1 sends a form body, V3 a query)."""
        form = parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {**dict(parse_qsl(self.query, keep_blank_values=True)), **dict(form)}

    @property
    def action(self) -> str:
        named = {k.lower(): v for k, v in self.headers}.get("x-acs-action")
        return named or self.params.get("Action", "")

    @property
    def fmt(self) -> str:
        return "XML" if self.params.get("Format", "").upper() == "XML" else "JSON"


Answer = tuple[int, str, bytes]
Responder = Callable[[Seen], Answer]


def _lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


def spellings(text: str) -> dict[str, str]:
    """``text`` in the spellings a server might echo it in (all of them travel in one error body)."""
    once = quote(text, safe="")
    twice = quote(once, safe="")
    return {
        "raw": text,
        "once": once,
        "once_lower": _lower_hex(once),
        "form": quote_plus(text, safe=""),
        "twice": twice,
        "twice_lower": _lower_hex(twice),
        "base64": base64.b64encode(b"x" + text.encode()).decode(),  # off the 3-byte grid on purpose
        "base64url": base64.urlsafe_b64encode(text.encode()).decode(),
        "json_unicode": "".join(f"\\u{ord(c):04x}" if not c.isalnum() else c for c in text),
        "xml_refs": "".join(f"&#{ord(c)};" if not c.isalnum() else c for c in text),
    }


def echo_text(seen: Seen, known: Iterable[str] = ()) -> dict[str, str]:
    """What the request carried, as texts an echoing server would put in its answer."""
    decoded = "&".join(f"{k}={v}" for k, v in sorted(seen.params.items()))
    headers = "\n".join(f"{k}: {v}" for k, v in seen.headers)
    raw_form = seen.body.decode("utf-8", "replace")
    string_to_sign = "POST&%2F&" + quote(raw_form or seen.query, safe="~")  # V1: every value twice-encoded
    texts = {"decoded": decoded, "headers": headers, "form": raw_form, "query": seen.query,
             "string_to_sign": string_to_sign, "string_to_sign_lower": _lower_hex(string_to_sign)}
    for i, value in enumerate(known):
        texts.update({f"known{i}_{name}": spelled for name, spelled in spellings(value).items()})
    texts["decoded_base64"] = base64.b64encode(decoded.encode()).decode()
    return texts


def echo_error(status: int = 400, code: str = "SignatureDoesNotMatch", known: Iterable[str] = (),
               json_escape_slash: bool = True) -> Responder:
    """An error answer (JSON or XML, as the request asked) echoing the request in every field."""
    known = tuple(known)

    def respond(seen: Seen) -> Answer:
        texts = echo_text(seen, known)
        everything = " | ".join(f"{k}: {v}" for k, v in texts.items())
        fields = {
            "RequestId": "ECHO-" + texts["decoded"][:300],
            "HostId": texts["headers"],
            "Code": code,
            "Message": f"Specified signature is not matched with our calculation. server string to sign is:"
                       f"{texts['string_to_sign']} ... {everything}",
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={texts['query'] or texts['form']}",
            "Echo": texts,
        }
        if seen.fmt == "XML":
            return status, "text/xml", _xml("Error", fields, texts).encode()
        body = json.dumps(fields, ensure_ascii=True)
        return status, "application/json", (body.replace("/", "\\/") if json_escape_slash else body).encode()

    return respond


def _xml(root: str, fields: dict, texts: dict[str, str]) -> str:
    def element(name: str, value) -> str:
        if isinstance(value, dict):
            return f"<{name}>" + "".join(element(k, v) for k, v in value.items()) + f"</{name}>"
        if name == "Recommend":
            return f"<{name}><![CDATA[{value}]]></{name}>"
        return f"<{name}>{escape(str(value))}</{name}>"

    refs = "".join(f"&#x{ord(c):x};" for c in texts["decoded"])  # every character as a reference
    return (f'<?xml version="1.0" encoding="UTF-8"?><{root}>' + "".join(element(k, v) for k, v in fields.items())
            + f"<Refs>{refs}</Refs></{root}>")


def echo_success(known: Iterable[str] = ()) -> Responder:
    """A 200 success answer whose text fields (RequestId, Description, State) echo the request."""
    known = tuple(known)

    def respond(seen: Seen) -> Answer:
        texts = echo_text(seen, known)
        params = seen.params
        data = {"RequestId": "OK-" + texts["decoded"][:200], "VpnInstanceId": params.get("VpnGatewayId"),
                "RouteDest": params.get("RouteDest"), "NextHop": params.get("NextHop"), "Weight": 100,
                "OverlayMode": params.get("OverlayMode", ""), "State": "published " + texts["string_to_sign"],
                "CreateTime": 1563873294331, "Description": " | ".join(texts.values())}
        return answer(seen, data)

    return respond


def answer(seen: Seen, data: dict) -> Answer:
    """A 200 answer in the format the request asked for."""
    if seen.fmt == "XML":
        return 200, "text/xml", _xml(f"{seen.action}Response", data, {"decoded": ""}).encode()
    return 200, "application/json", json.dumps(data).encode()


def fixed(body: bytes | str, status: int = 200, content_type: str = "application/json") -> Responder:
    """The same bytes for every request (garbage answers)."""
    data = body.encode() if isinstance(body, str) else body
    return lambda seen: (status, content_type, data)


def reads_ok(then: Responder) -> Responder:
    """Answer the reads a batch makes before it writes (listings, gateways) sanely; ``then`` the rest."""

    def respond(seen: Seen) -> Answer:
        if seen.action.startswith("Describe"):
            return answer(seen, {"RequestId": "READ-OK", **LISTING, **GATEWAY})
        return then(seen)

    return respond


class HostileServer:
    """``with HostileServer(responder) as server: ... server.endpoint``; ``server.requests`` holds what came."""

    def __init__(self, responder: Responder, *, lifetime_s: float = 60.0):
        self.responder = responder
        self.requests: list[Seen] = []
        hostile = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 5  # an idle connection is closed
            disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms stall between

            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802 - http.server's naming
                parts = urlsplit(self.path)
                length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
                seen = Seen(self.command, parts.path, parts.query, list(self.headers.items()),
                            self.rfile.read(length) if length else b"")
                hostile.requests.append(seen)
                status, content_type, body = hostile.responder(seen)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass

        self._server = Server(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        self._timer = threading.Timer(lifetime_s, self.close)
        self._timer.daemon = True
        self._timer.start()
        self._closed = False

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._timer.cancel()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --- searching for leaks, independently of the redaction under test ----------------------------------

_B64_RUN = re.compile(r"[A-Za-z0-9+/_-]{12,}={0,2}")
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def _base64_views(text: str) -> list[str]:
    views = []
    for run in _B64_RUN.findall(text):
        for start in range(4):
            chunk = run[start:].rstrip("=")
            for candidate in (chunk + "=" * (-len(chunk) % 4), chunk[: len(chunk) // 4 * 4]):
                for decode in (base64.b64decode, base64.urlsafe_b64decode):
                    try:
                        views.append(decode(candidate).decode("latin-1"))
                    except ValueError:
                        pass
    return views


def _decodings(text: str) -> list[str]:
    from html import unescape
    from urllib.parse import unquote, unquote_plus

    return [unquote(text), unquote_plus(text), unescape(text), text.replace("\\/", "/"),
            _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text), *_base64_views(text)]


def views(text: str, rounds: int = 3) -> set[str]:
    """``text`` and what it says once decoded up to ``rounds`` times (percent, form, HTML/XML, JSON, base64)."""
    seen, frontier = {text}, {text}
    for _ in range(rounds):
        frontier = {decoded for t in frontier for decoded in _decodings(t)} - seen
        seen |= frontier
    return seen


def find_leaks(texts: Iterable[str], values: Iterable[str]) -> list[str]:
    """Each ``value`` found in a text, raw or in any decoding of it: ``["<value[:10]>... in <text[:120]>"]``."""
    values = [v for v in values if v]
    hits = []
    for text in texts:
        for view in views(text):
            hits += [f"{v[:10]}... in {text[:120]!r}" for v in values if v in view]
    return sorted(set(hits))


class RawServer:
    """Answers every connection with ``payload`` as is (a broken status line, lying headers), then closes.

    For what http.server cannot send. Bounded like HostileServer: daemon threads, a lifetime, socket timeouts.
    """

    def __init__(self, payload: bytes, *, lifetime_s: float = 30.0):
        import socket

        self.payload = payload
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.endpoint = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        self._timer = threading.Timer(lifetime_s, self._stop.set)
        self._timer.daemon = True
        self._timer.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    data = b""
                    while b"\r\n\r\n" not in data and len(data) < MAX_BODY:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    conn.sendall(self.payload)
                except OSError:
                    pass
        self._sock.close()

    def close(self) -> None:
        self._stop.set()
        self._timer.cancel()
        self._thread.join(2)

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
