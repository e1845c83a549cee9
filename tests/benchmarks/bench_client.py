"""Per-call cost of CreateVpnRouteEntry against the sandbox: VpcClient beside the official SDKs.

    .venv/bin/python tests/benchmarks/bench_client.py [--calls 300] [--rounds 3]

One sandbox (configuring_s=0, so calls never collide); every call creates a new route
(RouteDest varies). Contenders: VpcClient V3 and V1 (JSON), the tea SDK
(alibabacloud-vpc20160428, V3), the legacy core SDK (aliyun-python-sdk-vpc, V1), and a
plain ``requests.Session`` posting pre-signed V3 requests (the floor: HTTP + sandbox,
no signing in the timed loop). Rounds are interleaved and the best round counts, which
damps noise on a shared machine. Prints microseconds per call and ratios to the
fastest official SDK. Target: VpcClient no slower than the fastest official SDK.
"""

from __future__ import annotations

import argparse
import itertools
import time
import uuid

import requests

import vpnroute_widgets as vw
from vpnroute_widgets.wire import prepare_call

_COUNTER = itertools.count()


def next_dest() -> str:
    n = next(_COUNTER)
    return f"{10 + n // 65536 % 100}.{n // 256 % 256}.{n % 256}.0/24"


def vpcclient(sb, version):
    client = vw.VpcClient(sb.credentials, endpoint=sb.endpoint, signature_version=version, max_attempts=1)

    def call():
        client.create_vpn_route_entry(vw.RouteEntryRequest(
            region_id=sb.region_id, vpn_gateway_id=sb.vpn_gateway_id, route_dest=next_dest(),
            next_hop=sb.next_hop, weight=0, publish_vpc=True))
    return call


def tea_sdk(sb):
    from alibabacloud_tea_openapi import models as open_api_models
    from alibabacloud_tea_util import models as util_models
    from alibabacloud_vpc20160428 import models as vpc_models
    from alibabacloud_vpc20160428.client import Client

    port = sb.endpoint.rsplit(":", 1)[1]
    client = Client(open_api_models.Config(access_key_id=sb.credentials.access_key_id,
                                           access_key_secret=sb.credentials.access_key_secret,
                                           endpoint=f"127.0.0.1:{port}", protocol="HTTP", region_id=sb.region_id))
    runtime = util_models.RuntimeOptions()

    def call():
        client.create_vpn_route_entry_with_options(vpc_models.CreateVpnRouteEntryRequest(
            region_id=sb.region_id, vpn_gateway_id=sb.vpn_gateway_id, route_dest=next_dest(),
            next_hop=sb.next_hop, weight=0, publish_vpc=True, client_token=str(uuid.uuid4())), runtime)
    return call


def legacy_sdk(sb):
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkvpc.request.v20160428.CreateVpnRouteEntryRequest import CreateVpnRouteEntryRequest

    client = AcsClient(sb.credentials.access_key_id, sb.credentials.access_key_secret, sb.region_id,
                       port=int(sb.endpoint.rsplit(":", 1)[1]))

    def call():
        req = CreateVpnRouteEntryRequest()
        req.set_endpoint("127.0.0.1")
        req.set_protocol_type("http")
        req.set_VpnGatewayId(sb.vpn_gateway_id)
        req.set_RouteDest(next_dest())
        req.set_NextHop(sb.next_hop)
        req.set_Weight(0)
        req.set_PublishVpc(True)
        req.set_ClientToken(str(uuid.uuid4()))
        client.do_action_with_exception(req)
    return call


def presigned(sb, total):
    """A requests.Session posting requests signed before the clock starts."""
    session = requests.Session()
    session.trust_env = False
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    ready = []
    for _ in range(total):
        params = {"RegionId": sb.region_id, "VpnGatewayId": sb.vpn_gateway_id, "RouteDest": next_dest(),
                  "NextHop": sb.next_hop, "Weight": "0", "PublishVpc": "true", "ClientToken": str(uuid.uuid4())}
        ready.append(prepare_call("CreateVpnRouteEntry", params, sb.credentials, sb.endpoint, version="v3",
                                  fmt="JSON", nonce=uuid.uuid4().hex, timestamp=stamp))
    pending = iter(ready)

    def call():
        p = next(pending)
        session.post(p.url, headers=p.headers, timeout=(5, 10)).raise_for_status()
    return call


def timed(call, n: int) -> float:
    """Microseconds per call over ``n`` calls (after a short warm-up outside the clock)."""
    started = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - started) / n * 1e6


def main(argv=None) -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--calls", type=int, default=300)
    args.add_argument("--rounds", type=int, default=3)
    opts = args.parse_args(argv)
    with vw.Sandbox(seed=0, configuring_s=0, route_quota=10**9) as sb:
        contenders = {
            "VpcClient v3 (JSON)": vpcclient(sb, "v3"),
            "VpcClient v1 (JSON)": vpcclient(sb, "v1"),
            "tea SDK alibabacloud-vpc20160428 (v3)": tea_sdk(sb),
            "legacy SDK aliyun-python-sdk-vpc (v1)": legacy_sdk(sb),
            "requests.Session, pre-signed (floor)": presigned(sb, (opts.calls + 10) * opts.rounds),
        }
        for call in contenders.values():
            for _ in range(10):
                call()
        best = {name: float("inf") for name in contenders}
        for _ in range(opts.rounds):
            for name, call in contenders.items():
                best[name] = min(best[name], timed(call, opts.calls))
                sb.reset()
    fastest_sdk = min(best[n] for n in best if "SDK" in n)
    print(f"CreateVpnRouteEntry against the sandbox, {opts.calls} calls x {opts.rounds} rounds (best round)")
    print(f"{'contender':42} {'us/call':>9} {'vs fastest SDK':>15}")
    for name, us in best.items():
        print(f"{name:42} {us:9.0f} {us / fastest_sdk:14.2f}x")
    verdict = "met" if min(best["VpcClient v3 (JSON)"], best["VpcClient v1 (JSON)"]) <= fastest_sdk else "NOT met"
    print(f"target (VpcClient no slower than the fastest official SDK): {verdict}")


if __name__ == "__main__":
    main()
