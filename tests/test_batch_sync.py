"""plan_sync against the sandbox: every step kind, the pair order, prune, BGP routes, refused rows."""

from __future__ import annotations

import pandas as pd
import pytest

import vpnroute_widgets as vw
from vpnroute_widgets.batch.sync_plan import STEP_COLUMNS

SANDBOX_OPTIONS = {"seed": 5, "configuring_s": 0}
NETS = {"pair": "10.0.1.0/24", "withdraw": "10.0.2.0/24", "publish": "10.0.3.0/24", "extra": "10.0.4.0/24",
        "single": "10.0.5.0/24", "new": "10.0.6.0/24"}


@pytest.fixture
def client(sb):
    return vw.VpcClient(sb.credentials, endpoint=sb.endpoint)


def row(sb, dest: str, hop: int, weight: int, publish: bool = True, gateway: str | None = None) -> dict:
    return {"RegionId": sb.region_id, "VpnGatewayId": gateway or sb.vpn_gateway_id, "RouteDest": dest,
            "NextHop": sb.next_hops[hop], "Weight": weight, "PublishVpc": publish}


def create(client, rows: list[dict]) -> None:
    for r in rows:
        client.create_vpn_route_entry(vw.RouteEntryRequest.from_params({k: str(v) for k, v in r.items()}))


def live(sb) -> list[dict]:
    """The gateway before: an active/standby pair and four single routes."""
    return [row(sb, NETS["pair"], 0, 100), row(sb, NETS["pair"], 1, 0), row(sb, NETS["withdraw"], 0, 100),
            row(sb, NETS["publish"], 0, 0, False), row(sb, NETS["extra"], 0, 100), row(sb, NETS["single"], 0, 0)]


def desired(sb) -> pd.DataFrame:
    """Each way of changing: swap the pair, withdraw, publish, drop one, promote one, add one."""
    return pd.DataFrame([row(sb, NETS["pair"], 0, 0), row(sb, NETS["pair"], 1, 100),
                         row(sb, NETS["withdraw"], 0, 100, False), row(sb, NETS["publish"], 0, 0, True),
                         row(sb, NETS["single"], 0, 100), row(sb, NETS["new"], 1, 0)])


@pytest.fixture
def world(sb, client):
    create(client, live(sb))
    return sb


def steps_of(plan, dest: str) -> list:
    return [s for s in plan.steps if s.route_dest == dest]


def test_every_step_kind_with_old_and_new_values(world, client):
    plan = vw.plan_sync(desired(world), client)
    assert plan.counts() == {"create": 2, "modify_weight": 2, "publish": 1, "withdraw": 1, "delete": 1, "extra": 1}
    (withdraw,) = steps_of(plan, NETS["withdraw"])
    assert (withdraw.action, withdraw.old_publish_vpc, withdraw.publish_vpc, withdraw.row) == ("withdraw", True,
                                                                                              False, 2)
    (single,) = steps_of(plan, NETS["single"])
    assert (single.action, single.old_weight, single.weight) == ("modify_weight", 0, 100)
    (new,) = steps_of(plan, NETS["new"])
    assert (new.action, new.old_weight, new.weight, new.row) == ("create", None, 0, 5)
    (extra,) = steps_of(plan, NETS["extra"])
    assert (extra.action, extra.row) == ("extra", None) and "prune" in extra.message


def test_a_pair_swap_deletes_one_modifies_the_other_and_recreates_the_first(world, client):
    plan = vw.plan_sync(desired(world), client)
    delete, modify, recreate = steps_of(plan, NETS["pair"])
    hops = world.next_hops
    assert (delete.action, delete.next_hop, delete.old_weight) == ("delete", hops[0], 100)
    assert (modify.action, modify.next_hop, modify.old_weight, modify.weight) == ("modify_weight", hops[1], 0, 100)
    assert (recreate.action, recreate.next_hop, recreate.weight) == ("create", hops[0], 0)
    assert delete.number < modify.number < recreate.number
    assert modify.after == (delete.number,) and delete.number in recreate.after
    assert "recreated" in recreate.message


def test_a_new_active_route_waits_for_the_old_one_to_be_demoted(sb, client):
    create(client, [row(sb, NETS["single"], 0, 100)])
    plan = vw.plan_sync(pd.DataFrame([row(sb, NETS["single"], 0, 0), row(sb, NETS["single"], 1, 100)]), client)
    modify, add = plan.changes()
    assert (modify.action, modify.weight, add.action, add.weight) == ("modify_weight", 0, "create", 100)
    assert add.after == (modify.number,)


def test_prune_deletes_what_the_file_does_not_list_and_never_a_bgp_route(world, client):
    plan = vw.plan_sync(desired(world), client, prune=True)
    assert "extra" not in plan.counts()
    (gone,) = steps_of(plan, NETS["extra"])
    assert (gone.action, gone.old_weight) == ("delete", 100) and "prune" in gone.message
    assert not [s for s in plan.steps if s.route_dest.startswith("172.")]  # BGP-learned: not in the file, kept


