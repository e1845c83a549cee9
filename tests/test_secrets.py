"""Audit (issue 8, promise 2): a whole session with a sentinel AccessKeySecret and STS token leaks neither.

The sandbox accepts the sentinel pair through ``Sandbox.add_credentials(..., security_token=...)``
(and then insists on the token, so the token really travels). The session: the app (connection in
Alibaba Cloud mode reading the environment, a typed key, the form, the batch panel with export and
rollback, the log view with export), batches with faults and errors (wrong secret, wrong token,
signature mismatch in V1 and V3, a gateway error), CSV exports, the command line, DEBUG logging of
every library. Then the sentinels are searched for in: records, DataFrames, CSV files, reprs,
exception messages and tracebacks, log output, stdout/stderr, every widget's state (decoded data
URIs included), and the sandbox's request log and state. Expected hits: zero.

Notebook JSON with stored widget state is tests/test_notebooks.py's (the sandbox's demo secrets and a
sentinel key pair in the kernel's environment play the sentinel there); the test below adds an STS
token in the kernel's environment, which that file does not set.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import sys
import traceback
from pathlib import Path

import ipywidgets
import pytest

import vpnroute_widgets as vw
from vpnroute_widgets.widgets.common import iter_widgets

KEY_ID = "sentinel-audit-keyid-0001"
SECRET = "SENTINELsecretAUDIT7f3a9c0b"  # noqa: S105 - a marker, not a credential
TOKEN = "SENTINELstsTOKENaudit5d2e8f1a"  # noqa: S105
SENTINELS = (SECRET, TOKEN)


def hits(texts: list[str]) -> list[str]:
    return [f"{s[:12]}... in {t[:160]!r}" for t in texts for s in SENTINELS if s in t]


def exception_texts(err: BaseException) -> list[str]:
    return [str(err), repr(err), "".join(traceback.format_exception(err)), json.dumps(vars(err), default=str)]


def widget_texts(*roots) -> list[str]:
    texts = []
    seen = {id(w) for r in roots for w in iter_widgets(r)}
    every = list(getattr(ipywidgets.widgets.widget, "_instances", {}).values())
    for widget in [w for r in roots for w in iter_widgets(r)] + every:
        state = json.dumps(widget.get_state(), default=str)
        texts.append(state)
        for payload in re.findall(r"base64,([A-Za-z0-9+/=]+)", state):  # download links carry whole reports
            texts.append(base64.b64decode(payload).decode("utf-8", errors="replace"))
    assert seen, "no widgets were searched"
    return texts


def test_sandbox_add_credentials_with_an_sts_token(vpc_sandbox):
    sb = vpc_sandbox
    creds = sb.add_credentials("audit-added-key", "audit-added-secret", security_token="audit-token")
    assert "audit-added-secret" not in repr(creds) and "audit-token" not in repr(sb.world.keys["audit-added-key"])
    for version in ("v1", "v3"):
        client = vw.VpcClient(creds, endpoint=sb.endpoint, signature_version=version, max_attempts=1)
        assert client.describe_vpn_gateway(sb.region_id, sb.vpn_gateway_id)["Status"] == "active"
        for token, code in ((None, "MissingSecurityToken"), ("other", "InvalidSecurityToken.MismatchWithAccessKey")):
            wrong = vw.Credentials("audit-added-key", "audit-added-secret", token)
            with pytest.raises(vw.ApiError) as caught:
                vw.VpcClient(wrong, endpoint=sb.endpoint, signature_version=version,
                             max_attempts=1).describe_vpn_gateway(sb.region_id, sb.vpn_gateway_id)
            assert caught.value.code == code and "audit-token" not in str(caught.value)
    sb.reset()
    assert vw.VpcClient(creds, endpoint=sb.endpoint).describe_vpn_gateway(sb.region_id, sb.vpn_gateway_id)
    with pytest.raises(ValueError, match="LTAI"):
        sb.add_credentials("LTAI" "5tAbCdEfGh1234", "x")
    with pytest.raises(ValueError, match="role"):
        sb.add_credentials("k", "s", role="admin")


def test_a_whole_session_leaks_no_secret_and_no_token(tmp_path, monkeypatch, capfd):
    from vpnroute_widgets import cli
    from vpnroute_widgets.widgets.connection import CLOUD

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN)
    logs = io.StringIO()
    handler = logging.StreamHandler(logs)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    texts: list[str] = []
    try:
        with vw.Sandbox(seed=21, configuring_s=0.01) as sb:
            sb.add_credentials(KEY_ID, SECRET, security_token=TOKEN)
            texts += session(sb, tmp_path, texts, cli, CLOUD)
            texts += [json.dumps(list(sb.requests), default=str), json.dumps(sb.state()), repr(sb),
                      json.dumps(sb.summary()), repr(sb.world.keys), repr(sb.faults.rules())]
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    out, err = capfd.readouterr()
    texts += [logs.getvalue(), out, err]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            texts.append(path.read_text(errors="replace"))
    assert "x-acs-security-token" in logs.getvalue() or "127.0.0.1" in logs.getvalue()  # DEBUG was on
    assert hits([f"x{SECRET}x", TOKEN]), "the search would not find a leak"
    assert hits(texts) == []
    print(f"\naudit secrets: {len(texts)} texts, {sum(map(len, texts))} characters searched, sentinel hits: 0")


def session(sb, tmp_path: Path, texts: list[str], cli, cloud) -> list[str]:
    log = vw.ResponseLog()
    connection = vw.ConnectionPanel(log=log, sandbox=sb, home=tmp_path, environ={})
    connection.mode_choice.value = cloud
    connection.endpoint.value = sb.endpoint
    connection.region.value = sb.region_id
    # a typed key without its token first: refused by the sandbox (an error), then forgotten
    connection.key_id.value = KEY_ID
    connection.secret.value = SECRET
    assert connection.secret.value == "" and connection.key_id.value == ""
    with pytest.raises(vw.ApiError) as caught:
        connection.connect().describe_vpn_gateway(sb.region_id, sb.vpn_gateway_id)
    texts += exception_texts(caught.value)
    connection.forget_typed_key()
    client = connection.connect()  # the environment: key, secret and STS token
    assert client.credentials.security_token == TOKEN
    from vpnroute_widgets.widgets.app import App

    app = App(log, connection=connection)
    form = app.form
    form.fill_demo.click()
    for name, value in {"RegionId": sb.region_id, "VpnGatewayId": sb.vpn_gateway_id, "NextHop": sb.next_hop,
                        "RouteDest": "10.30.0.0/24", "Weight": 0, "Description": "=HYPERLINK(\"x\")"}.items():
        form.fields[name].value = value
    for _ in range(2):  # created, then VpnRouteEntry.AlreadyExist
        form.submit.click()
        form.wait()
        texts.append(repr(form.last_result))
    sb.faults.add("error", code="Forbidden", status=403, times=1)
    form.fields["RouteDest"].value = "10.31.0.0/24"
    form.submit.click()
    form.wait()
    assert isinstance(form.last_result, vw.ApiError)
    texts += exception_texts(form.last_result) + [form.export_code(kind) for kind in form.code_choice.options]

    csv = "RouteDest,NextHop,Weight,PublishVpc,Description\n" + "".join(
        f"10.40.{i}.0/24,{sb.next_hops[i % 2]},0,true,@row{i}\n" for i in range(6)) + "bad,,7,maybe,-x\n"
    panel = app.batch
    panel.reports_dir = tmp_path / "reports"  # its saved reports are searched with the other files
    panel.set_source(csv.encode())
    panel.wait()
    sb.faults.add("drop", action="CreateVpnRouteEntry", times=1)
    sb.faults.add("commit_then_drop", action="CreateVpnRouteEntry", times=1)
    panel.apply_button.click()
    panel.wait()
    panel.export()
    app.log_view.export_csv(tmp_path / "log-view.csv")
    texts += widget_texts(app)
    panel.rollback_button.click()
    panel.wait()

    batch = vw.plan_batch(csv.encode(), client, defaults={"RegionId": sb.region_id,
                                                          "VpnGatewayId": sb.vpn_gateway_id})
    batch.to_csv(tmp_path / "plan.csv")
    sb.faults.add("html_5xx", action="CreateVpnRouteEntry", times=2)
    result = vw.apply_batch(batch, client.clone(signature_version="v1", format="XML"))
    result.to_csv(tmp_path / "report.csv")
    vw.rollback_batch(result, client).to_csv(tmp_path / "rollback.csv")
    log.to_csv(tmp_path / "log.csv")
    assert log.counts()["ok"] >= 12 and log.counts()["error"] >= 3, log.counts()  # the token'd key did work
    texts += [repr(batch), batch.plan.to_string(), repr(result), result.to_dataframe().to_string(), repr(log),
              log.to_dataframe().to_string(), json.dumps(log.records(), default=str), repr(client),
              repr(client.credentials), str(client.credentials), json.dumps(client.preview(
                  "CreateVpnRouteEntry", {"RegionId": sb.region_id}))]

    for version in ("v1", "v3"):  # wrong secret (the server's StringToSign in the message), wrong token
        for creds in (vw.Credentials(KEY_ID, SECRET + "x", TOKEN), vw.Credentials(KEY_ID, SECRET, TOKEN + "x")):
            with pytest.raises(vw.ApiError) as caught:
                vw.VpcClient(creds, endpoint=sb.endpoint, signature_version=version, max_attempts=1,
                             log=log).describe_vpn_gateway(sb.region_id, sb.vpn_gateway_id)
            texts += exception_texts(caught.value) + [caught.value.body or ""]
    with pytest.raises(vw.TransportError) as caught:
        vw.VpcClient(vw.Credentials(KEY_ID, SECRET, TOKEN), endpoint="http://127.0.0.1:9", max_attempts=1,
                     timeout=(0.5, 0.5)).describe_vpn_gateway(sb.region_id, sb.vpn_gateway_id)
    texts += exception_texts(caught.value)
    with pytest.raises(TypeError):
        import pickle
        pickle.dumps(client.credentials)

    out = io.StringIO()
    status = cli.main(["apply", str(_write(tmp_path / "cli.csv", csv)), "--report", str(tmp_path / "cli-report.csv"),
                       "--endpoint", sb.endpoint, "--region", sb.region_id, "--gateway", sb.vpn_gateway_id,
                       "--quiet"], stdout=out, stderr=out)
    assert status == 0, out.getvalue()
    texts.append(out.getvalue())
    texts += widget_texts(app)
    app.close()
    return texts


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.notebooks
def test_quickstart_notebook_with_an_sts_token_in_the_environment_saves_neither(tmp_path):
    """tests/test_notebooks.py puts a sentinel key pair in the kernel's environment; this adds a token."""
    sys.path.insert(0, str(Path(__file__).parent))
    import test_notebooks as nbt

    workdir = nbt.copy_notebooks(tmp_path / "notebooks")
    original = nbt.kernel_env

    def with_token(base, python):
        env = original(base, python)
        env["ALIBABA_CLOUD_SECURITY_TOKEN"] = TOKEN
        env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = SECRET
        return env

    nbt.kernel_env = with_token
    try:
        executed, probe, _env = nbt.run_notebook(sys.executable, workdir, "01_quickstart.ipynb", tmp_path / "run")
    finally:
        nbt.kernel_env = original
    text = json.dumps(executed)
    assert executed["metadata"].get("widgets"), "no widget state was stored"
    for secret in (*SENTINELS, *probe["secrets"]):
        assert secret not in text
