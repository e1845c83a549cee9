"""The sandbox backend without HTTP: demo world, route rules, idempotency, gateway states, throttling."""

from __future__ import annotations

import pytest
from fakes import FakeClock

from vpnroute_widgets import model
from vpnroute_widgets.sandbox.backend import Backend, SandboxError
from vpnroute_widgets.sandbox.world import build_world


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def world():
    return build_world(0)


@pytest.fixture
def backend(world, clock):
    return Backend(world, clock=clock, configuring_s=0.2)


@pytest.fixture
def owner(world):
    return world.key_for("owner")


def gw(world, kind="healthy", index=0, region="cn-hangzhou"):
    return world.of_kind(kind, region)[index]


def create(backend, key, g, dest="10.0.0.0/24", hop=None, weight=100, **extra):
    params = {"RegionId": g.region_id, "VpnGatewayId": g.vpn_gateway_id, "RouteDest": dest,
              "NextHop": hop or g.connections[0], "Weight": str(weight), "PublishVpc": "true", **extra}
    return backend.handle(key, "CreateVpnRouteEntry", params)


def error_of(fn, *args, **kwargs) -> SandboxError:
    with pytest.raises(SandboxError) as caught:
        fn(*args, **kwargs)
    return caught.value


# --- the demo world -------------------------------------------------------------------------


def test_same_seed_same_ids_and_other_seed_other_ids():
    assert build_world(0) == build_world(0)
    assert build_world(0).gateways != build_world(1).gateways
    assert [k.access_key_id for k in build_world(0).keys.values()] != [
        k.access_key_id for k in build_world(1).keys.values()]


def test_ids_look_real_and_pass_the_models_checks(world):
    for g in world.gateways:
        assert model.check_vpn_gateway_id(g.vpn_gateway_id) == g.vpn_gateway_id
        prefix = "vpn-bp1" if g.region_id == "cn-hangzhou" else "vpn-uf6"
        assert g.vpn_gateway_id.startswith(prefix) and len(g.vpn_gateway_id) == len(prefix) + 17
        for hop in g.connections:
            assert model.check_next_hop(hop) == hop and hop.startswith("vco-") and len(hop) == 24
            assert hop == hop.lower()


def test_default_world_has_every_kind_of_gateway(world):
    assert len(world.of_kind("healthy", "cn-hangzhou")) == 2
    assert all(len(g.connections) == 2 for g in world.of_kind("healthy"))
    assert gw(world, "quota").route_quota == 3
    assert gw(world, "locked").business_status == "FinancialLocked"
    assert len(world.of_kind("healthy", "cn-shanghai")) == 1
    assert {k.role for k in world.keys.values()} == {"owner", "subuser", "forbidden"}
    assert not any(k.startswith("LTAI") for k in world.keys)
    assert "secret" not in repr(world.key_for("owner")).lower()


def test_gateway_count_is_configurable():
    assert len(build_world(0, gateways=5).of_kind("healthy", "cn-hangzhou")) == 5
    # the first gateways stay the same when more are asked for
    assert build_world(0, gateways=5).gateways[0] == build_world(0, gateways=1).gateways[0]


# --- create -------------------------------------------------------------------------------------


def test_create_returns_the_reference_fields_and_the_route_is_listed(backend, owner, world, clock):
    g = gw(world)
    data = create(backend, owner, g, weight=0)
    assert data == {"VpnInstanceId": g.vpn_gateway_id, "RouteDest": "10.0.0.0/24", "NextHop": g.connections[0],
                    "Weight": 0, "State": "published", "CreateTime": int(clock.now * 1000), "OverlayMode": "Ipsec"}
    listed = backend.handle(owner, "DescribeVpnRouteEntries", {"RegionId": g.region_id,
                                                               "VpnGatewayId": g.vpn_gateway_id})
    (entry,) = listed["VpnRouteEntries"]["VpnRouteEntry"]
    assert entry["RouteEntryType"] == "custom" and entry["Source"] == "CUSTOM" and entry["Weight"] == 0
    assert (listed["TotalCount"], listed["PageNumber"], listed["PageSize"]) == (1, 1, 10)


@pytest.mark.parametrize("name", ["RegionId", "VpnGatewayId", "RouteDest", "NextHop", "Weight", "PublishVpc"])
def test_missing_parameter_is_named(backend, owner, world, name):
    g = gw(world)
    params = {"RegionId": g.region_id, "VpnGatewayId": g.vpn_gateway_id, "RouteDest": "10.0.0.0/24",
              "NextHop": g.connections[0], "Weight": "0", "PublishVpc": "true"}
    del params[name]
    err = error_of(backend.handle, owner, "CreateVpnRouteEntry", params)
    assert (err.code, err.http_status) == ("MissingParameter", 400) and f'"{name}"' in err.message


