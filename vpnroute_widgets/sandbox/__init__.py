"""The embedded sandbox: a local emulator of the Alibaba Cloud VPC API over real HTTP.

    with vw.Sandbox(seed=0) as sb:
        client = vw.VpcClient(sb.credentials, endpoint=sb.endpoint)
        client.create_vpn_route_entry(vw.RouteEntryRequest(
            region_id=sb.region_id, vpn_gateway_id=sb.vpn_gateway_id, route_dest="10.0.0.0/24",
            next_hop=sb.next_hop, weight=100, publish_vpc=True))

It is a moto-style backend (:mod:`.backend`, state and rules) behind a thin HTTP
layer (:mod:`.server`) that verifies V1 and V3 signatures like the real service,
answers in its JSON and XML formats, and misbehaves on request (:mod:`.faults`).
It never imports the client, pandas or ipywidgets.
"""

from __future__ import annotations

import atexit
import functools
import logging
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from ..credentials import Credentials
from .app import RequestLog, SandboxApp
from .backend import Backend
from .faults import KINDS, FaultRule, FaultSet
from .server import SandboxServer
from .world import AccessKey, World, build_world

__all__ = ["KINDS", "FaultRule", "FaultSet", "RequestLog", "Sandbox"]

_LOG = logging.getLogger(__name__)
_LOCAL_HOSTS = ("127.0.0.1", "localhost")


def _stop_at_exit(ref: weakref.ref) -> None:
    sandbox = ref()
    if sandbox is not None:
        sandbox.stop()


