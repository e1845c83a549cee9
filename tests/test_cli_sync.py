"""The export and sync commands (and rollback of a sync report) against a sandbox given by --endpoint."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

import vpnroute_widgets as vw
from vpnroute_widgets import cli
from vpnroute_widgets.batch.journal import journal_path, read_journal

SANDBOX_OPTIONS = {"seed": 7, "configuring_s": 0, "routes_per_gateway": 8}




@pytest.fixture
def env(sb, monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", sb.credentials.access_key_id)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", sb.credentials.access_key_secret)
    return sb


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = cli.main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def table(sb) -> set[tuple]:
    return {(g["VpnGatewayId"], r["RouteDest"], r["NextHop"], r["Weight"], r["State"])
            for g in sb.state()["gateways"] for r in g["Routes"] + g.get("BgpRoutes", [])}


def exported(env, tmp_path) -> tuple[str, pd.DataFrame]:
    path = str(tmp_path / "routes.csv")
    status, out, err = run("export", "--region", env.region_id, "--gateway", env.vpn_gateway_id, "--output", path,
                           "--endpoint", env.endpoint)
    assert status == 0, err
    assert "exported" in out and "BGP-learned" in out
    return path, pd.read_csv(path, dtype=str, keep_default_na=False)


def test_export_then_sync_gives_only_none_and_exit_0(env, tmp_path):
    path, frame = exported(env, tmp_path)
    assert len(frame) == sum(1 for r in table(env) if r[0] == env.vpn_gateway_id)
    status, out, err = run("sync", path, "--report", str(tmp_path / "r.csv"), "--prune", "--endpoint", env.endpoint)
    assert status == 0, err
    report = pd.read_csv(tmp_path / "r.csv")
    assert set(report.action) == {"none"} and set(report.outcome) == {"ok"}


def test_plan_only_is_the_drift_report_and_changes_nothing(env, tmp_path):
    path, frame = exported(env, tmp_path)
    frame.drop(index=frame[frame.RouteEntryType == "custom"].index[-1]).to_csv(path, index=False)
    before = table(env)
    status, out, _ = run("sync", path, "--report", str(tmp_path / "plan.csv"), "--plan-only", "--prune",
                         "--endpoint", env.endpoint)
    assert status == 0 and table(env) == before
    plan = pd.read_csv(tmp_path / "plan.csv")
    assert "delete" in set(plan.action) and "nothing sent" in out


def test_sync_changes_the_gateway_and_rollback_of_its_report_restores_it(env, tmp_path):
    path, frame = exported(env, tmp_path)
    before = table(env)
    custom = frame[frame.RouteEntryType == "custom"].index
    frame.loc[custom[0], "PublishVpc"] = "False" if frame.loc[custom[0], "PublishVpc"] == "True" else "True"
    frame = frame.drop(index=custom[1])
    frame.to_csv(path, index=False)
    report = str(tmp_path / "report.csv")
    status, out, err = run("sync", path, "--report", report, "--prune", "--endpoint", env.endpoint, "--quiet")
    assert status == 0, err
    frame_report = pd.read_csv(report)
    for column in ("action", "outcome", "vpn_gateway_id", "route_dest", "next_hop", "weight", "old_weight",
                   "publish_vpc", "old_publish_vpc", "row", "request_id", "error_code", "remedy"):
        assert column in frame_report.columns
    assert {"delete", "none"} <= set(frame_report.action) and table(env) != before
    status, out, err = run("rollback", report, "--endpoint", env.endpoint, "--quiet")
    assert status == 0, err
    assert table(env) == before


def test_unusable_input_is_exit_2_and_sends_nothing(env, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Foo,Bar\n1,2\n")
    sent = len(env.requests)
    status, _, err = run("sync", str(bad), "--report", str(tmp_path / "r.csv"), "--endpoint", env.endpoint)
    assert status == 2 and "RouteDest" in err and len(env.requests) == sent
    status, _, err = run("sync", str(bad), "--report", str(tmp_path / "missing" / "r.csv"), "--endpoint",
                         env.endpoint)
    assert status == 2 and "does not exist" in err


def test_a_refused_row_or_a_failed_step_is_exit_1(env, tmp_path):
    path, frame = exported(env, tmp_path)
    frame.loc[len(frame)] = {**frame.iloc[0].to_dict(), "RouteDest": "10.255.255.0/33"}
    frame.to_csv(path, index=False)
    status, out, _ = run("sync", path, "--report", str(tmp_path / "r.csv"), "--endpoint", env.endpoint, "--quiet")
    assert status == 1 and "invalid" in out


def test_help_explains_desired_state_and_prune(capsys):
    with pytest.raises(SystemExit):
        cli.main(["sync", "--help"])
    text = capsys.readouterr().out
    assert "whole custom route table" in text and "--prune" in text and "left alone" in text
    with pytest.raises(SystemExit):
        cli.main(["export", "--help"])
    assert "RouteEntryType" in capsys.readouterr().out


# --- a killed sync, run again ---------------------------------------------------------------------


@pytest.fixture
def slow_server():
    """A sandbox in its own process where every change takes a while (calls 100 ms, gateway busy 250 ms)."""
    proc = subprocess.Popen([sys.executable, "-m", "vpnroute_widgets.sandbox", "--seed", "7", "--gateways", "2",
                             "--routes-per-gateway", "8", "--configuring-ms", "250", "--latency-ms", "100",
                             "--rate", "100"], stdout=subprocess.PIPE, text=True)
    try:
        yield json.loads(proc.stdout.readline())
    finally:
        proc.terminate()
        proc.wait(10)


def _poll(condition, what: str, deadline: float = 60.0):
    """Wait until ``condition()`` is truthy (no fixed sleep: a generous deadline only against a hang)."""
    end = time.monotonic() + deadline
    while not (value := condition()):
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.02)
    return value


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
def test_sigkill_mid_sync_then_sync_again_then_rollback_leaves_the_gateways_as_they_were(slow_server, tmp_path):
    info = slow_server
    env = {**os.environ, "ALIBABA_CLOUD_ACCESS_KEY_ID": info["access_key_id"],
           "ALIBABA_CLOUD_ACCESS_KEY_SECRET": info["access_key_secret"]}
    client = vw.VpcClient(vw.Credentials(info["access_key_id"], info["access_key_secret"]), endpoint=info["endpoint"])
    gateways = [g["vpn_gateway_id"] for g in info["gateways"]]
    before = vw.export_routes(client, info["region_id"], gateways)
    desired = before.copy()
    custom = desired.RouteEntryType == "custom"
    desired.loc[custom, "PublishVpc"] = ~desired.loc[custom, "PublishVpc"].astype(bool)  # 16 changes
    path, report = str(tmp_path / "desired.csv"), str(tmp_path / "report.csv")
    desired.to_csv(path, index=False)
    command = [sys.executable, "-m", "vpnroute_widgets", "sync", path, "--report", report, "--endpoint",
               info["endpoint"], "--quiet"]

    def done_changes():
        return sum(1 for event, entry in read_journal(journal_path(report)) if event == "done"
                   and entry["record"].get("operation") and entry["record"].get("outcome") == "ok") >= 3

    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _poll(done_changes, "three changes in the journal")
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    assert not os.path.exists(report) and os.path.exists(journal_path(report))
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "interrupted sync" in again.stdout
    frame = pd.read_csv(report)
    changed = frame[frame.action.isin(["publish", "withdraw"])]
    assert len(changed) == 16 and set(changed.outcome) == {"ok"}  # the killed run's changes are owned too
    assert vw.plan_sync(desired, client).counts() == {"none": len(desired)}
    undo = subprocess.run([sys.executable, "-m", "vpnroute_widgets", "rollback", report, "--endpoint",
                           info["endpoint"], "--quiet"], env=env, capture_output=True, text=True, timeout=120)
    assert undo.returncode == 0, undo.stderr
    after = vw.export_routes(client, info["region_id"], gateways)
    columns = ["VpnGatewayId", "RouteDest", "NextHop", "Weight", "PublishVpc", "RouteEntryType"]
    pd.testing.assert_frame_equal(after[columns], before[columns])
