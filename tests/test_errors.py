"""The exception tree and the error catalogue."""

from __future__ import annotations

import pickle

import pytest

import vpnroute_widgets as vw
from vpnroute_widgets.errors import known_codes

REFERENCE_CODES = {
    "Forbidden.SubUser": 403, "Forbidden": 403, "Resource.QuotaFull": 400,
    "InvalidVpnGatewayInstanceId.NotFound": 404, "VpnGateway.Configuring": 400, "VpnGateway.FinancialLocked": 400,
}


def test_one_tree():
    for cls in (vw.ValidationError, vw.ApiError, vw.TransportError, vw.CredentialsError, vw.ConfigurationError):
        assert issubclass(cls, vw.VpnRouteError)


@pytest.mark.parametrize(("code", "status"), REFERENCE_CODES.items())
def test_reference_codes_have_status_meaning_and_remedy(code, status):
    info = vw.error_info(code)
    assert (info.http_status, info.documented) == (status, True)
    assert info.meaning and info.remedy


def test_both_spellings_of_forbidden_subuser_are_the_same_error():
    a, b = vw.error_info("Forbidden.SubUser"), vw.error_info("Forbbiden.SubUser")
    assert (a.http_status, a.meaning, a.remedy, a.retryable) == (b.http_status, b.meaning, b.remedy, b.retryable)


@pytest.mark.parametrize("code", ["Throttling", "Throttling.User", "Throttling.Api", "ServiceUnavailable",
                                  "InternalError", "VpnGateway.Configuring", "TaskConflict", "SignatureNonceUsed"])
def test_safe_to_retry(code):
    assert vw.error_info(code).retryable


@pytest.mark.parametrize("code", ["Forbidden", "Forbidden.SubUser", "Resource.QuotaFull", "SignatureDoesNotMatch",
                                  "InvalidVpnGatewayInstanceId.NotFound", "VpnGateway.FinancialLocked",
                                  "IncorrectVpcStatus", "InvalidParameter", "MissingParameter"])
def test_not_retried(code):
    assert not vw.error_info(code).retryable


def test_unknown_codes_get_a_generic_entry_retryable_only_when_server_side():
    assert not vw.error_info("Something.New", 400).retryable
    assert vw.error_info("Something.New", 503).retryable
    assert vw.error_info("Throttling.Whatever", 400).retryable
    assert vw.error_info(None).code == "Unknown"


def test_api_error_prints_code_status_message_and_request_id():
    err = vw.ApiError("Forbidden", "User not authorized.", http_status=403, request_id="RID-1", body="{}")
    assert str(err) == "HTTP 403 Forbidden: User not authorized. (RequestId: RID-1)"
    assert err.info.remedy and not err.retryable
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.code, copy.http_status, copy.request_id, str(copy)) == ("Forbidden", 403, "RID-1", str(err))


def test_catalogue_lists_documented_codes():
    assert set(REFERENCE_CODES) | {"Forbbiden.SubUser"} == set(known_codes(documented_only=True))
    assert "IncorrectVpcStatus" in known_codes()
