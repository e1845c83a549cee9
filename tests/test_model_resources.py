"""The typed answers: RouteEntry (with BGP fields), VpnGateway and VpnConnection, from JSON and XML values."""

from __future__ import annotations

import pickle

import pytest

import vpnroute_widgets as vw
from vpnroute_widgets.model.resources import RouteEntry, VpnConnection, VpnGateway

GATEWAY_JSON = {
    "RequestId": "R-1", "VpnGatewayId": "vpn-bp1q8bgx4xnkm2ogj0fiu", "Name": "prod", "Status": "active",
    "BusinessStatus": "Normal", "Spec": "5M", "VpcId": "vpc-bp1ub1yt9cvakoelj1y9c",
    "VSwitchId": "vsw-bp1y9ovl1cu9ou4tvma0l", "InternetIp": "116.62.69.64", "CreateTime": 1492753580000,
    "EndTime": 1495382400000, "ChargeType": "POSTPAY", "Description": "edge", "IpsecVpn": "enable",
    "SslVpn": "disable", "SslMaxConnections": 5, "EnableBgp": True, "AutoPropagate": False,
    "Tags": {"Tag": [{"Key": "team", "Value": "net"}]},
}
#: The same answer as xmltodict gives it: every value is text.
GATEWAY_XML = {k: (v if isinstance(v, dict) else str(v).lower() if isinstance(v, bool) else str(v))
               for k, v in GATEWAY_JSON.items()}

CONNECTION = {"VpnConnectionId": "vco-bp15oes1py4i66rmd0000", "Name": "to-dc1",
              "VpnGatewayId": "vpn-bp1q8bgx4xnkm2ogj0fiu", "CustomerGatewayId": "cgw-bp1abc", "Status":
              "ipsec_sa_established", "State": "active", "LocalSubnet": "10.0.0.0/8",
              "RemoteSubnet": "192.168.0.0/24,192.168.1.0/24", "CreateTime": "1563873294000", "EnableDpd": "true",
              "EnableNatTraversal": "false", "IkeConfig": {"IkeVersion": "ikev2"}}


@pytest.mark.parametrize("answer", [GATEWAY_JSON, GATEWAY_XML], ids=["json", "xml"])
def test_gateway_fields_are_typed_from_json_and_xml(answer):
    gateway = VpnGateway.from_api(answer)
    assert (gateway.vpn_gateway_id, gateway.name, gateway.status, gateway.business_status) == (
        "vpn-bp1q8bgx4xnkm2ogj0fiu", "prod", "active", "Normal")
    assert (gateway.spec, gateway.vpc_id, gateway.vswitch_id, gateway.internet_ip) == (
        "5M", "vpc-bp1ub1yt9cvakoelj1y9c", "vsw-bp1y9ovl1cu9ou4tvma0l", "116.62.69.64")
    assert (gateway.create_time, gateway.end_time, gateway.ssl_max_connections) == (1492753580000, 1495382400000, 5)
    assert (gateway.enable_bgp, gateway.auto_propagate, gateway.charge_type) == (True, False, "POSTPAY")
    assert gateway.request_id == "R-1" and gateway.is_active and not gateway.is_locked
    assert VpnGateway.from_api(GATEWAY_JSON) == VpnGateway.from_api(GATEWAY_XML)  # raw is not compared


def test_gateway_reads_like_the_dict_it_replaces():
    gateway = VpnGateway.from_api(GATEWAY_XML)
    assert gateway["Status"] == "active" and gateway["BusinessStatus"] == "Normal"
    assert gateway["CreateTime"] == 1492753580000  # the typed value, also from XML text
    assert gateway["Tags"] == {"Tag": [{"Key": "team", "Value": "net"}]}  # not modelled: the raw value
    assert gateway.get("RouteQuota") is None and gateway.get("RouteQuota", 7) == 7
    with pytest.raises(KeyError):
        gateway["RouteQuota"]
    with pytest.raises(TypeError):
        iter(gateway)
    assert gateway.to_api()["Name"] == "prod" and "raw" not in gateway.as_dict()


