"""Pacing by status: after a write is refused as busy, the scheduler asks the gateway (a read)
instead of spending another write, and sends the write once the gateway says it is free."""

from __future__ import annotations

import threading

import pytest

import vpnroute_widgets as vw
from vpnroute_widgets.batch.pacing import gateway_probe, gateway_status
from vpnroute_widgets.batch.scheduler import Job, Scheduler
from vpnroute_widgets.errors import ApiError


class FakeGateways:
    """Each gateway is busy for ``busy_reads`` calls (status reads or refused writes) after every accepted write."""

    def __init__(self, busy_reads: int):
        self.busy_reads = busy_reads
        self.left: dict = {}
        self.calls: list[tuple] = []
        self.lock = threading.Lock()

    def write(self, lane, key):
        with self.lock:
            self.calls.append((lane, "write", key))
            if self.left.get(lane, 0) > 0:
                self.left[lane] -= 1
                raise ApiError("VpnGateway.Configuring", "busy", http_status=400)
            self.left[lane] = self.busy_reads
            return key

    def probe(self, lane) -> bool:
        with self.lock:
            self.calls.append((lane, "probe", None))
            if self.left.get(lane, 0) > 0:
                self.left[lane] -= 1
                return False
            return True


def run(gateways: FakeGateways, lanes: int, rows: int, probe=True) -> tuple[Scheduler, dict]:
    jobs = [Job((lane, i), lane, lambda c, lane=lane, i=i: gateways.write(lane, i))
            for i in range(rows) for lane in range(lanes)]
    scheduler = Scheduler(None, rate=10_000, concurrency=lanes, probe=gateways.probe if probe else None)
    outcomes: dict = {}

    def finish(job, value, error):
        outcomes[job.key] = "ok" if error is None else "error"
        return outcomes[job.key]

    scheduler.run(jobs, finish)
    return scheduler, outcomes


def test_after_a_busy_answer_the_next_call_on_that_gateway_is_a_status_read_not_a_write():
    gateways = FakeGateways(busy_reads=3)
    scheduler, outcomes = run(gateways, lanes=3, rows=20)
    assert set(outcomes.values()) == {"ok"} and len(outcomes) == 60
    for lane in range(3):
        mine = [kind for (name, kind, _) in gateways.calls if name == lane]
        refused_then_written = [i for i in range(len(mine) - 1)
                                if mine[i] == "write" and mine[i + 1] == "write" and _was_refused(gateways, lane, i)]
        assert not refused_then_written, f"lane {lane} wrote again right after a refusal: {mine[:12]}"
    writes = sum(1 for call in gateways.calls if call[1] == "write")
    refused = writes - 60
    assert scheduler.calls == writes and scheduler.probes == sum(1 for c in gateways.calls if c[1] == "probe")
    assert refused <= 60  # at most one refused write per row: every later attempt waited for "free"


def _was_refused(gateways: FakeGateways, lane: int, index: int) -> bool:
    """Whether the index-th call of ``lane`` was a refused write (the row it carried came again later)."""
    mine = [(kind, key) for (name, kind, key) in gateways.calls if name == lane]
    kind, key = mine[index]
    return kind == "write" and any(k == "write" and other == key for k, other in mine[index + 1:])


def test_without_a_probe_busy_gateways_are_polled_with_writes_as_before():
    gateways = FakeGateways(busy_reads=0)
    gateways.probe = None  # type: ignore[assignment]
    scheduler, outcomes = run(gateways, lanes=2, rows=5, probe=False)
    assert set(outcomes.values()) == {"ok"} and scheduler.probes == 0


def test_a_failing_status_read_falls_back_to_sending_the_write():
    gateways = FakeGateways(busy_reads=2)

    def broken(lane):
        raise ApiError("Throttling.User", "slow down", http_status=400)

    gateways.probe = broken  # type: ignore[assignment]
    scheduler, outcomes = run(gateways, lanes=1, rows=6)
    assert set(outcomes.values()) == {"ok"} and len(outcomes) == 6


def test_gateway_probe_reads_the_gateways_status_quietly(sb):
    log = vw.ResponseLog()
    client = vw.VpcClient(sb.credentials, endpoint=sb.endpoint, log=log)
    probe = gateway_probe(client)
    assert probe((sb.region_id, sb.vpn_gateway_id)) is True
    sb.configuring_s = 30.0
    client.create_vpn_route_entry(vw.RouteEntryRequest(sb.region_id, sb.vpn_gateway_id, "10.9.0.0/24",
                                                       sb.next_hop, 0, True))
    assert probe((sb.region_id, sb.vpn_gateway_id)) is False
    assert [r["operation"] for r in log.records()] == ["CreateVpnRouteEntry"]  # the reads left no record


@pytest.mark.parametrize("answer, status", [({"Status": "updating"}, "updating"), ({}, None)])
def test_gateway_status_reads_dicts_and_typed_answers(answer, status):
    class Typed:
        status = "active"

    assert gateway_status(answer) == status and gateway_status(Typed()) == "active"
