"""RouteTable: the Routes tab. One gateway's live route table, its picture, and safe changes to it.

Pick a gateway (the sandbox's or the account's, by name and id), and the table shows every route
(every page, custom and BGP-learned): destination, next hop and its connection's name, active or
standby, published or not, state, route type, created time (UTC). itables sorts, filters and
searches in the browser. Select rows, then an action (switch active/standby, set a weight,
publish, withdraw, delete): the panel shows what will be sent (operations and parameters; the
client adds the credentials when it signs, so no secret is ever shown) and a button naming the
count and the gateway ("Confirm: withdraw 3 routes on vpn-..."), and "Send nothing". Only the
confirmation sends, in the background (the kernel stays free), with progress and Stop; every call
goes to the client's log; then the table is read again and the status line says what happened.

The rules (BGP routes are never changed, the active/standby pair rule) live in
:mod:`.route_actions`; the inventory is :func:`~vpnroute_widgets.export_routes`, which also
gives the CSV export; the picture is :func:`.route_picture.route_picture`.
"""

from __future__ import annotations

import asyncio
import base64
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd

from .common import COLOURS, TaskRunner, esc, labelled_style, message, row_layout
from .route_actions import ActionPlan, Route, display_frame, plan_action, routes_from_frame, run_action
from .route_picture import route_picture
from .table import TableView

__all__ = ["ROUTE_COLUMNS", "RouteTable"]

# API names, as in the CSV export; none is free text that wraps (TableView's WRAP_COLUMNS), so every
# row stays one line high (a description is at most 100 characters and scrolls sideways with the rest)
ROUTE_COLUMNS = ("RouteDest", "NextHop", "Connection", "Role", "Weight", "Published", "State", "RouteEntryType",
                 "CreateTime (UTC)", "Description")
BUSY = "Busy: wait for the current step to finish (or Stop)."


def _client_of(connection: Any) -> Any:
    return connection.client if hasattr(connection, "client") and not hasattr(connection, "call") else connection


def _region_of(connection: Any) -> str:
    """The region of a ConnectionPanel (its ``region_id``) or of a client (its default region)."""
    return str(getattr(connection, "region_id", None) or getattr(_client_of(connection), "region_id", "") or "")


