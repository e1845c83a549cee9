"""RouteEntryForm, driven as a user would (set values, click) against the sandbox over real HTTP."""

from __future__ import annotations

import asyncio
import html
import os
import re
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import ipywidgets
import pytest
from stub_server import StubServer, reply, stall

import vpnroute_widgets as vw
from vpnroute_widgets.errors import error_info
from vpnroute_widgets.reference import REQUEST_FIELDS
from vpnroute_widgets.widgets.code_export import EXPORTERS

DOCUMENTED = [
    ("Forbidden.SubUser", 403, "User not authorized to operate on the specified resource as your account is "
     "created by another user."),
    ("Forbidden", 403, "User not authorized to operate on the specified resource."),
    ("Resource.QuotaFull", 400, "The quota of resource is full."),
    ("InvalidVpnGatewayInstanceId.NotFound", 404, "The specified vpn gateway instance id does not exist."),
    ("VpnGateway.Configuring", 400, "The specified service is configuring."),
    ("VpnGateway.FinancialLocked", 400, "The specified service is financial locked."),
]
SUCCESS = (Path(__file__).parent / "data" / "create_success.json").read_bytes()


@pytest.fixture(scope="module")
def sandbox():
    with vw.Sandbox(seed=0, configuring_s=0.05) as sb:
        yield sb


@pytest.fixture
def sb(sandbox):
    sandbox.reset()
    yield sandbox
    sandbox.faults.clear()


@pytest.fixture
def log():
    return vw.ResponseLog()


def make_form(sb, log, **client_kwargs) -> vw.RouteEntryForm:
    client_kwargs.setdefault("max_attempts", 1)
    client = vw.VpcClient(sb.credentials, endpoint=sb.endpoint, log=log, **client_kwargs)
    return vw.RouteEntryForm(client=client, log=log)


def fill(form, sb=None, **overrides) -> None:
    values = {"RegionId": sb.region_id if sb else "cn-hangzhou",
              "VpnGatewayId": sb.vpn_gateway_id if sb else "vpn-bp1a3kqjiiq9legfx0000",
              "NextHop": sb.next_hop if sb else "vco-bp15oes1py4i66rmd0000",
              "RouteDest": "10.1.0.0/24", "Weight": 100, "PublishVpc": True}
    values.update(overrides)
    for name, value in values.items():
        form.fields[name].value = value


def creates(sb) -> list[dict]:
    """The CreateVpnRouteEntry requests the sandbox received."""
    return [seen for seen in sb.requests if seen["action"] == "CreateVpnRouteEntry"]


def routes(sb) -> list[str]:
    """Every route destination the sandbox holds, on any gateway."""
    return [route["RouteDest"] for gateway in sb.state()["gateways"] for route in gateway["Routes"]]


# --- inputs and live checks ------------------------------------------------------------


def test_one_labelled_input_per_parameter_with_reference_help():
    form = vw.RouteEntryForm()
    assert list(form.fields) == [doc.name for doc in REQUEST_FIELDS]
    for doc in REQUEST_FIELDS:
        widget = form.fields[doc.name]
        assert widget.description == doc.name and widget.tooltip == doc.description
    shown = " ".join(getattr(w, "value", "") for w in form.children if isinstance(w, ipywidgets.HTML))
    assert html.escape(REQUEST_FIELDS[2].description) in shown
    assert dict(form.fields["Weight"].options) == {"100 (active)": 100, "0 (standby)": 0}
    assert set(dict(form.fields["OverlayMode"].options).values()) == {"", "Ipsec"}
    assert form.fields["PublishVpc"].value is True


def test_messages_appear_next_to_the_field_in_the_error_colour_and_submit_follows():
    form = vw.RouteEntryForm()
    assert form.submit.disabled and "required" in form.messages["RouteDest"].value
    assert "--jp-error-color1" not in form.messages["RouteDest"].value  # untouched: a quiet hint, not an error
    fill(form)
    assert not form.submit.disabled and form.errors == {}
    form.fields["RouteDest"].value = "10.0.0.1/24"
    assert form.submit.disabled
    assert "var(--jp-error-color1)" in form.messages["RouteDest"].value
    assert "did you mean 10.0.0.0/24" in form.messages["RouteDest"].value
    form.fields["Description"].value = "https://x"
    assert set(form.errors) == {"RouteDest", "Description"}
    form.fields["RouteDest"].value = "10.0.0.0/24"
    form.fields["Description"].value = "<b>branch</b>"
    assert not form.submit.disabled and form.messages["Description"].value == ""


