"""The Routes tab (RouteTable) and its rules (route_actions): nothing is sent before a confirmation that
names the count and the gateway; each action changes the sandbox as it says; BGP routes are never sent."""

from __future__ import annotations

import base64
import re

import ipywidgets
import pytest

import vpnroute_widgets as vw
from vpnroute_widgets.widgets.common import iter_widgets
from vpnroute_widgets.widgets.route_actions import (
    BGP_REASON,
    PAIR_REASON,
    Route,
    plan_action,
)
from vpnroute_widgets.widgets.routes import ROUTE_COLUMNS, RouteTable

WRITES = ("CreateVpnRouteEntry", "DeleteVpnRouteEntry", "ModifyVpnRouteEntryWeight", "PublishVpnRouteEntry")
SANDBOX_OPTIONS = {"seed": 0, "configuring_s": 0.02, "routes_per_gateway": 8}


@pytest.fixture
def tab(sb, tmp_path):
    log = vw.ResponseLog()
    connection = vw.ConnectionPanel(log=log, sandbox=sb, home=tmp_path)
    widget = RouteTable(connection, log, poll=0.02)
    widget.refresh()
    widget.wait()
    yield widget
    widget.close()
    connection.close()


def writes(sb) -> int:
    return sum(sb.requests.count(action) for action in WRITES)


def live(sb, gateway_id: str) -> dict[tuple[str, str], dict]:
    gateway = next(g for g in sb.state()["gateways"] if g["VpnGatewayId"] == gateway_id)
    return {(r["RouteDest"], r["NextHop"]): r for r in gateway["Routes"]}


def rows(tab, **match) -> list[int]:
    frame = tab.table.frame
    return [i for i, row in enumerate(frame.to_dict("records")) if all(row[k] == v for k, v in match.items())]


def text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_refresh_shows_every_route_with_names_roles_and_utc_times(tab, sb):
    assert tab.gateway.value == sb.vpn_gateway_id
    assert ("demo-gateway-1 (" + sb.vpn_gateway_id + ")", sb.vpn_gateway_id) in tab.gateway.options
    frame = tab.table.frame
    assert tuple(frame.columns) == ROUTE_COLUMNS
    state = live(sb, sb.vpn_gateway_id)
    assert len(frame) == len(state) + 2  # custom routes and the two BGP-learned ones
    assert set(frame["RouteEntryType"]) == {"custom", "bgp"} and set(frame["Role"]) == {"active", "standby"}
    assert set(frame["Published"]) == {"yes", "no"}
    assert all(c.startswith("demo-gateway-1-ipsec-") for c in frame["Connection"])
    assert all(t.endswith(" UTC") for t in frame["CreateTime (UTC)"])
    assert tab.table.column_classes("RouteDest") == ["vw-nowrap"]
    assert "vw-nowrap" in tab.table.column_classes("NextHop")
    assert tab.table.column_classes("Description") == ["vw-nowrap"]  # every row one line high
    assert f"{len(frame)} routes on {sb.vpn_gateway_id}" in text(tab.status.value)
    assert writes(sb) == 0 and "<svg" in tab.picture.value


def test_nothing_is_sent_before_confirm_and_cancel_sends_nothing(tab, sb):
    before = writes(sb)
    tab.select(rows(tab, RouteEntryType="custom")[:3])
    tab.delete_button.click()
    assert tab.confirm_button.description == f"Confirm: delete 3 routes on {sb.vpn_gateway_id}"
    assert tab.confirm_box.layout.display == "" and "DeleteVpnRouteEntry" in tab.preview.value
    assert "white-space:pre;" in tab.preview.value  # a call is one line: no id or CIDR broken in two
    assert f"each call with RegionId={sb.region_id} VpnGatewayId={sb.vpn_gateway_id}" in text(tab.preview.value)
    assert "Secret" not in tab.preview.value and sb.credentials.access_key_id not in tab.preview.value
    tab.cancel_button.click()
    assert tab.plan is None and tab.confirm_box.layout.display == "none"
    assert text(tab.status.value) == "Cancelled: nothing was sent."
    tab.confirm_button.click()  # click() runs on a hidden button too: still nothing
    tab.wait()
    assert writes(sb) == before and "Choose an action first" in text(tab.status.value)


