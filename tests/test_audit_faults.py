"""Audit (issue 8, promise 5): every sandbox fault kind against every client and batch operation.

Each kind fires a fixed number of times (``times``), so the counts are exact: the client either
retries to a success or raises a clear toolkit error; a batch carries on; every row is accounted for
(one record per input row); the sandbox holds no duplicate route and agrees with the records.
A KeyboardInterrupt (a kernel interrupt) in the middle of a batch keeps every finished row in the
log, and the log agrees with the sandbox. tests/test_batch_reliability.py covers a 500-row run with
random faults; tests/test_sandbox_faults.py each kind's own behaviour.
"""

from __future__ import annotations

import _thread
import collections
import threading
import time

import pandas as pd
import pytest

import vpnroute_widgets as vw
from vpnroute_widgets.sandbox import KINDS

READ_TIMEOUT = 0.3
FAULT = {"error": {"code": "ServiceUnavailable", "status": 503}, "html_5xx": {"status": 502}, "malformed": {},
         "truncated": {}, "drop": {}, "reset": {}, "timeout": {"delay_s": READ_TIMEOUT * 2},
         "commit_then_drop": {}, "latency": {"delay_s": 0.05}}
FIRED: collections.Counter = collections.Counter()  # fault kind -> firings, over this module


@pytest.fixture(scope="module")
def sandbox():
    with vw.Sandbox(seed=12, gateways=3, configuring_s=0.01) as sb:
        yield sb
    print(f"\naudit faults injected per kind: {dict(FIRED)} (total {sum(FIRED.values())})")


@pytest.fixture
def sb(sandbox):
    sandbox.reset()
    yield sandbox
    sandbox.faults.clear()


def client_for(sb, **kwargs) -> vw.VpcClient:
    kwargs.setdefault("max_attempts", 4)
    return vw.VpcClient(sb.credentials, endpoint=sb.endpoint, timeout=(1, READ_TIMEOUT), backoff_base=0.01,
                        **kwargs)


def routes(sb) -> list[tuple[str, str, str, int]]:
    return [(g["VpnGatewayId"], r["RouteDest"], r["NextHop"], r["Weight"]) for g in sb.state()["gateways"]
            for r in g["Routes"]]


def add_fault(sb, kind: str, action: str, times: int):
    return sb.faults.add(kind, action=action, times=times, **FAULT[kind])


def settle(rule, kind: str) -> None:
    FIRED[kind] += rule.fired
    if kind == "timeout":  # the delayed original is applied after its sleep: let it land before checking
        time.sleep(READ_TIMEOUT * 2 + 0.1)


def request(sb, dest: str = "10.9.0.0/24") -> vw.RouteEntryRequest:
    return vw.RouteEntryRequest(region_id=sb.region_id, vpn_gateway_id=sb.vpn_gateway_id, route_dest=dest,
                                next_hop=sb.next_hop, weight=0, publish_vpc=True)


# --- the client: one fault, then a successful retry; a persistent fault, a clear error ---------------


@pytest.mark.parametrize("kind", KINDS)
def test_client_create_survives_each_fault_with_one_route(sb, kind):
    log = vw.ResponseLog()
    rule = add_fault(sb, kind, "CreateVpnRouteEntry", times=1)
    entry = client_for(sb, log=log).create_vpn_route_entry(request(sb))
    settle(rule, kind)
    assert rule.fired == 1 and entry.route_dest == "10.9.0.0/24"
    assert routes(sb) == [(sb.vpn_gateway_id, "10.9.0.0/24", sb.next_hop, 0)]  # exactly one, never two
    (record,) = log.records()
    assert record["outcome"] == "ok" and record["attempts"] == (1 if kind == "latency" else 2)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("operation", ["describe", "delete", "describe_gateway"])
def test_client_reads_and_deletes_survive_each_fault(sb, kind, operation):
    client = client_for(sb)
    client.create_vpn_route_entry(request(sb))
    time.sleep(0.02)  # the gateway leaves "updating"
    action = {"describe": "DescribeVpnRouteEntries", "delete": "DeleteVpnRouteEntry",
              "describe_gateway": "DescribeVpnGateway"}[operation]
    rule = add_fault(sb, kind, action, times=1)
    if operation == "describe":
        assert [e.route_dest for e in client.describe_vpn_route_entries(sb.region_id, sb.vpn_gateway_id)] == \
            ["10.9.0.0/24"]
    elif operation == "delete":
        client.delete_vpn_route_entry(sb.region_id, sb.vpn_gateway_id, "10.9.0.0/24", sb.next_hop, 0)
    else:
        assert client.describe_vpn_gateway(sb.region_id, sb.vpn_gateway_id)["VpnGatewayId"] == sb.vpn_gateway_id
    settle(rule, kind)
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
    settle(rule, kind)
    assert rule.fired == 3
    message = str(caught.value)
    assert message and "Traceback" not in message and len(message) < 400
    assert ("ServiceUnavailable" in message) if kind == "error" else (
        "HTTP 502" in message if kind == "html_5xx" else True)
    (record,) = log.records()
    assert record["outcome"] == "error" and record["attempts"] == 3 and record["remedy"]
    applied = kind in ("malformed", "truncated", "timeout", "commit_then_drop")
    assert len(routes(sb)) == (1 if applied else 0)  # applied faults reuse one ClientToken: one route at most


