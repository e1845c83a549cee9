"""BatchPanel: upload a CSV (or take a DataFrame), see the plan, apply it, cancel, export, undo.

The plan is an escaped, paged HTML table with counts per status. Apply runs in an executor
thread (the kernel stays responsive); the worker only sets traits (a progress bar, a label),
never ``with out:``. Cancel sets a threading.Event that the scheduler looks at every 50 ms.
No business logic lives here: :mod:`vpnroute_widgets.batch` plans, applies and rolls back.
"""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import pandas as pd

from ..batch import STATUSES, Batch, BatchResult, apply_batch, plan_batch, rollback_batch
from ..errors import VpnRouteError
from .common import COLOURS, TaskRunner, esc, labelled_style, message, row_layout

__all__ = ["BatchPanel"]

_SHOWN = ("row", "vpn_gateway_id", "route_dest", "next_hop", "weight", "publish_vpc")
_PLAN_COLUMNS = (*_SHOWN, "status", "message", "info")
_REPORT_COLUMNS = (*_SHOWN, "outcome", "error_code", "error_message", "attempts")
_ROLE = {"ready": "info", "ok": "ok", "exists": "muted", "invalid": "error", "error": "error", "conflict": "warn",
         "duplicate": "muted", "skipped": "warn", "cancelled": "warn"}


def _table(frame: pd.DataFrame, columns: tuple[str, ...], status_column: str) -> str:
    """One page of rows as an HTML table; every cell escaped, colours from the theme."""
    head = "".join(f'<th style="text-align:left;padding:2px 8px;border-bottom:1px solid {COLOURS["border"]}">'
                   f"{esc(c)}</th>" for c in columns)
    body = []
    for record in frame.to_dict("records"):
        cells = []
        for column in columns:
            value = record.get(column)
            value = "" if value is None or value is pd.NA or (isinstance(value, float) and value != value) else value
            style = f"color:{COLOURS[_ROLE.get(str(value), 'text')]}" if column == status_column else ""
            cells.append(f'<td style="padding:1px 8px;vertical-align:top;word-break:break-word;{style}">'
                         f"{esc(value)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (f'<table style="border-collapse:collapse;font-size:var(--jp-ui-font-size1);'
            f'color:{COLOURS["text"]}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')


