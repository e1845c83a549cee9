"""The Batch tab's sync mode: plan the diff (tinted by kind), prune asks first naming deletes and gateways,
a new or failed upload and a change of mode disarm the plan, apply syncs, roll back undoes it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

import vpnroute_widgets as vw
from vpnroute_widgets.widgets.sync_mode import ADD, SYNC, BatchTab

WRITES = ("CreateVpnRouteEntry", "DeleteVpnRouteEntry", "ModifyVpnRouteEntryWeight", "PublishVpnRouteEntry")
SANDBOX_OPTIONS = {"seed": 0, "configuring_s": 0.01, "routes_per_gateway": 6}


@pytest.fixture
def tab(sb, tmp_path):
    log = vw.ResponseLog()
    connection = vw.ConnectionPanel(log=log, sandbox=sb, home=tmp_path)
    widget = BatchTab(connection, log, reports_dir=tmp_path / "reports")
    widget.mode.value = SYNC
    yield widget
    widget.close()
    connection.close()


def writes(sb) -> int:
    return sum(sb.requests.count(action) for action in WRITES)


def text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def live(sb) -> dict[tuple[str, str], dict]:
    gateway = next(g for g in sb.state()["gateways"] if g["VpnGatewayId"] == sb.vpn_gateway_id)
    return {(r["RouteDest"], r["NextHop"]): r for r in gateway["Routes"]}


@pytest.fixture
def desired(sb):
    """The gateway's custom routes minus the first one, one route withdrawn, one new route."""
    client = vw.VpcClient(sb.credentials, endpoint=sb.endpoint, region_id=sb.region_id)
    frame = vw.export_routes(client, sb.region_id, [sb.vpn_gateway_id])
    frame = frame[frame["RouteEntryType"] == "custom"].iloc[1:].reset_index(drop=True)
    published = frame.index[frame["PublishVpc"] == True][0]  # noqa: E712
    frame.loc[published, "PublishVpc"] = False
    new = frame.iloc[[0]].copy()
    new["RouteDest"], new["Weight"], new["PublishVpc"] = "10.99.0.0/24", 100, True
    import pandas as pd

    return pd.concat([frame, new], ignore_index=True), frame.loc[published, ["RouteDest", "NextHop"]].tolist()


def upload(tab, data: bytes) -> None:
    tab.upload.value = ({"name": "routes.csv", "type": "text/csv", "size": len(data), "content": memoryview(data),
                         "last_modified": datetime.now(UTC)},)


def test_the_tab_offers_both_modes_and_prune_only_for_sync(tab):
    assert [label for label, _v in tab.mode.options] == ["Add these routes", "Make the gateway match this file"]
    assert tab.prune.layout.display == ""
    tab.mode.value = ADD
    assert tab.prune.layout.display == "none" and tab.mode_help.value == ""


def test_sync_plan_shows_the_diff_tinted_by_kind_and_sends_nothing(tab, sb, desired):
    frame, _withdrawn = desired
    tab.set_source(frame)
    tab.wait()
    assert tab.sync_plan is not None and tab.batch is None and writes(sb) == 0
    shown = tab.table.frame
    assert set(shown["action"]) >= {"create", "withdraw", "extra", "none"}
    assert tab.table.status_column == "change"
    assert dict(zip(shown["action"], shown["change"], strict=True))["create"] == "create"
    assert dict(zip(shown["action"], shown["change"], strict=True))["withdraw"] == "update"
    assert "create 1" in text(tab.counts.value) and "extra 1" in text(tab.counts.value)
    assert not tab.apply_button.disabled


def test_sync_without_prune_applies_at_once_and_rollback_undoes_it(tab, sb, desired):
    frame, withdrawn = desired
    before = {k: (r["Weight"], r["State"]) for k, r in live(sb).items()}
    tab.set_source(frame)
    tab.wait()
    tab.apply_button.click()
    tab.wait()
    state = live(sb)
    assert ("10.99.0.0/24", frame["NextHop"][0]) in state and state[tuple(withdrawn)]["State"] == "normal"
    assert len(state) == len(before) + 1  # nothing deleted without prune
    assert text(tab.status.value).startswith("Sync finished: ") and "Roll back undoes" in text(tab.status.value)
    assert tab.sync_plan is None and tab.apply_button.disabled  # spent
    tab.rollback_button.click()
    assert tab.confirm_button.description.startswith("Confirm: undo 2 changes on " + sb.vpn_gateway_id)
    assert "(delete 1 routes)" in tab.confirm_button.description
    tab.confirm_button.click()
    tab.wait()
    assert {k: (r["Weight"], r["State"]) for k, r in live(sb).items()} == before


def test_prune_asks_first_naming_deletes_and_gateways(tab, sb, desired):
    frame, _withdrawn = desired
    tab.prune.value = True
    tab.set_source(frame)
    tab.wait()
    before = writes(sb)
    tab.apply_button.click()
    tab.wait()
    assert writes(sb) == before and tab.sync_confirm_box.layout.display == ""
    assert tab.sync_confirm.description == f"Confirm: delete 1 route on {sb.vpn_gateway_id}"
    tab.sync_keep.click()
    assert writes(sb) == before and text(tab.status.value) == "Sync cancelled: nothing was sent."
    tab.apply_button.click()
    tab.sync_confirm.click()
    tab.wait()
    assert writes(sb) > before
    assert set(live(sb)) == {(d, h) for d, h in zip(frame["RouteDest"], frame["NextHop"], strict=True)}


def test_a_failed_upload_and_a_mode_change_disarm_the_plan(tab, sb, desired):
    frame, _withdrawn = desired
    tab.set_source(frame)
    tab.wait()
    assert tab._armed()
    upload(tab, b"\xff\xfe not a csv \x00")
    tab.wait()
    assert tab.sync_plan is None and tab.apply_button.disabled
    tab.apply_button.click()  # click() runs on a disabled button too
    tab.wait()
    assert writes(sb) == 0
    tab.set_source(frame)
    tab.wait()
    assert tab.sync_plan is not None
    tab.prune.value = True  # re-planned with prune: the old plan is gone at once
    assert tab.sync_plan is None or tab.sync_plan.prune
    tab.wait()
    assert tab.sync_plan.prune
    tab.mode.value = ADD
    tab.wait()
    assert tab.sync_plan is None and tab.batch is not None  # planned as a batch now


def test_add_mode_is_the_batch_of_before(tab, sb):
    tab.mode.value = ADD
    hop = sb.next_hops[0]
    data = f"RouteDest,NextHop,VpnGatewayId,Weight,PublishVpc\n10.77.0.0/24,{hop},{sb.vpn_gateway_id},100,true\n"
    tab.set_source(data.encode())
    tab.wait()
    tab.apply_button.click()
    tab.wait()
    assert ("10.77.0.0/24", hop) in live(sb) and tab.result.operation == "apply"
