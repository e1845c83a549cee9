"""SIGKILL the CLI mid-apply against a sandbox in its own process: the journal names what was made,
apply again completes the batch and owns those routes, and rollback leaves the sandbox as it was."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import requests

import vpnroute_widgets as vw
from vpnroute_widgets.batch.journal import journal_path, read_journal
from vpnroute_widgets.log import ResponseLog

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
PER_GATEWAY = 8
DEADLINE_S = 60.0  # generous: the machine is shared; only a hang would reach it


def poll(condition, what: str, deadline: float = DEADLINE_S):
    """Wait until ``condition()`` returns something truthy (no fixed sleeps: only a generous deadline)."""
    end = time.monotonic() + deadline
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.fixture
def server():
    """A sandbox in its own process: calls take 100 ms and a change keeps its gateway busy 250 ms, so an
    apply takes seconds and a row is in flight most of the time."""
    proc = subprocess.Popen([sys.executable, "-m", "vpnroute_widgets.sandbox", "--seed", "7", "--gateways", "2",
                             "--configuring-ms", "250", "--latency-ms", "100", "--rate", "100"],
                            stdout=subprocess.PIPE, text=True)
    try:
        yield json.loads(proc.stdout.readline())
    finally:
        proc.terminate()
        proc.wait(10)


def state(info) -> dict:
    with requests.Session() as session:
        session.trust_env = False
        return session.get(info["endpoint"] + "/_sandbox/state", timeout=10).json()


def routes_of(snapshot) -> set[tuple]:
    return {(g["VpnGatewayId"], r["RouteDest"], r["NextHop"]) for g in snapshot["gateways"] for r in g["Routes"]}


def settled(info):
    """The state once no gateway is still applying a change (statuses are part of "as it was")."""
    snapshot = state(info)
    return snapshot if all(g["Status"] == "active" for g in snapshot["gateways"]) else None


def cli(info, *args: str) -> list[str]:
    return [sys.executable, "-m", "vpnroute_widgets", *args, "--endpoint", info["endpoint"], "--region",
            info["region_id"]][: None if args[0] == "apply" else -2]


@pytest.mark.parametrize("recover", ["apply", "resume"])
def test_sigkill_mid_apply_then_apply_again_then_rollback_leaves_the_sandbox_as_it_was(server, tmp_path, recover):
    """``recover``: apply the same file again with the same report, or resume the report never written."""
    info = server
    env = {**os.environ, "ALIBABA_CLOUD_ACCESS_KEY_ID": info["access_key_id"],
           "ALIBABA_CLOUD_ACCESS_KEY_SECRET": info["access_key_secret"]}
    first_gateway, first_hop = info["vpn_gateway_id"], info["next_hop"]
    client = vw.VpcClient(vw.Credentials(info["access_key_id"], info["access_key_secret"]),
                          endpoint=info["endpoint"])
    client.create_vpn_route_entry(vw.RouteEntryRequest(info["region_id"], first_gateway, "10.99.0.0/24",
                                                       first_hop, 0, True))  # someone else's route
    before = poll(lambda: settled(info), "the sandbox to settle")
    assert routes_of(before) == {(first_gateway, "10.99.0.0/24", first_hop)}

    lines = ["RouteDest,NextHop,Weight,PublishVpc,VpnGatewayId"]
    lines += [f"10.{g}.{i}.0/24,{gw['next_hops'][0]},0,true,{gw['vpn_gateway_id']}"
              for g, gw in enumerate(info["gateways"]) for i in range(PER_GATEWAY)]
    lines.append(f"10.99.0.0/24,{first_hop},0,true,{first_gateway}")  # already there: not ours to delete
    routes = tmp_path / "routes.csv"
    routes.write_text("\n".join(lines) + "\n")
    report, undo = tmp_path / "report.csv", tmp_path / "undo.csv"
    journal = journal_path(report)

    with open(tmp_path / "killed.out", "w") as out:
        killed = subprocess.Popen(cli(info, "apply", str(routes), "--report", str(report), "--quiet"), env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
        try:
            def mid_flight():
                """Three routes made, and a row sent whose answer is not in yet (a torn last line is fine)."""
                events = read_journal(journal)
                done = [e["record"] for kind, e in events if kind == "done"]
                sent = {e["record"]["row"] for kind, e in events if kind == "sent"}
                return sum(r.get("outcome") == "ok" for r in done) >= 3 and sent - {r["row"] for r in done}

            poll(mid_flight, "three routes in the journal and one in flight")
        finally:
            killed.send_signal(signal.SIGKILL)
            killed.wait(10)
    assert killed.returncode == -signal.SIGKILL
    assert not report.exists() and os.path.exists(journal)

    # the journal names every route the killed run made (done ok, or sent and unanswered)
    events = read_journal(journal)
    named = {(e["record"]["vpn_gateway_id"], e["record"]["route_dest"], e["record"]["next_hop"])
             for kind, e in events if kind == "sent" or (kind == "done" and e["record"]["outcome"] == "ok")}
    ok_rows = {e["record"]["route_dest"] for kind, e in events if kind == "done" and e["record"]["outcome"] == "ok"}
    made = routes_of(poll(lambda: settled(info), "the sandbox to settle")) - routes_of(before)
    assert made and made <= named, (made, named)
    assert ok_rows <= {dest for _gw, dest, _hop in made}
    assert len(made) < 2 * PER_GATEWAY  # killed mid-apply: some rows were never sent

    if recover == "apply":
        again = subprocess.run(cli(info, "apply", str(routes), "--report", str(report), "--quiet"), env=env,
                               capture_output=True, text=True, timeout=120)
        assert "interrupted run" in again.stdout
    else:
        final = tmp_path / "resumed.csv"
        again = subprocess.run(cli(info, "resume", str(report), "--report", str(final), "--quiet"), env=env,
                               capture_output=True, text=True, timeout=120)
        report, journal = final, journal_path(final)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "ok 16, exists 1" in again.stdout
    assert not os.path.exists(journal)  # the report owns everything now
    records = ResponseLog.from_csv(report).to_dataframe()
    assert sorted(records["outcome"]) == ["exists"] + ["ok"] * 16
    assert set(records[records["outcome"] == "ok"]["route_dest"]) >= ok_rows  # carried, not re-created
    assert routes_of(poll(lambda: settled(info), "the sandbox to settle")) - routes_of(before) == {
        (gw["vpn_gateway_id"], f"10.{g}.{i}.0/24", gw["next_hops"][0])
        for g, gw in enumerate(info["gateways"]) for i in range(PER_GATEWAY)}

    rolled = subprocess.run(cli(info, "rollback", str(report), "--report", str(undo), "--quiet"), env=env,
                            capture_output=True, text=True, timeout=120)
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert ResponseLog.from_csv(undo).counts() == {"ok": 16, "skipped": 1}
    assert poll(lambda: settled(info), "the sandbox to settle") == before
