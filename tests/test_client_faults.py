"""Every sandbox fault kind against every client operation (the security audit, issue 8, promise 5).

Each kind fires a fixed number of times (``times``), so the counts are exact: the client either
retries to a success or raises a clear toolkit error; the sandbox holds no duplicate route and agrees
with the record. tests/test_batch_faults.py does the same for batches (with these helpers);
tests/test_batch_reliability.py covers a 500-row run with random faults; tests/test_sandbox_faults.py
each kind's own behaviour.

Nothing here sleeps: a request the sandbox still holds (the ``timeout`` kind answers after the client
gave up, and applies the change then) is waited for through the backend, which signals every request
it finishes (:class:`Landed`).
"""

from __future__ import annotations

import collections
import threading

import pytest

import vpnroute_widgets as vw
from vpnroute_widgets.sandbox import KINDS

READ_TIMEOUT = 0.3
FAULT = {"error": {"code": "ServiceUnavailable", "status": 503}, "html_5xx": {"status": 502}, "malformed": {},
         "truncated": {}, "drop": {}, "reset": {}, "timeout": {"delay_s": READ_TIMEOUT * 2},
         "commit_then_drop": {}, "latency": {"delay_s": 0.05}}
FIRED: collections.Counter = collections.Counter()  # fault kind -> firings, over the fault test modules


def fault_sandbox():
    """The fault modules' sandbox: three gateways, a short update time (seed 12)."""
    return vw.Sandbox(seed=12, gateways=3, configuring_s=0.01)


class Landed:
    """Wraps the sandbox backend's ``handle``: counts the requests it finished and wakes waiters."""

    def __init__(self, backend, monkeypatch):
        self.count = 0
        self._done = threading.Condition()
        real = backend.handle

        def handle(*args, **kwargs):
            try:
                return real(*args, **kwargs)
            finally:
                with self._done:
                    self.count += 1
                    self._done.notify_all()

        monkeypatch.setattr(backend, "handle", handle)

    def all_of(self, sb, timeout: float = 60) -> None:
        """Return once every API request the sandbox received has been through its backend."""
        with self._done:
            assert self._done.wait_for(lambda: self.count >= len(sb.requests), timeout), "a request never landed"


def fault_fixture(sandbox, monkeypatch):
    """The module's sandbox, reset, its backend watched; faults cleared and the update time restored after."""
    configuring_s = sandbox.configuring_s
    sandbox.reset()
    sandbox.landed = Landed(sandbox.backend, monkeypatch)
    yield sandbox
    sandbox.faults.clear()
    sandbox.configuring_s = configuring_s


@pytest.fixture(scope="module")
def sandbox():
    with fault_sandbox() as sb:
        yield sb
    print(f"\nclient faults injected per kind: {dict(FIRED)} (total {sum(FIRED.values())})")


@pytest.fixture
def sb(sandbox, monkeypatch):
    yield from fault_fixture(sandbox, monkeypatch)


def client_for(sb, **kwargs) -> vw.VpcClient:
    kwargs.setdefault("max_attempts", 4)
    return vw.VpcClient(sb.credentials, endpoint=sb.endpoint, timeout=(1, READ_TIMEOUT), backoff_base=0.01,
                        **kwargs)


def routes(sb) -> list[tuple[str, str, str, int]]:
    return [(g["VpnGatewayId"], r["RouteDest"], r["NextHop"], r["Weight"]) for g in sb.state()["gateways"]
            for r in g["Routes"]]


def add_fault(sb, kind: str, action: str, times: int):
    return sb.faults.add(kind, action=action, times=times, **FAULT[kind])


def settle(sb, rule, kind: str) -> None:
    """Count the firings; for ``timeout``, wait until the delayed original has been applied."""
    FIRED[kind] += rule.fired
    if kind == "timeout":
        sb.landed.all_of(sb)


def request(sb, dest: str = "10.9.0.0/24") -> vw.RouteEntryRequest:
    return vw.RouteEntryRequest(region_id=sb.region_id, vpn_gateway_id=sb.vpn_gateway_id, route_dest=dest,
                                next_hop=sb.next_hop, weight=0, publish_vpc=True)


# --- the client: one fault, then a successful retry; a persistent fault, a clear error ---------------


@pytest.mark.parametrize("kind", KINDS)
def test_client_create_survives_each_fault_with_one_route(sb, kind):
    log = vw.ResponseLog()
    rule = add_fault(sb, kind, "CreateVpnRouteEntry", times=1)
    entry = client_for(sb, log=log).create_vpn_route_entry(request(sb))
    settle(sb, rule, kind)
    assert rule.fired == 1 and entry.route_dest == "10.9.0.0/24"
    assert routes(sb) == [(sb.vpn_gateway_id, "10.9.0.0/24", sb.next_hop, 0)]  # exactly one, never two
    (record,) = log.records()
    assert record["outcome"] == "ok" and record["attempts"] == (1 if kind == "latency" else 2)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("operation", ["describe", "delete", "describe_gateway"])
def test_client_reads_and_deletes_survive_each_fault(sb, kind, operation):
    sb.configuring_s = 0.0  # the gateway takes the next change at once (the fixture restores it)
    client = client_for(sb)
    client.create_vpn_route_entry(request(sb))
    action = {"describe": "DescribeVpnRouteEntries", "delete": "DeleteVpnRouteEntry",
              "describe_gateway": "DescribeVpnGateway"}[operation]
    rule = add_fault(sb, kind, action, times=1)
    if operation == "describe":
        assert [e.route_dest for e in client.describe_vpn_route_entries(sb.region_id, sb.vpn_gateway_id,
                                                                        route_entry_type="custom")] == \
            ["10.9.0.0/24"]
    elif operation == "delete":
        client.delete_vpn_route_entry(sb.region_id, sb.vpn_gateway_id, "10.9.0.0/24", sb.next_hop, 0)
    else:
        assert client.describe_vpn_gateway(sb.region_id, sb.vpn_gateway_id)["VpnGatewayId"] == sb.vpn_gateway_id
    settle(sb, rule, kind)
    assert rule.fired == 1
    assert routes(sb) == ([] if operation == "delete" else [(sb.vpn_gateway_id, "10.9.0.0/24", sb.next_hop, 0)])


EXPECTED_ERROR = {"error": vw.ApiError, "html_5xx": vw.TransportError, "malformed": vw.TransportError,
                  "truncated": vw.TransportError, "drop": vw.TransportError, "reset": vw.TransportError,
                  "timeout": vw.TransportError, "commit_then_drop": vw.TransportError}


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "latency"])
def test_a_persistent_fault_is_a_clear_error_and_never_a_duplicate(sb, kind):
    log = vw.ResponseLog()
    rule = add_fault(sb, kind, "CreateVpnRouteEntry", times=3)
    with pytest.raises(EXPECTED_ERROR[kind]) as caught:
        client_for(sb, max_attempts=3, log=log).create_vpn_route_entry(request(sb))
    settle(sb, rule, kind)
    assert rule.fired == 3
    message = str(caught.value)
    assert message and "Traceback" not in message and len(message) < 400
    assert ("ServiceUnavailable" in message) if kind == "error" else (
        "HTTP 502" in message if kind == "html_5xx" else True)
    (record,) = log.records()
    assert record["outcome"] == "error" and record["attempts"] == 3 and record["remedy"]
    applied = kind in ("malformed", "truncated", "timeout", "commit_then_drop")
    assert len(routes(sb)) == (1 if applied else 0)  # applied faults reuse one ClientToken: one route at most
