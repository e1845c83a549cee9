"""The official Alibaba Cloud SDKs against the sandbox: the legacy core SDK (V1 signatures) and the tea
SDK alibabacloud-vpc20160428 (V3, its default). Create, list, delete; each documented error with its code and
status; refusal of a wrong secret."""

from __future__ import annotations

import json

import pytest

import vpnroute_widgets as vw

aliyunsdkcore = pytest.importorskip("aliyunsdkcore")
pytest.importorskip("alibabacloud_vpc20160428")

from alibabacloud_tea_openapi import models as open_api_models  # noqa: E402
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException  # noqa: E402
from alibabacloud_tea_util import models as util_models  # noqa: E402
from alibabacloud_vpc20160428 import models as vpc_models  # noqa: E402
from alibabacloud_vpc20160428.client import Client as TeaClient  # noqa: E402
from aliyunsdkcore.acs_exception.exceptions import ServerException  # noqa: E402
from aliyunsdkcore.client import AcsClient  # noqa: E402
from aliyunsdkvpc.request.v20160428 import (  # noqa: E402
    CreateVpnRouteEntryRequest,
    DeleteVpnRouteEntryRequest,
    DescribeVpnRouteEntriesRequest,
)

pytestmark = pytest.mark.interop


def port_of(sb) -> int:
    return int(sb.endpoint.rsplit(":", 1)[1])


# --- two adapters with one interface: create / describe / delete, errors as (code, status) ----------


class Legacy:
    """aliyun-python-sdk-core + aliyun-python-sdk-vpc, V1 (HMAC-SHA1) signatures, JSON."""

    name = "legacy-v1"

    def __init__(self, sb, creds):
        self.sb = sb
        self.client = AcsClient(creds.access_key_id, creds.access_key_secret, sb.region_id, port=port_of(sb))

    def _do(self, req) -> dict:
        req.set_endpoint("127.0.0.1")
        req.set_protocol_type("http")
        return json.loads(self.client.do_action_with_exception(req))

    def create(self, gateway, dest, hop, weight=0, token=None):
        req = CreateVpnRouteEntryRequest.CreateVpnRouteEntryRequest()
        req.set_VpnGatewayId(gateway)
        req.set_RouteDest(dest)
        req.set_NextHop(hop)
        req.set_Weight(weight)
        req.set_PublishVpc(True)
        if token:
            req.set_ClientToken(token)
        return self._do(req)

    def describe(self, gateway):
        req = DescribeVpnRouteEntriesRequest.DescribeVpnRouteEntriesRequest()
        req.set_VpnGatewayId(gateway)
        return self._do(req)

    def delete(self, gateway, dest, hop, weight=0):
        req = DeleteVpnRouteEntryRequest.DeleteVpnRouteEntryRequest()
        req.set_VpnGatewayId(gateway)
        req.set_RouteDest(dest)
        req.set_NextHop(hop)
        req.set_Weight(weight)
        return self._do(req)

    @staticmethod
    def failure(fn, *args):
        with pytest.raises(ServerException) as caught:
            fn(*args)
        err = caught.value
        return err.get_error_code(), err.get_http_status(), err.get_request_id()


class Tea:
    """alibabacloud-vpc20160428 on alibabacloud-tea-openapi, V3 (ACS3-HMAC-SHA256) signatures."""

    name = "tea-v3"

    def __init__(self, sb, creds):
        self.sb = sb
        config = open_api_models.Config(access_key_id=creds.access_key_id, access_key_secret=creds.access_key_secret,
                                        endpoint=f"127.0.0.1:{port_of(sb)}", protocol="HTTP", region_id=sb.region_id)
        self.client = TeaClient(config)
        self.runtime = util_models.RuntimeOptions()

    def create(self, gateway, dest, hop, weight=0, token=None):
        req = vpc_models.CreateVpnRouteEntryRequest(region_id=self.sb.region_id, vpn_gateway_id=gateway,
                                                    route_dest=dest, next_hop=hop, weight=weight, publish_vpc=True,
                                                    client_token=token)
        return self.client.create_vpn_route_entry_with_options(req, self.runtime).body.to_map()

    def describe(self, gateway):
        req = vpc_models.DescribeVpnRouteEntriesRequest(region_id=self.sb.region_id, vpn_gateway_id=gateway)
        return self.client.describe_vpn_route_entries_with_options(req, self.runtime).body.to_map()

    def delete(self, gateway, dest, hop, weight=0):
        req = vpc_models.DeleteVpnRouteEntryRequest(region_id=self.sb.region_id, vpn_gateway_id=gateway,
                                                    route_dest=dest, next_hop=hop, weight=weight)
        return self.client.delete_vpn_route_entry_with_options(req, self.runtime).body.to_map()

    @staticmethod
    def failure(fn, *args):
        with pytest.raises(AlibabaCloudException) as caught:
            fn(*args)
        err = caught.value
        return err.code, err.status_code, err.request_id


SDKS = [Legacy, Tea]


@pytest.fixture(params=SDKS, ids=[s.name for s in SDKS])
def sdk_class(request):
    return request.param


