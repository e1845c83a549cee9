"""The route lifecycle in the sandbox backend (no HTTP, injected clock): weights, publishing, the
active/standby rule, the ``updating`` window, BGP routes, ClientToken replays, seeding and reset."""

from __future__ import annotations

import pytest
from fakes import FakeClock

from vpnroute_widgets.sandbox.backend import Backend, SandboxError
from vpnroute_widgets.sandbox.world import build_world

CONFIGURING_S = 2.0



@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def world():
    return build_world(0)


@pytest.fixture
def backend(world, clock):
    return Backend(world, clock=clock, configuring_s=CONFIGURING_S)


@pytest.fixture
def owner(world):
    return world.key_for("owner")


@pytest.fixture
def g(world):
    return world.of_kind("healthy", "cn-hangzhou")[0]


def base(g) -> dict[str, str]:
    return {"RegionId": g.region_id, "VpnGatewayId": g.vpn_gateway_id}


def error_of(fn, *args, **kwargs) -> SandboxError:
    with pytest.raises(SandboxError) as caught:
        fn(*args, **kwargs)
    return caught.value


class Calls:
    """The four writes and the reads on one gateway, each followed by waiting out ``updating``."""

    def __init__(self, backend, key, g, clock):
        self.backend, self.key, self.g, self.clock = backend, key, g, clock

    def run(self, action: str, wait: bool = True, **params):
        result = self.backend.handle(self.key, action, {**base(self.g), **params})
        if wait:
            self.clock.advance(CONFIGURING_S)
        return result

    def create(self, dest, hop, weight, publish="true", **extra):
        return self.run("CreateVpnRouteEntry", RouteDest=dest, NextHop=hop, Weight=str(weight),
                        PublishVpc=publish, **extra)

    def modify(self, dest, hop, weight, new_weight, **extra):
        return self.run("ModifyVpnRouteEntryWeight", RouteDest=dest, NextHop=hop, Weight=str(weight),
                        NewWeight=str(new_weight), **extra)

    def publish(self, dest, hop, publish, route_type="dbr", **extra):
        return self.run("PublishVpnRouteEntry", RouteDest=dest, NextHop=hop, PublishVpc=publish,
                        RouteType=route_type, **extra)

    def delete(self, dest, hop, weight, **extra):
        return self.run("DeleteVpnRouteEntry", RouteDest=dest, NextHop=hop, Weight=str(weight), **extra)

    def routes(self, kind=None) -> list[dict]:
        params = {"PageSize": "50", **({"RouteEntryType": kind} if kind else {})}
        return self.run("DescribeVpnRouteEntries", wait=False, **params)["VpnRouteEntries"]["VpnRouteEntry"]

    def status(self) -> str:
        return self.run("DescribeVpnGateway", wait=False)["Status"]


@pytest.fixture
def calls(backend, owner, g, clock):
    return Calls(backend, owner, g, clock)


def weights(calls, dest) -> dict[str, int]:
    return {r["NextHop"]: r["Weight"] for r in calls.routes() if r["RouteDest"] == dest}


# --- weights and the active/standby rule ------------------------------------------------------


def test_modify_weight_of_a_lone_route(calls, g):
    calls.create("10.1.0.0/24", g.connections[0], 100)
    assert calls.modify("10.1.0.0/24", g.connections[0], 100, 0) == {}
    assert weights(calls, "10.1.0.0/24") == {g.connections[0]: 0}
    calls.modify("10.1.0.0/24", g.connections[0], 0, 100)
    assert weights(calls, "10.1.0.0/24") == {g.connections[0]: 100}


@pytest.mark.parametrize("which", ["active", "standby"])
def test_the_forbidden_order_is_refused_and_nothing_changes(calls, backend, g, which):
    active, standby = g.connections
    calls.create("10.2.0.0/24", active, 100)
    calls.create("10.2.0.0/24", standby, 0)
    before = backend.state()
    hop, weight = (active, 100) if which == "active" else (standby, 0)
    err = error_of(calls.modify, "10.2.0.0/24", hop, weight, 100 - weight)
    assert (err.code, err.http_status) == ("VpnRouteEntry.ActiveStandbyPair", 400)
    assert "delete the other route first" in err.message
    assert backend.state() == before  # no weight changed, and the gateway did not go to updating
    assert calls.status() == "active"