def test_gateway_is_frozen_hashable_and_picklable():
    gateway = VpnGateway.from_api(GATEWAY_JSON)
    with pytest.raises(AttributeError):
        gateway.status = "updating"  # type: ignore[misc]
    assert len({gateway, VpnGateway.from_api(GATEWAY_XML)}) == 1
    assert pickle.loads(pickle.dumps(gateway)) == gateway


@pytest.mark.parametrize(("status", "business", "active", "locked"), [
    ("updating", "Normal", False, False), ("active", "FinancialLocked", True, True), (None, None, False, False)])
def test_gateway_status_helpers(status, business, active, locked):
    gateway = VpnGateway.from_api({"VpnGatewayId": "vpn-x", "Status": status, "BusinessStatus": business})
    assert (gateway.is_active, gateway.is_locked) == (active, locked)


@pytest.mark.parametrize(("field", "value"), [("CreateTime", "yesterday"), ("EndTime", 1.5),
                                              ("SslMaxConnections", True), ("EnableBgp", "maybe")])
def test_unreadable_gateway_value_names_its_field(field, value):
    with pytest.raises(vw.ValidationError) as caught:
        VpnGateway.from_api({**GATEWAY_JSON, field: value})
    assert caught.value.field == field


def test_connection_fields_and_label():
    connection = VpnConnection.from_api(CONNECTION, request_id="R-2")
    assert (connection.vpn_connection_id, connection.vpn_gateway_id, connection.customer_gateway_id) == (
        "vco-bp15oes1py4i66rmd0000", "vpn-bp1q8bgx4xnkm2ogj0fiu", "cgw-bp1abc")
    assert (connection.status, connection.state, connection.create_time) == ("ipsec_sa_established", "active",
                                                                             1563873294000)
    assert connection.remote_subnet == "192.168.0.0/24,192.168.1.0/24" and connection.local_subnet == "10.0.0.0/8"
    assert (connection.enable_dpd, connection.enable_nat_traversal, connection.effect_immediately) == (
        True, False, None)
    assert connection.request_id == "R-2" and connection["IkeConfig"] == {"IkeVersion": "ikev2"}
    assert connection.label == "to-dc1 (vco-bp15oes1py4i66rmd0000)"
    assert VpnConnection.from_api({"VpnConnectionId": "vco-abcd"}).label == "vco-abcd"


def test_route_entry_keeps_its_fields_and_gains_the_bgp_ones():
    bgp = RouteEntry.from_api({"VpnInstanceId": "vpn-x", "RouteDest": "172.16.1.0/24", "NextHop": "vco-abcd",
                               "Weight": "0", "State": "normal", "CreateTime": "1700000000000",
                               "RouteEntryType": "bgp", "Source": "BGP", "AsPath": "65001 65002",
                               "Community": "65001:100"}, request_id="R")
    assert (bgp.route_entry_type, bgp.source, bgp.as_path, bgp.community) == ("bgp", "BGP", "65001 65002",
                                                                              "65001:100")
    assert bgp.is_bgp and bgp.published is False and bgp.weight == 0 and bgp.request_id == "R"
    custom = RouteEntry.from_api({"RouteDest": "10.0.0.0/24", "Weight": 100, "State": "published",
                                  "RouteEntryType": "custom"})
    assert not custom.is_bgp and custom.published is True and custom.as_path is None
    assert RouteEntry.from_api({}).published is None
    assert RouteEntry("R", "vpn-x", "10.0.0.0/24", "vco-abcd", 100).route_entry_type is None  # positional use


def test_public_names():
    assert vw.VpnGateway is VpnGateway and vw.VpnConnection is VpnConnection
    assert {"VpnGateway", "VpnConnection", "switch_active", "SwitchError", "GatewayWaitError"} <= set(vw.__all__)
