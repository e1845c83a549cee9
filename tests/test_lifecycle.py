"""switch_active against the sandbox: the documented order, the checks before sending, and a fault at each step.

The sandbox emulates the documented pair rule (a weight change is refused while the destination
has another route) and the ``updating`` window after each write; the client and the sandbox share
a fake clock that only ``sleep`` moves, so the waits between steps cost no time.
"""

from __future__ import annotations

import time

import pytest
from fakes import FakeClock

import vpnroute_widgets as vw
from vpnroute_widgets.operations import DESCRIBE

STYLES = [("JSON", "v3"), ("JSON", "v1"), ("XML", "v1")]
DEST = "10.20.0.0/24"
WRITES = ("DeleteVpnRouteEntry", "ModifyVpnRouteEntryWeight", "CreateVpnRouteEntry", "PublishVpnRouteEntry")



CLOCK = FakeClock(start=None)  # real epoch time, moved only by sleeps
SANDBOX_OPTIONS = {"seed": 0, "configuring_s": 0, "clock": CLOCK.time}


@pytest.fixture(autouse=True)
def _fresh_clock():
    CLOCK.now = time.time()


def client_for(sb, style=("JSON", "v3"), **kwargs) -> vw.VpcClient:
    fmt, version = style
    kwargs.setdefault("max_attempts", 1)
    return vw.VpcClient(sb.credentials, endpoint=sb.endpoint, format=fmt, signature_version=version,
                        sleep=CLOCK.sleep, clock=CLOCK.time, timeout=(2, 5), log=vw.ResponseLog(), **kwargs)


def seed_route(sb, hop, weight, *, publish=True, description=None, dest=DEST):
    params = {"RegionId": sb.region_id, "VpnGatewayId": sb.vpn_gateway_id, "RouteDest": dest, "NextHop": hop,
              "Weight": str(weight), "PublishVpc": "true" if publish else "false"}
    if description:
        params["Description"] = description
    sb.backend.handle(sb.world.key_for("owner"), "CreateVpnRouteEntry", params)  # configuring_s is 0 here


def make_pair(sb):
    """DEST active via next_hops[0] (published), standby via next_hops[1] (not published, described)."""
    old, new = sb.next_hops[0], sb.next_hops[1]
    seed_route(sb, old, 100)
    seed_route(sb, new, 0, publish=False, description="standby via dc2")
    return old, new


def routes_now(sb) -> dict[str, tuple]:
    (gateway,) = [g for g in sb.state()["gateways"] if g["VpnGatewayId"] == sb.vpn_gateway_id]
    return {r["NextHop"]: (r["Weight"], r["State"], r.get("Description")) for r in gateway["Routes"]
            if r["RouteDest"] == DEST and r["RouteEntryType"] == "custom"}


def writes(sb) -> list[tuple]:
    return [(r["action"], r["params"]["NextHop"], r["params"].get("Weight"), r["params"].get("NewWeight"))
            for r in sb.requests if r["action"] in WRITES]


def steps_in_log(client) -> list[tuple[int, str]]:
    """(row, operation) of the log, consecutive repeats (the polls of one wait) folded."""
    seen: list[tuple[int, str]] = []
    for record in client.log.records():
        key = (record["row"], record["operation"])
        if not seen or seen[-1] != key:
            seen.append(key)
    return seen


DONE_ORDER = [(0, DESCRIBE), (1, "DescribeVpnGateway"), (2, "DeleteVpnRouteEntry"), (3, "DescribeVpnGateway"),
              (4, "ModifyVpnRouteEntryWeight"), (5, "DescribeVpnGateway"), (6, "CreateVpnRouteEntry"),
              (7, "DescribeVpnGateway")]