def test_switch_active_swaps_the_pair_after_confirmation_and_logs_each_step(tab, sb):
    frame = tab.table.frame
    dest = frame["RouteDest"][frame["RouteDest"].duplicated()].iloc[0]
    standby = rows(tab, RouteDest=dest, Role="standby")[0]
    to_hop = frame["NextHop"][standby]
    tab.select([standby])
    tab.switch_button.click()
    assert writes(sb) == 0
    assert tab.confirm_button.description == f"Confirm: switch active/standby of 1 destination on {sb.vpn_gateway_id}"
    calls = text(tab.preview.value)
    assert calls.index("DeleteVpnRouteEntry") < calls.index("ModifyVpnRouteEntryWeight") < \
        calls.index("CreateVpnRouteEntry")
    tab.confirm_button.click()
    tab.wait()
    weights = {hop: r["Weight"] for (d, hop), r in live(sb, sb.vpn_gateway_id).items() if d == dest}
    assert weights[to_hop] == 100 and sorted(weights.values()) == [0, 100]
    assert text(tab.status.value).startswith(f"Switched 1 of 1 destination on {sb.vpn_gateway_id}")
    assert tab.table.frame["Role"][rows(tab, RouteDest=dest, NextHop=to_hop)[0]] == "active"  # refreshed
    operations = [r["operation"] for r in tab.response_log.records() if (r.get("batch_id") or "").startswith("routes-")]
    assert {"DeleteVpnRouteEntry", "ModifyVpnRouteEntryWeight", "CreateVpnRouteEntry"} <= set(operations)


def test_withdraw_and_publish_change_the_state_and_skip_bgp(tab, sb):
    chosen = rows(tab, Published="yes", RouteEntryType="custom")[:2] + rows(tab, RouteEntryType="bgp")[:1]
    hops = [(tab.table.frame["RouteDest"][i], tab.table.frame["NextHop"][i]) for i in chosen[:2]]
    tab.select(chosen)
    tab.withdraw_button.click()
    assert tab.confirm_button.description == f"Confirm: withdraw 2 routes on {sb.vpn_gateway_id}"
    assert "BGP-learned" in text(tab.status.value)
    tab.confirm_button.click()
    tab.wait()
    state = live(sb, sb.vpn_gateway_id)
    assert all(state[key]["State"] == "normal" for key in hops)
    assert text(tab.status.value).startswith(f"Withdrew 2 of 2 routes on {sb.vpn_gateway_id}, skipped 1")
    tab.select([rows(tab, RouteDest=d, NextHop=h)[0] for d, h in hops])
    tab.publish_button.click()
    tab.confirm_button.click()
    tab.wait()
    assert all(live(sb, sb.vpn_gateway_id)[key]["State"] == "published" for key in hops)


def test_weight_change_on_a_pair_explains_the_rule_and_offers_switch(tab, sb):
    frame = tab.table.frame
    dest = frame["RouteDest"][frame["RouteDest"].duplicated()].iloc[0]
    tab.select(rows(tab, RouteDest=dest, Role="active"))
    tab.new_weight.value = 0
    tab.weight_button.click()
    assert tab.plan is None and "API refuses a weight change" in text(tab.status.value)
    assert tab.switch_instead.layout.display == ""
    tab.switch_instead.click()
    assert tab.plan is not None and tab.plan.action == "switch" and writes(sb) == 0


def test_weight_change_on_a_single_route_and_delete(tab, sb):
    frame = tab.table.frame
    single = [i for i in rows(tab, RouteEntryType="custom", Role="active")
              if (frame["RouteDest"] == frame["RouteDest"][i]).sum() == 1][0]
    key = (frame["RouteDest"][single], frame["NextHop"][single])
    tab.select([single])
    tab.new_weight.value = 0
    tab.weight_button.click()
    assert tab.confirm_button.description == f"Confirm: change the weight of 1 route to 0 on {sb.vpn_gateway_id}"
    tab.confirm_button.click()
    tab.wait()
    assert live(sb, sb.vpn_gateway_id)[key]["Weight"] == 0
    tab.select(rows(tab, RouteDest=key[0], NextHop=key[1]))
    tab.delete_button.click()
    tab.confirm_button.click()
    tab.wait()
    assert key not in live(sb, sb.vpn_gateway_id)
    assert text(tab.status.value).startswith(f"Deleted 1 of 1 route on {sb.vpn_gateway_id}")


def test_export_offers_a_formula_safe_csv_beside_the_button(tab, sb):
    csv_text = tab.export()
    assert csv_text.splitlines()[0].startswith("RegionId,VpnGatewayId,RouteDest,NextHop,Weight,PublishVpc")
    assert len(csv_text.splitlines()) == len(tab.table.frame) + 1
    link = tab.download.value
    assert 'download="routes-' in link
    data = re.search(r"base64,([A-Za-z0-9+/=]+)", link).group(1)
    assert base64.b64decode(data).decode() == csv_text