def test_model_messages_are_escaped():
    form = vw.RouteEntryForm()
    form.fields["VpnGatewayId"].value = "<script>alert(1)</script>"
    assert "<script>" not in form.messages["VpnGatewayId"].value
    assert "&lt;script&gt;" in form.messages["VpnGatewayId"].value


def test_generate_fills_a_fresh_client_token():
    form = vw.RouteEntryForm()
    form.generate_token.click()
    first = form.fields["ClientToken"].value
    form.generate_token.click()
    assert len(first) == 36 and form.fields["ClientToken"].value != first
    assert "ClientToken" not in form.errors


# --- preview and code export -------------------------------------------------------------


def test_preview_shows_parameters_and_masked_signed_request():
    creds = vw.Credentials("LTAI" "5tPreviewKey9876", "preview-secret-value", "preview-sts-token")
    form = vw.RouteEntryForm(client=vw.VpcClient(creds))
    fill(form, Description="a & b")
    preview = form.preview.value
    for name, value in form.request.to_params().items():
        assert html.escape(name) in preview and html.escape(value) in preview
    assert "POST https://vpc.cn-hangzhou.aliyuncs.com/?" in preview
    assert "LTAI****9876" in preview and "LTAI" "5tPreviewKey9876" not in preview
    assert "preview-secret-value" not in preview and "preview-sts-token" not in preview
    assert "Signature=******" in preview and "generated when sent" in preview


def test_preview_without_a_connection_still_lists_parameters():
    form = vw.RouteEntryForm()
    fill(form)
    assert "RouteDest" in form.preview.value and "Signed request not available" in form.preview.value


@pytest.mark.parametrize("kind", list(EXPORTERS))
def test_code_export_matches_the_request_with_placeholder_credentials(kind):
    creds = vw.Credentials("LTAI" "5tExportKey12345", "export-secret-value")
    form = vw.RouteEntryForm(client=vw.VpcClient(creds))
    fill(form, Weight=0, OverlayMode="Ipsec", ClientToken="tok-1", Description="it's \"quoted\"")
    form.code_choice.value = kind
    code = form.export_code()
    assert html.escape(code) in form.code.code.value and form.code.text == code  # the Copy button copies it
    assert "export-secret-value" not in code and "LTAI" "5tExportKey12345" not in code
    assert "<ACCESS_KEY_ID>" in code or "aliyun configure" in code
    for value in ("cn-hangzhou", "vpn-bp1a3kqjiiq9legfx0000", "10.1.0.0/24", "vco-bp15oes1py4i66rmd0000", "Ipsec",
                  "tok-1"):
        assert value in code
    if kind.startswith("aliyun"):
        assert code.splitlines()[1] == "aliyun vpc CreateVpnRouteEntry \\" and "--Weight 0" in code
        assert "--PublishVpc true" in code and "--Description 'it'\"'\"'s \"quoted\"'" in code
    else:
        compile(code, kind, "exec")  # valid Python
        assert "weight=0" in code and "publish_vpc=True" in code


def test_code_export_names_the_sandbox_endpoint(sb, log):
    form = make_form(sb, log)
    fill(form, sb)
    host = sb.endpoint.split("://")[1]
    assert f"--endpoint {host}" in form.export_code("aliyun CLI")
    assert f"endpoint={host!r}" in form.export_code("Python SDK (alibabacloud-vpc20160428)")
    assert "protocol='HTTP'" in form.export_code("Python SDK (alibabacloud-vpc20160428)")


# --- submitting --------------------------------------------------------------------------


def test_submit_creates_the_route_and_shows_it(sb, log):
    form = make_form(sb, log)
    fill(form, sb, Description="from the form")
    form.submit.click()
    assert form.busy and form.submit.disabled and "Sending" in form.status.value
    entry = form.wait()
    assert isinstance(entry, vw.RouteEntry) and entry.route_dest == "10.1.0.0/24"
    assert not form.busy and not form.submit.disabled
    card = form.result.value
    assert "Route created" in card and "var(--jp-success-color1)" in card
    for value in (entry.route_dest, entry.next_hop, entry.state, entry.request_id, entry.vpn_instance_id):
        assert html.escape(str(value)) in card
    assert len(creates(sb)) == 1 and routes(sb) == ["10.1.0.0/24"]
    rows = log.records()
    assert [r["outcome"] for r in rows] == ["ok"] and rows[0]["route_dest"] == "10.1.0.0/24"
    assert rows[0]["request_id"] == entry.request_id


