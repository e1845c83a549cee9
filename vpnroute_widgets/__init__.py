"""vpnroute_widgets: manage Alibaba Cloud VPN destination routes from JupyterLab.

    import vpnroute_widgets as vw
    vw.app()                                   # the whole tool as one widget, against a local sandbox

    with vw.Sandbox() as sb:                   # a local emulator of the VPC API on 127.0.0.1
        client = vw.VpcClient(sb.credentials, endpoint=sb.endpoint, log=vw.ResponseLog())
        client.create_vpn_route_entry(vw.RouteEntryRequest(
            region_id=sb.region_id, vpn_gateway_id=sb.vpn_gateway_id, route_dest="10.0.0.0/24",
            next_hop=sb.next_hop, weight=100, publish_vpc=True))

Names that pull in pandas, ipywidgets or the HTTP server load on first use, so that
``import vpnroute_widgets.client`` stays free of pandas and ipywidgets.
"""

from __future__ import annotations

import importlib

from .credentials import Credentials
from .errors import (
    ApiError,
    ConfigurationError,
    CredentialsError,
    TransportError,
    ValidationError,
    VpnRouteError,
    error_info,
)
from .model import RouteEntry, RouteEntryRequest

__version__ = "0.1.0"

_LAZY = {
    "VpcClient": "vpnroute_widgets.client",
    "ClientConfig": "vpnroute_widgets.client",
    "ResponseLog": "vpnroute_widgets.log",
    "Sandbox": "vpnroute_widgets.sandbox",
    "app": "vpnroute_widgets.widgets",
    "plot_outcomes": "vpnroute_widgets.log.plots",
    "plot_latency": "vpnroute_widgets.log.plots",
    "plot_timeline": "vpnroute_widgets.log.plots",
    "RouteEntryForm": "vpnroute_widgets.widgets",
    "ConnectionPanel": "vpnroute_widgets.widgets",
    "LogView": "vpnroute_widgets.widgets",
    "BatchPanel": "vpnroute_widgets.widgets",
    "RouteTable": "vpnroute_widgets.widgets.routes",
    "route_picture": "vpnroute_widgets.widgets.route_picture",
    "Batch": "vpnroute_widgets.batch",
    "plan_batch": "vpnroute_widgets.batch",
    "apply_batch": "vpnroute_widgets.batch",
    "rollback_batch": "vpnroute_widgets.batch",
    "resume_batch": "vpnroute_widgets.batch",
    "SyncPlan": "vpnroute_widgets.batch",
    "export_routes": "vpnroute_widgets.batch",
    "plan_sync": "vpnroute_widgets.batch",
    "apply_sync": "vpnroute_widgets.batch",
    "VpnGateway": "vpnroute_widgets.model.resources",
    "VpnConnection": "vpnroute_widgets.model.resources",
    "switch_active": "vpnroute_widgets.lifecycle",
    "SwitchError": "vpnroute_widgets.lifecycle",
    "SwitchResult": "vpnroute_widgets.lifecycle",
    "GatewayWaitError": "vpnroute_widgets.lifecycle",
}

__all__ = [
    "ApiError",
    "ConfigurationError",
    "Credentials",
    "CredentialsError",
    "RouteEntry",
    "RouteEntryRequest",
    "TransportError",
    "ValidationError",
    "VpnRouteError",
    "error_info",
    *_LAZY,
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'vpnroute_widgets' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(__all__) | {"__version__"})
