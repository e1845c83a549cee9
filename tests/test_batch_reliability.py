"""500 rows through a sandbox that misbehaves on about 30% of calls.

Faults on CreateVpnRouteEntry, drawn from the sandbox's seeded RNG: throttling, HTML 5xx pages,
dropped connections, timeouts past the client's read timeout (applied late), and
commit-then-drop (applied, answer lost). Every input row must end with exactly one outcome,
the sandbox must hold no duplicate, at least 99% of rows must end ok, and applying the same
batch again must create nothing.
"""

from __future__ import annotations

import pandas as pd

import vpnroute_widgets as vw

GATEWAYS = 25
PER_GATEWAY = 20
FAULTS = (
    {"kind": "error", "code": "Throttling.User", "status": 400},
    {"kind": "html_5xx", "status": 502},
    {"kind": "drop"},
    {"kind": "timeout", "delay_s": 0.4},
    {"kind": "commit_then_drop"},
)


def test_500_rows_with_30_percent_faults():
    with vw.Sandbox(seed=11, gateways=GATEWAYS, route_quota=PER_GATEWAY, configuring_s=0.005) as sb:
        client = vw.VpcClient(sb.credentials, endpoint=sb.endpoint, timeout=(1, 0.25))
        frame = pd.DataFrame([{"RouteDest": f"10.{g}.{i}.0/24", "NextHop": gw["next_hops"][i % 2],
                               "VpnGatewayId": gw["vpn_gateway_id"], "Weight": 0, "PublishVpc": True}
                              for g, gw in enumerate(sb.gateways) for i in range(PER_GATEWAY)])
        assert len(frame) == 500
        batch = vw.plan_batch(frame, client, defaults={"RegionId": sb.region_id})
        rules = [sb.faults.add(**spec, action="CreateVpnRouteEntry", probability=0.07) for spec in FAULTS]

        result = vw.apply_batch(batch, client, rate=1000, concurrency=25)

        report = result.to_dataframe()
        fired = sum(rule.fired for rule in rules)
        attempts = int(report["attempts"].sum())
        assert fired / attempts > 0.2, (fired, attempts)  # the faults really hit about 30% of calls
        assert sorted(report["row"].tolist()) == list(range(500))  # exactly one outcome per input row
        assert report["outcome"].notna().all()
        made = [(g["VpnGatewayId"], r["RouteDest"], r["NextHop"]) for g in sb.state()["gateways"]
                for r in g["Routes"]]
        assert len(made) == len(set(made))  # no duplicate route
        ok = int((report["outcome"] == "ok").sum())
        assert ok >= 495, result.counts()
        assert len(made) >= ok

        sb.faults.clear()
        before = sb.requests.count("CreateVpnRouteEntry")
        again = vw.apply_batch(frame, client, defaults={"RegionId": sb.region_id})
        assert sb.requests.count("CreateVpnRouteEntry") - before == 500 - again.counts().get("exists", 0)
        assert again.counts().get("exists", 0) >= ok
        after = [(g["VpnGatewayId"], r["RouteDest"], r["NextHop"]) for g in sb.state()["gateways"]
                 for r in g["Routes"]]
        assert len(after) == len(set(after)) == 500
        print(f"\nreliability: {attempts} attempts, {fired} faults ({fired / attempts:.0%}), "
              f"outcomes {result.counts()}, {result.elapsed_s:.2f} s; second apply {again.counts()}")