def test_invalid_form_sends_nothing_even_on_programmatic_click(sb, log):
    form = make_form(sb, log)
    fill(form, sb, RouteDest="0.0.0.0/0")
    assert form.submit.disabled
    form.submit.click()
    form.wait()
    assert creates(sb) == [] and routes(sb) == []
    assert isinstance(form.last_result, vw.ValidationError)
    assert "RouteDest" in form.result.value and "Nothing was sent" in form.result.value
    (rec,) = log.records()
    assert rec["outcome"] == "error" and rec["error_code"] == "ValidationError" and rec["attempts"] == 0


def test_a_double_click_submits_once(sb, log):
    form = make_form(sb, log)
    fill(form, sb)
    form.submit.click()
    form.submit.click()
    assert "already in flight" in form.status.value
    form.wait()
    form.wait()
    assert len(creates(sb)) == 1 and len(log) == 1


def test_submit_leaves_the_event_loop_free_and_shows_elapsed_time(log):
    stub = StubServer()
    stub.script(stall(0.6, then=reply(200, SUCCESS)))
    form = vw.RouteEntryForm(client=vw.VpcClient(vw.Credentials("testkeyid0001", "s3cret-stub"),
                                                 endpoint=stub.endpoint, log=log, max_attempts=1))
    fill(form)

    async def scenario():
        started = time.perf_counter()
        form.submit.click()
        click_s = time.perf_counter() - started
        await asyncio.sleep(0.35)
        seen_status = form.status.value
        started = time.perf_counter()
        form.generate_token.click()  # another widget, answered while the request is in flight
        other_s = time.perf_counter() - started
        assert form.busy
        await form.submit_task
        return click_s, other_s, seen_status

    results = []
    # A fresh thread: asyncio.run refuses a thread where another loop is registered (Playwright's sync API).
    runner = threading.Thread(target=lambda: results.append(asyncio.run(scenario())))
    try:
        runner.start()
        runner.join(10)
    finally:
        stub.close()
    click_s, other_s, seen_status = results[0]
    assert click_s < 0.1 and other_s < 0.1
    assert "Sending" in seen_status and " s" in seen_status and "0.0 s" not in seen_status
    assert isinstance(form.last_result, vw.RouteEntry) and "Route created" in form.result.value


@pytest.mark.parametrize("code,status,text", DOCUMENTED)
def test_every_documented_error_is_explained(sb, log, code, status, text):
    form = make_form(sb, log)
    fill(form, sb)
    sb.faults.add(kind="error", code=code, status=status, action="CreateVpnRouteEntry", times=5)
    form.submit.click()
    err = form.wait()
    assert isinstance(err, vw.ApiError) and err.code == code
    card = form.result.value
    info = error_info(code, status)
    assert f"{code} (HTTP {status})" in card and "var(--jp-error-color1)" in card
    for part in (info.meaning, info.remedy, err.message, err.request_id):
        assert html.escape(part) in card
    (rec,) = log.records()
    assert rec["outcome"] == "error" and rec["error_code"] == code and rec["http_status"] == status


def test_locked_and_unknown_gateways_answer_from_the_sandbox(sb, log):
    form = make_form(sb, log)
    fill(form, sb, VpnGatewayId=sb.locked_gateway_id)
    form.submit.click()
    assert form.wait().code == "VpnGateway.FinancialLocked"
    assert "Top up the account balance" in form.result.value
    form.fields["VpnGatewayId"].value = "vpn-doesnotexist0000"
    form.submit.click()
    assert form.wait().code == "InvalidVpnGatewayInstanceId.NotFound"
    assert [r["error_code"] for r in log.records()] == ["VpnGateway.FinancialLocked",
                                                         "InvalidVpnGatewayInstanceId.NotFound"]


