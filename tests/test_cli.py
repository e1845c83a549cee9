"""The command line: in-process with --sandbox, and from a shell against a separately started sandbox."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pandas as pd
import pytest

import vpnroute_widgets as vw
from vpnroute_widgets.cli import main
from vpnroute_widgets.log import ResponseLog
from vpnroute_widgets.sandbox import Sandbox


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def write_routes(path, rows) -> str:
    lines = ["RouteDest,NextHop,Weight,PublishVpc,VpnGatewayId,Description"]
    lines += [",".join(map(str, row)) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.fixture(scope="module")
def world():
    return Sandbox(seed=0)  # not started: only its ids (the embedded sandbox of --sandbox has the same seed)


def test_apply_with_embedded_sandbox_writes_one_report_row_per_input_row(tmp_path, world):
    routes = write_routes(tmp_path / "routes.csv", [
        ("10.0.0.0/24", world.next_hop, 0, "true", "", "=HYPERLINK(1)"),
        ("10.0.1.0/24", world.next_hop, 100, "true", "", ""),
        ("10.0.1.1/24", world.next_hop, 0, "true", "", "host bits"),
    ])
    report = tmp_path / "report.csv"
    code, out, err = run("apply", routes, "--report", str(report), "--sandbox")
    assert code == 0, out + err
    assert "plan " in out and "ready 2, invalid 1" in out and "row 4: invalid" in out
    assert "ok 2, skipped 1" in out and "report written" in out
    assert "3/3" in err  # the progress line
    frame = ResponseLog.from_csv(report).to_dataframe()
    assert frame["row"].tolist() == [2, 3, 4]
    assert frame["outcome"].tolist() == ["ok", "ok", "skipped"]
    assert "'=HYPERLINK(1)" in report.read_text()  # formula cells escaped in the file


def test_exit_status_is_1_when_a_sent_row_fails(tmp_path, world):
    routes = write_routes(tmp_path / "routes.csv", [
        ("10.0.0.0/24", world.next_hop, 0, "true", "", ""),
        ("10.0.1.0/24", world.locked_next_hop, 0, "true", world.locked_gateway_id, ""),
    ])
    code, out, _err = run("apply", routes, "--report", str(tmp_path / "r.csv"), "--sandbox", "--quiet")
    assert code == 1
    assert "error VpnGateway.FinancialLocked: 1 row(s), e.g. row 3" in out


def test_plan_only_sends_nothing_and_writes_the_plan(tmp_path, world):
    routes = write_routes(tmp_path / "routes.csv", [("10.0.0.0/24", world.next_hop, "", "", "", "")])
    plan = tmp_path / "plan.csv"
    code, out, _ = run("apply", routes, "--report", str(plan), "--sandbox", "--plan-only", "--weight", "100",
                       "--publish-vpc", "false")
    assert code == 0 and "ready 1" in out
    text = plan.read_text()
    assert text.startswith("row,region_id,vpn_gateway_id,route_dest") and ",100,False," in text


@pytest.mark.parametrize("argv, words", [
    (["apply", "missing.csv", "--report", "r.csv", "--sandbox"], "no such file"),
    (["rollback", "missing.csv", "--sandbox"], "missing.csv"),
])
def test_bad_input_exits_2_with_a_clear_message(tmp_path, monkeypatch, argv, words):
    monkeypatch.chdir(tmp_path)
    code, _out, err = run(*argv)
    assert code == 2 and words in err


def test_missing_columns_and_missing_credentials_exit_2(tmp_path, monkeypatch):
    bad = tmp_path / "bad.csv"
    bad.write_text("Dest,Hop\n10.0.0.0/24,vco-x\n")
    code, _out, err = run("apply", str(bad), "--report", str(tmp_path / "r.csv"), "--sandbox")
    assert code == 2 and "required column(s) missing: RouteDest, NextHop" in err
    for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY", "ALIBABA_CLOUD_CREDENTIALS_FILE",
                 "ALIBABA_CLOUD_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    code, _out, err = run("apply", str(bad), "--report", str(tmp_path / "r.csv"), "--endpoint", "http://127.0.0.1:9")
    assert code == 2 and "No Alibaba Cloud credentials" in err and "--sandbox" in err


def test_help_explains_everything(capsys):
    with pytest.raises(SystemExit) as info:
        main(["apply", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for words in ("--report", "--sandbox", "--endpoint", "--plan-only", "--rate", "--region", "ClientToken",
                  "conflict", "exit", "ALIBABA_CLOUD_ACCESS_KEY_ID", "rollback", "Ctrl-C"):
        assert words.lower() in text.lower(), words


def test_apply_and_rollback_from_a_shell_against_a_separate_sandbox(tmp_path):
    """The documented recipe: start a sandbox, export its keys, apply, then roll back."""
    server = subprocess.Popen([sys.executable, "-m", "vpnroute_widgets.sandbox", "--gateways", "2",
                               "--configuring-ms", "20", "--rate", "100"], stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(server.stdout.readline())
        rows = [(f"10.{g}.{i}.0/24", gw["next_hops"][0], 0, "true", gw["vpn_gateway_id"], "")
                for g, gw in enumerate(info["gateways"]) for i in range(10)]
        routes = write_routes(tmp_path / "routes.csv", rows)
        env = {**os.environ, "ALIBABA_CLOUD_ACCESS_KEY_ID": info["access_key_id"],
               "ALIBABA_CLOUD_ACCESS_KEY_SECRET": info["access_key_secret"]}
        cli = [sys.executable, "-m", "vpnroute_widgets"]
        report, undo = tmp_path / "report.csv", tmp_path / "undo.csv"
        applied = subprocess.run([*cli, "apply", routes, "--report", str(report), "--endpoint", info["endpoint"],
                                  "--region", info["region_id"]], env=env, capture_output=True, text=True,
                                 timeout=60)
        assert applied.returncode == 0, applied.stdout + applied.stderr
        assert "ok 20" in applied.stdout
        again = subprocess.run([*cli, "apply", routes, "--report", str(tmp_path / "again.csv"), "--endpoint",
                                info["endpoint"], "--region", info["region_id"]], env=env, capture_output=True,
                               text=True, timeout=60)
        assert again.returncode == 0 and "exists 20" in again.stdout
        rolled = subprocess.run([*cli, "rollback", str(report), "--report", str(undo), "--endpoint",
                                 info["endpoint"]], env=env, capture_output=True, text=True, timeout=60)
        assert rolled.returncode == 0, rolled.stdout + rolled.stderr
        assert "rollback" in rolled.stdout and "ok 20" in rolled.stdout
        assert ResponseLog.from_csv(undo).counts() == {"ok": 20}
    finally:
        server.terminate()
        server.wait(10)


# --- the report path, numeric options, terminal controls (issue 12 items 4 and 6, issue 11 item 3) ---


@pytest.fixture
def started(monkeypatch):
    """A sandbox in this process, its keys exported the way the help says."""
    with Sandbox(seed=0, configuring_s=0) as sb:
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", sb.credentials.access_key_id)
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", sb.credentials.access_key_secret)
        yield sb


@pytest.mark.parametrize("command", ["apply", "resume", "rollback"])
@pytest.mark.parametrize("where, words", [("missing/report.csv", "does not exist"), (".", "is a directory"),
                                          ("/sys/vw-report.csv", "cannot be written")])  # sysfs: no new files
def test_an_unwritable_report_path_exits_2_before_anything_is_sent(tmp_path, started, command, where, words):
    if where.startswith("/sys") and not os.path.isdir("/sys"):
        pytest.skip("no sysfs here")
    source = tmp_path / "source.csv"
    if command == "apply":
        write_routes(source, [("10.0.0.0/24", started.next_hop, 0, "true", started.vpn_gateway_id, "")])
    else:
        source.write_text("outcome,row,batch_id,operation\r\nerror,2,b1,CreateVpnRouteEntry\r\n")
    code, out, err = run(command, str(source), "--report", str(tmp_path / where), "--endpoint", started.endpoint)
    assert code == 2 and words in err and "Traceback" not in err, out + err
    assert started.requests == []  # not even the plan's reads


def test_a_successful_apply_leaves_a_report_and_no_journal(tmp_path, world):
    routes = write_routes(tmp_path / "routes.csv", [("10.0.0.0/24", world.next_hop, 0, "true", "", "")])
    report = tmp_path / "report.csv"
    code, out, err = run("apply", routes, "--report", str(report), "--sandbox", "--quiet")
    assert code == 0, out + err
    assert report.exists() and not (tmp_path / "report.csv.journal").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv", "routes.csv"]  # no temporary left


BAD_NUMBERS = [
    ("--concurrency", "0", "from 1 to 256"), ("--concurrency", "-3", "from 1 to 256"),
    ("--concurrency", "1000", "from 1 to 256"), ("--concurrency", "2.5", "whole number"),
    ("--concurrency", "many", "whole number"), ("--rate", "0", "from 0.001 to 10000"),
    ("--rate", "-1", "from 0.001 to 10000"), ("--rate", "nan", "from 0.001 to 10000"),
    ("--rate", "inf", "from 0.001 to 10000"), ("--rate", "1e9", "from 0.001 to 10000"),
    ("--rate", "fast", "calls per second"), ("--weight", "5", "0 (standby) or 100"),
]


@pytest.mark.parametrize("command, option, value, words", [
    (command, *case) for command in ("apply", "rollback") for case in BAD_NUMBERS
    if not (command == "rollback" and case[0] == "--weight")  # --weight is apply's alone
])
def test_a_bad_numeric_option_exits_2_naming_the_option_and_its_range(tmp_path, capsys, command, option, value,
                                                                      words):
    argv = [command, str(tmp_path / "x.csv"), "--report", str(tmp_path / "r.csv"), "--sandbox", f"{option}={value}"]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}" in err and words in err and "Traceback" not in err


def test_an_escape_sequence_in_a_bad_option_is_not_echoed(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["apply", "x.csv", "--report", "r.csv", "--sandbox", "--concurrency=\x1b]0;pwned\x07"])
    err = capsys.readouterr().err
    assert "\x1b" not in err.split("--concurrency:")[-1] and "pwned" in err


def test_clean_text_strips_terminal_controls_but_keeps_newlines_tabs_and_text():
    from vpnroute_widgets.cli import clean_text

    hostile = "ok\tcafé ✓\n\x1b[2J\x1b]0;title\x07\x9b31m\x7fred\r\x00\u202eevil\u2066"
    assert clean_text(hostile) == "ok\tcafé ✓\n[2J]0;title31mredevil"


def test_text_from_the_file_and_the_server_reaches_the_terminal_without_controls(tmp_path, started):
    started.faults.add("error", code="Evil.\x1b[2JCode", status=400, message="\x1b]0;pwned\x07 \x9b31m",
                       action="CreateVpnRouteEntry")
    routes = write_routes(tmp_path / "routes.csv", [
        ("10.0.0.0/24", started.next_hop, 0, "true", started.vpn_gateway_id, ""),
        ("10.0.1.0/24\x1b[31m", started.next_hop, 0, "true", started.vpn_gateway_id, ""),
    ])
    report = tmp_path / "r.csv"
    code, out, err = run("apply", routes, "--report", str(report), "--endpoint", started.endpoint,
                         "--region", started.region_id, "--quiet")
    assert code == 1, out + err
    assert "row 3: invalid" in out and "error Evil." in out  # the texts are shown ...
    for control in ("\x1b", "\x07", "\x9b", "\r"):
        assert control not in out + err  # ... without their controls
    bad = tmp_path / "bad.csv"
    bad.write_text("outcome,\x1b[31mcolour\r\nok,red\r\n")
    code, out, err = run("rollback", str(bad), "--sandbox")
    assert code == 2 and "colour" in err and "\x1b" not in err


def test_the_summary_explains_write_calls_beyond_one_per_row_and_the_status_reads(sb):
    from vpnroute_widgets import cli

    client = vw.VpcClient(sb.credentials, endpoint=sb.endpoint)
    sb.faults.add("error", "Throttling.User", action="CreateVpnRouteEntry", times=2)
    rows = pd.DataFrame([{"RegionId": sb.region_id, "VpnGatewayId": sb.vpn_gateway_id, "RouteDest": f"10.8.{i}.0/24",
                          "NextHop": sb.next_hop, "Weight": 0, "PublishVpc": "true"} for i in range(4)])
    result = vw.apply_batch(rows, client)
    assert result.counts() == {"ok": 4} and result.calls == 6
    text = cli._calls_explained(result)
    assert text.startswith("2 write call(s) beyond one per row") and "same ClientToken" in text
    estimate = cli._estimate(vw.plan_batch(rows), 2.0)
    assert "4 row(s) at 2 call(s)/s take at least 2.0 s" in estimate
    assert f"{sb.vpn_gateway_id} has the most (4)" in estimate
