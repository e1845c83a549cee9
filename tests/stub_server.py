"""A scripted HTTP server on 127.0.0.1 for client tests: real sockets, canned answers.

Each request is recorded (method, path, query, headers, body) and answered by the next
scripted responder, or by the default one. Responders can send any bytes, sleep past
the client's timeout, or drop the connection, so the client is tested against the
failures it will meet, without mocking ``requests``.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class SeenRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""
    raw_query: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def params(self) -> dict[str, str]:
        """Query and form-body parameters together (V1 sends a form body, V3 a query)."""
        form = dict(parse_qsl(self.body.decode(), keep_blank_values=True)) if self.body else {}
        return {**self.query, **form}


def reply(status: int = 200, body: bytes | str = b"", content_type: str = "application/json",
          headers: dict[str, str] | None = None, declared_length: int | None = None):
    """A responder that sends ``body`` with ``status``; ``declared_length`` lets a test lie (truncation)."""
    data = body.encode() if isinstance(body, str) else body

    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(declared_length if declared_length is not None else len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)
        handler.wfile.flush()
        if declared_length is not None:
            handler.close_connection = True

    return respond


def drop():
    """A responder that closes the connection without answering."""

    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.close_connection = True
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    return respond


def stall(seconds: float, then=None):
    """A responder that waits ``seconds`` (past a client timeout) before answering (or dropping)."""

    def respond(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        (then or drop())(handler)

    return respond


class StubServer:
    def __init__(self, default=None):
        self.requests: list[SeenRequest] = []
        self._script: deque = deque()
        self._default = default or reply(200, b'{"RequestId": "DEFAULT-0000"}')
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def _handle(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = SeenRequest(self.command, parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)),
                                   {k.lower(): v for k, v in self.headers.items()}, body, parts.query)
                with stub._lock:
                    stub.requests.append(seen)
                    responder = stub._script.popleft() if stub._script else stub._default
                responder(self)

            do_GET = _handle
            do_POST = _handle

        class QuietServer(ThreadingHTTPServer):
            def handle_error(self, request, client_address):  # a client hanging up is expected here
                pass

        self._server = QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    def script(self, *responders) -> None:
        with self._lock:
            self._script.extend(responders)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