def test_the_documented_sequence_switches_the_pair(calls, g):
    active, standby = g.connections
    calls.create("10.3.0.0/24", active, 100)
    calls.create("10.3.0.0/24", standby, 0)
    calls.delete("10.3.0.0/24", active, 100)
    calls.modify("10.3.0.0/24", standby, 0, 100)
    calls.create("10.3.0.0/24", active, 0)
    assert weights(calls, "10.3.0.0/24") == {active: 0, standby: 100}


def test_never_two_active_routes_for_one_destination(calls, g):
    active, standby = g.connections
    calls.create("10.4.0.0/24", active, 100)
    err = error_of(calls.create, "10.4.0.0/24", standby, 100)
    assert err.code == "VpnRouteEntry.Conflict"
    calls.create("10.4.0.0/24", standby, 0)
    assert error_of(calls.modify, "10.4.0.0/24", standby, 0, 100).code == "VpnRouteEntry.ActiveStandbyPair"
    assert sorted(weights(calls, "10.4.0.0/24").values()) == [0, 100]


def test_modify_delete_publish_of_a_missing_route_are_not_found(calls, backend, g):
    calls.create("10.5.0.0/24", g.connections[0], 100)
    before = backend.state()
    for call in (lambda: calls.modify("10.5.0.0/24", g.connections[0], 0, 100),  # wrong current weight
                 lambda: calls.modify("10.6.0.0/24", g.connections[0], 100, 0),
                 lambda: calls.delete("10.5.0.0/24", g.connections[1], 100),
                 lambda: calls.publish("10.6.0.0/24", g.connections[0], "false"),
                 lambda: calls.publish("10.5.0.0/24", g.connections[0], "false", route_type="pbr")):
        err = error_of(call)
        assert (err.code, err.http_status) == ("InvalidRouteEntry.NotFound", 404)
    assert backend.state() == before


def test_modify_validates_its_parameters(calls, g):
    calls.create("10.7.0.0/24", g.connections[0], 100)
    cases = [({"NewWeight": "50"}, "InvalidParameter", "NewWeight"),
             ({"NewWeight": "100"}, "InvalidParameter", "NewWeight"),  # the current weight: nothing to do
             ({"NewWeight": ""}, "MissingParameter", "NewWeight"),
             ({"Weight": "7"}, "InvalidParameter", "Weight"),
             ({"OverlayMode": "gre"}, "InvalidParameter", "OverlayMode")]
    for change, code, name in cases:
        params = {"RouteDest": "10.7.0.0/24", "NextHop": g.connections[0], "Weight": "100", "NewWeight": "0",
                  **change}
        err = error_of(calls.run, "ModifyVpnRouteEntryWeight", True, **params)
        assert err.code == code and f'"{name}"' in err.message, change


def test_publish_requires_route_type_and_publish_vpc(calls, g):
    calls.create("10.8.0.0/24", g.connections[0], 100)
    for missing in ("RouteType", "PublishVpc"):
        params = {"RouteDest": "10.8.0.0/24", "NextHop": g.connections[0], "PublishVpc": "false",
                  "RouteType": "dbr"}
        del params[missing]
        err = error_of(calls.run, "PublishVpnRouteEntry", True, **params)
        assert err.code == "MissingParameter" and f'"{missing}"' in err.message
    err = error_of(calls.publish, "10.8.0.0/24", g.connections[0], "false", route_type="ospf")
    assert err.code == "InvalidParameter" and '"RouteType"' in err.message


# --- publishing -----------------------------------------------------------------------------