@pytest.mark.parametrize("style", STYLES, ids=[f"{f}-{v}" for f, v in STYLES])
def test_switch_follows_the_documented_order(sb, style):
    old, new = make_pair(sb)
    sb.configuring_s = 5  # every write opens a 5 s update window: each wait polls more than once
    client = client_for(sb, style)
    result = vw.switch_active(client, sb.region_id, sb.vpn_gateway_id, DEST, new)
    assert result.changed and (result.from_next_hop, result.to_next_hop) == (old, new)
    assert routes_now(sb) == {old: (0, "published", None), new: (100, "normal", "standby via dc2")}
    assert writes(sb) == [("DeleteVpnRouteEntry", new, "0", None), ("ModifyVpnRouteEntryWeight", old, "100", "0"),
                          ("CreateVpnRouteEntry", new, "100", None)]
    assert all(r["code"] is None for r in sb.requests)  # no write met an updating gateway or the pair rule
    assert steps_in_log(client) == DONE_ORDER
    assert {r["batch_id"] for r in client.log.records()} == {result.switch_id}
    assert len(sb.requests) == len(client.log.records()) > len(DONE_ORDER)  # the waits polled
    assert [s.number for s in result.steps] == list(range(8)) and all(s.outcome == "ok" for s in result.steps)
    assert all(s.request_id for s in result.steps if s.action in WRITES)
    assert new in str(result) and "weight 100" in str(result)


def test_switch_back_and_forth(sb):
    old, new = make_pair(sb)
    client = client_for(sb)
    vw.switch_active(client, sb.region_id, sb.vpn_gateway_id, DEST, new, switch_id="switch-there")
    vw.switch_active(client, sb.region_id, sb.vpn_gateway_id, DEST, old, switch_id="switch-back")
    assert routes_now(sb) == {old: (100, "published", None), new: (0, "normal", "standby via dc2")}
    assert {r["batch_id"] for r in client.log.records()} == {"switch-there", "switch-back"}


def test_switching_to_the_active_hop_sends_nothing(sb):
    old, _ = make_pair(sb)
    client = client_for(sb)
    result = vw.switch_active(client, sb.region_id, sb.vpn_gateway_id, DEST, old)
    assert not result.changed and "already carries" in result.message and "nothing was sent" in result.message
    assert [r["action"] for r in sb.requests] == [DESCRIBE] and writes(sb) == []


@pytest.mark.parametrize("layout", ["active only", "standby only", "both standby", "none"])
def test_a_destination_that_is_not_a_pair_is_refused_before_sending(sb, layout):
    old, new = sb.next_hops[0], sb.next_hops[1]
    if layout == "active only":
        seed_route(sb, old, 100)
    elif layout == "standby only":
        seed_route(sb, new, 0)
    elif layout == "both standby":
        seed_route(sb, old, 0)
        seed_route(sb, new, 0)
    with pytest.raises(vw.SwitchError) as caught:
        vw.switch_active(client_for(sb), sb.region_id, sb.vpn_gateway_id, DEST, new)
    err = caught.value
    assert str(err).startswith("Nothing was sent") and err.failed_step is None and err.steps_done[0].number == 0
    assert "active/standby pair" in err.finish[0] and err.undo == ("nothing to undo",)
    assert writes(sb) == []


def test_bad_input_is_refused_before_anything_is_read(sb):
    with pytest.raises(vw.ValidationError):
        vw.switch_active(client_for(sb), sb.region_id, sb.vpn_gateway_id, "10.20.0.1/24", sb.next_hops[1])
    assert sb.requests == []


# --- a fault at each step ---------------------------------------------------------------------

#: step -> (action to fail, which request of that action, the routes left as {hop index: weight})
FAULTS = {
    0: (DESCRIBE, 1, {0: 100, 1: 0}),
    1: ("DescribeVpnGateway", 1, {0: 100, 1: 0}),
    2: ("DeleteVpnRouteEntry", 1, {0: 100, 1: 0}),
    3: ("DescribeVpnGateway", 2, {0: 100}),
    4: ("ModifyVpnRouteEntryWeight", 1, {0: 100}),
    5: ("DescribeVpnGateway", 3, {0: 0}),
    6: ("CreateVpnRouteEntry", 1, {0: 0}),
    7: ("DescribeVpnGateway", 4, {0: 0, 1: 100}),
}


