"""Real-account pickers: in Alibaba Cloud mode (here pointed at the sandbox, with its keys typed), the form offers
the account's gateways and connections by name and id, read when the region is chosen, never a write."""

from __future__ import annotations

import pytest

import vpnroute_widgets as vw
from vpnroute_widgets.widgets.pickers import AccountPickers, account_picks

WRITES = ("CreateVpnRouteEntry", "DeleteVpnRouteEntry", "ModifyVpnRouteEntryWeight", "PublishVpnRouteEntry")


@pytest.fixture
def parts(sb, tmp_path, monkeypatch):
    for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALICLOUD_ACCESS_KEY",
                 "ALICLOUD_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    log = vw.ResponseLog()
    connection = vw.ConnectionPanel(log=log, sandbox=sb, home=tmp_path)
    form = vw.RouteEntryForm(client=connection, log=log)
    pickers = AccountPickers(connection, form)
    yield connection, form, pickers
    pickers.close()
    form.close()
    connection.close()


def to_cloud(connection, sb) -> None:
    """Alibaba Cloud mode, the sandbox standing in for the account (endpoint and keys typed)."""
    connection.mode_choice.value = "cloud"
    connection.endpoint.value = sb.endpoint
    connection.key_id.value = sb.credentials.access_key_id
    connection.secret.value = sb.credentials.access_key_secret
    connection.region.value = sb.region_id


def test_hidden_and_silent_in_sandbox_mode(parts, sb):
    connection, _form, pickers = parts
    connection.connect()
    pickers.wait()
    assert pickers.layout.display == "none" and pickers.picks == {}
    assert sb.requests.count("DescribeVpnGateways") == 0


def test_cloud_mode_offers_gateways_and_connections_by_name_and_id(parts, sb):
    connection, form, pickers = parts
    to_cloud(connection, sb)
    pickers.wait()
    assert pickers.layout.display == ""
    labels = dict((value, label) for label, value in pickers.gateway.options)
    assert labels[sb.vpn_gateway_id] == f"demo-gateway-1 ({sb.vpn_gateway_id})"
    assert sb.vpn_gateway_id in form.fields["VpnGatewayId"].options  # ids as suggestions in the form
    pickers.gateway.value = sb.vpn_gateway_id
    assert form.fields["VpnGatewayId"].value == sb.vpn_gateway_id
    hops = dict((value, label) for label, value in pickers.next_hop.options if value)
    assert set(hops) == set(sb.next_hops) and all(label.startswith("demo-gateway-1-ipsec-") for label in hops.values())
    pickers.next_hop.value = sb.next_hops[1]
    assert form.fields["NextHop"].value == sb.next_hops[1]
    assert set(form.fields["NextHop"].options) == set(sb.next_hops)
    assert "read only; nothing was changed" in pickers.status.value
    assert sum(sb.requests.count(a) for a in WRITES) == 0
    assert sb.requests.count("DescribeVpnGateways") >= 1 and sb.requests.count("DescribeVpnConnections") >= 1


def test_typing_an_id_by_hand_still_works(parts, sb):
    connection, form, pickers = parts
    to_cloud(connection, sb)
    pickers.wait()
    form.fields["VpnGatewayId"].value = "vpn-typedbyhand0000000000"
    assert form.fields["VpnGatewayId"].value == "vpn-typedbyhand0000000000"
    assert "VpnGatewayId" not in form.errors


def test_without_keys_the_pickers_say_so_and_send_nothing(parts, sb):
    connection, _form, pickers = parts
    connection.mode_choice.value = "cloud"
    connection.endpoint.value = sb.endpoint
    pickers.wait()
    assert "No gateways offered" in pickers.status.value and "CredentialsError" in pickers.status.value
    assert sb.requests.count("DescribeVpnGateways") == 0


def test_account_picks_groups_connections_under_their_gateway(sb):
    client = vw.VpcClient(sb.credentials, endpoint=sb.endpoint, region_id=sb.region_id)
    picks = account_picks(client, sb.region_id)
    first = next(g for g in picks["gateways"] if g["vpn_gateway_id"] == sb.vpn_gateway_id)
    assert first["name"] == "demo-gateway-1" and set(first["next_hops"]) == set(sb.next_hops)
    assert picks["region_id"] == sb.region_id


def test_the_app_puts_the_pickers_above_the_route_form(sb, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    app = vw.app(connection=vw.ConnectionPanel(sandbox=sb, home=tmp_path))
    try:
        assert app.form.children[0] is app.pickers and app.pickers.layout.display == "none"
        to_cloud(app.connection, sb)
        app.pickers.wait()
        assert app.pickers.layout.display == ""
        assert sb.vpn_gateway_id in app.form.fields["VpnGatewayId"].options
        assert sum(sb.requests.count(a) for a in WRITES) == 0
    finally:
        app.close()
