"""RouteEntryRequest: every field's rules, normalisation, wire form, and the typed response."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

import vpnroute_widgets as vw
from vpnroute_widgets import model
from vpnroute_widgets.model import CHECKERS, RouteEntry
from vpnroute_widgets.reference import OPERATIONS, REQUEST_FIELDS, RESPONSE_FIELDS, field_doc

GW = "vpn-bp1a3kqjiiq9legfx0000"
HOP = "vco-bp15oes1py4i66rmd0000"
REFERENCE = Path(__file__).parent / "data" / "CreateVpnRouteEntry.md"  # a copy of the API reference


def make(**overrides):
    values = dict(region_id="cn-hangzhou", vpn_gateway_id=GW, route_dest="10.0.0.0/24", next_hop=HOP, weight=0,
                  publish_vpc=True)
    values.update(overrides)
    return vw.RouteEntryRequest(**values)


def refused(field, **overrides) -> vw.ValidationError:
    with pytest.raises(vw.ValidationError) as caught:
        make(**overrides)
    assert caught.value.field == field
    return caught.value


def test_a_valid_request_and_its_wire_form():
    req = make(weight="100", publish_vpc="TRUE", client_token="tok-1", overlay_mode="Ipsec", description="branch")
    assert req.weight == 100 and req.publish_vpc is True
    assert req.to_params() == {
        "RegionId": "cn-hangzhou", "VpnGatewayId": GW, "RouteDest": "10.0.0.0/24", "NextHop": HOP,
        "Weight": "100", "PublishVpc": "true", "ClientToken": "tok-1", "OverlayMode": "Ipsec",
        "Description": "branch"}


def test_optional_fields_are_left_out_and_false_is_lower_case():
    assert make(publish_vpc=False, overlay_mode="", description="").to_params() == {
        "RegionId": "cn-hangzhou", "VpnGatewayId": GW, "RouteDest": "10.0.0.0/24", "NextHop": HOP,
        "Weight": "0", "PublishVpc": "false"}


def test_request_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        make().weight = 100


def test_surrounding_spaces_are_dropped():
    req = make(route_dest=" 10.1.0.0/16 ", vpn_gateway_id=f" {GW}\t")
    assert req.route_dest == "10.1.0.0/16" and req.vpn_gateway_id == GW


@pytest.mark.parametrize(("value", "fragment"), [
    ("10.0.0.1/24", "did you mean 10.0.0.0/24?"),
    ("192.168.1.77/30", "did you mean 192.168.1.76/30?"),
    ("0.0.0.0/0", "not allowed"),
    ("100.64.0.0/10", "100.64.0.0/10"),
    ("100.100.0.0/16", "overlaps 100.64.0.0/10"),
    ("100.0.0.0/8", "overlaps 100.64.0.0/10"),
    ("10.0.0.0/33", "not an IPv4 CIDR"),
    ("10.0.0", "not an IPv4 CIDR"),
    ("10.0.0.0", "such as 10.0.0.0/32"),
    ("2001:db8::/32", "IPv6"),
    ("", "required"),
    ("ten.0.0.0/8", "not an IPv4 CIDR"),
])
def test_route_dest_rules(value, fragment):
    assert fragment in str(refused("RouteDest", route_dest=value))


def test_route_dest_edge_cases_that_are_fine():
    assert make(route_dest="100.63.255.0/24").route_dest == "100.63.255.0/24"
    assert make(route_dest="100.128.0.0/16").route_dest == "100.128.0.0/16"
    assert make(route_dest="8.8.8.8/32").route_dest == "8.8.8.8/32"


@pytest.mark.parametrize("value", [0, 100, "0", "100", " 100 ", 100.0])
def test_weight_accepts_0_and_100(value):
    assert make(weight=value).weight in (0, 100)


@pytest.mark.parametrize(("value", "hint"), [(50, "0 (standby) or 100"), ("50", "0 (standby) or 100"),
                                             (1, "Did you mean 0"), (99, "Did you mean 100"), (True, "0 or 100"),
                                             ("abc", "0 (standby)"), (None, "required"), ("", "required")])
def test_weight_refuses_everything_else(value, hint):
    assert hint in str(refused("Weight", weight=value))


@pytest.mark.parametrize(("value", "expected"), [(True, True), (False, False), ("true", True), ("FALSE", False),
                                                 ("True", True), (" false ", False)])
def test_publish_vpc(value, expected):
    assert make(publish_vpc=value).publish_vpc is expected


@pytest.mark.parametrize("value", ["yes", "1", 1, 0, None, "", "tru"])
def test_publish_vpc_refuses_non_booleans(value):
    refused("PublishVpc", publish_vpc=value)


@pytest.mark.parametrize("value", ["a", "x" * 64, "d7d24a21-f4ba-4454-9173-b3828dae492b", "~!@#$%^&*()"])
def test_client_token_accepts_1_to_64_printable_ascii(value):
    assert make(client_token=value).client_token == value


@pytest.mark.parametrize(("value", "fragment"), [("x" * 65, "at most 64"), ("with space", "printable ASCII"),
                                                 ("tab\t", "printable ASCII"), ("é", "printable ASCII"), (5, "text")])
def test_client_token_refusals(value, fragment):
    assert fragment in str(refused("ClientToken", client_token=value))


def test_overlay_mode():
    assert make(overlay_mode="Ipsec").overlay_mode == "Ipsec"
    assert make(overlay_mode=None).overlay_mode is None
    assert "Did you mean 'Ipsec'" in str(refused("OverlayMode", overlay_mode="ipsec"))
    refused("OverlayMode", overlay_mode="Gre")


@pytest.mark.parametrize(("value", "ok"), [("d" * 100, True), ("d" * 101, False), ("http://x", False),
                                           ("HTTPS://x", False), ("see http://x", True), ("分支", True)])
def test_description(value, ok):
    if ok:
        assert make(description=value).description == value
    else:
        refused("Description", description=value)


@pytest.mark.parametrize(("field", "attr", "value", "fragment"), [
    ("RegionId", "region_id", "cn hangzhou", "spaces"),
    ("RegionId", "region_id", "CN-Hangzhou", "Did you mean 'cn-hangzhou'"),
    ("RegionId", "region_id", "hangzhou", "region id"),
    ("VpnGatewayId", "vpn_gateway_id", "gw-123456", "start with 'vpn-'"),
    ("NextHop", "next_hop", "vpn-abc12345", "start with 'vco-'"),
    ("VpnGatewayId", "vpn_gateway_id", "vpn-bp1a3kqjiiq9legfx****", "masked"),
    ("VpnGatewayId", "vpn_gateway_id", "VPN-BP1A3KQJIIQ9", "Did you mean"),
    ("VpnGatewayId", "vpn_gateway_id", "", "required"),
    ("NextHop", "next_hop", "vco bp1", "spaces"),
    ("NextHop", "next_hop", "10.0.0.1", "IPsec connection id"),
    ("NextHop", "next_hop", None, "required"),
])
def test_identifier_rules(field, attr, value, fragment):
    assert fragment in str(refused(field, **{attr: value}))


def test_validation_error_carries_field_value_and_missing():
    err = refused("NextHop", next_hop="")
    assert err.missing and isinstance(err, vw.VpnRouteError) and isinstance(err, ValueError)
    assert not refused("Weight", weight=7).missing


def test_from_params_uses_api_names_and_reports_missing_ones():
    params = {"RegionId": "cn-hangzhou", "VpnGatewayId": GW, "RouteDest": "10.0.0.0/24", "NextHop": HOP,
              "Weight": "0", "PublishVpc": "false"}
    assert vw.RouteEntryRequest.from_params(params).to_params() == params
    with pytest.raises(vw.ValidationError) as caught:
        vw.RouteEntryRequest.from_params({k: v for k, v in params.items() if k != "NextHop"})
    assert caught.value.field == "NextHop" and caught.value.missing


def test_with_client_token_and_identity():
    req = make()
    assert req.with_client_token("t").client_token == "t" and req.client_token is None
    assert req.identity() == req.with_client_token("t").identity()


def test_every_reference_parameter_has_a_field_checker_and_doc():
    names = {doc.name for doc in REQUEST_FIELDS}
    assert names <= set(CHECKERS)
    assert {f.name for f in dataclasses.fields(vw.RouteEntryRequest)} == {doc.attr for doc in REQUEST_FIELDS}
    request_part = REFERENCE.read_text().split("## Response parameters")[0]
    documented = set(re.findall(r"^\|(\w+)\|(?:String|Boolean|Integer)\|", request_part, re.M))
    assert len(documented) == 9 and documented - {"Action"} <= names
    assert field_doc("RouteDest") is field_doc("route_dest")
    assert all(doc.description for doc in REQUEST_FIELDS + RESPONSE_FIELDS)


def test_route_entry_from_xml_text_values_is_typed():
    entry = RouteEntry.from_api({"Weight": "100", "CreateTime": "1563873294331", "RouteDest": "10.0.0.0/24",
                                 "State": "published", "RequestId": "R"})
    assert entry.weight == 100 and entry.create_time == 1563873294331 and entry.request_id == "R"
    assert RouteEntry.from_api({}, request_id="X").request_id == "X"
    odd = RouteEntry.from_api({"Weight": "heavy", "RouteDest": "10.0.0.0/24"})  # never raises: the route exists
    assert odd.weight is None and odd.route_dest == "10.0.0.0/24" and "Weight" in odd.problems[0]


REQUEST_TYPES = [vw.RouteEntryRequest, model.DeleteRouteEntryRequest, model.ModifyRouteWeightRequest,
                 model.PublishRouteRequest, model.DescribeRouteEntriesRequest, model.DescribeGatewayRequest,
                 model.DescribeGatewaysRequest, model.DescribeConnectionsRequest]


@pytest.mark.parametrize("kind", REQUEST_TYPES, ids=lambda k: k.ACTION)
def test_every_request_type_takes_its_operations_parameters_and_each_has_one_checker(kind):
    spec = OPERATIONS[kind.ACTION]
    names = set(kind._names().values())
    assert set(spec.required) <= names  # every required parameter can be given
    assert names <= set(spec.required) | set(spec.optional)
    assert names <= set(CHECKERS)


def test_new_operations_requests_check_their_fields_and_go_on_the_wire_as_the_api_names_them():
    base = {"RegionId": "cn-hangzhou", "VpnGatewayId": "vpn-bp1abcd", "RouteDest": "10.0.0.0/24",
            "NextHop": "vco-bp1abcd"}
    modify = model.ModifyRouteWeightRequest.from_params({**base, "Weight": "100", "NewWeight": "0"})
    assert modify.to_params() == {**base, "Weight": "100", "NewWeight": "0"}
    with pytest.raises(vw.ValidationError) as caught:
        model.ModifyRouteWeightRequest.from_params({**base, "Weight": "100", "NewWeight": "100"})
    assert caught.value.field == "NewWeight"
    with pytest.raises(vw.ValidationError) as caught:
        model.ModifyRouteWeightRequest.from_params({**base, "Weight": "100", "NewWeight": "50"})
    assert caught.value.field == "NewWeight" and "100" in caught.value.message
    publish = model.PublishRouteRequest.from_params({**base, "PublishVpc": "FALSE"})
    assert publish.to_params() == {**base, "PublishVpc": "false", "RouteType": "dbr"}
    with pytest.raises(vw.ValidationError) as caught:
        model.PublishRouteRequest.from_params({**base, "PublishVpc": "true", "RouteType": "static"})
    assert caught.value.field == "RouteType"
    listing = model.DescribeRouteEntriesRequest("cn-hangzhou", "vpn-bp1abcd", route_entry_type="BGP")
    assert listing.to_params()["RouteEntryType"] == "bgp"
    assert model.DescribeConnectionsRequest("cn-hangzhou").to_params() == {"RegionId": "cn-hangzhou"}
    with pytest.raises(vw.ValidationError) as caught:
        model.DescribeGatewaysRequest("cn-hangzhou", vpc_id="vsw-123")
    assert caught.value.field == "VpcId" and "vpc-" in caught.value.message


def test_weight_from_a_dataframe_column_of_numpy_integers_is_accepted():
    np = pytest.importorskip("numpy")
    assert model.check_weight(np.int64(100)) == 100 and type(model.check_weight(np.int64(0))) is int
    with pytest.raises(vw.ValidationError):
        model.check_weight(np.bool_(True))
    with pytest.raises(vw.ValidationError):
        model.check_weight(np.int64(50))
