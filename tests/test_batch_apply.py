"""Plan, apply, resume and roll back against the sandbox over real HTTP on 127.0.0.1."""

from __future__ import annotations

import threading
import time

import pandas as pd
import pytest

import vpnroute_widgets as vw
from vpnroute_widgets.batch import plan_batch
from vpnroute_widgets.log import ResponseLog
from vpnroute_widgets.log.records import COLUMNS

SANDBOX_OPTIONS = dict(seed=3, gateways=4, configuring_s=0.02)


@pytest.fixture
def client(sb):
    return vw.VpcClient(sb.credentials, endpoint=sb.endpoint, timeout=(1, 2))


def routes(sb, per_gateway: int, gateways: int = 4, weight: int = 0, start: int = 0) -> pd.DataFrame:
    rows = [{"RouteDest": f"10.{g}.{start + i}.0/24", "NextHop": gw["next_hops"][0],
             "VpnGatewayId": gw["vpn_gateway_id"], "Weight": weight, "PublishVpc": True}
            for g, gw in enumerate(sb.gateways[:gateways]) for i in range(per_gateway)]
    return pd.DataFrame(rows)


def on_gateways(sb) -> list[tuple]:
    return [(g["VpnGatewayId"], r["RouteDest"], r["NextHop"], int(r["Weight"]))
            for g in sb.state()["gateways"] for r in g["Routes"]]


def creates(sb) -> int:
    return sb.requests.count("CreateVpnRouteEntry")


def test_apply_gives_one_record_per_input_row(sb, client):
    frame = routes(sb, 5)
    frame.loc[len(frame)] = {"RouteDest": "10.9.0.1/24", "NextHop": sb.next_hop, "VpnGatewayId": sb.vpn_gateway_id,
                             "Weight": 0, "PublishVpc": True}                      # invalid (host bits)
    frame.loc[len(frame)] = frame.loc[0].to_dict()                               # duplicate of row 0
    app_log = ResponseLog()
    result = vw.apply_batch(frame, client, defaults={"RegionId": sb.region_id}, log=app_log)
    report = result.to_dataframe()
    assert list(report.columns) == list(COLUMNS)
    assert report["row"].tolist() == list(range(22))
    assert result.counts() == {"ok": 20, "skipped": 2}
    assert result.ok and not result.cancelled
    assert len(app_log) == 22 and set(report["batch_id"]) == {result.batch_id}
    ok = report[report["outcome"] == "ok"]
    assert (ok["attempts"] >= 1).all() and ok["request_id"].notna().all() and ok["client_token"].notna().all()
    skipped = report[report["outcome"] == "skipped"].set_index("row")
    assert skipped.loc[20, "error_code"] == "ValidationError" and "host bits" in skipped.loc[20, "error_message"]
    assert skipped.loc[21, "error_code"] == "Batch.Duplicate"
    assert len(on_gateways(sb)) == 20
    assert creates(sb) == sum(report["attempts"].fillna(0))  # every attempt is counted in the report


def test_plan_reads_the_gateways(sb, client):
    gw, (hop, hop2) = sb.vpn_gateway_id, sb.next_hops
    for dest, next_hop, weight in (("10.0.0.0/24", hop, 0), ("10.0.1.0/24", hop, 0), ("10.0.2.0/24", hop, 100),
                                   ("10.1.0.0/16", hop, 0)):
        client.create_vpn_route_entry(vw.RouteEntryRequest(sb.region_id, gw, dest, next_hop, weight, True))
        time.sleep(0.03)
    frame = pd.DataFrame([
        {"RouteDest": "10.0.0.0/24", "NextHop": hop, "Weight": 0},      # identical: exists
        {"RouteDest": "10.0.1.0/24", "NextHop": hop, "Weight": 100},    # same pair, other weight: conflict
        {"RouteDest": "10.0.2.0/24", "NextHop": hop2, "Weight": 100},   # second active route: conflict
        {"RouteDest": "10.0.2.0/24", "NextHop": hop2, "Weight": 0},     # standby next to the active one: ready
        {"RouteDest": "10.1.5.0/24", "NextHop": hop, "Weight": 0},      # inside 10.1.0.0/16: ready, info
    ])
    batch = plan_batch(frame, client, defaults={"RegionId": sb.region_id, "VpnGatewayId": gw, "PublishVpc": "true"})
    assert batch.plan["status"].tolist() == ["exists", "conflict", "conflict", "ready", "ready"]
    assert "Weight 0" in batch.plan.loc[1, "message"] and "active" in batch.plan.loc[2, "message"]
    assert "10.1.0.0/16 (on the gateway)" in batch.plan.loc[4, "info"]
    result = vw.apply_batch(batch, client)
    assert result.to_dataframe()["outcome"].tolist() == ["exists", "skipped", "skipped", "ok", "ok"]


