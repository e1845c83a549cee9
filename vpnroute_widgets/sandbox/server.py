"""The sandbox's HTTP layer: a ThreadingHTTPServer on 127.0.0.1, HTTP/1.1 keep-alive.

Thin on purpose: read the request, hand it to :class:`~.app.SandboxApp`, write the
reply in one ``sendall`` (Nagle off), and act out network faults (drop, reset,
truncate). It never prints: ``log_message`` is silent and ``handle_error`` swallows
a client hanging up, so nothing lands in a notebook cell. An unexpected exception
becomes ``InternalError`` 500 in the API's format, never a traceback or an HTML page.
"""

from __future__ import annotations

import logging
import re
import socket
import struct
import threading
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from . import wire
from .app import Reply, SandboxApp
from .auth import Incoming

__all__ = ["SandboxServer"]

_LOG = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024
_CODES = {400: "BadRequest", 404: "NotFound", 405: "MethodNotAllowed", 411: "LengthRequired",
          413: "RequestEntityTooLarge", 414: "RequestURITooLong", 431: "RequestHeaderFieldsTooLarge",
          501: "UnsupportedHTTPMethod", 505: "HTTPVersionNotSupported"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "vpnroute-sandbox"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 120  # an idle keep-alive connection is closed after this many seconds

    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        """Silent: a request line can carry signed parameters, and notebooks must stay clean."""

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_GET

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.send_error(411, "Send a Content-Length; chunked bodies are not supported.")
            return None
        length = self.headers.get("Content-Length") or "0"
        if not length.isdigit() or int(length) > MAX_BODY:
            self.send_error(413, "The request body is too large or its length is invalid.")
            return None
        return self.rfile.read(int(length)) if int(length) else b""

    def _dispatch(self) -> None:
        body = self._read_body()
        if body is None:
            return
        path, _, query = self.path.partition("?")
        incoming = Incoming(self.command, path or "/", parse_qsl(query, keep_blank_values=True), self.headers, body)
        app: SandboxApp = self.server.app  # type: ignore[attr-defined]  # set by _Server
        try:
            reply = app.dispatch(incoming)
        except Exception:  # never a traceback to the client or the notebook
            _LOG.debug("sandbox: unexpected error answering %s %s", self.command, path, exc_info=True)
            reply = app.internal_error()
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        if reply.network == "drop":
            self.close_connection = True
            return
        if reply.network == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        body = reply.body
        if reply.network == "truncate":
            self.close_connection = True
        head = self._head(reply.status, reply.content_type, len(body), reply.request_id)
        self.wfile.write(head + (body[: len(body) // 2] if reply.network == "truncate" else body))

    def _head(self, status: int, content_type: str, length: int, request_id: str | None) -> bytes:
        reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Unknown"
        lines = [f"HTTP/1.1 {status} {reason}", f"Content-Type: {content_type}", f"Content-Length: {length}",
                 f"Date: {formatdate(usegmt=True)}", f"Server: {self.server_version}",
                 "Connection: " + ("close" if self.close_connection else "keep-alive")]
        if request_id:
            lines.append(f"x-acs-request-id: {request_id}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def send_error(self, code, message=None, explain=None):
        """Protocol-level errors (bad request line, unsupported method) in the API's JSON error format."""
        self.close_connection = True
        request_id = wire.new_request_id()
        phrase = HTTPStatus(code).phrase if code in HTTPStatus._value2member_map_ else "Bad Request"
        name = _CODES.get(code) or re.sub(r"[^A-Za-z]", "", phrase.title())  # never InternalError: nothing broke
        body = wire.error_body(name, message or phrase, request_id,
                               "127.0.0.1", "JSON")
        try:
            self.wfile.write(self._head(code, wire.CONTENT_TYPES["JSON"], len(body), request_id) + body)
        except OSError:
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, app: SandboxApp):
        self.app = app
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request, client_address):
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):
        """A client hanging up (or any handler failure) is not worth a traceback in a notebook."""
        _LOG.debug("sandbox: connection from %s ended with an error", client_address[0], exc_info=True)

    def close_connections(self) -> None:
        """Close every open keep-alive connection, so a stopped sandbox answers nothing."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class SandboxServer:
    """Runs :class:`SandboxApp` over HTTP on ``host:port`` (0: an ephemeral port) in a daemon thread."""

    def __init__(self, app: SandboxApp, host: str = "127.0.0.1", port: int = 0):
        self.app = app
        self._httpd = _Server((host, port), app)
        address = self._httpd.server_address
        self.host, self.port = str(address[0]), int(address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"vpnroute-sandbox:{self.port}", daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, wake sleeping requests, close every connection."""
        self.app.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd.close_connections()
        self._thread.join(timeout=5)