def test_withdraw_and_publish_show_in_state(calls, g):
    calls.create("10.9.0.0/24", g.connections[0], 100, publish="true")
    assert [r["State"] for r in calls.routes()] == ["published"]
    calls.publish("10.9.0.0/24", g.connections[0], "false")
    assert [r["State"] for r in calls.routes()] == ["normal"]
    calls.publish("10.9.0.0/24", g.connections[0], "true")
    assert [r["State"] for r in calls.routes()] == ["published"]
    assert [r["Weight"] for r in calls.routes()] == [100]  # publishing leaves the weight alone


# --- the updating window --------------------------------------------------------------------


@pytest.mark.parametrize("action", ["create", "delete", "modify", "publish"])
def test_every_write_opens_the_updating_window_and_writes_inside_it_are_refused(calls, backend, clock, g, action):
    hop = g.connections[0]
    calls.create("10.10.0.0/24", hop, 100)
    write = {"create": lambda: calls.run("CreateVpnRouteEntry", False, RouteDest="10.11.0.0/24", NextHop=hop,
                                         Weight="100", PublishVpc="true"),
             "delete": lambda: calls.run("DeleteVpnRouteEntry", False, RouteDest="10.10.0.0/24", NextHop=hop,
                                         Weight="100"),
             "modify": lambda: calls.run("ModifyVpnRouteEntryWeight", False, RouteDest="10.10.0.0/24",
                                         NextHop=hop, Weight="100", NewWeight="0"),
             "publish": lambda: calls.run("PublishVpnRouteEntry", False, RouteDest="10.10.0.0/24", NextHop=hop,
                                          PublishVpc="false", RouteType="dbr")}[action]
    assert calls.status() == "active"
    write()
    assert calls.status() == "updating"
    listed = calls.run("DescribeVpnGateways", False, VpnGatewayId=g.vpn_gateway_id)
    assert listed["VpnGateways"]["VpnGateway"][0]["Status"] == "updating"
    before = backend.state()
    for refused in (lambda: calls.create("10.12.0.0/24", hop, 100),
                    lambda: calls.modify("10.10.0.0/24", hop, 100, 0),
                    lambda: calls.publish("10.10.0.0/24", hop, "true"),
                    lambda: calls.delete("10.10.0.0/24", hop, 100)):
        err = error_of(refused)
        assert (err.code, err.http_status) == ("VpnGateway.Configuring", 400)  # raised before run() waits
    assert backend.state() == before
    clock.advance(CONFIGURING_S - 0.001)
    assert calls.status() == "updating"
    clock.advance(0.001)
    assert calls.status() == "active"


def test_updating_is_per_gateway(backend, owner, world, clock):
    first, second = world.of_kind("healthy", "cn-hangzhou")[:2]
    Calls(backend, owner, first, clock).run("CreateVpnRouteEntry", False, RouteDest="10.13.0.0/24",
                                            NextHop=first.connections[0], Weight="100", PublishVpc="true")
    other = Calls(backend, owner, second, clock)
    assert other.status() == "active"
    other.run("CreateVpnRouteEntry", False, RouteDest="10.13.0.0/24", NextHop=second.connections[0],
              Weight="100", PublishVpc="true")


def test_a_refused_write_does_not_open_the_window(calls, g):
    err = error_of(calls.run, "DeleteVpnRouteEntry", False, RouteDest="10.14.0.0/24", NextHop=g.connections[0],
                   Weight="100")
    assert err.code == "InvalidRouteEntry.NotFound"
    assert calls.status() == "active"


# --- BGP-learned routes ---------------------------------------------------------------------


def test_bgp_routes_are_listed_apart_and_cannot_be_changed(calls, backend, g):
    bgp = calls.routes("bgp")
    assert bgp and all(r["RouteEntryType"] == "bgp" and r["AsPath"] and r["Community"] for r in bgp)
    assert all(r["RouteEntryType"] == "custom" for r in calls.routes())  # custom is the default
    route = bgp[0]
    before = backend.state()
    for call in (lambda: calls.modify(route["RouteDest"], route["NextHop"], route["Weight"], 100),
                 lambda: calls.delete(route["RouteDest"], route["NextHop"], route["Weight"]),
                 lambda: calls.publish(route["RouteDest"], route["NextHop"],
                                       "false" if route["State"] == "published" else "true")):
        err = error_of(call)
        assert (err.code, err.http_status) == ("OperationUnsupported.BgpRoute", 400)
    assert backend.state() == before and calls.status() == "active"