@pytest.mark.parametrize("step", list(FAULTS))
def test_a_fault_at_each_step_gives_an_account(sb, step):
    action, nth, left = FAULTS[step]
    hops = make_pair(sb)
    sb.faults.add(kind="error", code="InternalError", status=500, action=action, nth=nth)
    client = client_for(sb)
    with pytest.raises(vw.SwitchError) as caught:
        vw.switch_active(client, sb.region_id, sb.vpn_gateway_id, DEST, hops[1])
    err = caught.value
    assert err.failed_step.number == step and err.failed_step.action == action
    assert [s.number for s in err.steps_done] == list(range(step))
    assert isinstance(err.error, vw.ApiError) and err.error.code == "InternalError"
    assert isinstance(err.__cause__, vw.ApiError)
    expected = {hops[i]: weight for i, weight in left.items()}
    assert {hop: weight for hop, (weight, _, _) in routes_now(sb).items()} == expected  # the sandbox's truth
    if step == 0:
        assert err.routes is None and err.finish == ("nothing was sent: run vw.switch_active again",)
    else:
        assert {r.next_hop: r.weight for r in err.routes} == expected  # the account read it back
    if step in (1, 2):
        assert err.finish[0].startswith("nothing changed") and err.undo == ("nothing to undo",)
    if step == 7:
        assert err.finish[0].startswith("nothing: the switch is complete") and "switch back" in err.undo[0]
    text = str(err)
    for part in (f"step {step}" if step else "Nothing was sent", "Steps done:", "Routes of the destination now:",
                 "To finish:", "To undo:", err.switch_id):
        assert part in text
    assert {r["batch_id"] for r in client.log.records()} == {err.switch_id}
    assert vw.error_info(err.code).remedy.startswith("Read the error's account")


def test_the_advice_of_each_half_way_state(sb):
    old, new = make_pair(sb)
    client = client_for(sb)
    sb.faults.add(kind="error", code="InternalError", status=500, action="ModifyVpnRouteEntryWeight", nth=1)
    with pytest.raises(vw.SwitchError) as caught:
        vw.switch_active(client, sb.region_id, sb.vpn_gateway_id, DEST, new)
    finish, undo = caught.value.finish, caught.value.undo
    assert finish[0].startswith(f"traffic still goes via {old}; the standby route via {new} was deleted")
    assert "wait_for_gateway" in finish[1] and finish[2].endswith(f"{old!r}, 100, 0)")
    assert finish[3].endswith(f"{new!r}, weight=100, publish_vpc=False, description='standby via dc2'))")
    assert undo[1].endswith(f"{new!r}, weight=0, publish_vpc=False, description='standby via dc2'))")
    sb.faults.clear()
    sb.faults.add(kind="error", code="InternalError", status=500, action="CreateVpnRouteEntry", nth=1)
    client.modify_vpn_route_entry_weight(sb.region_id, sb.vpn_gateway_id, DEST, old, 100, 0)  # half the finish
    seed_route(sb, new, 0, dest="10.21.0.0/24")  # unrelated: the account only looks at DEST
    with pytest.raises(vw.SwitchError):
        vw.switch_active(client, sb.region_id, sb.vpn_gateway_id, DEST, new)  # not a pair any more: refused


def test_following_the_advice_finishes_the_switch(sb):
    old, new = make_pair(sb)
    client = client_for(sb)
    sb.faults.add(kind="error", code="InternalError", status=500, action="CreateVpnRouteEntry", nth=1)
    with pytest.raises(vw.SwitchError) as caught:
        vw.switch_active(client, sb.region_id, sb.vpn_gateway_id, DEST, new)
    finish = caught.value.finish
    assert finish[0] == f"{DEST} has no active route: {old} is standby (0) and {new} does not exist; create {new} " \
                        "with weight 100:"
    assert finish[1] == (f"client.create_vpn_route_entry(vw.RouteEntryRequest('{sb.region_id}', "
                         f"'{sb.vpn_gateway_id}', '{DEST}', '{new}', weight=100, publish_vpc=False, "
                         "description='standby via dc2'))")
    client.create_vpn_route_entry(vw.RouteEntryRequest(sb.region_id, sb.vpn_gateway_id, DEST, new, weight=100,
                                                       publish_vpc=False, description="standby via dc2"))
    assert routes_now(sb) == {old: (0, "published", None), new: (100, "normal", "standby via dc2")}