def test_unknown_outcome_keeps_the_client_token_for_a_safe_resubmit(log):
    stub = StubServer()
    stub.script(stall(0.6))
    form = vw.RouteEntryForm(client=vw.VpcClient(vw.Credentials("testkeyid0001", "s3cret-stub"),
                                                 endpoint=stub.endpoint, log=log, max_attempts=1,
                                                 timeout=(1, 0.2)))
    fill(form)
    try:
        form.submit.click()
        err = form.wait()
        sent = stub.requests[0].query["ClientToken"]
    finally:
        stub.close()
    assert isinstance(err, vw.TransportError) and err.unknown_outcome
    assert form.fields["ClientToken"].value == sent
    assert "TransportError" in form.result.value and "same ClientToken" in form.result.value


def test_quick_picks_offer_the_sandbox_ids(sb, log):
    form = make_form(sb, log)
    gateways = [{"vpn_gateway_id": g["vpn_gateway_id"], "next_hops": list(g["next_hops"])} for g in sb.gateways]
    form.set_quick_picks({"region_id": sb.region_id, "gateways": gateways})
    assert form.fields["RegionId"].value == sb.region_id
    assert sb.vpn_gateway_id in form.fields["VpnGatewayId"].options
    form.fill_demo.click()
    assert form.fields["VpnGatewayId"].value == gateways[0]["vpn_gateway_id"]
    assert set(form.fields["NextHop"].options) == set(gateways[0]["next_hops"])
    form.wait()  # the gateway's routes are read in a worker; a free RouteDest follows
    assert form.request is not None and form.fields["RouteDest"].value not in routes(sb)


@pytest.mark.parametrize("who,code", [("subuser_credentials", "Forbidden.SubUser"),
                                      ("forbidden_credentials", "Forbidden")])
def test_the_sandbox_users_without_permission_get_explained(sb, log, who, code):
    client = vw.VpcClient(getattr(sb, who), endpoint=sb.endpoint, log=log, max_attempts=1)
    form = vw.RouteEntryForm(client=client, log=log)
    fill(form, sb)
    form.submit.click()
    assert form.wait().code == code
    assert html.escape(error_info(code).remedy) in form.result.value and routes(sb) == []


def test_a_full_quota_gateway_gets_explained(sb, log):
    form = make_form(sb, log, max_attempts=5, backoff_base=0.05)  # the gateway is briefly busy after each create
    fill(form, sb, VpnGatewayId=sb.quota_gateway_id, NextHop=sb.quota_next_hops[0])
    outcomes = []
    for i in range(5):
        form.fields["RouteDest"].value = f"10.9.{i}.0/24"
        form.submit.click()
        result = form.wait()
        outcomes.append(getattr(result, "code", "ok"))
        if outcomes[-1] != "ok":
            break
    assert outcomes[-1] == "Resource.QuotaFull" and outcomes.count("ok") == 3
    assert "Quota Center" in form.result.value


# --- the single-route flow, made consistent (issue 15, item 6) ------------------------------


def test_demo_values_pick_a_route_dest_not_yet_on_the_gateway(sb, log):
    client = vw.VpcClient(sb.credentials, endpoint=sb.endpoint, log=log)
    taken = ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/23"]
    for dest in taken:
        client.create_vpn_route_entry(vw.RouteEntryRequest(region_id=sb.region_id, vpn_gateway_id=sb.vpn_gateway_id,
                                                           route_dest=dest, next_hop=sb.next_hop, weight=0,
                                                           publish_vpc=True))
    form = make_form(sb, log, max_attempts=10)  # the gateway is still configuring after those creates
    form.set_quick_picks({"region_id": sb.region_id, "gateways": [{"vpn_gateway_id": sb.vpn_gateway_id,
                                                                    "next_hops": [sb.next_hop]}]})
    started = time.monotonic()
    form.fill_demo.click()
    assert time.monotonic() - started < 0.2 and "Looking for a RouteDest" in form.status.value  # never blocks
    form.wait()
    assert form.fields["RouteDest"].value == "10.0.4.0/24" and "not on" in form.status.value
    form.submit.click()
    assert isinstance(form.wait(), vw.RouteEntry)


def test_demo_values_keep_a_route_dest_typed_meanwhile(sb, log):
    form = make_form(sb, log)
    form.set_quick_picks({"region_id": sb.region_id, "gateways": [{"vpn_gateway_id": sb.vpn_gateway_id,
                                                                    "next_hops": [sb.next_hop]}]})
    form.fill_demo.click()
    form.fields["RouteDest"].value = "10.77.0.0/24"
    form.wait()
    assert form.fields["RouteDest"].value == "10.77.0.0/24"