def test_a_custom_route_beside_a_bgp_route_of_the_same_destination_is_its_own(calls, g):
    route = calls.routes("bgp")[0]
    calls.create(route["RouteDest"], route["NextHop"], 100)
    calls.modify(route["RouteDest"], route["NextHop"], 100, 0)
    calls.delete(route["RouteDest"], route["NextHop"], 0)
    assert calls.routes("bgp")[0] == route and calls.routes() == []


# --- ClientToken ----------------------------------------------------------------------------


def test_writes_replay_the_stored_answer_for_the_same_token(calls, backend, g):
    hop = g.connections[0]
    calls.create("10.15.0.0/24", hop, 100, ClientToken="c-1")
    calls.modify("10.15.0.0/24", hop, 100, 0, ClientToken="m-1")
    calls.publish("10.15.0.0/24", hop, "false", ClientToken="p-1")
    state = backend.state()
    # replays: same answer, nothing applied again (the modify would now be NotFound, the gateway not updating)
    assert calls.modify("10.15.0.0/24", hop, 100, 0, ClientToken="m-1") == {}
    assert calls.publish("10.15.0.0/24", hop, "false", ClientToken="p-1") == {}
    assert calls.run("DescribeVpnGateway", False)["Status"] == "active"
    assert backend.state()["gateways"] == state["gateways"]
    calls.delete("10.15.0.0/24", hop, 0, ClientToken="d-1")
    assert calls.delete("10.15.0.0/24", hop, 0, ClientToken="d-1") == {}
    assert calls.routes() == []


def test_a_token_reused_for_another_request_is_a_mismatch(calls, g):
    hop = g.connections[0]
    calls.create("10.16.0.0/24", hop, 100)
    calls.modify("10.16.0.0/24", hop, 100, 0, ClientToken="t-1")
    err = error_of(calls.modify, "10.16.0.0/24", hop, 0, 100, ClientToken="t-1")
    assert err.code == "IdempotentParameterMismatch"
    calls.publish("10.16.0.0/24", hop, "false", ClientToken="t-1")  # tokens are per operation
    assert error_of(calls.publish, "10.16.0.0/24", hop, "true", ClientToken="t-1").code == \
        "IdempotentParameterMismatch"


def test_a_replay_during_updating_gets_the_stored_answer(calls, g):
    hop = g.connections[0]
    calls.create("10.17.0.0/24", hop, 100)
    calls.run("ModifyVpnRouteEntryWeight", False, RouteDest="10.17.0.0/24", NextHop=hop, Weight="100",
              NewWeight="0", ClientToken="u-1")
    assert calls.status() == "updating"
    assert calls.run("ModifyVpnRouteEntryWeight", False, RouteDest="10.17.0.0/24", NextHop=hop, Weight="100",
                     NewWeight="0", ClientToken="u-1") == {}


# --- rate limits ----------------------------------------------------------------------------


def test_each_action_has_its_own_bucket(world, owner, g, clock):
    backend = Backend(world, clock=clock, configuring_s=0, rate=1)
    calls = Calls(backend, owner, g, clock)
    calls.run("CreateVpnRouteEntry", False, RouteDest="10.18.0.0/24", NextHop=g.connections[0], Weight="100",
              PublishVpc="true")
    calls.run("ModifyVpnRouteEntryWeight", False, RouteDest="10.18.0.0/24", NextHop=g.connections[0],
              Weight="100", NewWeight="0")
    calls.run("PublishVpnRouteEntry", False, RouteDest="10.18.0.0/24", NextHop=g.connections[0],
              PublishVpc="false", RouteType="dbr")
    for read in ("DescribeVpnGateways", "DescribeVpnConnections", "DescribeVpnRouteEntries"):
        calls.run(read, False)
    err = error_of(calls.run, "ModifyVpnRouteEntryWeight", False, RouteDest="10.18.0.0/24",
                   NextHop=g.connections[0], Weight="0", NewWeight="100")
    assert err.code == "Throttling.User"
    assert calls.status() == "active"  # the gateway's status is still readable: reads have their own quota