# --- the batch: apply and rollback carry on through every kind ------------------------------------------


def frame(sb, per_gateway: int = 4) -> pd.DataFrame:
    return pd.DataFrame([{"RouteDest": f"10.{g}.{i}.0/24", "NextHop": gw["next_hops"][i % 2],
                          "VpnGatewayId": gw["vpn_gateway_id"], "Weight": 0, "PublishVpc": True}
                         for g, gw in enumerate(sb.gateways) for i in range(per_gateway)])


def assert_agrees(sb, result, *, rows: int, present: bool) -> None:
    report = result.to_dataframe()
    assert sorted(report["row"].tolist()) == list(range(rows))  # every row accounted for, once
    made = routes(sb)
    assert len(made) == len(set(made))  # no duplicate route
    ok = {(r.vpn_gateway_id, r.route_dest) for r in report.itertuples() if r.outcome == "ok"}
    assert ok == {(g, d) for g, d, _, _ in made} if present else not made


@pytest.mark.parametrize("kind", KINDS)
def test_batch_apply_and_rollback_carry_on_through_each_fault(sb, kind):
    client = client_for(sb)
    data = frame(sb)
    rule = add_fault(sb, kind, "CreateVpnRouteEntry", times=3)
    applied = vw.apply_batch(data, client, defaults={"RegionId": sb.region_id}, rate=500)
    settle(rule, kind)
    assert rule.fired == 3
    assert applied.counts() == {"ok": len(data)}, applied.counts()
    assert_agrees(sb, applied, rows=len(data), present=True)

    sb.faults.clear()
    rule = add_fault(sb, kind, "DeleteVpnRouteEntry", times=3)
    undone = vw.rollback_batch(applied, client, rate=500)
    settle(rule, kind)
    assert rule.fired == 3
    assert undone.counts() == {"ok": len(data)}, undone.counts()
    assert sorted(undone.to_dataframe()["row"].tolist()) == list(range(len(data)))
    assert routes(sb) == []


def test_batch_with_a_persistent_fault_on_one_gateway_carries_on_with_the_others(sb):
    client = client_for(sb)
    data = frame(sb)
    broken = sb.gateways[0]["vpn_gateway_id"]
    rule = sb.faults.add("html_5xx", action="CreateVpnRouteEntry", vpn_gateway_id=broken, status=503)
    result = vw.apply_batch(data, client, defaults={"RegionId": sb.region_id}, rate=500, max_failures=3)
    FIRED["html_5xx"] += rule.fired
    report = result.to_dataframe()
    assert sorted(report["row"].tolist()) == list(range(len(data)))
    bad = report[report["vpn_gateway_id"] == broken]
    assert set(bad["outcome"]) == {"error"} and bad["remedy"].notna().all()
    assert set(report[report["vpn_gateway_id"] != broken]["outcome"]) == {"ok"}
    assert_agrees(sb, result, rows=len(data), present=True)


# --- a kernel interrupt in the middle of a batch ------------------------------------------------------------


def _check_interrupted(sb, log: vw.ResponseLog, rows: int) -> None:
    time.sleep(0.05)
    records = log.records()
    assert sorted(r["row"] for r in records) == list(range(rows))  # every row has exactly one record
    outcomes = collections.Counter(r["outcome"] for r in records)
    assert set(outcomes) <= {"ok", "cancelled"} and outcomes["ok"] >= 1 and outcomes["cancelled"] >= 1
    ok = {(r["vpn_gateway_id"], r["route_dest"]) for r in records if r["outcome"] == "ok"}
    assert ok == {(g, d) for g, d, _, _ in routes(sb)}  # the log and the sandbox agree
    again = vw.resume_batch(log, client_for(sb), rate=500)  # and the rest can be finished
    assert again.counts() == {"ok": rows}
    made = routes(sb)
    assert len(made) == len(set(made)) == rows


def test_keyboard_interrupt_from_a_progress_callback_keeps_every_finished_row(sb):
    """Found by this test: rows whose create had finished in flight were lost (routes without records)."""
    sb.faults.add("latency", action="CreateVpnRouteEntry", delay_s=0.03)
    data, log = frame(sb, per_gateway=8), vw.ResponseLog()

    def progress(p):
        if p.done >= 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        vw.apply_batch(data, client_for(sb), defaults={"RegionId": sb.region_id}, rate=500, log=log,
                       progress=progress)
    _check_interrupted(sb, log, len(data))


def test_sigint_to_the_main_thread_during_apply_keeps_every_finished_row(sb):
    sb.faults.add("latency", action="CreateVpnRouteEntry", delay_s=0.03)
    data, log = frame(sb, per_gateway=8), vw.ResponseLog()
    stop = threading.Event()

    def interrupt_when_some_are_done():
        deadline = time.monotonic() + 10
        while len(log) < 4 and time.monotonic() < deadline and not stop.is_set():
            time.sleep(0.005)
        if not stop.is_set():
            _thread.interrupt_main()  # what a kernel interrupt (SIGINT) does to the main thread

    killer = threading.Thread(target=interrupt_when_some_are_done, daemon=True)
    killer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            vw.apply_batch(data, client_for(sb), defaults={"RegionId": sb.region_id}, rate=500, log=log)
            time.sleep(5)  # only reached if the batch finished before the interrupt (it must not)
    finally:
        stop.set()
        killer.join(5)
    _check_interrupted(sb, log, len(data))
