"""apply_sync and rollback_sync against the sandbox (which enforces the active/standby rule)."""

from __future__ import annotations

import json
import threading
from collections import Counter

import pandas as pd
import pytest
from test_batch_sync import NETS, create, desired, live, row

import vpnroute_widgets as vw
from vpnroute_widgets.batch import is_sync_report, rollback_sync
from vpnroute_widgets.batch.sync_apply import OPERATION_OF
from vpnroute_widgets.log.records import COLUMNS

SANDBOX_OPTIONS = {"seed": 5, "configuring_s": 0}
WRITES = set(OPERATION_OF.values())


@pytest.fixture
def client(sb):
    return vw.VpcClient(sb.credentials, endpoint=sb.endpoint)


@pytest.fixture
def world(sb, client):
    create(client, live(sb))
    return sb


def table(sb) -> set[tuple]:
    """Every route of every gateway, custom and BGP-learned, with its weight and state."""
    return {(g["VpnGatewayId"], r["RouteDest"], r["NextHop"], r["Weight"], r["State"], r["RouteEntryType"])
            for g in sb.state()["gateways"] for r in g["Routes"] + g.get("BgpRoutes", [])}


def wanted(sb, frame: pd.DataFrame) -> set[tuple]:
    return {(r.VpnGatewayId, r.RouteDest, r.NextHop, r.Weight, "published" if r.PublishVpc else "normal", "custom")
            for r in frame.itertuples()}


def writes(sb, since: int = 0) -> list[dict]:
    """The write requests the sandbox received, from request number ``since`` on."""
    return [r for r in list(sb.requests)[since:] if r["action"] in WRITES]


def test_apply_makes_the_gateway_match_the_file_and_a_new_plan_has_nothing_left(world, client):
    bgp_before = {r for r in table(world) if r[-1] == "bgp"}
    result = vw.apply_sync(vw.plan_sync(desired(world), client, prune=True), client)
    assert result.counts() == {"ok": 8} and result.operation == "sync"
    custom = {r for r in table(world) if r[-1] == "custom"}
    assert custom == wanted(world, desired(world))
    assert {r for r in table(world) if r[-1] == "bgp"} == bgp_before
    assert vw.plan_sync(desired(world), client, prune=True).counts() == {"none": 6}


def test_without_prune_the_extra_route_stays_and_shows_again_as_extra(world, client):
    vw.apply_sync(vw.plan_sync(desired(world), client), client)
    assert vw.plan_sync(desired(world), client).counts() == {"none": 6, "extra": 1}
    assert any(r[1] == NETS["extra"] for r in table(world))


def test_the_pair_swap_goes_in_the_documented_order_and_the_sandbox_refuses_the_other(world, client):
    with pytest.raises(vw.ApiError) as refused:  # the rule: a weight changes only without another route
        client.modify_vpn_route_entry_weight(world.region_id, world.vpn_gateway_id, NETS["pair"],
                                             world.next_hops[1], 0, 100)
    assert refused.value.code == "VpnRouteEntry.ActiveStandbyPair"
    seen = len(world.requests)
    vw.apply_sync(vw.plan_sync(desired(world), client), client)
    pair = [(r["action"], r["params"]["NextHop"]) for r in list(world.requests)[seen:] if r["action"] in WRITES
            and r["params"]["RouteDest"] == NETS["pair"] and r["code"] is None]
    hops = world.next_hops
    assert pair == [("DeleteVpnRouteEntry", hops[0]), ("ModifyVpnRouteEntryWeight", hops[1]),
                    ("CreateVpnRouteEntry", hops[0])]


def test_one_record_per_step_with_the_step_kind_and_old_values(world, client):
    plan = vw.plan_sync(desired(world), client)
    frame = vw.apply_sync(plan, client).to_dataframe()
    assert list(frame.columns) == list(COLUMNS) and frame.step.tolist() == [s.number for s in plan.steps]
    modify = frame[(frame.action == "modify_weight") & (frame.route_dest == NETS["single"])].iloc[0]
    assert (modify.operation, modify.old_weight, modify.weight, modify.row) == ("ModifyVpnRouteEntryWeight", 0,
                                                                                100, 4)
    withdraw = frame[frame.action == "withdraw"].iloc[0]
    assert (withdraw.operation, withdraw.old_publish_vpc, withdraw.publish_vpc) == ("PublishVpnRouteEntry", True,
                                                                                   False)
    extra = frame[frame.action == "extra"].iloc[0]
    assert extra.outcome == "skipped" and pd.isna(extra.operation)
    assert frame.client_token[frame.action.isin(list(OPERATION_OF))].str.startswith("vw-" + plan.batch_id).all()


