"""The official SDKs, unchanged, against the sandbox for the route lifecycle: ModifyVpnRouteEntryWeight,
PublishVpnRouteEntry, DescribeVpnGateway(s), DescribeVpnConnections and DescribeVpnRouteEntries with BGP
routes. The legacy core SDK signs V1, the tea SDK (alibabacloud-vpc20160428) V3. Each operation gives its
documented result through the SDK's own request and response classes, and at least one documented error."""

from __future__ import annotations

import importlib
import json
import re

import pytest

aliyunsdkcore = pytest.importorskip("aliyunsdkcore")
pytest.importorskip("alibabacloud_vpc20160428")

from alibabacloud_tea_openapi import models as open_api_models  # noqa: E402
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException  # noqa: E402
from alibabacloud_tea_util import models as util_models  # noqa: E402
from alibabacloud_vpc20160428 import models as vpc_models  # noqa: E402
from alibabacloud_vpc20160428.client import Client as TeaClient  # noqa: E402
from aliyunsdkcore.acs_exception.exceptions import ServerException  # noqa: E402
from aliyunsdkcore.client import AcsClient  # noqa: E402

pytestmark = pytest.mark.interop

SANDBOX_OPTIONS = {"seed": 0, "configuring_s": 0, "routes_per_gateway": 4}


def port_of(sb) -> int:
    return int(sb.endpoint.rsplit(":", 1)[1])


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class Legacy:
    """aliyun-python-sdk-vpc request classes (``set_<Name>``), V1 signatures; RegionId comes from the client."""

    name = "legacy-v1"

    def __init__(self, sb):
        creds = sb.credentials
        self.client = AcsClient(creds.access_key_id, creds.access_key_secret, sb.region_id, port=port_of(sb))

    def call(self, action: str, **params) -> dict:
        module = importlib.import_module(f"aliyunsdkvpc.request.v20160428.{action}Request")
        req = getattr(module, f"{action}Request")()
        for name, value in params.items():
            getattr(req, f"set_{name}")(value)
        req.set_endpoint("127.0.0.1")
        req.set_protocol_type("http")
        return json.loads(self.client.do_action_with_exception(req))

    def failure(self, action: str, **params) -> tuple[str, int]:
        with pytest.raises(ServerException) as caught:
            self.call(action, **params)
        return caught.value.get_error_code(), caught.value.get_http_status()


class Tea:
    """alibabacloud-vpc20160428 models (``snake_case`` fields) and ``<operation>_with_options``, V3 signatures."""

    name = "tea-v3"

    def __init__(self, sb):
        creds = sb.credentials
        self.region_id = sb.region_id
        config = open_api_models.Config(access_key_id=creds.access_key_id, access_key_secret=creds.access_key_secret,
                                        endpoint=f"127.0.0.1:{port_of(sb)}", protocol="HTTP", region_id=sb.region_id)
        self.client = TeaClient(config)
        self.runtime = util_models.RuntimeOptions()

    def call(self, action: str, **params) -> dict:
        fields = {snake(name): value for name, value in params.items()}
        req = getattr(vpc_models, f"{action}Request")(region_id=self.region_id, **fields)
        return getattr(self.client, f"{snake(action)}_with_options")(req, self.runtime).body.to_map()

    def failure(self, action: str, **params) -> tuple[str, int]:
        with pytest.raises(AlibabaCloudException) as caught:
            self.call(action, **params)
        return caught.value.code, caught.value.status_code


@pytest.fixture(params=[Legacy, Tea], ids=["legacy-v1", "tea-v3"])
def sdk(request, sb):
    return request.param(sb)


def routes(sdk, sb, kind=None) -> list[dict]:
    params = {"VpnGatewayId": sb.vpn_gateway_id, "PageSize": 50, **({"RouteEntryType": kind} if kind else {})}
    return sdk.call("DescribeVpnRouteEntries", **params)["VpnRouteEntries"]["VpnRouteEntry"]


def route_key(sb, dest, hop) -> dict:
    return {"VpnGatewayId": sb.vpn_gateway_id, "RouteDest": dest, "NextHop": hop}


def create(sdk, sb, dest, hop, weight):
    sdk.call("CreateVpnRouteEntry", **route_key(sb, dest, hop), Weight=weight, PublishVpc=True)


# --- ModifyVpnRouteEntryWeight -------------------------------------------------------------------------


def test_modify_weight_and_the_forbidden_pair_order(sdk, sb):
    active, standby = sb.next_hops
    create(sdk, sb, "10.250.0.0/24", active, 100)
    answer = sdk.call("ModifyVpnRouteEntryWeight", **route_key(sb, "10.250.0.0/24", active), Weight=100,
                      NewWeight=0, ClientToken="sdk-modify-1")
    assert set(answer) == {"RequestId"}
    assert [r["Weight"] for r in routes(sdk, sb) if r["RouteDest"] == "10.250.0.0/24"] == [0]
    create(sdk, sb, "10.250.0.0/24", standby, 100)  # now an active/standby pair
    before = sb.state()
    code, status = sdk.failure("ModifyVpnRouteEntryWeight", **route_key(sb, "10.250.0.0/24", active), Weight=0,
                               NewWeight=100)
    assert (code, status) == ("VpnRouteEntry.ActiveStandbyPair", 400)
    assert sb.state() == before


