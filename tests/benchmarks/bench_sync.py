"""Benchmark: a sync of 4 gateways x 1,000 routes, from reading the live tables to the last change.

Against a sandbox in its own process (gateway update time 50 ms, 5 ms latency, 100 calls/s per
action) seeded with 1,000 destination routes per gateway (active/standby pairs, unpublished
routes, a few BGP-learned ones), a desired table is made from an export with 10% of the custom
rows changed in each way: a weight flipped (singles promoted or demoted, pairs swapped), publishing
flipped, the row dropped (deleted with prune), and as many new rows. It prints one table:

* read: the time to read the four live tables (every page, sequentially) beside the floor, pages x
  the sandbox's time per call (measured in the same run on one-page DescribeVpnGateway reads);
* plan: plan_sync without the reads (the live tables served from memory); target < 0.5 s;
* apply: apply_sync's makespan beside the batch lower bound of bench_batch.py,
  max(changes / rate, changes on the busiest gateway x update time); target <= 1.15 x.

Exit status 1 when a target is missed or the gateways do not end as the file says.

    .venv/bin/python tests/benchmarks/bench_sync.py
"""

from __future__ import annotations

import json
import math
import random
import statistics
import subprocess
import sys
import time
from collections import Counter

import pandas as pd

import vpnroute_widgets as vw

UPDATE_S, LATENCY_MS, RATE = 0.050, 5, 100.0
GATEWAYS, PER_GATEWAY, SHARE = 4, 1000, 0.10
PLAN_TARGET_S, APPLY_TARGET = 0.5, 1.15
PAGE = 50


class SandboxProcess:
    """``python -m vpnroute_widgets.sandbox`` in its own process, seeded with routes."""

    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "vpnroute_widgets.sandbox", "--gateways", str(GATEWAYS), "--route-quota", "3000",
             "--routes-per-gateway", str(PER_GATEWAY), "--configuring-ms", str(UPDATE_S * 1000), "--rate", str(RATE),
             "--latency-ms", str(LATENCY_MS)], stdout=subprocess.PIPE, text=True)
        self.info = json.loads(self.proc.stdout.readline())
        self.client = vw.VpcClient(vw.Credentials(self.info["access_key_id"], self.info["access_key_secret"]),
                                   endpoint=self.info["endpoint"], timeout=(2, 10))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(10)


class Cached:
    """A client that answers the route reads from memory: planning timed without I/O."""

    def __init__(self, tables: dict):
        self.tables = tables

    def describe_vpn_route_entries(self, region_id: str, vpn_gateway_id: str):
        return self.tables[vpn_gateway_id]


def per_call_s(client, region: str, gateway: str, calls: int = 20) -> float:
    """Seconds per call of a one-page read, the median of ``calls`` after a warm-up call (DescribeVpnGateway:
    its own quota, so the route reads keep theirs)."""
    client.describe_vpn_gateway(region, gateway)
    spent = []
    for _ in range(calls):
        started = time.monotonic()
        client.describe_vpn_gateway(region, gateway)
        spent.append(time.monotonic() - started)
    return statistics.median(spent)


def _changed(rows: pd.DataFrame, rng: random.Random, n: int) -> pd.DataFrame:
    """One gateway's custom rows: weights of n rows flipped (pairs swapped whole), publishing of n other
    rows flipped, n other rows dropped."""
    by_dest = {dest: list(index) for dest, index in rows.groupby("RouteDest").groups.items()}
    dests = list(by_dest)
    rng.shuffle(dests)
    flipped, k = 0, 0
    while flipped < n:
        index = by_dest[dests[k]]
        rows.loc[index, "Weight"] = 100 - rows.loc[index, "Weight"]
        flipped, k = flipped + len(index), k + 1
    untouched = [i for dest in dests[k:] for i in by_dest[dest]]
    rng.shuffle(untouched)
    publish, drop = untouched[:n], untouched[n:2 * n]
    rows.loc[publish, "PublishVpc"] = ~rows.loc[publish, "PublishVpc"].astype(bool)
    return rows.drop(index=drop)


