"""ConnectionPanel: sandbox by default, Alibaba Cloud via profiles or a typed key, never a secret in a trait."""

from __future__ import annotations

import json

import pytest
from stub_server import StubServer

import vpnroute_widgets as vw
from vpnroute_widgets.errors import CredentialsError
from vpnroute_widgets.widgets.common import iter_widgets
from vpnroute_widgets.widgets.connection import BINDER_WARNING, on_binder

TYPED_SECRET = "typed-SECRET-0a9b8c7d"
TYPED_KEY = "LTAI" "5tTypedKeyId4321"
PROFILE_SECRET = "profile-SECRET-5e6f"


@pytest.fixture(autouse=True)
def no_env_credentials(monkeypatch, tmp_path):
    for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
                 "ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY", "ALICLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_PROFILE",
                 "ALIBABA_CLOUD_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def home(tmp_path):
    config = {"current": "work", "profiles": [
        {"name": "work", "mode": "AK", "access_key_id": "LTAI" "5tProfileWork0001",
         "access_key_secret": PROFILE_SECRET},
        {"name": "lab", "mode": "AK", "access_key_id": "LTAI" "5tProfileLab00002", "access_key_secret": "lab-secret"},
    ]}
    (tmp_path / ".aliyun").mkdir()
    (tmp_path / ".aliyun" / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return tmp_path


class CountingFactory:
    """Builds real sandboxes and remembers them, to check when one is started and stopped."""

    def __init__(self):
        self.made = []

    def __call__(self):
        sb = vw.Sandbox(seed=0, configuring_s=0.05)
        self.made.append(sb)
        return sb


def all_state(widget) -> str:
    return "\n".join(json.dumps(w.get_state(), default=str) for w in iter_widgets(widget))


def test_sandbox_is_the_default_and_starts_on_first_use(tmp_path):
    factory = CountingFactory()
    log = vw.ResponseLog()
    panel = vw.ConnectionPanel(log=log, sandbox_factory=factory, home=tmp_path)
    try:
        assert panel.mode == "sandbox" and panel.sandbox is None and factory.made == []
        client = panel.client
        (sb,) = factory.made
        assert panel.sandbox is sb and client.endpoint == sb.endpoint and client.credentials == sb.credentials
        assert client.log is log and panel.client is client and panel.region_id == sb.region_id
        picks = panel.quick_picks
        assert picks["region_id"] == sb.region_id
        assert sb.vpn_gateway_id in [g["vpn_gateway_id"] for g in picks["gateways"]]
        assert all(set(g) == {"vpn_gateway_id", "next_hops"} for g in picks["gateways"])
        assert sb.credentials.masked_key_id in panel.identity.value and sb.endpoint in panel.identity.value
    finally:
        panel.close()
    stopped = vw.VpcClient(sb.credentials, endpoint=sb.endpoint, max_attempts=1, timeout=(1, 1))
    with pytest.raises(vw.TransportError):  # close() stopped the sandbox it started
        stopped.describe_vpn_route_entries(sb.region_id, sb.vpn_gateway_id)


def test_close_stops_only_a_sandbox_it_started(tmp_path):
    with vw.Sandbox(seed=0) as sb:
        panel = vw.ConnectionPanel(sandbox=sb, home=tmp_path)
        assert panel.client.endpoint == sb.endpoint
        panel.close()
        client = vw.VpcClient(sb.credentials, endpoint=sb.endpoint)
        assert isinstance(client.describe_vpn_route_entries(sb.region_id, sb.vpn_gateway_id), list)  # still serving


def test_cloud_mode_uses_the_chosen_profile_and_shows_the_masked_key(home):
    panel = vw.ConnectionPanel(sandbox_factory=CountingFactory(), home=home)
    changes = []
    panel.on_change(lambda p: changes.append(p.mode))
    panel.on_change(lambda: changes.append("no-arg"))
    panel.mode_choice.value = "cloud"
    assert changes == ["cloud", "no-arg"]
    assert [v for _, v in panel.profile.options] == ["", "work", "lab"]
    panel.profile.value = "lab"
    panel.region.value = "ap-southeast-1"
    panel.connect_button.click()
    client = panel.client
    assert client.credentials.access_key_id == "LTAI" "5tProfileLab00002"
    assert client.region_id == "ap-southeast-1" and client.endpoint is None
    assert "LTAI****0002" in panel.identity.value and "LTAI" "5tProfileLab00002" not in panel.identity.value
    assert "Nothing has been sent" in panel.cloud_status.value
    assert panel.quick_picks == {"region_id": "ap-southeast-1", "gateways": []}
    assert "lab-secret" not in all_state(panel)
    panel.close()


def test_a_typed_secret_is_moved_out_of_the_password_field_at_once(home):
    panel = vw.ConnectionPanel(sandbox_factory=CountingFactory(), home=home)
    panel.mode_choice.value = "cloud"
    panel.key_id.value = TYPED_KEY
    panel.secret.value = TYPED_SECRET
    assert panel.secret.value == "" and panel.key_id.value == ""
    assert "LTAI****4321" in panel.key_id.placeholder
    state = all_state(panel)
    assert TYPED_SECRET not in state and TYPED_KEY not in state
    client = panel.client
    assert client.credentials.access_key_secret == TYPED_SECRET
    assert client.credentials.source == "typed in this session"
    assert TYPED_SECRET not in all_state(panel) and "LTAI****4321" in panel.identity.value
    panel.forget_button.click()
    assert panel.client.credentials.access_key_id == "LTAI" "5tProfileWork0001"  # back to the profile chain
    panel.close()


def test_a_half_typed_key_or_no_credentials_is_reported_not_raised_by_the_button(tmp_path):
    panel = vw.ConnectionPanel(sandbox_factory=CountingFactory(), home=tmp_path)
    panel.mode_choice.value = "cloud"
    panel.connect_button.click()
    assert "No Alibaba Cloud credentials found" in panel.cloud_status.value
    assert "var(--jp-error-color1)" in panel.cloud_status.value
    panel.secret.value = TYPED_SECRET
    with pytest.raises(CredentialsError, match="both"):
        _ = panel.client
    panel.close()


def test_switching_modes_and_connecting_sends_nothing(home):
    stub = StubServer()
    factory = CountingFactory()
    panel = vw.ConnectionPanel(sandbox_factory=factory, home=home)
    try:
        panel.mode_choice.value = "cloud"
        panel.endpoint.value = stub.endpoint
        panel.connect_button.click()
        assert panel.client.endpoint == stub.endpoint
        panel.mode_choice.value = "sandbox"
        assert panel.client.endpoint == factory.made[0].endpoint
        panel.mode_choice.value = "cloud"
        panel.connect()
        panel.mode_choice.value = "sandbox"
        assert stub.requests == []
        assert len(factory.made[0].requests) == 0
    finally:
        panel.close()
        stub.close()


def test_a_bad_endpoint_is_refused_before_anything_is_sent(home):
    panel = vw.ConnectionPanel(sandbox_factory=CountingFactory(), home=home)
    panel.mode_choice.value = "cloud"
    panel.endpoint.value = "http://vpc.example.com"
    panel.connect_button.click()
    assert "plain HTTP" in panel.cloud_status.value
    panel.close()


@pytest.mark.parametrize("environ,expected", [
    ({}, False),
    ({"BINDER_SERVICE_HOST": "10.0.0.1"}, True),
    ({"BINDER_REQUEST": "v2/gh/owner/repo/main"}, True),
    ({"JUPYTERHUB_SERVICE_PREFIX": "/binder/jupyter/user/owner-repo-abc/"}, True),
    ({"JUPYTERHUB_SERVICE_PREFIX": "/user/alice/"}, False),
])
def test_binder_is_detected_and_warned_about(tmp_path, environ, expected):
    assert on_binder(environ) is expected
    panel = vw.ConnectionPanel(sandbox_factory=CountingFactory(), home=tmp_path, environ=environ)
    assert (BINDER_WARNING.split(":")[0] in panel.binder_note.value) is expected
    panel.close()
