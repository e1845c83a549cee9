"""``python -m vpnroute_widgets.sandbox``: serve the sandbox until interrupted.

The first line on stdout is one JSON object (endpoint, the demo key pair, region and
gateway ids), flushed at once so a script or another process can read it and connect.
The key pair printed is the sandbox's own fake one; it works nowhere else. SIGINT and
SIGTERM end the process cleanly, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from . import Sandbox


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m vpnroute_widgets.sandbox",
                                description="A local emulator of the Alibaba Cloud VPC API (VPN routes).")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    p.add_argument("--seed", type=int, default=0, help="seed of the ids and random faults (default 0)")
    p.add_argument("--gateways", type=int, default=2, help="healthy demo gateways (default 2)")
    p.add_argument("--route-quota", type=int, default=100, help="route quota of the healthy gateways")
    p.add_argument("--routes-per-gateway", type=int, default=0,
                   help="destination routes each healthy gateway starts with (default 0; deterministic per seed, "
                        "with active/standby pairs and unpublished routes)")
    p.add_argument("--configuring-ms", type=float, default=200.0,
                   help="how long a gateway stays 'updating' after a change (default 200 ms)")
    p.add_argument("--rate", type=float, default=None, help="calls/s per account, region and action")
    p.add_argument("--latency-ms", type=float, default=0.0, help="latency added to every API call")
    p.add_argument("--latency-jitter-ms", type=float, default=0.0, help="uniform jitter around the latency")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    try:
        sandbox = _sandbox(args)
    except ValueError as exc:  # an option out of range: a usage error (exit 2), not a traceback
        parser.error(str(exc))
    with sandbox:
        sys.stdout.write(json.dumps(sandbox.summary()) + "\n")
        sys.stdout.flush()
        while not done.wait(0.5):
            pass
    return 0


def _sandbox(args: argparse.Namespace) -> Sandbox:
    """The sandbox the options describe (not started); ValueError for an option out of range."""
    return Sandbox(seed=args.seed, port=args.port, gateways=args.gateways, route_quota=args.route_quota,
                   configuring_s=args.configuring_ms / 1000.0, rate=args.rate, latency_ms=args.latency_ms,
                   latency_jitter_ms=args.latency_jitter_ms, host=args.host,
                   routes_per_gateway=args.routes_per_gateway)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        sys.exit(130)