def desired_from(frame: pd.DataFrame, rng: random.Random) -> pd.DataFrame:
    """The export with 10% of the custom rows changed in each way, and 10% new rows."""
    custom = frame[frame.RouteEntryType == "custom"].copy()
    out = []
    for number, (gateway, rows) in enumerate(custom.groupby("VpnGatewayId", sort=False)):
        n = int(len(rows) * SHARE)
        hops = sorted(rows.NextHop.unique())
        out.append(_changed(rows.copy(), rng, n))
        out.append(pd.DataFrame([{"RegionId": rows.RegionId.iloc[0], "VpnGatewayId": gateway,
                                  "RouteDest": f"11.{number}.{k}.0/24", "NextHop": hops[k % len(hops)],
                                  "Weight": 100 if k % 3 else 0, "PublishVpc": True} for k in range(n)]))
    columns = ["RegionId", "VpnGatewayId", "RouteDest", "NextHop", "Weight", "PublishVpc", "Description"]
    return pd.concat(out, ignore_index=True)[columns]


def main() -> int:
    print(f"sandbox: {GATEWAYS} gateways x {PER_GATEWAY} routes, update {UPDATE_S * 1000:.0f} ms, latency "
          f"{LATENCY_MS} ms, {RATE:.0f} calls/s per action\n")
    with SandboxProcess() as sb:
        client, region = sb.client, sb.info["region_id"]
        gateways = [g["vpn_gateway_id"] for g in sb.info["gateways"]]
        call_s = per_call_s(client, region, gateways[0])
        started = time.monotonic()
        tables = {g: client.describe_vpn_route_entries(region, g) for g in gateways}
        read_s = time.monotonic() - started
        kinds = [Counter((e.route_entry_type or "custom").lower() for e in tables[g]) for g in gateways]
        pages = sum(max(1, math.ceil(k["custom"] / PAGE)) + max(1, math.ceil(k["bgp"] / PAGE)) for k in kinds)
        read_floor = pages * call_s

        frame = vw.export_routes(client, region, gateways)
        desired = desired_from(frame, random.Random(0))
        cached = Cached(tables)
        vw.plan_sync(desired, cached, prune=True)  # warm
        timings = []
        for _ in range(3):
            started = time.monotonic()
            plan = vw.plan_sync(desired, cached, prune=True)
            timings.append(time.monotonic() - started)
        plan_s = min(timings)
        plan = vw.plan_sync(desired, client, prune=True)
        changes = plan.changes()
        per_lane = Counter(s.vpn_gateway_id for s in changes)
        bound = max(len(changes) / RATE, max(per_lane.values()) * UPDATE_S)
        result = vw.apply_sync(plan, client, rate=RATE)
        after = vw.plan_sync(desired, client, prune=True).counts()

    steps = ", ".join(f"{k} {v}" for k, v in plan.counts().items())
    print(f"desired: {len(desired)} rows; plan: {steps}")
    print(f"apply: {result.counts()}, {result.calls} calls for {len(changes)} changes; re-plan after: {after}\n")
    header = f"{'phase':<8}{'measured s':>12}{'floor/bound s':>15}{'ratio':>8}{'target':>10}  notes"
    print(header)
    print("-" * (len(header) + 30))
    print(f"{'read':<8}{read_s:>12.3f}{read_floor:>15.3f}{read_s / read_floor:>8.2f}{'-':>10}  {pages} pages x "
          f"{call_s * 1000:.1f} ms/call (median one-page read, this run)")
    print(f"{'plan':<8}{plan_s:>12.3f}{'-':>15}{'-':>8}{'< 0.5 s':>10}  {len(plan)} steps, {len(desired)} rows "
          f"(best of 3, reads from memory)")
    print(f"{'apply':<8}{result.elapsed_s:>12.3f}{bound:>15.3f}{result.elapsed_s / bound:>8.2f}{'<= 1.15':>10}  "
          f"max({len(changes)} changes / {RATE:.0f}/s, {max(per_lane.values())} on the busiest gateway x "
          f"{UPDATE_S * 1000:.0f} ms)")
    met = plan_s < PLAN_TARGET_S and result.elapsed_s / bound <= APPLY_TARGET and result.ok
    met &= set(after) == {"none"}
    print(f"\ntargets {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