class RouteTable(widgets.VBox):
    """The Routes tab: ``connection`` (a ConnectionPanel, or a VpcClient) gives the client; ``log`` is shown in
    the status only (the client records every call itself).

    Scripts and tests: ``refresh()`` then ``wait()``; ``select(positions)``; ``switch_button.click()`` (or
    ``weight_button``, ``publish_button``, ``withdraw_button``, ``delete_button``) shows the plan and the
    confirmation, ``confirm_button.click()`` sends, ``wait()``. ``routes`` (Route values of the rows),
    ``frame`` (the export frame), ``plan`` (the armed ActionPlan or None), ``result``, ``picture``.
    """

    def __init__(self, connection: Any, log: Any = None, *, picture_rows: int = 40, poll: float = 0.25,
                 **kwargs: Any):
        self.connection = connection
        self.response_log = log
        self.picture_rows = picture_rows
        self.poll = poll
        self.frame = pd.DataFrame()
        self.routes: list[Route] = []
        self.names: dict[str, str] = {}
        self.plan: ActionPlan | None = None
        self.result: Any = None
        self.error: BaseException | None = None
        self.loaded = False
        self._acting = False
        self._picking = False
        self._cancel = threading.Event()
        self._runner = TaskRunner()
        self._build()
        self._wire()
        super().__init__(children=self._layout(), layout=widgets.Layout(width="100%"), **kwargs)
        self.add_class("vw-routes-tab")  # a stable hook for browser tests and user CSS
        self._sync()

    # --- building ---

    def _build(self) -> None:
        self.gateway = widgets.Dropdown(description="Gateway", options=[], style=labelled_style(),
                                        layout=widgets.Layout(width="460px"))
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh",
                                             tooltip="Read the gateways and this gateway's routes (reads only)")
        self.switch_button = widgets.Button(description="Switch active/standby", icon="exchange",
                                            layout=widgets.Layout(width="auto"),
                                            tooltip="Make the selected standby routes active (asks first)")
        self.new_weight = widgets.Dropdown(description="New weight", options=[("100 (active)", 100),
                                           ("0 (standby)", 0)], value=0, style=labelled_style())
        self.weight_button = widgets.Button(description="Set weight", icon="balance-scale",
                                            tooltip="Change the selected routes' weight (asks first)")
        self.publish_button = widgets.Button(description="Publish", icon="bullhorn",
                                             tooltip="Advertise the selected routes to the VPC (asks first)")
        self.withdraw_button = widgets.Button(description="Withdraw", icon="eye-slash",
                                              tooltip="Stop advertising the selected routes to the VPC (asks first)")
        self.delete_button = widgets.Button(description="Delete", icon="trash", button_style="danger",
                                            tooltip="Delete the selected routes (asks first)")
        self.preview = widgets.HTML()
        self.confirm_button = widgets.Button(description="Confirm", icon="check", button_style="danger",
                                             layout=widgets.Layout(width="auto"),
                                             tooltip="Send the calls shown above")
        # not "Cancel": the Batch tab's Cancel is in the same app (one label, one button)
        self.cancel_button = widgets.Button(description="Send nothing", icon="times", tooltip="Drop this action")
        self.switch_instead = widgets.Button(description="Switch instead", icon="exchange",
                                             layout=widgets.Layout(display="none", width="auto"),
                                             tooltip="Plan an active/standby switch for the same rows")
        self.confirm_box = widgets.HBox([self.confirm_button, self.cancel_button], layout=widgets.Layout(
            display="none"))
        self.stop_button = widgets.Button(description="Stop", icon="stop", button_style="warning",
                                          tooltip="Send nothing more; the call in flight finishes")
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="Progress", style=labelled_style(),
                                            layout={"width": "420px"})
        self.status = widgets.HTML()
        self.status.add_class("vw-routes-status")
        self.counts = widgets.HTML()
        self.table = TableView("routes of the gateway", select=True)
        self.export_button = widgets.Button(description="Export CSV", icon="download",
                                            tooltip="The route table as CSV (the inventory a sync file starts from)")
        self.download = widgets.HTML()
        self.picture = widgets.HTML()
        self.picture.add_class("vw-routes-picture")

    def _layout(self) -> list[widgets.Widget]:
        top = widgets.HBox([self.gateway, self.refresh_button, self.export_button, self.download],
                           layout=row_layout(margin="0 0 4px 0"))
        actions = widgets.HBox([self.switch_button, self.new_weight, self.weight_button, self.publish_button,
                                self.withdraw_button, self.delete_button], layout=row_layout())
        running = widgets.HBox([self.progress, self.stop_button], layout=row_layout())
        confirm = widgets.HBox([self.confirm_box, self.switch_instead], layout=row_layout())
        return [top, self.status, actions, self.preview, confirm, running, self.counts, self.table, self.picture]

    def _wire(self) -> None:
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.gateway.observe(self._on_gateway, names="value")
        for button, action in ((self.switch_button, "switch"), (self.weight_button, "weight"),
                               (self.publish_button, "publish"), (self.withdraw_button, "withdraw"),
                               (self.delete_button, "delete"), (self.switch_instead, "switch")):
            button.on_click(lambda _b, a=action: self.ask(a))
        self.confirm_button.on_click(lambda _b: self._on_confirm())
        self.cancel_button.on_click(lambda _b: self.disarm("Cancelled: nothing was sent."))
        self.stop_button.on_click(lambda _b: self.stop())
        self.export_button.on_click(lambda _b: self.export())
        self.table.itable.observe(lambda _c: self._on_selection(), names="selected_rows")
        if hasattr(self.connection, "on_change"):
            self.connection.on_change(self._on_connection)

    # --- reading ---

    @property
    def vpn_gateway_id(self) -> str:
        return str(self.gateway.value or "")

    def refresh(self, note: str = "") -> None:
        """Read the gateways (first time) and the chosen gateway's routes in the background (reads only)."""
        if self._runner.busy:
            self.status.value = message(BUSY, "warn")
            return
        self.disarm()
        self._launch(lambda: self._read(note), "Reading the route table…")

    def _read(self, note: str) -> Callable[[], None]:
        """Worker: every read; returns the widget update to run on the kernel's thread."""
        from ..batch import export_routes

        client, region = _client_of(self.connection), _region_of(self.connection)
        gateways = [(f"{g.name or '(no name)'} ({g.vpn_gateway_id})", g.vpn_gateway_id)
                    for g in client.describe_vpn_gateways(region) if g.vpn_gateway_id]
        chosen = self.vpn_gateway_id if self.vpn_gateway_id in {v for _l, v in gateways} else \
            (gateways[0][1] if gateways else "")
        frame, names = pd.DataFrame(), {}
        if chosen:
            frame = export_routes(client, region, [chosen])
            names = {c.vpn_connection_id: c.name or "" for c in client.describe_vpn_connections(region, chosen)}
        return lambda: self._show(gateways, chosen, frame, names, note)

    def _show(self, gateways: list[tuple[str, str]], chosen: str, frame: pd.DataFrame, names: dict[str, str],
              note: str) -> None:
        self._picking = True
        try:
            self.gateway.options = gateways
            self.gateway.value = chosen or None
        finally:
            self._picking = False
        self.frame, self.names, self.loaded = frame, names, True
        self.routes = routes_from_frame(frame) if len(frame) else []
        self.table.show(display_frame(frame, names) if len(frame) else None, columns=ROUTE_COLUMNS,
                        empty_text="No routes on this gateway." if chosen else "No VPN gateway in this region.")
        self._show_counts()
        name = dict((v, lbl) for lbl, v in gateways).get(chosen, chosen)
        self.picture.value = route_picture(frame, vpn_gateway_id=chosen or None, connections=names,
                                           gateway_name=name.rsplit(" (", 1)[0],
                                           max_rows=self.picture_rows).html if chosen else ""
        text = f"{len(self.routes)} routes on {chosen}, read just now." if chosen else "No VPN gateway found."
        self.status.value = message(f"{note} {text}".strip(), "error" if note.startswith("Errors") else "ok")

    def _show_counts(self) -> None:
        routes = self.routes
        parts = [("active", sum(r.weight == 100 for r in routes)), ("standby", sum(r.weight == 0 for r in routes)),
                 ("unpublished", sum(r.published is False for r in routes)),
                 ("BGP", sum(r.kind == "bgp" for r in routes))]
        self.counts.value = " · ".join(f'<span style="color:{COLOURS["text"]}">{esc(k)} {n}</span>'
                                       for k, n in parts) if routes else ""

    def _on_gateway(self, _change: dict) -> None:
        if not self._picking and self.gateway.value and not self._runner.busy:
            self.refresh()

    def _on_connection(self, *_args: Any) -> None:
        """A new connection: the table described another client's gateways; read again on Refresh."""
        if self._runner.busy:
            return
        self._picking = True
        try:
            self.gateway.options = []
        finally:
            self._picking = False
        self._forget("Press Refresh to read the gateways of this connection.")
        self.status.value = message("The connection changed: press Refresh to read its gateways.", "muted")

    def _forget(self, empty_text: str) -> None:
        """Drop the table, its picture and any armed action: what is shown no longer says how the gateway is."""
        self.disarm()
        self.frame, self.routes, self.loaded = pd.DataFrame(), [], False
        self.table.show(None, empty_text=empty_text)
        self.picture.value = self.counts.value = self.download.value = ""

    # --- selecting and acting ---

    def select(self, positions: list[int]) -> None:
        """Select rows by position in ``table.frame`` (what a click in the browser does)."""
        self.table.itable.selected_rows = list(positions)

    @property
    def selected(self) -> list[Route]:
        return [self.routes[i] for i in self.table.selected_rows if 0 <= i < len(self.routes)]

    def _on_selection(self) -> None:
        if self.plan is not None:
            self.disarm("The selection changed: choose the action again.")
        self._sync()

    def ask(self, action: str) -> ActionPlan | None:
        """Show what ``action`` would send for the selected rows and the confirmation; sends nothing."""
        if self._runner.busy:
            self.status.value = message(BUSY, "warn")
            return None
        if not self.selected:
            self.status.value = message("Select one or more rows of the table first.", "warn")
            return None
        self.disarm()
        plan = plan_action(action, self.selected, self.routes, region_id=_region_of(self.connection),
                           vpn_gateway_id=self.vpn_gateway_id, new_weight=self.new_weight.value)
        self.switch_instead.layout.display = "" if plan.switch_instead else "none"
        skipped = plan.skipped_text()
        if not plan.count:
            self.status.value = message(f"Nothing to send. {skipped}.", "warn")
            self.preview.value = ""
            return plan
        self.plan = plan
        self.preview.value = self._preview_html(plan)
        self.confirm_button.description = plan.confirm_text()
        self.confirm_box.layout.display = ""
        self.status.value = message(f"{plan.confirm_text().removeprefix('Confirm: ').capitalize()}? "
                                    f"Check the calls below, then Confirm, or Send nothing. {skipped}".strip(), "warn")
        self._sync()
        return plan

    def _preview_html(self, plan: ActionPlan) -> str:
        lines = plan.call_lines(shared=False)
        where = f"RegionId={plan.region_id} VpnGatewayId={plan.vpn_gateway_id}"
        head = f"Will send, each call with {where} (the client signs it; credentials are not shown):"
        if plan.action == "switch":
            head = (f"Will send, per destination, each call with {where}, waiting for the gateway between steps "
                    "(switch_active; credentials are not shown):")
        # one call a line, never broken inside an id or a CIDR: the block scrolls sideways instead
        block = (f'<pre class="vw-calls" style="font-family:var(--jp-code-font-family);'
                 f'font-size:var(--jp-code-font-size);color:{COLOURS["text"]};background:{COLOURS["panel"]};'
                 f'padding:6px;margin:2px 0;line-height:1.4;white-space:pre;overflow-x:auto;max-width:100%">'
                 f'{esc(chr(10).join(lines))}</pre>')
        return f"{message(head)}{block}"

    def disarm(self, text: str = "") -> None:
        """Drop the armed plan and hide the confirmation (nothing is sent)."""
        self.plan = None
        self.confirm_box.layout.display = "none"
        self.confirm_button.description = "Confirm"
        self.preview.value = ""
        if text:
            self.status.value = message(text, "muted")
            self.switch_instead.layout.display = "none"
        self._sync()

    def _on_confirm(self) -> None:
        """Send the armed plan (``click()`` runs on a hidden button too: check again here)."""
        if self._runner.busy:
            self.status.value = message(BUSY, "warn")
            return
        plan = self.plan
        if plan is None:
            self.status.value = message("Choose an action first: it shows what will be sent.", "warn")
            return
        self.disarm()
        self.switch_instead.layout.display = "none"
        self.progress.max, self.progress.value = max(1, plan.count), 0
        self._launch(lambda: self._act(plan), f"{plan.confirm_text().removeprefix('Confirm: ').capitalize()}…")

    def _act(self, plan: ActionPlan) -> Callable[[], None]:
        self._acting = True
        client = _client_of(self.connection)
        self.result = run_action(plan, client, cancel=self._cancel, progress=self._on_progress, poll=self.poll)
        summary = self.result.summary()
        if self.result.errors:
            summary = "Errors: " + summary
        after = self._read(summary)  # the table as it is now
        return after

    def _on_progress(self, done: int, total: int) -> None:
        """Worker thread: set traits only."""
        self.progress.max, self.progress.value = max(1, total), done

    def stop(self) -> None:
        """Send nothing more; the call in flight finishes."""
        self._cancel.set()
        if self._runner.busy:
            self.status.value = message("Stopping: the call in flight finishes…", "warn")

    # --- running ---

    def _launch(self, work: Callable[[], Callable[[], None]], busy_text: str) -> None:
        self.error, self._acting = None, False
        self._cancel.clear()
        self.status.value = message(busy_text, "info")
        self._sync(running=True)
        self._runner.start(self._background(work))

    async def _background(self, work: Callable[[], Callable[[], None]]) -> None:
        """Run ``work`` in an executor thread, then its widget update here; show any error in words."""
        try:
            update = await asyncio.get_running_loop().run_in_executor(None, work)
            update()
        except Exception as err:  # noqa: BLE001 - shown in the widget, never raised into the kernel's loop
            self.error = err
            # the table could not be read (again): an old one must not be acted on as if it were current
            self._forget("The route table could not be read: press Refresh to try again.")
            done = f"{self.result.summary()} " if self.result is not None and self._acting else ""
            self.status.value = message(f"{done}Could not read the route table: {type(err).__name__}: {err}",
                                        "error")
        finally:
            self._sync()

    def _sync(self, running: bool = False) -> None:
        has_rows = bool(self.selected) and not running
        for button in (self.switch_button, self.weight_button, self.publish_button, self.withdraw_button,
                       self.delete_button):
            button.disabled = not has_rows
        self.refresh_button.disabled = self.gateway.disabled = running
        self.export_button.disabled = running or not self.loaded
        self.stop_button.disabled = not running
        self.confirm_button.disabled = running or self.plan is None

    def wait(self, timeout: float = 60.0) -> None:
        """Block until the current read or action is done (scripts and tests; not inside a cell)."""
        self._runner.wait(timeout)

    # --- export ---

    def export(self) -> str | None:
        """The route table as CSV (formula cells escaped), offered as a download link beside the button."""
        if not self.loaded:
            self.status.value = message("Nothing to export yet: press Refresh first.", "warn")
            return None
        from ..batch.export import write_csv

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "routes.csv"
            write_csv(self.frame, path)
            text = path.read_text(encoding="utf-8")
        data = base64.b64encode(text.encode("utf-8")).decode("ascii")
        name = f"routes-{self.vpn_gateway_id or 'none'}.csv"
        self.download.value = (f'<a download="{esc(name)}" href="data:text/csv;base64,{data}" '
                               f'style="color:{COLOURS["info"]}">Download {esc(name)}</a>')
        self.status.value = message(f"Exported {len(self.frame)} routes of {self.vpn_gateway_id}: "
                                    f"the link is beside the button.", "ok")
        return text

    def close(self) -> None:
        self._cancel.set()
        self._runner.close()
        self.table.close()
        super().close()
