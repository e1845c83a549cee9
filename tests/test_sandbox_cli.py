"""``python -m vpnroute_widgets.sandbox``: one JSON line first, same seed same ids, clean exit on signals."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request

import pytest

import vpnroute_widgets as vw


def launch(*args: str) -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen([sys.executable, "-m", "vpnroute_widgets.sandbox", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    return proc, json.loads(line)


def finish(proc: subprocess.Popen, sig: int) -> tuple[int, str, str]:
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=10)
    return proc.returncode, out, err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_prints_one_json_line_serves_and_exits_cleanly(sig):
    proc, info = launch("--seed", "5", "--gateways", "3", "--configuring-ms", "0")
    try:
        assert set(info) == {"endpoint", "access_key_id", "access_key_secret", "region_id", "vpn_gateway_id",
                             "next_hop", "gateways"}
        assert info["endpoint"].startswith("http://127.0.0.1:") and info["region_id"] == "cn-hangzhou"
        assert len(info["gateways"]) == 3 and all(len(g["next_hops"]) == 2 for g in info["gateways"])
        assert info["gateways"][0] == {"vpn_gateway_id": info["vpn_gateway_id"],
                                       "next_hops": [info["next_hop"], info["gateways"][0]["next_hops"][1]]}
        assert not info["access_key_id"].startswith("LTAI")
        client = vw.VpcClient(vw.Credentials(info["access_key_id"], info["access_key_secret"]),
                              endpoint=info["endpoint"], max_attempts=1)
        entry = client.create_vpn_route_entry(vw.RouteEntryRequest(
            region_id=info["region_id"], vpn_gateway_id=info["vpn_gateway_id"], route_dest="10.0.0.0/24",
            next_hop=info["next_hop"], weight=100, publish_vpc=True))
        assert entry.vpn_instance_id == info["vpn_gateway_id"]
    finally:
        code, out, err = finish(proc, sig)
    assert code == 0 and out == "" and "Traceback" not in err and err == ""


def test_same_seed_same_ids_and_matches_the_python_api():
    first, a = launch("--seed", "11")
    finish(first, signal.SIGINT)
    second, b = launch("--seed", "11")
    finish(second, signal.SIGINT)
    a.pop("endpoint"), b.pop("endpoint")
    assert a == b
    sb = vw.Sandbox(seed=11)
    assert a["vpn_gateway_id"] == sb.vpn_gateway_id and a["access_key_id"] == sb.credentials.access_key_id
    assert a["gateways"] == [{"vpn_gateway_id": g["vpn_gateway_id"], "next_hops": g["next_hops"]}
                             for g in sb.gateways]


def test_routes_per_gateway_seeds_the_same_routes_as_the_python_api():
    proc, info = launch("--seed", "4", "--routes-per-gateway", "5")
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1: never a proxy
        with opener.open(info["endpoint"] + "/_sandbox/state", timeout=5) as answer:
            state = json.loads(answer.read())
    finally:
        finish(proc, signal.SIGINT)
    expected = vw.Sandbox(seed=4, routes_per_gateway=5).state()
    assert state["gateways"] == json.loads(json.dumps(expected["gateways"]))
    healthy = [g for g in state["gateways"] if g["Kind"] == "healthy"]
    assert healthy and all(len(g["Routes"]) == 5 for g in healthy)


def test_routes_per_gateway_beyond_the_quota_is_a_usage_error():
    proc = subprocess.run([sys.executable, "-m", "vpnroute_widgets.sandbox", "--route-quota", "4",
                           "--routes-per-gateway", "5"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "routes_per_gateway" in proc.stderr and "Traceback" not in proc.stderr