def test_a_step_after_a_failed_one_is_skipped_naming_it(sb, client):
    create(client, [row(sb, NETS["single"], 0, 100)])
    plan = vw.plan_sync(pd.DataFrame([row(sb, NETS["single"], 0, 0), row(sb, NETS["single"], 1, 100)]), client)
    sb.faults.add("error", "Forbidden", 403, action="ModifyVpnRouteEntryWeight", times=1)
    frame = vw.apply_sync(plan, client).to_dataframe()
    assert frame.outcome.tolist() == ["error", "skipped"]
    assert "step 1 (modify_weight" in frame.error_message[1] and frame.attempts[1] == 0
    assert not [r for r in writes(sb) if r["action"] == "CreateVpnRouteEntry" and
                r["params"]["RouteDest"] == NETS["single"] and r["params"]["NextHop"] == sb.next_hops[1]]


def test_rollback_restores_the_exact_previous_table(world, client, tmp_path):
    before = table(world)
    result = vw.apply_sync(vw.plan_sync(desired(world), client, prune=True), client)
    assert table(world) != before
    result.to_csv(tmp_path / "report.csv")
    assert is_sync_report(tmp_path / "report.csv") and is_sync_report(result)
    undo = rollback_sync(tmp_path / "report.csv", client)
    assert undo.counts() == {"ok": 8} and undo.operation == "rollback"
    assert table(world) == before
    assert rollback_sync(tmp_path / "report.csv", client).counts() == {"ok": 8}  # again: nothing changes
    assert table(world) == before


class After(vw.ResponseLog):
    """A log that runs ``then()`` once it has heard of ``count`` changes (a deterministic interruption)."""

    def __init__(self, count: int, then):
        super().__init__()
        self.count, self.then = count, then

    def append(self, record):
        super().append(record)
        if record.get("operation") and record.get("outcome") == "ok":
            self.count -= 1
            if self.count == 0:
                self.then()


def interrupt():
    raise KeyboardInterrupt


def test_an_interrupted_sync_applied_again_with_its_journal_repeats_nothing(world, client, tmp_path):
    plan = vw.plan_sync(desired(world), client, prune=True)
    seen = len(world.requests)
    journal = tmp_path / "report.csv.journal"
    with pytest.raises(KeyboardInterrupt):
        vw.apply_sync(plan, client, journal=journal, log=After(3, interrupt))
    assert wanted(world, desired(world)) - table(world)  # not finished
    result = vw.apply_sync(plan, client, journal=journal)
    assert result.counts() == {"ok": 8}
    sent = Counter(r["params"].get("ClientToken") for r in writes(world, seen) if r["code"] is None)
    assert set(sent.values()) == {1} and len(sent) == len(plan.changes())  # every change sent exactly once
    assert {r for r in table(world) if r[-1] == "custom"} == wanted(world, desired(world))


def test_a_sync_interrupted_without_a_journal_is_finished_by_planning_again(world, client):
    plan = vw.plan_sync(desired(world), client, prune=True)
    with pytest.raises(KeyboardInterrupt):
        vw.apply_sync(plan, client, log=After(3, interrupt))
    again = vw.plan_sync(desired(world), client, prune=True)
    assert 0 < len(again.changes()) < len(plan.changes())
    assert vw.apply_sync(again, client).ok
    assert {r for r in table(world) if r[-1] == "custom"} == wanted(world, desired(world))