def test_a_row_naming_a_bgp_route_is_none_when_it_matches_and_blocked_otherwise(sb, client):
    bgp = next(r for r in sb.state()["gateways"][0]["BgpRoutes"])
    same = {"RegionId": sb.region_id, "VpnGatewayId": sb.vpn_gateway_id, "RouteDest": bgp["RouteDest"],
            "NextHop": bgp["NextHop"], "Weight": bgp["Weight"], "PublishVpc": bgp["State"] == "published"}
    assert [s.action for s in vw.plan_sync(pd.DataFrame([same]), client).steps] == ["none"]
    changed = {**same, "Weight": 100}
    (step,) = vw.plan_sync(pd.DataFrame([changed]), client, prune=True).steps
    assert step.action == "blocked" and "never changes" in step.message


def test_invalid_and_duplicate_rows_keep_their_row_numbers_and_withhold_prune(world, client):
    frame = pd.concat([desired(world), pd.DataFrame([row(world, NETS["new"], 1, 0),
                                                     row(world, "10.0.9.0/33", 0, 0)])], ignore_index=True)
    plan = vw.plan_sync(frame, client, prune=True)
    by_action = {s.action: s for s in plan.steps}
    assert (by_action["invalid"].row, by_action["duplicate"].row) == (7, 6)
    assert "RouteDest" in by_action["invalid"].message
    assert [s.action for s in steps_of(plan, NETS["extra"])] == ["extra"]  # prune withheld on that gateway
    assert any("prune withheld" in note for note in plan.notes)


def test_conflicting_rows_block_their_destination(world, client):
    frame = pd.DataFrame([row(world, NETS["pair"], 0, 100), row(world, NETS["pair"], 1, 100)])
    plan = vw.plan_sync(frame, client)
    assert {s.action for s in steps_of(plan, NETS["pair"])} == {"conflict"}
    assert not plan.changes()


def test_a_second_active_route_left_alone_blocks_the_destination_and_says_why(sb, client):
    create(client, [row(sb, NETS["single"], 0, 100)])
    plan = vw.plan_sync(pd.DataFrame([row(sb, NETS["single"], 1, 100)]), client)
    blocked, extra = plan.steps
    assert (blocked.action, extra.action) == ("blocked", "extra")
    assert sb.next_hops[0] in blocked.message and "prune" in blocked.message
    pruned = vw.plan_sync(pd.DataFrame([row(sb, NETS["single"], 1, 100)]), client, prune=True)
    assert [s.action for s in pruned.steps] == ["delete", "create"]


def test_a_gateway_that_cannot_be_read_is_blocked(sb, client):
    plan = vw.plan_sync(pd.DataFrame([row(sb, NETS["new"], 0, 0, gateway="vpn-bp1doesnotexist000000")]), client)
    (step,) = plan.steps
    assert step.action == "blocked" and "could not be read" in step.message


def test_the_plan_as_a_dataframe_a_summary_and_a_short_repr(world, client):
    plan = vw.plan_sync(desired(world), client, prune=True)
    frame = plan.to_dataframe()
    assert list(frame.columns) == list(STEP_COLUMNS) and len(frame) == len(plan)
    assert frame.loc[frame.action == "modify_weight", "old_weight"].tolist() == [0, 0]
    summary = plan.summary()
    assert summary.loc[world.vpn_gateway_id, "delete"] == 2 and summary.loc[world.vpn_gateway_id, "create"] == 2
    assert repr(plan).startswith(f"<SyncPlan {plan.batch_id}: 1 gateway(s) (prune): create 2")


def test_the_batch_id_depends_on_the_file_and_the_live_routes(world, client):
    first = vw.plan_sync(desired(world), client)
    assert vw.plan_sync(desired(world), client).batch_id == first.batch_id
    create(client, [row(world, "10.0.8.0/24", 0, 0)])
    assert vw.plan_sync(desired(world), client).batch_id != first.batch_id


def test_reads_are_not_logged(world, sb):
    logged = vw.VpcClient(sb.credentials, endpoint=sb.endpoint, log=vw.ResponseLog())
    vw.plan_sync(desired(world), logged)
    assert len(logged.log) == 0


def test_a_route_left_alone_is_removed_for_a_weight_change_and_recreated_as_it_was(sb, client):
    create(client, [row(sb, NETS["pair"], 0, 100), row(sb, NETS["pair"], 1, 0, False)])
    plan = vw.plan_sync(pd.DataFrame([row(sb, NETS["pair"], 0, 0)]), client)  # the standby is not in the file
    assert plan.counts()["extra"] == 1  # not in the file: it stays, but must step aside for the change
    delete, modify, recreate = plan.changes()
    assert (delete.action, delete.next_hop, modify.action, recreate.action) == ("delete", sb.next_hops[1],
                                                                               "modify_weight", "create")
    assert (recreate.weight, recreate.publish_vpc, recreate.row) == (0, False, None)
    assert "as it was" in recreate.message
    assert vw.apply_sync(plan, client).ok
    assert vw.plan_sync(pd.DataFrame([row(sb, NETS["pair"], 0, 0)]), client).counts() == {"none": 1, "extra": 1}