def test_unknown_gateway_rows_are_invalid_with_the_reason(sb, client):
    frame = pd.DataFrame([{"RouteDest": "10.0.0.0/24", "NextHop": sb.next_hop, "Weight": 0, "PublishVpc": True,
                           "VpnGatewayId": "vpn-doesnotexist0"}])
    batch = plan_batch(frame, client, defaults={"RegionId": sb.region_id})
    assert batch.plan.loc[0, "status"] == "invalid" and batch.plan.loc[0, "field"] == "VpnGatewayId"
    assert "InvalidVpnGatewayInstanceId.NotFound" in batch.plan.loc[0, "message"]


def test_api_errors_end_the_row_with_code_and_remedy(sb, client):
    frame = pd.DataFrame(
        [{"RouteDest": f"10.5.{i}.0/24", "NextHop": sb.quota_next_hops[0], "VpnGatewayId": sb.quota_gateway_id}
         for i in range(4)]
        + [{"RouteDest": "10.6.0.0/24", "NextHop": sb.locked_next_hop, "VpnGatewayId": sb.locked_gateway_id}])
    result = vw.apply_batch(frame, client, defaults={"RegionId": sb.region_id, "Weight": 0, "PublishVpc": True})
    report = result.to_dataframe()
    assert report["outcome"].tolist() == ["ok", "ok", "ok", "error", "error"]
    assert report["error_code"].tolist()[3:] == ["Resource.QuotaFull", "VpnGateway.FinancialLocked"]
    assert report["remedy"].iloc[3].startswith("Delete routes")
    assert not result.ok


def test_rerun_after_a_crash_creates_nothing_twice(sb, client):
    frame = routes(sb, 6)
    offline = plan_batch(frame, None, defaults={"RegionId": sb.region_id})  # no gateway check: tokens only
    cancel = threading.Event()

    def stop_early(progress):
        if progress.ok >= 5:
            cancel.set()

    first = vw.apply_batch(offline, client, cancel=cancel, progress=stop_early)
    assert first.cancelled and first.counts()["cancelled"] > 0
    again = vw.apply_batch(plan_batch(frame, None, defaults={"RegionId": sb.region_id}), client)
    assert again.batch_id == first.batch_id
    assert again.counts() == {"ok": 24}  # the rows made before the "crash" are answered by their ClientToken
    made = on_gateways(sb)
    assert len(made) == len(set(made)) == 24
    third = vw.apply_batch(frame, client, defaults={"RegionId": sb.region_id})  # planned against the gateways
    before = creates(sb)
    assert third.counts() == {"exists": 24}
    assert creates(sb) == before


def test_cancel_takes_effect_fast_and_resume_finishes(sb, client, tmp_path):
    frame = routes(sb, 30, gateways=2)
    cancel = threading.Event()
    when = {}

    def cancel_soon(progress):
        if progress.ok >= 4 and not cancel.is_set():
            when["set"] = time.monotonic()
            cancel.set()

    first = vw.apply_batch(frame, client, defaults={"RegionId": sb.region_id}, cancel=cancel,
                           progress=cancel_soon)
    stopped = time.monotonic() - when["set"]
    assert stopped < 0.5
    counts = first.counts()
    assert counts["cancelled"] >= 40 and counts["ok"] + counts["cancelled"] == 60
    report = tmp_path / "report.csv"
    first.to_csv(report)
    resumed = vw.resume_batch(report, client)
    assert resumed.counts() == {"ok": 60}
    assert resumed.to_dataframe()["row"].tolist() == list(range(60))
    assert len(on_gateways(sb)) == 60


def test_rollback_from_result_and_from_csv_is_safe_to_repeat(sb, client, tmp_path):
    gw, hop = sb.vpn_gateway_id, sb.next_hop
    client.create_vpn_route_entry(vw.RouteEntryRequest(sb.region_id, gw, "10.0.0.0/24", hop, 0, True))
    time.sleep(0.03)
    frame = routes(sb, 4, gateways=2)  # its first row already exists: rollback must leave it alone
    result = vw.apply_batch(frame, client, defaults={"RegionId": sb.region_id})
    assert result.counts() == {"ok": 7, "exists": 1}
    path = tmp_path / "report.csv"
    result.to_csv(path)
    gone = result.to_dataframe().iloc[1]  # someone deletes one of the batch's routes by hand first
    time.sleep(0.03)
    client.delete_vpn_route_entry(sb.region_id, gone["vpn_gateway_id"], gone["route_dest"], gone["next_hop"], 0)
    undo = vw.rollback_batch(path, client)
    assert undo.counts() == {"ok": 7, "skipped": 1}
    assert on_gateways(sb) == [(gw, "10.0.0.0/24", hop, 0)]
    frame_undo = undo.to_dataframe()
    assert set(frame_undo["operation"]) == {"DeleteVpnRouteEntry"}
    assert frame_undo["state"].fillna("").tolist()[:3] == ["", "already deleted", "deleted"]
    assert "not created by this batch" in frame_undo["error_message"].iloc[0]
    deletes = sb.requests.count("DeleteVpnRouteEntry")
    again = vw.rollback_batch(result, client)  # same delete ClientTokens: answered, nothing deleted twice
    assert again.counts() == {"ok": 7, "skipped": 1}
    assert sb.requests.count("DeleteVpnRouteEntry") == deletes + 7