class Sandbox:
    """A local VPC API on ``http://127.0.0.1:<port>``, seeded and deterministic.

    Use as a context manager, or ``start()`` / ``stop()`` (both idempotent; a running
    sandbox is also stopped at interpreter exit). Options: ``seed`` (ids and random
    faults), ``port`` (0: ephemeral), ``gateways`` (healthy demo gateways in the home
    region), ``route_quota`` (of those), ``small_route_quota`` (of the quota gateway),
    ``configuring_s`` (how long a gateway stays ``updating`` after a change),
    ``rate`` (calls per second per account, region and action; None: unlimited; a mapping
    ``{action: rate, "*": rate}`` gives actions their own rates, e.g. writes 1/s and reads 10/s),
    ``latency_ms`` and ``latency_jitter_ms`` (added to every API call), ``host``,
    ``clock`` (epoch seconds; drives timestamps, ``updating`` and rate limits), and
    ``routes_per_gateway`` (destination routes every healthy gateway starts with, deterministic
    per seed, with active/standby pairs, unpublished routes and descriptions; ``reset()``
    restores exactly them). Healthy gateways also hold a few BGP-learned routes.
    """

    def __init__(self, seed: int = 0, *, port: int = 0, gateways: int = 2, route_quota: int = 100,
                 small_route_quota: int = 3, configuring_s: float = 0.2,
                 rate: float | Mapping[str, float] | None = None, latency_ms: float = 0.0,
                 latency_jitter_ms: float = 0.0, host: str = "127.0.0.1",
                 clock: Callable[[], float] = time.time, routes_per_gateway: int = 0):
        if host not in _LOCAL_HOSTS:
            _LOG.warning("Sandbox bound to %s, not 127.0.0.1: other machines may reach it. "
                         "Its keys are fake, but its routes are open to anyone who can connect "
                         "(the /_sandbox/ control endpoints still answer this machine only).", host)
        self.seed = seed
        self.port = port
        self.host = host
        self.world: World = build_world(seed, gateways=gateways, route_quota=route_quota,
                                        small_quota=small_route_quota, routes_per_gateway=routes_per_gateway)
        backend = Backend(self.world, clock=clock, configuring_s=configuring_s, rate=rate)
        self.faults = FaultSet(seed)
        self._app = SandboxApp(backend, self.faults, clock=clock, latency_ms=latency_ms,
                               latency_jitter_ms=latency_jitter_ms, seed=seed)
        self._server: SandboxServer | None = None
        self._endpoint: str | None = None
        self._lock = threading.Lock()
        self._exit_hook: Callable[[], None] | None = None

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Start serving (no-op when running); returns self."""
        with self._lock:
            if self._server is not None:
                return self
            self._app.stopping.clear()
            server = SandboxServer(self._app, self.host, self.port)
            server.start()
            self._server, self._endpoint = server, server.endpoint
            self._app.endpoint = server.endpoint
            self._exit_hook = functools.partial(_stop_at_exit, weakref.ref(self))
            atexit.register(self._exit_hook)
            return self

    def stop(self) -> None:
        """Stop serving and close every connection (no-op when stopped)."""
        with self._lock:
            server, self._server = self._server, None
            if self._exit_hook is not None:
                atexit.unregister(self._exit_hook)
                self._exit_hook = None
        if server is not None:
            server.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self._endpoint if self.running else "stopped"
        return f"Sandbox(seed={self.seed}, {where})"

    # --- what a caller needs ------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        """``http://127.0.0.1:PORT`` (the last one, once stopped)."""
        if self._endpoint is None:
            raise RuntimeError("The sandbox is not started: use `with vw.Sandbox() as sb:` or `sb.start()`.")
        return self._endpoint

    @property
    def credentials(self) -> Credentials:
        """The demo account's key pair (it only works against this sandbox)."""
        return self._credentials("owner")

    @property
    def subuser_credentials(self) -> Credentials:
        """A RAM sub-user without permission: every call gives ``Forbidden.SubUser`` (403)."""
        return self._credentials("subuser")

    @property
    def forbidden_credentials(self) -> Credentials:
        """A user without permission: every call gives ``Forbidden`` (403)."""
        return self._credentials("forbidden")

    def add_credentials(self, access_key_id: str, access_key_secret: str, security_token: str | None = None, *,
                        role: str = "owner") -> Credentials:
        """Make this sandbox accept one more key pair (for example a test's sentinel); returns its Credentials.

        The key acts for the demo account with ``role`` (``owner``, ``subuser`` or ``forbidden``).
        With ``security_token`` it behaves like an STS key: every request must carry that token
        (``MissingSecurityToken`` / ``InvalidSecurityToken.MismatchWithAccessKey`` otherwise).
        Ids that look like real Alibaba Cloud keys (``LTAI...``) are refused: the sandbox never
        accepts one. The key survives :meth:`reset`; nothing records or shows its secret or token.
        """
        if role not in ("owner", "subuser", "forbidden"):
            raise ValueError(f"role must be 'owner', 'subuser' or 'forbidden', got {role!r}")
        if not access_key_id or not access_key_secret:
            raise ValueError("access_key_id and access_key_secret must not be empty")
        if access_key_id.startswith("LTAI"):
            raise ValueError("the sandbox never accepts an id shaped like a real AccessKeyId (LTAI...); "
                             "choose another id")
        account = self.world.key_for("owner").account_id
        self.world.keys[access_key_id] = AccessKey(access_key_id, access_key_secret, account, role,
                                                   security_token or None)
        return Credentials(access_key_id, access_key_secret, security_token, source=f"sandbox (added, {role})")

    def _credentials(self, role: str) -> Credentials:
        key = self.world.key_for(role)
        return Credentials(key.access_key_id, key.access_key_secret, source=f"sandbox ({role})")

    @property
    def region_id(self) -> str:
        return self.world.home_region

    @property
    def second_region_id(self) -> str:
        return self.world.regions[1]

    @property
    def gateways(self) -> list[dict[str, Any]]:
        """The healthy demo gateways of the home region: ``{"vpn_gateway_id", "next_hops", "region_id"}``."""
        return [{"vpn_gateway_id": g.vpn_gateway_id, "next_hops": list(g.connections), "region_id": g.region_id}
                for g in self.world.of_kind("healthy", self.region_id)]

    @property
    def vpn_gateway_id(self) -> str:
        return self.gateways[0]["vpn_gateway_id"]

    @property
    def next_hops(self) -> list[str]:
        """The two IPsec connections of ``vpn_gateway_id`` (for active/standby pairs)."""
        return self.gateways[0]["next_hops"]

    @property
    def next_hop(self) -> str:
        return self.next_hops[0]

    @property
    def quota_gateway_id(self) -> str:
        """A gateway with a small route quota (``small_route_quota``, default 3): Resource.QuotaFull."""
        return self.world.of_kind("quota")[0].vpn_gateway_id

    @property
    def quota_next_hops(self) -> list[str]:
        return list(self.world.of_kind("quota")[0].connections)

    @property
    def locked_gateway_id(self) -> str:
        """A financially locked gateway: writes give VpnGateway.FinancialLocked."""
        return self.world.of_kind("locked")[0].vpn_gateway_id

    @property
    def locked_next_hop(self) -> str:
        return self.world.of_kind("locked")[0].connections[0]

    @property
    def second_region_gateway(self) -> dict[str, Any]:
        """The healthy gateway of the second region (cn-shanghai)."""
        g = self.world.of_kind("healthy", self.second_region_id)[0]
        return {"vpn_gateway_id": g.vpn_gateway_id, "next_hops": list(g.connections), "region_id": g.region_id}

    @property
    def requests(self) -> RequestLog:
        """The API requests received since the last reset (action and non-secret parameters)."""
        return self._app.requests

    @property
    def configuring_s(self) -> float:
        """Seconds a gateway stays ``updating`` after a create or delete (settable while running)."""
        return self._app.backend.configuring_s

    @configuring_s.setter
    def configuring_s(self, seconds: float) -> None:
        self._app.backend.configuring_s = float(seconds)

    @property
    def backend(self) -> Backend:
        return self._app.backend

    def reset(self) -> None:
        """Back to the seeded world (its seeded and BGP routes only), gateways active, no faults, no requests."""
        self._app.reset()

    def state(self) -> dict[str, Any]:
        """Gateways and their routes as JSON-ready data (what ``GET /_sandbox/state`` returns)."""
        return self._app.backend.state()

    def summary(self) -> dict[str, Any]:
        """The one-line JSON the command line prints (it includes the demo key pair: fake, sandbox-only)."""
        key = self.world.key_for("owner")
        return {"endpoint": self.endpoint, "access_key_id": key.access_key_id,
                "access_key_secret": key.access_key_secret, "region_id": self.region_id,
                "vpn_gateway_id": self.vpn_gateway_id, "next_hop": self.next_hop,
                "gateways": [{"vpn_gateway_id": g["vpn_gateway_id"], "next_hops": g["next_hops"]}
                             for g in self.gateways]}
