"""The ``/_sandbox/`` control endpoints: health, state, reset and faults, for this machine only.

They need no signature, so they guard themselves against the two ways a web page in a browser
on the same machine could reach them:

* **DNS rebinding**: a page of ``evil.example`` whose name now resolves to 127.0.0.1 sends
  ``Host: evil.example:PORT``. Every control request must name a loopback host (127.0.0.0/8,
  ``localhost``, ``[::1]``) with the sandbox's own port.
* **Cross-site requests**: a browser sends ``Origin`` with a page's requests; one naming any other
  site (another port counts: JupyterLab on :8888 is another site) is refused, ``Origin: null`` too.
  A page can send a form (``application/x-www-form-urlencoded``, ``text/plain``, ``multipart``)
  or an empty POST without asking first, but not ``application/json``, so every POST, PUT and
  DELETE must carry ``Content-Type: application/json`` (an empty body is allowed: reset takes none).

A refused request changes nothing and gets a JSON error: 403 ``Forbidden.Host`` /
``Forbidden.Origin``, 415 ``UnsupportedMediaType``.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from .auth import Incoming

__all__ = ["ControlEndpoints", "refusal"]

_LOOPBACK_NAMES = ("localhost",)
_WRITE_METHODS = ("POST", "PUT", "DELETE")


def _port_of(endpoint: str) -> int | None:
    """The port of ``http://host:port`` (None when the sandbox has not started serving)."""
    try:
        return urlsplit(endpoint).port if endpoint else None
    except ValueError:
        return None


def _is_loopback(host: str) -> bool:
    name = host.strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _loopback_authority(authority: str, port: int | None) -> bool:
    """Whether ``host[:port]`` names this machine and, when known, this sandbox's port."""
    try:
        parts = urlsplit("//" + authority)
        host, given = parts.hostname, parts.port
    except ValueError:
        return False
    if not host or not _is_loopback(host):
        return False
    return port is None or given == port


def refusal(incoming: Incoming, endpoint: str) -> tuple[int, dict[str, str]] | None:
    """Why a control request is refused (status and JSON error), or None to let it through."""
    port = _port_of(endpoint)
    host = incoming.header("Host") or ""
    if not _loopback_authority(host, port):
        return 403, {"Code": "Forbidden.Host", "Message": "The control endpoints answer only requests for "
                     "127.0.0.1, localhost or [::1] with the sandbox's port; this request named another host."}
    origin = incoming.header("Origin")
    if origin is not None:
        parts = urlsplit(origin) if origin != "null" else None
        if parts is None or parts.scheme not in ("http", "https") or not _loopback_authority(parts.netloc, port):
            return 403, {"Code": "Forbidden.Origin", "Message": "The control endpoints refuse requests sent by "
                         "a web page of another site."}
    if incoming.method in _WRITE_METHODS:
        media = (incoming.header("Content-Type") or "").split(";")[0].strip().lower()
        if media != "application/json":
            return 415, {"Code": "UnsupportedMediaType", "Message": f"{incoming.method} to a control endpoint "
                         "needs the header Content-Type: application/json (an empty body is fine)."}
    return None


class ControlEndpoints:
    """Answers ``/_sandbox/<name>``: ``GET health``, ``GET state``, ``POST reset``, ``GET/POST/DELETE faults``.

    ``app`` is the :class:`~.app.SandboxApp` (its backend, faults, reset and endpoint); ``reply``
    turns a status and JSON data into the app's reply.
    """

    def __init__(self, app, reply: Callable[[int, dict[str, Any]], Any]):
        self.app = app
        self.reply = reply

    def __call__(self, incoming: Incoming):
        refused = refusal(incoming, self.app.endpoint)
        if refused is not None:
            return self.reply(*refused)
        name, method = incoming.path[len("/_sandbox/"):].strip("/"), incoming.method
        try:
            return self._route(name, method, incoming.body)
        except (ValueError, TypeError, KeyError) as exc:
            return self.reply(400, {"Code": "InvalidParameter", "Message": str(exc)})

    def _route(self, name: str, method: str, body: bytes):
        app = self.app
        if (name, method) == ("health", "GET"):
            return self.reply(200, {"status": "ok", "endpoint": app.endpoint, "seed": app.backend.world.seed})
        if (name, method) == ("reset", "POST"):
            app.reset()
            return self.reply(200, {"status": "reset"})
        if (name, method) == ("state", "GET"):
            return self.reply(200, app.backend.state())
        if name == "faults":
            return self._faults(method, body)
        return self.reply(404, {"Code": "NotFound", "Message": f"no control endpoint {method} /_sandbox/{name}"})

    def _faults(self, method: str, body: bytes):
        faults = self.app.faults
        if method == "GET":
            return self.reply(200, {"rules": faults.rules()})
        if method == "DELETE":
            faults.clear()
            return self.reply(200, {"rules": []})
        if method == "POST":
            spec = json.loads(body or b"{}")
            rules = spec.get("rules", [spec]) if isinstance(spec, dict) else spec
            faults.add_many(rules)
            return self.reply(200, {"rules": faults.rules()})
        return self.reply(405, {"Code": "MethodNotAllowed", "Message": f"{method} is not allowed on faults"})
