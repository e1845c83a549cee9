"""log/records.py: the shape of one call record, built without pandas."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC

from vpnroute_widgets.log.records import COLUMNS, OUTCOMES, SECRET_KEY_PATTERN, now_utc, record_from_request
from vpnroute_widgets.reference import REQUEST_FIELDS


def test_record_from_request_copies_only_the_request_columns():
    params = {"RegionId": "cn-hangzhou", "VpnGatewayId": "vpn-gw0001", "RouteDest": "10.0.0.0/24",
              "NextHop": "vco-abcd1234", "Weight": "100", "PublishVpc": "true", "Description": "primary",
              "AccessKeyId": "id", "Signature": "sig", "SecurityToken": "token", "Action": "CreateVpnRouteEntry"}
    record = record_from_request("CreateVpnRouteEntry", params, outcome="ok", http_status=200)
    assert record["operation"] == "CreateVpnRouteEntry" and record["timestamp"].tzinfo is UTC
    assert (record["region_id"], record["route_dest"], record["description"]) == ("cn-hangzhou", "10.0.0.0/24",
                                                                                  "primary")
    assert record["weight"] == 100 and record["publish_vpc"] is True  # wire text becomes typed values
    assert (record["outcome"], record["http_status"]) == ("ok", 200)
    assert set(record) <= set(COLUMNS)  # no signature, key or token can reach a record
    assert not any(SECRET_KEY_PATTERN.search(key) for key in record)


def test_every_request_field_of_the_reference_has_a_column():
    assert {doc.attr for doc in REQUEST_FIELDS} <= set(COLUMNS)


def test_unusable_wire_values_become_empty():
    record = record_from_request("DeleteVpnRouteEntry", {"Weight": "abc", "PublishVpc": "", "RouteDest": ""})
    assert record["weight"] is None and record["publish_vpc"] is None and record["route_dest"] is None


def test_fields_override_the_request_side():
    record = record_from_request("CreateVpnRouteEntry", {"RouteDest": "10.0.0.0/24"}, route_dest="10.9.0.0/24")
    assert record["route_dest"] == "10.9.0.0/24"


def test_columns_and_outcomes():
    assert COLUMNS[:2] == ("timestamp", "operation") and len(set(COLUMNS)) == len(COLUMNS)
    assert OUTCOMES == ("ok", "error", "exists", "skipped", "cancelled")
    assert now_utc().tzinfo is UTC


def test_secret_looking_keys_are_recognised():
    for key in ("AccessKeySecret", "access_key_secret", "password", "SecurityToken", "sts_token", "Signature",
                "Authorization", "credentials"):
        assert SECRET_KEY_PATTERN.search(key), key
    for key in ("route_dest", "request_id", "description"):
        assert not SECRET_KEY_PATTERN.search(key), key


def test_records_module_stays_free_of_pandas():
    code = "import sys, vpnroute_widgets.log.records; assert 'pandas' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)  # noqa: S603


def test_a_weight_change_records_the_new_weight_and_the_old_one():
    params = {"RegionId": "cn-hangzhou", "VpnGatewayId": "vpn-bp1abcd", "RouteDest": "10.0.0.0/24",
              "NextHop": "vco-bp1abcd", "Weight": "100", "NewWeight": "0"}
    record = record_from_request("ModifyVpnRouteEntryWeight", params)
    assert (record["weight"], record["old_weight"]) == (0, 100)
    create = {k: v for k, v in params.items() if k != "NewWeight"}
    assert "old_weight" not in record_from_request("CreateVpnRouteEntry", create)
    assert record_from_request("CreateVpnRouteEntry", create)["weight"] == 100