def test_unknown_outcome_is_retried_with_the_same_token(sb, client):
    sb.faults.add("commit_then_drop", action="CreateVpnRouteEntry", times=3)
    sb.faults.add("malformed", action="CreateVpnRouteEntry", times=1)
    result = vw.apply_batch(routes(sb, 3, gateways=2), client, defaults={"RegionId": sb.region_id})
    report = result.to_dataframe()
    assert result.counts() == {"ok": 6}
    assert report["attempts"].max() >= 2
    assert len(on_gateways(sb)) == len(set(on_gateways(sb))) == 6


def test_throttling_slows_down_instead_of_failing():
    with vw.Sandbox(seed=4, gateways=2, configuring_s=0.0, rate=20) as sb:
        client = vw.VpcClient(sb.credentials, endpoint=sb.endpoint, timeout=(1, 2))
        result = vw.apply_batch(routes(sb, 15, gateways=2), client, defaults={"RegionId": sb.region_id}, rate=60)
        assert result.counts() == {"ok": 30}


def test_report_round_trips_and_resume_of_a_clean_report_sends_nothing(sb, client, tmp_path):
    result = vw.apply_batch(routes(sb, 2, gateways=1), client, defaults={"RegionId": sb.region_id})
    path = tmp_path / "r.csv"
    result.to_csv(path)
    back = ResponseLog.from_csv(path).to_dataframe()
    assert back["client_token"].tolist() == result.to_dataframe()["client_token"].tolist()
    before = creates(sb)
    assert vw.resume_batch(path, client).counts() == {"ok": 2}
    assert creates(sb) == before


def test_default_rate_is_the_quota_for_the_cloud_and_fast_for_the_sandbox(sb, client):
    from vpnroute_widgets.batch.apply import DEFAULT_RATE, SANDBOX_RATE, default_rate

    assert default_rate(client) == SANDBOX_RATE
    assert default_rate(vw.VpcClient(sb.credentials)) == DEFAULT_RATE == 1.0


def test_rollback_and_resume_from_a_shared_log_holding_several_things(sb, client):
    app_log = ResponseLog()
    logging_client = client.clone(log=app_log)
    logging_client.create_vpn_route_entry(vw.RouteEntryRequest(sb.region_id, sb.gateways[3]["vpn_gateway_id"],
                                                               "10.50.0.0/24", sb.gateways[3]["next_hops"][0], 0,
                                                               True))  # a single route from the form
    first = vw.apply_batch(routes(sb, 2, gateways=2), client, defaults={"RegionId": sb.region_id}, log=app_log)
    second = vw.apply_batch(routes(sb, 2, gateways=2, start=10), client, defaults={"RegionId": sb.region_id},
                            log=app_log)
    with pytest.raises(vw.ValidationError, match="several batches"):
        vw.rollback_batch(app_log, client)
    undo = vw.rollback_batch(app_log, client, batch_id=first.batch_id, log=app_log)
    assert undo.counts() == {"ok": 4}
    again = vw.rollback_batch(app_log, client, batch_id=first.batch_id)  # the log now holds its deletes too
    assert again.counts() == {"ok": 4} and len(again.log) == 4
    assert vw.resume_batch(app_log, client, batch_id=second.batch_id).counts() == {"ok": 4}
    assert len(on_gateways(sb)) == 5


def test_batch_rows_also_reach_the_clients_own_log(sb):
    log = ResponseLog()
    client = vw.VpcClient(sb.credentials, endpoint=sb.endpoint, timeout=(1, 2), log=log)
    result = vw.apply_batch(routes(sb, 2, gateways=1), client, defaults={"RegionId": sb.region_id})
    assert len(log) == 2 and [r["outcome"] for r in log.records()] == ["ok", "ok"]
    assert {r["batch_id"] for r in log.records()} == {result.batch_id}


def test_each_record_is_stamped_when_its_call_ended_so_a_timeline_shows_the_pacing(sb):
    client = vw.VpcClient(sb.credentials, endpoint=sb.endpoint)
    sb.configuring_s = 0.05
    rows = [{"RegionId": sb.region_id, "VpnGatewayId": sb.vpn_gateway_id, "RouteDest": f"10.6.{i}.0/24",
             "NextHop": sb.next_hop, "Weight": 0, "PublishVpc": "true"} for i in range(4)]
    result = vw.apply_batch(pd.DataFrame(rows), client)
    stamps = list(result.to_dataframe()["timestamp"])
    assert result.counts() == {"ok": 4}
    assert stamps == sorted(stamps) and len(set(stamps)) == 4  # one gateway: one change after another
    assert (stamps[-1] - stamps[0]).total_seconds() >= 3 * 0.05  # the gateway's busy time lies between them