def test_a_failed_action_says_what_happened_in_words_and_the_table_is_read_again(tab, sb):
    chosen = rows(tab, RouteEntryType="custom")[:2]
    tab.select(chosen)
    tab.delete_button.click()
    sb.faults.add(kind="error", code="OperationDenied.VpnGatewayLocked", status=400, action="DeleteVpnRouteEntry",
                  times=1)
    tab.confirm_button.click()
    tab.wait()
    words = text(tab.status.value)
    assert words.startswith(f"Errors: Deleted 1 of 2 routes on {sb.vpn_gateway_id}, errors 1 (")
    assert "OperationDenied.VpnGatewayLocked" in words and "routes on" in words.split(".")[-2] + "."
    assert len(tab.table.frame) == len(live(sb, sb.vpn_gateway_id)) + 2  # read again after the action


def test_plan_rules_as_functions():
    a = Route("10.0.0.0/24", "vco-a", 100, True)
    b = Route("10.0.0.0/24", "vco-b", 0, False)
    c = Route("10.1.0.0/24", "vco-a", 100, True)
    g = Route("172.16.0.0/24", "vco-a", 0, True, "bgp")
    table = [a, b, c, g]
    plan = plan_action("weight", [a, c, g], table, region_id="cn-hangzhou", vpn_gateway_id="vpn-x", new_weight=0)
    assert plan.targets == [c] and plan.switch_instead
    assert {reason for _r, reason in plan.skipped} == {PAIR_REASON, BGP_REASON}
    switch = plan_action("switch", [a, b], table, region_id="cn-hangzhou", vpn_gateway_id="vpn-x")
    assert switch.targets == [b] and [op for op, _p in switch.calls] == [
        "DeleteVpnRouteEntry", "ModifyVpnRouteEntryWeight", "CreateVpnRouteEntry"]
    assert switch.calls[2][1]["PublishVpc"] is False  # the recreated route keeps the standby's publishing
    assert switch.call_lines()[2] == ("3. CreateVpnRouteEntry  RegionId=cn-hangzhou VpnGatewayId=vpn-x "
                                      "RouteDest=10.0.0.0/24 NextHop=vco-b Weight=100 PublishVpc=false")
    assert switch.call_lines(shared=False)[0] == "1. DeleteVpnRouteEntry  RouteDest=10.0.0.0/24 NextHop=vco-b Weight=0"
    none = plan_action("switch", [c], table, region_id="cn-hangzhou", vpn_gateway_id="vpn-x")
    assert not none.targets and "no active/standby pair" in none.skipped_text()


def test_a_hostile_name_is_escaped(sb, tmp_path):
    tab = RouteTable(vw.VpcClient(sb.credentials, endpoint=sb.endpoint, region_id=sb.region_id))
    try:
        tab.refresh()
        tab.wait()
        tab.names = {}
        from vpnroute_widgets.widgets.route_picture import route_picture

        html = route_picture(tab.frame, connections={sb.next_hop: "<script>alert(1)</script>"}).html
        assert "<script>" not in html and "&lt;script&gt;" in html
    finally:
        tab.close()


def test_the_app_has_a_routes_tab_that_reads_when_first_shown(sb, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    app = vw.app(connection=vw.ConnectionPanel(sandbox=sb, home=tmp_path))
    try:
        assert app.titles[3] == "Routes" and app.children[3] is app.routes and isinstance(app.routes, RouteTable)
        assert sb.requests.count("DescribeVpnGateways") == 0  # nothing read before the tab is shown
        app.selected_index = 3
        app.routes.wait()
        assert app.routes.loaded and app.routes.gateway.value == sb.vpn_gateway_id
        assert len(app.routes.table.frame) > 0 and "<svg" in app.routes.picture.value
        labels = [w.description for w in iter_widgets(app) if isinstance(w, ipywidgets.Button)]
        for label in ("Cancel", "Keep the routes", "Send nothing", "Keep the gateway as is", "Stop"):
            assert labels.count(label) == 1, label  # a label names one button in the whole app (and for locators)
        app.connection.reset_sandbox.click()  # a connection change: the table waits for Refresh
        assert not app.routes.loaded and "press Refresh" in app.routes.status.value
    finally:
        app.close()


def test_a_failed_read_drops_the_old_table_so_nothing_acts_on_it(tab, sb):
    tab.select([0])
    tab.delete_button.click()
    assert tab.plan is not None
    sb.faults.add(kind="error", code="ServiceUnavailable", status=503, action="DescribeVpnRouteEntries", times=10)
    tab.refresh()
    tab.wait()
    assert tab.plan is None and tab.routes == [] and not tab.loaded and tab.picture.value == ""
    assert "Could not read the route table" in text(tab.status.value)
    assert "could not be read" in text(tab.table.empty.value) and tab.delete_button.disabled
    tab.confirm_button.click()
    tab.wait()
    assert writes(sb) == 0