def test_result_card_is_cleared_when_an_input_changes(sb, log):
    form = make_form(sb, log)
    fill(form, sb)
    form.submit.click()
    form.wait()
    assert "Route created" in form.result.value
    form.fields["RouteDest"].value = "10.2.0.0/24"
    assert form.result.value == "" and form.status.value == ""


def test_result_card_is_cleared_when_the_connection_changes(tmp_path, sb):
    connection = vw.ConnectionPanel(sandbox=sb, home=tmp_path)
    app = vw.app(connection=connection)
    try:
        fill(app.form, sb, RouteDest="10.3.0.0/24")
        app.form.submit.click()
        app.form.wait()
        assert "Route created" in app.form.result.value
        app.connection.mode_choice.value = "cloud"
        assert app.form.result.value == ""
    finally:
        app.close()


def test_sandbox_snippet_runs_as_it_is_in_the_same_kernel(tmp_path, sb):
    connection = vw.ConnectionPanel(sandbox=sb, home=tmp_path)
    form = vw.RouteEntryForm(client=connection)
    try:
        fill(form, sb, RouteDest="10.5.0.0/24")
        code = form.export_code("vpnroute_widgets")
        assert "Credentials.resolve" not in code and "ConnectionPanel.sandbox_at(" in code
        assert sb.credentials.access_key_secret not in code
        namespace: dict = {}
        exec(compile(code, "snippet", "exec"), namespace)  # noqa: S102 - the exported snippet, run as is
        assert namespace["entry"].route_dest == "10.5.0.0/24" and "10.5.0.0/24" in routes(sb)
    finally:
        form.close()
        connection.close()


def test_every_code_block_has_a_copy_button(sb, log):
    form = make_form(sb, log)
    assert form.code.copy_button.layout.display == "none"  # nothing to copy yet
    fill(form, sb)
    assert form.code.copy_button.layout.display == "" and form.code.copy_button.text == form.export_code()
    assert form.code.copy_button.hint


def test_cloud_mode_says_where_requests_go(tmp_path, monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI" "5tWhereKey1234")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "where-secret")
    connection = vw.ConnectionPanel(home=tmp_path, environ={})
    form = vw.RouteEntryForm(client=connection)
    try:
        connection.mode_choice.value = "cloud"
        connection.region.value = "cn-shanghai"
        form.refresh()
        text = form.target.value
        assert "Alibaba Cloud" in text and "LTAI****1234" in text and "cn-shanghai" in text
        assert "https://vpc.cn-shanghai.aliyuncs.com" in text and "where-secret" not in text
    finally:
        form.close()
        connection.close()


def test_missing_credentials_card_says_what_to_do_and_lists_places(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith(("ALIBABA_CLOUD_", "ALICLOUD_")):
            monkeypatch.delenv(name)
    connection = vw.ConnectionPanel(home=tmp_path, environ={})
    form = vw.RouteEntryForm(client=connection)
    try:
        connection.mode_choice.value = "cloud"
        fill(form)
        form.submit.click()
        card = form.result.value
        assert "Sandbox (local, no account)" in card and "Connect" in card
        places = re.findall(r"<li[^>]*>(.*?)</li>", card)
        assert len(places) >= 3 and any(".aliyun" in p for p in places)
        assert "Cannot send yet" in form.target.value or "cannot be sent yet" in form.target.value
    finally:
        form.close()
        connection.close()


def test_create_time_is_shown_in_utc_and_kept_raw(sb, log):
    form = make_form(sb, log)
    fill(form, sb, RouteDest="10.6.0.0/24")
    form.submit.click()
    entry = form.wait()
    assert isinstance(entry.create_time, int)
    shown = datetime.fromtimestamp(entry.create_time / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    assert shown in form.result.value and str(entry.create_time) not in form.result.value


def test_the_signed_request_preview_has_a_copy_button_too(sb, log):
    form = make_form(sb, log)
    assert form.preview_copy.layout.display == "none"
    fill(form, sb)
    assert form.preview_copy.layout.display == "" and form.preview_copy.text.startswith("POST ")
    assert html.escape(form.preview_copy.text.splitlines()[0]) in form.preview.value
    assert sb.credentials.access_key_secret not in form.preview_copy.text