@pytest.mark.parametrize("name,value", [("RouteDest", "0.0.0.0/0"), ("RouteDest", "100.64.1.0/24"),
                                        ("RouteDest", "10.0.0.1/24"), ("Weight", "50"), ("PublishVpc", "yes"),
                                        ("NextHop", "vco-BAD"), ("VpnGatewayId", "gw-1234"),
                                        ("OverlayMode", "gre"), ("ClientToken", "x" * 65),
                                        ("Description", "https://x")])
def test_invalid_parameter_is_named_with_the_models_reason(backend, owner, world, name, value):
    g = gw(world)
    params = {"RegionId": g.region_id, "VpnGatewayId": g.vpn_gateway_id, "RouteDest": "10.0.0.0/24",
              "NextHop": g.connections[0], "Weight": "0", "PublishVpc": "true", name: value}
    err = error_of(backend.handle, owner, "CreateVpnRouteEntry", params)
    assert (err.code, err.http_status) == ("InvalidParameter", 400) and f'"{name}"' in err.message
    with pytest.raises(model.ValidationError) as same:
        model.CHECKERS[name](value)
    assert same.value.message in err.message


def test_duplicate_conflict_and_unknown_next_hop(backend, owner, world, clock):
    g = gw(world)
    backend.configuring_s = 0
    create(backend, owner, g, weight=100)
    assert error_of(create, backend, owner, g, weight=0).code == "VpnRouteEntry.AlreadyExist"
    err = error_of(create, backend, owner, g, hop=g.connections[1], weight=100)
    assert err.code == "VpnRouteEntry.Conflict"
    create(backend, owner, g, hop=g.connections[1], weight=0)  # the standby of the pair is fine
    other = gw(world, index=1).connections[0]
    assert error_of(create, backend, owner, g, dest="10.9.0.0/24", hop=other).code == "InvalidNextHop.NotFound"


def test_quota_full_on_the_small_gateway(backend, owner, world):
    g = gw(world, "quota")
    backend.configuring_s = 0
    for i in range(3):
        create(backend, owner, g, dest=f"10.0.{i}.0/24")
    err = error_of(create, backend, owner, g, dest="10.0.9.0/24")
    assert (err.code, err.http_status, err.message) == ("Resource.QuotaFull", 400, "The quota of resource is full.")


def test_unknown_gateway_or_gateway_of_another_region_is_not_found(backend, owner, world):
    err = error_of(create, backend, owner, _moved(gw(world, region="cn-shanghai"), "cn-hangzhou"))
    assert (err.code, err.http_status) == ("InvalidVpnGatewayInstanceId.NotFound", 404)
    assert err.message == "The specified vpn gateway instance id does not exist."
    unknown = error_of(create, backend, owner, _moved(gw(world), "cn-beijing"))
    assert unknown.code == "InvalidVpnGatewayInstanceId.NotFound"


def _moved(spec, region):
    import dataclasses

    return dataclasses.replace(spec, region_id=region)


def test_locked_gateway_refuses_writes_but_can_be_read(backend, owner, world):
    g = gw(world, "locked")
    err = error_of(create, backend, owner, g)
    assert (err.code, err.http_status) == ("VpnGateway.FinancialLocked", 400)
    attrs = backend.handle(owner, "DescribeVpnGatewayAttribute", {"RegionId": g.region_id,
                                                                  "VpnGatewayId": g.vpn_gateway_id})
    assert attrs["BusinessStatus"] == "FinancialLocked" and attrs["Status"] == "active"


def test_gateway_is_updating_after_a_change_then_active_again(backend, owner, world, clock):
    g = gw(world)
    create(backend, owner, g)
    status = backend.handle(owner, "DescribeVpnGateway", {"RegionId": g.region_id, "VpnGatewayId": g.vpn_gateway_id})
    assert status["Status"] == "updating"
    err = error_of(create, backend, owner, g, dest="10.1.0.0/24")
    assert (err.code, err.http_status) == ("VpnGateway.Configuring", 400)
    delete = {"RegionId": g.region_id, "VpnGatewayId": g.vpn_gateway_id, "RouteDest": "10.0.0.0/24",
              "NextHop": g.connections[0], "Weight": "100"}
    assert error_of(backend.handle, owner, "DeleteVpnRouteEntry", delete).code == "VpnGateway.Configuring"
    create(backend, owner, gw(world, index=1))  # other gateways are unaffected
    clock.advance(0.21)
    assert backend.handle(owner, "DescribeVpnGatewayAttribute", delete)["Status"] == "active"
    assert backend.handle(owner, "DeleteVpnRouteEntry", delete) == {}
    clock.advance(0.21)
    assert error_of(backend.handle, owner, "DeleteVpnRouteEntry", delete).code == "InvalidRouteEntry.NotFound"


