"""Every sandbox fault kind against batch apply and rollback (the security audit, issue 8, promise 5).

A batch carries on through each kind; every row is accounted for (one record per input row); the
sandbox holds no duplicate route and agrees with the records. A KeyboardInterrupt (a kernel
interrupt) in the middle of a batch keeps every finished row in the log, and the log agrees with the
sandbox. The helpers are test_client_faults.py's; nothing here sleeps or reads a clock.
"""

from __future__ import annotations

import _thread
import collections
import threading

import pandas as pd
import pytest
from test_client_faults import FIRED, add_fault, client_for, fault_fixture, fault_sandbox, routes, settle

import vpnroute_widgets as vw
from vpnroute_widgets.sandbox import KINDS


@pytest.fixture(scope="module")
def sandbox():
    with fault_sandbox() as sb:
        yield sb
    print(f"\nbatch faults injected per kind: {dict(FIRED)} (total {sum(FIRED.values())})")


@pytest.fixture
def sb(sandbox, monkeypatch):
    yield from fault_fixture(sandbox, monkeypatch)


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
    settle(sb, rule, kind)
    assert rule.fired == 3
    assert applied.counts() == {"ok": len(data)}, applied.counts()
    assert_agrees(sb, applied, rows=len(data), present=True)

    sb.faults.clear()
    rule = add_fault(sb, kind, "DeleteVpnRouteEntry", times=3)
    undone = vw.rollback_batch(applied, client, rate=500)
    settle(sb, rule, kind)
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
    sb.landed.all_of(sb)  # every request the sandbox received has been applied (or refused)
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
    some_done, stop = threading.Event(), threading.Event()

    def count(_change):  # called after every change of the log
        if len(log) >= 4:
            some_done.set()

    log.subscribe(count)

    def interrupt_when_some_are_done():
        some_done.wait(60)
        if not stop.is_set():
            _thread.interrupt_main()  # what a kernel interrupt (SIGINT) does to the main thread

    killer = threading.Thread(target=interrupt_when_some_are_done, daemon=True)
    killer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            vw.apply_batch(data, client_for(sb), defaults={"RegionId": sb.region_id}, rate=500, log=log)
            some_done.set()  # only reached if the batch finished before the interrupt (it must not):
            killer.join(60)  # the interrupt then lands here, and the check below finds no cancelled row
    finally:
        stop.set()
        some_done.set()
        killer.join(60)
    _check_interrupted(sb, log, len(data))