def test_a_cancelled_sync_reports_the_rest_as_cancelled_and_the_same_plan_finishes_it(world, client):
    cancel = threading.Event()
    plan = vw.plan_sync(desired(world), client, prune=True)
    seen = len(world.requests)
    first = vw.apply_sync(plan, client, cancel=cancel, log=After(2, cancel.set))
    assert first.cancelled and first.counts()["cancelled"] == len(plan.changes()) - 2 and not first.ok
    assert vw.apply_sync(plan, client).ok
    assert {r for r in table(world) if r[-1] == "custom"} == wanted(world, desired(world))
    made = Counter(r["params"].get("ClientToken") for r in writes(world, seen) if r["code"] is None)
    assert len(made) == len(plan.changes())  # the done ones were answered again from their ClientToken


def test_the_same_plan_applied_twice_changes_nothing_the_second_time(world, client):
    plan = vw.plan_sync(desired(world), client, prune=True)
    vw.apply_sync(plan, client)
    after = table(world)
    assert vw.apply_sync(plan, client).ok  # the cloud answers each ClientToken with the first answer
    assert table(world) == after


def test_a_re_plan_with_the_interrupted_runs_batch_id_and_journal_owns_what_it_did(world, client, tmp_path):
    """The CLI's way after a kill: plan again with the journal's batch id; the report owns every change."""
    before = table(world)
    plan = vw.plan_sync(desired(world), client, prune=True)
    journal = tmp_path / "report.csv.journal"
    with pytest.raises(KeyboardInterrupt):
        vw.apply_sync(plan, client, journal=journal, log=After(3, interrupt))
    again = vw.plan_sync(desired(world), client, prune=True, batch_id=plan.batch_id)
    result = vw.apply_sync(again, client, journal=journal)
    done = result.to_dataframe()
    assert result.ok and len(done[done.action.isin(list(OPERATION_OF)) & (done.outcome == "ok")]) == 8
    result.to_csv(tmp_path / "report.csv")
    assert not journal.exists()
    assert vw.rollback_batch(tmp_path / "report.csv", client).ok
    assert table(world) == before


def test_pacing_options_out_of_range_are_refused_before_anything_is_sent(world, client):
    plan = vw.plan_sync(desired(world), client)
    seen = len(world.requests)
    with pytest.raises(vw.ValidationError) as refused:
        vw.apply_sync(plan, client, concurrency=0)
    assert refused.value.field == "concurrency" and len(world.requests) == seen
    with pytest.raises(TypeError):
        rollback_sync(vw.apply_sync(plan, client), client, speed=3)


def test_a_hand_edited_report_row_ends_as_an_error_and_the_rest_is_undone(world, client):
    frame = vw.apply_sync(vw.plan_sync(desired(world), client, prune=True), client).to_dataframe()
    broken = frame.index[(frame.action == "delete") & (frame.route_dest == NETS["extra"])][0]
    frame.loc[broken, "route_dest"] = "10.0.4.0/33"
    undo = rollback_sync(frame, client).to_dataframe()
    bad = undo[undo.route_dest == "10.0.4.0/33"]
    assert bad.outcome.tolist() == ["error"] and bad.error_code.tolist() == ["ValidationError"]
    assert set(undo.drop(index=bad.index).outcome) == {"ok"}


def test_a_step_sent_but_unanswered_by_a_killed_run_is_owned_by_the_next_report(world, client, tmp_path):
    """As if the run died between a call and its journal line: the re-plan finds the change made."""
    before = table(world)
    plan = vw.plan_sync(desired(world), client, prune=True)
    journal = tmp_path / "report.csv.journal"
    vw.apply_sync(plan, client, journal=journal)
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    lost = next(e["record"]["client_token"] for e in lines if e.get("event") == "done"
                and e["record"].get("action") == "withdraw")
    kept = [e for e in lines if e.get("event") != "end" and not (e.get("event") == "done"
                                                                 and e["record"].get("client_token") == lost)]
    journal.write_text("".join(json.dumps(e) + "\n" for e in kept))
    again = vw.plan_sync(desired(world), client, prune=True, batch_id=plan.batch_id)
    assert not again.changes()
    result = vw.apply_sync(again, client, journal=journal)
    frame = result.to_dataframe()
    withdraw = frame[frame.client_token == lost]
    assert withdraw.outcome.tolist() == ["ok"] and "answer was lost" in withdraw.state.iloc[0]
    assert result.ok and len(frame[frame.action.isin(list(OPERATION_OF))]) == 8
    assert rollback_sync(result, client).ok and table(world) == before