def test_modify_weight_of_a_missing_route(sdk, sb):
    code, status = sdk.failure("ModifyVpnRouteEntryWeight", **route_key(sb, "10.251.0.0/24", sb.next_hop),
                               Weight=100, NewWeight=0)
    assert (code, status) == ("InvalidRouteEntry.NotFound", 404)


# --- PublishVpnRouteEntry ------------------------------------------------------------------------------


def test_publish_and_withdraw(sdk, sb):
    create(sdk, sb, "10.252.0.0/24", sb.next_hop, 100)
    key = route_key(sb, "10.252.0.0/24", sb.next_hop)
    assert set(sdk.call("PublishVpnRouteEntry", **key, PublishVpc=False, RouteType="dbr")) == {"RequestId"}
    assert [r["State"] for r in routes(sdk, sb) if r["RouteDest"] == "10.252.0.0/24"] == ["normal"]
    sdk.call("PublishVpnRouteEntry", **key, PublishVpc=True, RouteType="dbr", ClientToken="sdk-publish-1")
    assert [r["State"] for r in routes(sdk, sb) if r["RouteDest"] == "10.252.0.0/24"] == ["published"]


def test_a_write_during_updating_is_refused(sdk, sb):
    sb.configuring_s = 30
    create(sdk, sb, "10.253.0.0/24", sb.next_hop, 100)
    assert sdk.call("DescribeVpnGateway", VpnGatewayId=sb.vpn_gateway_id)["Status"] == "updating"
    for action, extra in (("PublishVpnRouteEntry", {"PublishVpc": False, "RouteType": "dbr"}),
                          ("ModifyVpnRouteEntryWeight", {"Weight": 100, "NewWeight": 0})):
        code, status = sdk.failure(action, **route_key(sb, "10.253.0.0/24", sb.next_hop), **extra)
        assert (code, status) == ("VpnGateway.Configuring", 400), action


# --- BGP routes ----------------------------------------------------------------------------------------


def test_bgp_routes_are_listed_with_their_fields_and_refuse_changes(sdk, sb):
    bgp = routes(sdk, sb, "bgp")
    assert bgp and all(r["RouteEntryType"] == "bgp" and r["AsPath"] and r["Community"] for r in bgp)
    custom = routes(sdk, sb)  # custom is the default
    assert len(custom) == 4 and {r["RouteEntryType"] for r in custom} == {"custom"}
    route = bgp[0]
    key = route_key(sb, route["RouteDest"], route["NextHop"])
    assert sdk.failure("ModifyVpnRouteEntryWeight", **key, Weight=route["Weight"], NewWeight=100) == (
        "OperationUnsupported.BgpRoute", 400)
    assert sdk.failure("PublishVpnRouteEntry", **key, PublishVpc=True, RouteType="dbr")[0] == \
        "OperationUnsupported.BgpRoute"
    assert sdk.failure("DeleteVpnRouteEntry", **key, Weight=route["Weight"])[0] == "OperationUnsupported.BgpRoute"
    assert routes(sdk, sb, "bgp") == bgp


def test_describe_route_entries_refuses_an_unknown_type(sdk, sb):
    code, status = sdk.failure("DescribeVpnRouteEntries", VpnGatewayId=sb.vpn_gateway_id, RouteEntryType="ospf")
    assert (code, status) == ("InvalidParameter", 400)


# --- gateways and connections -------------------------------------------------------------------------


def test_describe_vpn_gateway(sdk, sb):
    data = sdk.call("DescribeVpnGateway", VpnGatewayId=sb.vpn_gateway_id)
    assert data["VpnGatewayId"] == sb.vpn_gateway_id and data["Status"] == "active"
    assert data["BusinessStatus"] == "Normal" and data["Spec"] and data["VpcId"].startswith("vpc-")
    assert isinstance(data["CreateTime"], int) and data["IpsecVpn"] == "enable" and data["RequestId"]
    code, status = sdk.failure("DescribeVpnGateway", VpnGatewayId="vpn-bp1doesnotexist00000")
    assert (code, status) == ("InvalidVpnGatewayInstanceId.NotFound", 404)


def test_describe_vpn_gateways(sdk, sb):
    data = sdk.call("DescribeVpnGateways", PageSize=50)
    ids = [g["VpnGatewayId"] for g in data["VpnGateways"]["VpnGateway"]]
    assert data["TotalCount"] == len(ids) and sb.vpn_gateway_id in ids and sb.locked_gateway_id in ids
    locked = sdk.call("DescribeVpnGateways", BusinessStatus="FinancialLocked")["VpnGateways"]["VpnGateway"]
    assert [g["VpnGatewayId"] for g in locked] == [sb.locked_gateway_id]
    assert sdk.failure("DescribeVpnGateways", Status="sleeping") == ("InvalidParameter", 400)


def test_describe_vpn_connections(sdk, sb):
    data = sdk.call("DescribeVpnConnections", VpnGatewayId=sb.vpn_gateway_id)
    connections = data["VpnConnections"]["VpnConnection"]
    assert [c["VpnConnectionId"] for c in connections] == sb.next_hops and data["TotalCount"] == 2
    assert all(c["Name"] and c["VpnGatewayId"] == sb.vpn_gateway_id and c["CustomerGatewayId"]
               and c["LocalSubnet"] and c["RemoteSubnet"] and c["Status"] for c in connections)
    assert sdk.failure("DescribeVpnConnections", PageSize=51) == ("InvalidParameter", 400)
