"""The export and sync commands (and rollback of a sync report) against a sandbox given by --endpoint."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from vpnroute_widgets import cli

SANDBOX_OPTIONS = {"seed": 7, "configuring_s": 0, "routes_per_gateway": 8}


def _registered() -> bool:
    """Whether cli.py's parser has the sync command (it calls cli_sync.add_commands)."""
    import argparse

    parser = cli._parser()
    return any(isinstance(a, argparse._SubParsersAction) and "sync" in a.choices for a in parser._actions)


pytestmark = pytest.mark.skipif(not _registered(),
                                reason="cli.py does not register the sync commands yet (cli_sync.add_commands)")


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
