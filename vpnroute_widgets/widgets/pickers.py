"""AccountPickers: in Alibaba Cloud mode, the account's gateways and connections for the route form.

When the connection changes in Alibaba Cloud mode (a region chosen, keys typed, Connect), the
pickers read the region's VPN gateways (DescribeVpnGateways) and IPsec connections
(DescribeVpnConnections) in the background: reads only, never a write. They then offer them by
name and id in two dropdowns, and give the form's VpnGatewayId and NextHop fields the ids as
suggestions (``RouteEntryForm.set_quick_picks``), NextHop following the chosen gateway. Picking
fills the form's field; typing an id by hand still works (the fields stay free text).

In sandbox mode the pickers hide: the form has the sandbox's quick picks already.
"""

from __future__ import annotations

import asyncio
from typing import Any

import ipywidgets as widgets

from .common import TaskRunner, labelled_style, message, row_layout

__all__ = ["AccountPickers", "account_picks"]

NONE = ("(pick, or type an id below)", "")


def account_picks(client: Any, region_id: str) -> dict[str, Any]:
    """``{"region_id", "gateways": [{"vpn_gateway_id", "name", "next_hops", "hop_names"}]}`` read from the account.

    Two listings (every page), no write. Connections are grouped under their gateway.
    """
    gateways = client.describe_vpn_gateways(region_id)
    connections = client.describe_vpn_connections(region_id)
    picks = []
    for gateway in gateways:
        if not gateway.vpn_gateway_id:
            continue
        mine = [c for c in connections if c.vpn_gateway_id == gateway.vpn_gateway_id and c.vpn_connection_id]
        picks.append({"vpn_gateway_id": gateway.vpn_gateway_id, "name": gateway.name or "",
                      "next_hops": [c.vpn_connection_id for c in mine],
                      "hop_names": {c.vpn_connection_id: c.name or "" for c in mine}})
    return {"region_id": region_id, "gateways": picks}


def _label(name: str, ident: str) -> str:
    return f"{name} ({ident})" if name else ident


class AccountPickers(widgets.VBox):
    """Gateway and connection pickers fed from the account, filling ``form``'s fields.

    ``connection`` is the ConnectionPanel (its ``mode``, ``region_id``, ``client``, ``on_change``);
    ``form`` the RouteEntryForm. Tests: ``load()`` then ``wait()``; ``picks`` is what was read.
    """

    def __init__(self, connection: Any, form: Any, **kwargs: Any):
        self.connection = connection
        self.form = form
        self.picks: dict[str, Any] = {}
        self._pending = False
        self._runner = TaskRunner()
        self.gateway = widgets.Dropdown(description="Gateway", options=[NONE], style=labelled_style(),
                                        layout=widgets.Layout(width="420px"),
                                        tooltip="The account's VPN gateways in the region (name and id)")
        self.next_hop = widgets.Dropdown(description="Connection", options=[NONE], style=labelled_style(),
                                         layout=widgets.Layout(width="420px"),
                                         tooltip="The chosen gateway's IPsec connections (name and id)")
        self.reload = widgets.Button(description="Read again", icon="refresh",
                                     tooltip="Read the region's gateways and connections (reads only)")
        self.status = widgets.HTML()
        super().__init__(children=[widgets.HBox([self.gateway, self.next_hop, self.reload], layout=row_layout()),
                                   self.status], layout=widgets.Layout(display="none"), **kwargs)
        self.add_class("vw-account-pickers")
        self.gateway.observe(self._on_gateway, names="value")
        self.next_hop.observe(self._on_hop, names="value")
        self.reload.on_click(lambda _b: self.load())
        connection.on_change(self._on_connection)

    @property
    def cloud(self) -> bool:
        return getattr(self.connection, "mode", "sandbox") == "cloud"

    def _on_connection(self, *_args: Any) -> None:
        self.layout.display = "" if self.cloud else "none"
        if self.cloud:
            self.load()

    def load(self) -> None:
        """Read the region's gateways and connections in the background (again after a busy read)."""
        if not self.cloud:
            return
        if self._runner.busy:
            self._pending = True  # settings changed meanwhile: the running read reads once more
            return
        self._runner.start(self._read())

    def _region(self) -> str:
        return self.connection.region.value.strip() if hasattr(self.connection, "region") else ""

    async def _read(self) -> None:
        """Read until the settings stop changing; show the last answer (or why nothing is offered)."""
        while True:
            self._pending = False
            region = self._region()
            self.status.value = message(f"Reading the gateways and connections of {region or 'the region'}…",
                                        "info")
            try:
                client = self.connection.client  # may raise: no credentials yet (nothing is sent then)
                picks = await asyncio.get_running_loop().run_in_executor(None, account_picks, client,
                                                                         region or client.region_id)
            except Exception as err:  # noqa: BLE001 - shown beside the pickers; typing ids still works
                first = (str(err).splitlines() or [""])[0].removesuffix("Looked in:").strip()
                found, text, role = {}, (f"No gateways offered ({type(err).__name__}: {first}). "
                                         "Type the ids by hand, or fix the connection."), "warn"
            else:
                count = sum(len(g["next_hops"]) for g in picks["gateways"])
                found, text, role = picks, (f"{len(picks['gateways'])} gateways and {count} connections in "
                                            f"{picks['region_id']} (read only; nothing was changed)."), "ok"
            if not self._pending:
                self._show(found, text, role)
                return

    def _show(self, picks: dict[str, Any], text: str, role: str) -> None:
        self.picks = picks
        self.status.value = message(text, role)
        self.gateway.options = [NONE] + [(_label(g["name"], g["vpn_gateway_id"]), g["vpn_gateway_id"])
                                         for g in picks.get("gateways", [])]
        if picks:
            self.form.set_quick_picks({"region_id": picks["region_id"], "gateways": picks["gateways"]})
        self._on_gateway()

    def _gateway_pick(self) -> dict[str, Any]:
        chosen = self.gateway.value or self.form.fields["VpnGatewayId"].value
        return next((g for g in self.picks.get("gateways", []) if g["vpn_gateway_id"] == chosen), {})

    def _on_gateway(self, _change: dict | None = None) -> None:
        pick = self._gateway_pick()
        if self.gateway.value:
            self._fill("VpnGatewayId", self.gateway.value)
        names = pick.get("hop_names", {})
        self.next_hop.options = [NONE] + [(_label(names.get(h, ""), h), h) for h in pick.get("next_hops", [])]

    def _on_hop(self, _change: dict | None = None) -> None:
        if self.next_hop.value:
            self._fill("NextHop", self.next_hop.value)

    def _fill(self, name: str, value: str) -> None:
        self.form.fields[name].value = value

    def wait(self, timeout: float = 30.0) -> None:
        """Block until the current read is done (scripts and tests)."""
        self._runner.wait(timeout)

    def close(self) -> None:
        self._runner.close()
        super().close()