# --- gateways and connections ---------------------------------------------------------------


def test_describe_vpn_gateway_has_the_documented_fields(calls, g):
    data = calls.run("DescribeVpnGateway", False)
    documented = {"VpnGatewayId", "Name", "Description", "Status", "BusinessStatus", "Spec", "VpcId", "VSwitchId",
                  "InternetIp", "CreateTime", "EndTime", "ChargeType", "IpsecVpn", "SslVpn", "EnableBgp",
                  "GatewayType", "NetworkType", "VpnType", "Tag", "AutoPropagate", "SslMaxConnections"}
    assert documented <= set(data)
    assert (data["VpnGatewayId"], data["VpcId"], data["Status"], data["BusinessStatus"]) == (
        g.vpn_gateway_id, g.vpc_id, "active", "Normal")


def test_describe_vpn_gateways_filters_and_pages(backend, owner, world, clock):
    region = {"RegionId": "cn-hangzhou"}
    every = backend.handle(owner, "DescribeVpnGateways", {**region, "PageSize": "50"})
    assert every["TotalCount"] == len(world.of_kind("healthy", "cn-hangzhou")) + 2
    locked = backend.handle(owner, "DescribeVpnGateways", {**region, "BusinessStatus": "FinancialLocked"})
    assert [x["Name"] for x in locked["VpnGateways"]["VpnGateway"]] == ["demo-financially-locked"]
    first = world.of_kind("healthy", "cn-hangzhou")[0]
    by_vpc = backend.handle(owner, "DescribeVpnGateways", {**region, "VpcId": first.vpc_id})
    assert [x["VpnGatewayId"] for x in by_vpc["VpnGateways"]["VpnGateway"]] == [first.vpn_gateway_id]
    assert backend.handle(owner, "DescribeVpnGateways", {**region, "Status": "updating"})["TotalCount"] == 0
    pages = [backend.handle(owner, "DescribeVpnGateways", {**region, "PageSize": "1", "PageNumber": str(n)})
             for n in range(1, every["TotalCount"] + 1)]
    assert [p["VpnGateways"]["VpnGateway"][0] for p in pages] == every["VpnGateways"]["VpnGateway"]
    for bad in ({"Status": "Active"}, {"BusinessStatus": "locked"}, {"PageSize": "51"}):
        err = error_of(backend.handle, owner, "DescribeVpnGateways", {**region, **bad})
        assert err.code == "InvalidParameter" and f'"{next(iter(bad))}"' in err.message


def test_describe_vpn_connections_names_every_connection(backend, owner, world):
    listed = backend.handle(owner, "DescribeVpnConnections", {"RegionId": "cn-hangzhou", "PageSize": "50"})
    connections = listed["VpnConnections"]["VpnConnection"]
    expected = {c for g in world.gateways if g.region_id == "cn-hangzhou" for c in g.connections}
    assert {c["VpnConnectionId"] for c in connections} == expected
    assert all(c["Name"] and c["CustomerGatewayId"].startswith("cgw-") and c["LocalSubnet"] and c["RemoteSubnet"]
               and isinstance(c["CreateTime"], int) for c in connections)
    g = world.of_kind("healthy", "cn-hangzhou")[0]
    mine = backend.handle(owner, "DescribeVpnConnections", {"RegionId": "cn-hangzhou", "VpnGatewayId":
                                                            g.vpn_gateway_id})
    assert [c["VpnConnectionId"] for c in mine["VpnConnections"]["VpnConnection"]] == list(g.connections)
    assert [c["Name"] for c in mine["VpnConnections"]["VpnConnection"]] == [f"{g.name}-ipsec-1", f"{g.name}-ipsec-2"]
    one = backend.handle(owner, "DescribeVpnConnections", {"RegionId": "cn-hangzhou",
                                                           "VpnConnectionId": g.connections[1]})
    assert one["TotalCount"] == 1
    shanghai = backend.handle(owner, "DescribeVpnConnections", {"RegionId": "cn-shanghai"})
    assert shanghai["TotalCount"] == 2 and not {c["VpnConnectionId"] for c in
                                                shanghai["VpnConnections"]["VpnConnection"]} & expected