@pytest.fixture
def sdk(sdk_class, sb):
    return sdk_class(sb, sb.credentials)


# --- the round trip -----------------------------------------------------------------------------------


def test_create_list_delete(sdk, sb):
    created = sdk.create(sb.vpn_gateway_id, "10.0.0.0/24", sb.next_hops[0], weight=100)
    assert created["VpnInstanceId"] == sb.vpn_gateway_id and created["Weight"] == 100
    assert created["State"] == "published" and isinstance(created["CreateTime"], int)
    standby = sdk.create(sb.vpn_gateway_id, "10.0.0.0/24", sb.next_hops[1], weight=0)
    assert standby["NextHop"] == sb.next_hops[1]
    listed = sdk.describe(sb.vpn_gateway_id)
    assert listed["TotalCount"] == 2 and listed["PageNumber"] == 1 and listed["PageSize"] == 10
    entries = listed["VpnRouteEntries"]["VpnRouteEntry"]
    assert {(e["NextHop"], e["Weight"]) for e in entries} == {(sb.next_hops[0], 100), (sb.next_hops[1], 0)}
    deleted = sdk.delete(sb.vpn_gateway_id, "10.0.0.0/24", sb.next_hops[0], 100)
    assert set(deleted) == {"RequestId"}
    assert sdk.describe(sb.vpn_gateway_id)["TotalCount"] == 1
    seen = [r["signature"] for r in sb.requests]
    assert set(seen) == {"v1" if sdk.name.startswith("legacy") else "v3"}


def test_client_token_replay(sdk, sb):
    first = sdk.create(sb.vpn_gateway_id, "10.0.0.0/24", sb.next_hop, token="sdk-token-1")
    again = sdk.create(sb.vpn_gateway_id, "10.0.0.0/24", sb.next_hop, token="sdk-token-1")
    assert again["CreateTime"] == first["CreateTime"] and sdk.describe(sb.vpn_gateway_id)["TotalCount"] == 1
    code, status, _ = sdk.failure(sdk.create, sb.vpn_gateway_id, "10.1.0.0/24", sb.next_hop, 0, "sdk-token-1")
    assert (code, status) == ("IdempotentParameterMismatch", 400)


# --- every documented error, on purpose ------------------------------------------------------------


def test_forbidden_subuser_and_forbidden(sdk_class, sb):
    for creds, expected in ((sb.subuser_credentials, "Forbidden.SubUser"), (sb.forbidden_credentials, "Forbidden")):
        sdk = sdk_class(sb, creds)
        code, status, request_id = sdk.failure(sdk.create, sb.vpn_gateway_id, "10.0.0.0/24", sb.next_hop)
        assert (code, status) == (expected, 403) and request_id


def test_quota_full(sdk, sb):
    hops = sb.quota_next_hops
    for i in range(3):
        sdk.create(sb.quota_gateway_id, f"10.{i}.0.0/24", hops[0])
    assert sdk.failure(sdk.create, sb.quota_gateway_id, "10.9.0.0/24", hops[0])[:2] == ("Resource.QuotaFull", 400)


def test_gateway_not_found(sdk, sb):
    code, status, _ = sdk.failure(sdk.create, "vpn-bp1doesnotexist00000", "10.0.0.0/24", sb.next_hop)
    assert (code, status) == ("InvalidVpnGatewayInstanceId.NotFound", 404)


def test_configuring(sdk, sb):
    sb.configuring_s = 30
    sdk.create(sb.vpn_gateway_id, "10.0.0.0/24", sb.next_hop)
    code, status, _ = sdk.failure(sdk.create, sb.vpn_gateway_id, "10.1.0.0/24", sb.next_hop)
    assert (code, status) == ("VpnGateway.Configuring", 400)


def test_financial_locked(sdk, sb):
    code, status, _ = sdk.failure(sdk.create, sb.locked_gateway_id, "10.0.0.0/24", sb.locked_next_hop)
    assert (code, status) == ("VpnGateway.FinancialLocked", 400)


def test_injected_error_reaches_the_sdk(sdk, sb):
    sb.faults.add(kind="error", code="Throttling.User", status=400, action="CreateVpnRouteEntry", times=1)
    code, status, _ = sdk.failure(sdk.create, sb.vpn_gateway_id, "10.0.0.0/24", sb.next_hop)
    assert (code, status) == ("Throttling.User", 400)


def test_wrong_secret_is_refused(sdk_class, sb):
    sdk = sdk_class(sb, vw.Credentials(sb.credentials.access_key_id, "definitely-wrong"))
    code, status, _ = sdk.failure(sdk.describe, sb.vpn_gateway_id)
    # The legacy SDK compares the StringToSign the server reports with its own; when they are equal it
    # names the real cause, InvalidAccessKeySecret: proof that the sandbox signs exactly what it received.
    expected = "InvalidAccessKeySecret" if sdk_class is Legacy else "SignatureDoesNotMatch"
    assert (code, status) == (expected, 400)
    assert sb.requests.count() == 1 and next(iter(sb.requests))["code"] == "SignatureDoesNotMatch"