def test_client_token_replays_the_stored_result_and_refuses_other_parameters(backend, owner, world, clock):
    g = gw(world)
    first = create(backend, owner, g, ClientToken="tok-1")
    clock.advance(5)
    assert create(backend, owner, g, ClientToken="tok-1") == first  # even while a new one would be refused
    err = error_of(create, backend, owner, g, dest="10.7.0.0/24", ClientToken="tok-1")
    assert (err.code, err.http_status) == ("IdempotentParameterMismatch", 400)
    listed = backend.handle(owner, "DescribeVpnRouteEntries", {"RegionId": g.region_id,
                                                               "VpnGatewayId": g.vpn_gateway_id})
    assert listed["TotalCount"] == 1


def test_replay_during_updating_is_still_answered(backend, owner, world):
    g = gw(world)
    first = create(backend, owner, g, ClientToken="tok-2")
    assert create(backend, owner, g, ClientToken="tok-2") == first


def test_paging_and_route_entry_type(backend, owner, world):
    g = gw(world)
    backend.configuring_s = 0
    for i in range(23):
        create(backend, owner, g, dest=f"10.{i}.0.0/16", weight=0)
    base = {"RegionId": g.region_id, "VpnGatewayId": g.vpn_gateway_id}
    pages = [backend.handle(owner, "DescribeVpnRouteEntries", {**base, "PageNumber": str(n), "PageSize": "10"})
             for n in (1, 2, 3, 4)]
    assert [len(p["VpnRouteEntries"]["VpnRouteEntry"]) for p in pages] == [10, 10, 3, 0]
    assert {p["TotalCount"] for p in pages} == {23}
    dests = [e["RouteDest"] for p in pages for e in p["VpnRouteEntries"]["VpnRouteEntry"]]
    assert dests == [f"10.{i}.0.0/16" for i in range(23)]
    big = backend.handle(owner, "DescribeVpnRouteEntries", {**base, "PageSize": "50"})
    assert len(big["VpnRouteEntries"]["VpnRouteEntry"]) == 23
    for bad in ({"PageSize": "51"}, {"PageSize": "0"}, {"PageNumber": "x"}, {"RouteEntryType": "Other"}):
        err = error_of(backend.handle, owner, "DescribeVpnRouteEntries", {**base, **bad})
        assert err.code == "InvalidParameter" and f'"{next(iter(bad))}"' in err.message
    bgp = backend.handle(owner, "DescribeVpnRouteEntries", {**base, "RouteEntryType": "bgp"})
    assert bgp["TotalCount"] == len(backend.state()["gateways"][0]["BgpRoutes"]) > 0  # never the custom ones
    for legacy in ("System", "BGP"):  # older SDK examples send System; any case is taken
        assert backend.handle(owner, "DescribeVpnRouteEntries", {**base, "RouteEntryType": legacy}) == bgp
    for custom in ("custom", "Custom", ""):  # custom is the documented default
        assert backend.handle(owner, "DescribeVpnRouteEntries", {**base, "RouteEntryType": custom})["TotalCount"] == 23


def test_sub_user_and_user_without_permission_are_refused(backend, world):
    g = gw(world)
    err = error_of(create, backend, world.key_for("subuser"), g)
    assert (err.code, err.http_status) == ("Forbidden.SubUser", 403)
    err = error_of(create, backend, world.key_for("forbidden"), g)
    assert (err.code, err.http_status) == ("Forbidden", 403)
    assert "not authorized" in err.message


def test_rate_limit_per_action_answers_throttling_user(world, owner, clock):
    backend = Backend(world, clock=clock, configuring_s=0, rate=2)
    g = gw(world)
    read = {"RegionId": g.region_id, "VpnGatewayId": g.vpn_gateway_id}
    backend.handle(owner, "DescribeVpnRouteEntries", read)
    backend.handle(owner, "DescribeVpnRouteEntries", read)
    err = error_of(backend.handle, owner, "DescribeVpnRouteEntries", read)
    assert (err.code, err.http_status) == ("Throttling.User", 400)
    backend.handle(owner, "DescribeVpnGateway", read)  # another action has its own bucket
    clock.advance(0.5)
    backend.handle(owner, "DescribeVpnRouteEntries", read)


def test_reset_restores_the_seeded_world(backend, owner, world):
    g = gw(world)
    create(backend, owner, g, ClientToken="tok-3")
    backend.reset()
    assert backend.state()["gateways"][0]["Routes"] == []
    assert backend.state()["gateways"][0]["Status"] == "active"
    create(backend, owner, g, dest="10.5.0.0/24", ClientToken="tok-3")  # tokens are forgotten too


def test_state_is_plain_data_without_secrets(backend, owner, world):
    create(backend, owner, gw(world))
    state = backend.state()
    text = repr(state)
    assert all(k.access_key_secret not in text and k.access_key_id not in text for k in world.keys.values())
    assert {g["Kind"] for g in state["gateways"]} == {"healthy", "quota", "locked"}
    assert state["gateways"][0]["Routes"][0]["RouteDest"] == "10.0.0.0/24"


def test_unknown_action(backend, owner):
    err = error_of(backend.handle, owner, "RunInstances", {})
    assert (err.code, err.http_status) == ("InvalidAction.NotFound", 404)