# --- seeding --------------------------------------------------------------------------------


def test_seeding_is_deterministic_and_has_every_kind_of_route(clock):
    world = build_world(7, routes_per_gateway=12)
    assert world == build_world(7, routes_per_gateway=12)
    assert world.routes != build_world(8, routes_per_gateway=12).routes
    assert build_world(7).gateways == world.gateways  # seeding never changes the ids of a seed
    state = Backend(world, clock=clock).state()
    for gateway in state["gateways"]:
        routes = gateway["Routes"]
        if gateway["Kind"] != "healthy":
            assert routes == [] and gateway["BgpRoutes"] == []
            continue
        assert len(routes) == 12 and gateway["BgpRoutes"]
        by_dest: dict[str, list[int]] = {}
        for r in routes:
            by_dest.setdefault(r["RouteDest"], []).append(r["Weight"])
        assert [100, 0] in by_dest.values()  # an active/standby pair
        assert all(ws.count(100) <= 1 for ws in by_dest.values())  # never two active routes
        assert {"normal", "published"} <= {r["State"] for r in routes}
        assert any(r.get("Description") for r in routes)
        assert len({(r["RouteDest"], r["NextHop"]) for r in routes}) == 12


def test_seeded_routes_are_real_routes_and_reset_restores_them_exactly(world, clock):
    world = build_world(3, routes_per_gateway=6)
    backend = Backend(world, clock=clock, configuring_s=CONFIGURING_S)
    owner = world.key_for("owner")
    seeded = backend.state()
    g = world.of_kind("healthy", "cn-hangzhou")[0]
    calls = Calls(backend, owner, g, clock)
    pair = [r for r in calls.routes() if sum(x["RouteDest"] == r["RouteDest"] for x in calls.routes()) == 2]
    assert error_of(calls.modify, pair[0]["RouteDest"], pair[0]["NextHop"], pair[0]["Weight"],
                    100 - pair[0]["Weight"]).code == "VpnRouteEntry.ActiveStandbyPair"
    for r in calls.routes():
        calls.delete(r["RouteDest"], r["NextHop"], r["Weight"])
    calls.create("10.200.0.0/24", g.connections[0], 100)
    assert calls.routes() != seeded["gateways"][0]["Routes"]
    backend.reset()
    assert backend.state() == seeded


def test_seeding_is_bounded_by_the_route_quota():
    with pytest.raises(ValueError, match="route quota"):
        build_world(0, route_quota=5, routes_per_gateway=6)
    with pytest.raises(ValueError):
        build_world(0, routes_per_gateway=-1)
    assert len(build_world(0, route_quota=1000, routes_per_gateway=1000).routes) > 3 * 1000


def test_rates_per_action_from_a_mapping(world, owner, g, clock):
    backend = Backend(world, clock=clock, configuring_s=0, rate={"DescribeVpnGateway": 3, "*": 1})
    calls = Calls(backend, owner, g, clock)
    assert [calls.status() for _ in range(3)] == ["active"] * 3
    assert error_of(calls.status).code == "Throttling.User"
    calls.run("DescribeVpnConnections", False)
    assert error_of(calls.run, "DescribeVpnConnections", False).code == "Throttling.User"
    clock.advance(1.0)
    calls.run("DescribeVpnConnections", False)
    unlimited = Backend(world, clock=clock, configuring_s=0, rate={"CreateVpnRouteEntry": 1})
    for _ in range(20):
        Calls(unlimited, owner, g, clock).status()  # actions without an entry and no "*": unlimited