class BatchPanel(widgets.VBox):
    """Plan and apply many routes: ``connection`` gives the client and defaults, ``log`` gets every row.

    Scripts and tests: ``set_source(frame_or_bytes_or_path)`` then ``wait()``; ``apply_button.click()``
    then ``wait()``; ``batch`` (the plan), ``result`` (the last BatchResult), ``cancel()``.
    """

    def __init__(self, connection: Any, log: Any = None, *, page_size: int = 20, **kwargs: Any):
        self.connection = connection
        self.response_log = log
        self.page_size = page_size
        self.batch: Batch | None = None
        self.result: BatchResult | None = None
        self.error: BaseException | None = None
        self._source: Any = None
        self._cancel = threading.Event()
        self._runner = TaskRunner()
        self._page = 0
        self._build()
        self._wire()
        super().__init__(children=self._layout(), layout=widgets.Layout(width="100%"), **kwargs)
        self.add_class("vw-batch-panel")  # a stable hook for browser tests and user CSS
        self._sync()

    # --- building ---

    def _build(self) -> None:
        self.upload = widgets.FileUpload(accept=".csv,text/csv", multiple=False, description="Upload CSV",
                                         tooltip="A CSV with RouteDest, NextHop, Weight, PublishVpc columns")
        self.region = widgets.Text(description="RegionId", placeholder="from the connection",
                                   tooltip="For rows without a RegionId", style=labelled_style())
        self.gateway = widgets.Combobox(description="VpnGatewayId", placeholder="for rows without one",
                                        ensure_option=False, style=labelled_style())
        self.weight = widgets.Dropdown(description="Weight", options=[("(from the CSV)", ""), ("0 standby", "0"),
                                                                      ("100 active", "100")], style=labelled_style())
        self.publish_vpc = widgets.Dropdown(description="PublishVpc", options=[("(from the CSV)", ""),
                                            ("true", "true"), ("false", "false")], style=labelled_style())
        self.rate = widgets.BoundedFloatText(value=0, min=0, max=10_000, description="Rate (calls/s)",
                                             tooltip="0: automatic (1/s for Alibaba Cloud, 100/s for the sandbox)",
                                             style=labelled_style())
        self.plan_button = widgets.Button(description="Plan", icon="list", tooltip="Read the gateways, check rows")
        self.apply_button = widgets.Button(description="Apply", icon="play", button_style="primary",
                                           tooltip="Create the ready rows")
        self.cancel_button = widgets.Button(description="Cancel", icon="stop", button_style="warning",
                                            tooltip="Stop scheduling; calls in flight finish")
        self.rollback_button = widgets.Button(description="Roll back", icon="undo",
                                              tooltip="Delete the routes this batch created")
        self.export_button = widgets.Button(description="Export report", icon="download",
                                            tooltip="Make a CSV report to download (formula-safe)")
        self.status_filter = widgets.Dropdown(description="Show", options=["all"], style=labelled_style())
        self.prev_page = widgets.Button(description="Previous", icon="chevron-left", layout={"width": "auto"})
        self.next_page = widgets.Button(description="Next", icon="chevron-right", layout={"width": "auto"})
        self.page_label = widgets.HTML()
        self.counts = widgets.HTML()
        self.table = widgets.HTML()
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="Progress", style=labelled_style(),
                                            layout={"width": "420px"})
        self.progress_label = widgets.HTML()
        self.status = widgets.HTML()
        self.summary = widgets.HTML()
        self.download = widgets.HTML()

    def _layout(self) -> list[widgets.Widget]:
        defaults = widgets.HBox([self.region, self.gateway, self.weight, self.publish_vpc, self.rate],
                                layout=row_layout())
        actions = widgets.HBox([self.upload, self.plan_button, self.apply_button, self.cancel_button,
                                self.rollback_button, self.export_button], layout=row_layout(margin="4px 0"))
        pager = widgets.HBox([self.status_filter, self.prev_page, self.page_label, self.next_page],
                             layout=row_layout())
        running = widgets.HBox([self.progress, self.progress_label], layout=row_layout())
        return [defaults, actions, self.status, running, self.counts, pager, self.table, self.summary,
                self.download]

    def _wire(self) -> None:
        self.upload.observe(self._on_upload, names="value")
        self.plan_button.on_click(lambda _b: self._start_plan())
        self.apply_button.on_click(lambda _b: self._on_apply())
        self.cancel_button.on_click(lambda _b: self.cancel())
        self.rollback_button.on_click(lambda _b: self._on_rollback())
        self.export_button.on_click(lambda _b: self.export())
        self.status_filter.observe(lambda _c: self._show_page(0), names="value")
        self.prev_page.on_click(lambda _b: self._show_page(self._page - 1))
        self.next_page.on_click(lambda _b: self._show_page(self._page + 1))
        if hasattr(self.connection, "on_change"):
            self.connection.on_change(self._on_connection)

    # --- input and plan ---

    def set_source(self, source: Any) -> None:
        """Take a DataFrame, CSV bytes or a CSV path, and plan it (in the background)."""
        self._source = source
        self._start_plan()

    def _on_upload(self, change: dict) -> None:
        files = change["new"]
        if not files:
            return
        item = files[0]
        content = item["content"] if isinstance(item, dict) else item.content
        self.set_source(bytes(content))

    def _defaults(self) -> dict[str, Any]:
        region = self.region.value.strip()
        if not region:
            try:
                region = self.connection.region_id
            except Exception:  # noqa: BLE001 - a connection that is not ready: rows must name a region
                region = ""
        return {"RegionId": region, "VpnGatewayId": self.gateway.value.strip(), "Weight": self.weight.value,
                "PublishVpc": self.publish_vpc.value}

    def _on_connection(self, *_args: Any) -> None:
        try:
            picks = self.connection.quick_picks
        except Exception:  # noqa: BLE001 - no picks offered; typing still works
            return
        self.gateway.options = tuple(g["vpn_gateway_id"] for g in picks.get("gateways", ()))

    def _start_plan(self) -> None:
        if self._runner.busy:
            self.status.value = message("Busy: wait for the current step to finish (or Cancel).", "warn")
            return
        if self._source is None:
            self.status.value = message("Upload a CSV (or call set_source(frame)) first.", "warn")
            return
        self._launch(self._plan_now, "Planning…")

    def _plan_now(self) -> None:
        client = self.connection.client
        self.batch = plan_batch(self._source, client, defaults=self._defaults())
        self.result = None
        self.download.value = ""
        self.summary.value = ""
        counts = self.batch.counts()
        self.counts.value = " · ".join(
            f'<span style="color:{COLOURS[_ROLE[s]]}">{esc(s)} {n}</span>' for s, n in counts.items()
        ) + (f"<br>{message('; '.join(self.batch.notes))}" if self.batch.notes else "")
        self.status_filter.options = ["all", *[s for s in STATUSES if counts[s]]]
        self.status.value = message(f"Plan {self.batch.batch_id}: {len(self.batch)} rows, "
                                    f"{counts['ready']} ready to apply.", "ok" if counts["ready"] else "warn")

    # --- apply, cancel, rollback ---

    def _on_apply(self) -> None:
        if self._runner.busy:
            self.status.value = message("Busy: wait for the current step to finish (or Cancel).", "warn")
            return
        if self.batch is None or not self.batch.counts()["ready"]:
            self.status.value = message("Nothing to apply: plan a CSV with ready rows first.", "warn")
            return
        self._launch(lambda: self._run(apply_batch, self.batch), "Applying…")

    def _on_rollback(self) -> None:
        if self._runner.busy or self.result is None or self.result.operation == "rollback":
            self.status.value = message("Roll back needs a finished apply (and nothing running).", "warn")
            return
        self._launch(lambda: self._run(rollback_batch, self.result), "Rolling back…")

    def _run(self, operation: Callable, source: Any) -> None:
        rate = self.rate.value or None
        self.result = operation(source, self.connection.client, rate=rate, cancel=self._cancel,
                                progress=self._on_progress, log=self.response_log)
        counts = ", ".join(f"{k} {v}" for k, v in self.result.counts().items())
        role = "ok" if self.result.ok else "error"
        self.summary.value = message(f"{self.result.operation} {self.result.batch_id}: {counts} in "
                                     f"{self.result.elapsed_s:.1f} s ({self.result.calls} calls)"
                                     f"{' - cancelled' if self.result.cancelled else ''}.", role, small=False)
        self.status.value = message("Done. Export the report to keep it; Roll back deletes what was created.", role)

    def _on_progress(self, p: Any) -> None:
        """Called in the worker thread: set traits only."""
        self.progress.max = max(1, p.total)
        self.progress.value = p.done
        eta = "" if p.eta_s is None else f", about {p.eta_s:.0f} s left"
        self.progress_label.value = message(f"{p.done}/{p.total} · ok {p.ok} · errors {p.errors} · "
                                            f"{p.rate:.1f} rows/s{eta}", "info")

    def cancel(self) -> None:
        """Stop scheduling; calls in flight finish and the rest end as cancelled."""
        self._cancel.set()
        if self._runner.busy:
            self.status.value = message("Cancelling: calls in flight finish…", "warn")

    def _launch(self, work: Callable[[], None], busy_text: str) -> None:
        """Disable the buttons now (a second click cannot start twice), then run ``work`` in the background."""
        self.error = None
        self._cancel.clear()
        self.status.value = message(busy_text, "info")
        self._sync(running=True)
        self._runner.start(self._background(work))

    async def _background(self, work: Callable[[], None]) -> None:
        """Run ``work`` in an executor thread; show its error, refresh the table, re-enable buttons."""
        try:
            await asyncio.get_running_loop().run_in_executor(None, work)
        except VpnRouteError as err:
            self.error = err
            self.status.value = message(str(err), "error")
        except Exception as err:  # noqa: BLE001 - shown in the widget, never raised into the kernel's loop
            self.error = err
            self.status.value = message(f"Unexpected {type(err).__name__}: {err}", "error")
        finally:
            self._sync()
            self._show_page(0)

    def _sync(self, running: bool = False) -> None:
        self.cancel_button.disabled = not running
        for button in (self.plan_button, self.apply_button, self.upload):
            button.disabled = running
        self.rollback_button.disabled = running or self.result is None or self.result.operation == "rollback"
        self.export_button.disabled = running or self.result is None

    # --- the table ---

    def _frame(self) -> tuple[pd.DataFrame, tuple[str, ...], str]:
        if self.result is not None:
            return self.result.to_dataframe(), _REPORT_COLUMNS, "outcome"
        if self.batch is not None:
            return self.batch.plan, _PLAN_COLUMNS, "status"
        return pd.DataFrame(), (), "status"

    def _show_page(self, page: int) -> None:
        frame, columns, status_column = self._frame()
        if self.result is not None:
            self.status_filter.options = ["all", *sorted(set(frame["outcome"].dropna()))]
        chosen = self.status_filter.value
        if chosen not in (None, "all") and status_column in frame:
            frame = frame[frame[status_column] == chosen]
        pages = max(1, -(-len(frame) // self.page_size))
        self._page = min(max(0, page), pages - 1)
        start = self._page * self.page_size
        self.table.value = _table(frame.iloc[start:start + self.page_size], columns, status_column) if columns else ""
        self.page_label.value = message(f"page {self._page + 1} of {pages} ({len(frame)} rows)")
        self.prev_page.disabled = self._page == 0
        self.next_page.disabled = self._page >= pages - 1

    # --- export ---

    def export(self) -> str | None:
        """Offer the last report as a CSV download (a data-URI link, works in Lab and Voila); returns the CSV."""
        if self.result is None:
            self.status.value = message("Nothing to export yet: apply a batch first.", "warn")
            return None
        text = self.result.to_csv()
        data = base64.b64encode(text.encode("utf-8")).decode("ascii")
        name = f"{self.result.operation}-{self.result.batch_id}.csv"
        self.download.value = (f'<a download="{esc(name)}" href="data:text/csv;base64,{data}" '
                               f'style="color:{COLOURS["info"]}">Download {esc(name)}</a>')
        return text

    def wait(self, timeout: float = 60.0) -> None:
        """Block until the current plan/apply/rollback is done (scripts and tests; not inside a cell)."""
        self._runner.wait(timeout)

    def close(self) -> None:
        self._cancel.set()
        self._runner.close()
        super().close()