def test_an_unknown_outcome_is_read_back_not_assumed(sb):
    old, new = make_pair(sb)
    sb.faults.add(kind="commit_then_drop", action="DeleteVpnRouteEntry", times=1)
    with pytest.raises(vw.SwitchError) as caught:
        vw.switch_active(client_for(sb), sb.region_id, sb.vpn_gateway_id, DEST, new)
    err = caught.value
    assert isinstance(err.error, vw.TransportError) and err.error.unknown_outcome
    assert err.failed_step.number == 2 and {r.next_hop: r.weight for r in err.routes} == {old: 100}
    assert "modify_vpn_route_entry_weight" in err.finish[2]


def test_a_retried_write_in_the_middle_of_a_switch_is_applied_once(sb):
    old, new = make_pair(sb)
    sb.faults.add(kind="commit_then_drop", action="ModifyVpnRouteEntryWeight", times=1)
    result = vw.switch_active(client_for(sb, max_attempts=3), sb.region_id, sb.vpn_gateway_id, DEST, new)
    assert result.changed and routes_now(sb) == {old: (0, "published", None), new: (100, "normal", "standby via dc2")}
    first, second = [r for r in sb.requests if r["action"] == "ModifyVpnRouteEntryWeight"]
    assert first["params"]["ClientToken"] == second["params"]["ClientToken"]


def test_a_wait_that_times_out_stops_the_switch(sb):
    old, new = make_pair(sb)
    sb.configuring_s = 1000
    with pytest.raises(vw.SwitchError) as caught:
        vw.switch_active(client_for(sb), sb.region_id, sb.vpn_gateway_id, DEST, new, timeout=10)
    err = caught.value
    assert err.failed_step.number == 3 and isinstance(err.error, vw.GatewayWaitError)
    assert err.error.last_status == "updating" and err.error.waited_s == 10
    assert writes(sb) == [("DeleteVpnRouteEntry", new, "0", None)] and routes_now(sb) == {old: (100, "published",
                                                                                                None)}


class LockedGatewayClient:
    """Just enough of a client for switch_active: a pair of routes on a gateway locked for an overdue bill."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def describe_vpn_route_entries(self, region_id, gateway_id, *, route_entry_type=None, context=None):
        return [vw.RouteEntry(None, gateway_id, DEST, "vco-aaaa", 100, route_entry_type="custom"),
                vw.RouteEntry(None, gateway_id, DEST, "vco-bbbb", 0, route_entry_type="custom")]

    def wait_for_gateway(self, region_id, gateway_id, **kwargs):
        return vw.VpnGateway(gateway_id, status="active", business_status="FinancialLocked")

    def __getattr__(self, name):  # any write
        def write(*args, **kwargs):
            self.writes.append(name)
        return write


def test_a_locked_gateway_is_refused_before_any_write():
    client = LockedGatewayClient()
    with pytest.raises(vw.SwitchError) as caught:
        vw.switch_active(client, "cn-hangzhou", "vpn-bp1a3kqjiiq9legfx0000", DEST, "vco-bbbb")
    err = caught.value
    assert err.failed_step.number == 1 and "FinancialLocked" in err.failed_step.error
    assert [s.number for s in err.steps_done] == [0]
    assert client.writes == [] and err.finish[0].startswith("nothing changed")


def test_a_standby_that_cannot_be_recreated_as_it_is_stops_before_any_write():
    class OddDescription(LockedGatewayClient):
        def describe_vpn_route_entries(self, region_id, gateway_id, *, route_entry_type=None, context=None):
            active, standby = super().describe_vpn_route_entries(region_id, gateway_id)
            return [active, vw.RouteEntry(None, gateway_id, DEST, "vco-bbbb", 0, description="http://odd")]

    client = OddDescription()
    with pytest.raises(vw.SwitchError) as caught:
        vw.switch_active(client, "cn-hangzhou", "vpn-bp1a3kqjiiq9legfx0000", DEST, "vco-bbbb")
    err = caught.value
    assert str(err).startswith("Nothing was sent") and "Description" in err.finish[0]
    assert isinstance(err.error, vw.ValidationError) and client.writes == [] and len(err.routes) == 2
