"""BatchPanel: upload a CSV (or take a DataFrame), see the plan, apply it, cancel, export, undo.

The plan and the results are shown by the one table renderer (:class:`~.table.TableView`),
rows coloured by status/outcome, with counts per status. Apply runs in an executor thread (the
kernel stays responsive); the worker only sets traits (a progress bar, a label), never ``with
out:``. Cancel sets a threading.Event that the scheduler looks at every 50 ms.

Destructive steps are guarded: a new or failed upload disarms the plan (Apply stays disabled
until a plan has ready rows again), an apply spends its plan, and Roll back first shows a
"Confirm: delete N routes on <gateways>" button next to it, with "Keep the routes" to cancel.
No business logic lives here: :mod:`vpnroute_widgets.batch` plans, applies and rolls back.
"""

from __future__ import annotations

import asyncio
import base64
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd

from ..batch import DEFAULT_RATE, SANDBOX_RATE, STATUSES, Batch, BatchResult, apply_batch, plan_batch, rollback_batch
from ..errors import VpnRouteError
from .common import COLOURS, TaskRunner, esc, labelled_style, message, row_layout
from .logview import default_export_dir
from .table import TableView
from .words import gateway_list, rollback_targets, step_summary

__all__ = ["BatchPanel"]

_SHOWN = ("row", "vpn_gateway_id", "route_dest", "next_hop", "weight", "publish_vpc")
_PLAN_COLUMNS = (*_SHOWN, "status", "message", "info")
_REPORT_COLUMNS = (*_SHOWN, "outcome", "error_code", "error_message", "attempts", "latency_ms")
_ROLE = {"ready": "info", "ok": "ok", "exists": "muted", "invalid": "error", "error": "error", "conflict": "warn",
         "duplicate": "muted", "skipped": "warn", "cancelled": "warn"}
RATE_HELP = (f"empty: automatic, {DEFAULT_RATE:g} call/s on Alibaba Cloud (its API limit), "
             f"{SANDBOX_RATE:g} calls/s on the sandbox")


class BatchPanel(widgets.VBox):
    """Plan and apply many routes: ``connection`` gives the client and defaults, ``log`` gets every row.

    Scripts and tests: ``set_source(frame_or_bytes_or_path)`` then ``wait()``; ``apply_button.click()``
    then ``wait()``; ``rollback_button.click()`` arms the confirmation, ``confirm_button.click()`` sends;
    ``batch`` (the armed plan, None when disarmed), ``result`` (the last BatchResult), ``cancel()``,
    ``table`` (the TableView).
    """

    def __init__(self, connection: Any, log: Any = None, *, page_size: int = 25,
                 reports_dir: str | os.PathLike | None = None, **kwargs: Any):
        self.connection = connection
        self.response_log = log
        self.page_size = page_size
        # where each run's report (and, while it runs, its crash journal) is written; default: the Log tab's
        self.reports_dir = Path(reports_dir) if reports_dir is not None else None
        self.report_path: Path | None = None
        self.batch: Batch | None = None
        self.result: BatchResult | None = None
        self.error: BaseException | None = None
        self._source: Any = None
        self._cancel = threading.Event()
        self._runner = TaskRunner()
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
        self.rate = widgets.Text(value="", description="Rate (calls/s)", placeholder="automatic", tooltip=RATE_HELP,
                                 style=labelled_style())
        self.rate_help = widgets.HTML(message(RATE_HELP))
        self.plan_button = widgets.Button(description="Plan", icon="list", tooltip="Read the gateways, check rows")
        self.apply_button = widgets.Button(description="Apply", icon="play", button_style="primary",
                                           tooltip="Create the ready rows of the current plan")
        self.cancel_button = widgets.Button(description="Cancel", icon="stop", button_style="warning",
                                            tooltip="Stop scheduling; calls in flight finish")
        self.rollback_button = widgets.Button(description="Roll back", icon="undo",
                                              tooltip="Delete the routes this batch created (asks first)")
        self.confirm_button = widgets.Button(description="Confirm", icon="trash", button_style="danger",
                                             tooltip="Send the deletes named on this button",
                                             layout=widgets.Layout(width="auto"))
        self.keep_button = widgets.Button(description="Keep the routes", icon="times",
                                          tooltip="Cancel the roll back: nothing is deleted")
        self.confirm_box = widgets.HBox([self.confirm_button, self.keep_button],
                                        layout=widgets.Layout(display="none"))
        self.export_button = widgets.Button(description="Export report", icon="download",
                                            tooltip="Make a CSV report to download (formula-safe)")
        self.status_filter = widgets.Dropdown(description="Show", options=["all"], style=labelled_style())
        self.counts = widgets.HTML()
        self.table = TableView("batch plan and results")
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="Progress", style=labelled_style(),
                                            layout={"width": "420px"})
        self.progress_label = widgets.HTML()
        self.status = widgets.HTML()
        self.status.add_class("vw-batch-status")
        self.summary = widgets.HTML()
        self.download = widgets.HTML()
        self._rollback_count = 0
        self._result_endpoint: str | None = None  # where the last result's routes live

    def _layout(self) -> list[widgets.Widget]:
        defaults = widgets.HBox([self.region, self.gateway, self.weight, self.publish_vpc, self.rate,
                                 self.rate_help], layout=row_layout())
        actions = widgets.HBox([self.upload, self.plan_button, self.apply_button, self.cancel_button,
                                self.rollback_button, self.confirm_box, self.export_button, self.download],
                               layout=row_layout(margin="4px 0"))
        running = widgets.HBox([self.progress, self.progress_label], layout=row_layout())
        return [defaults, actions, self.status, running, self.counts, self.status_filter, self.table, self.summary]

    def _wire(self) -> None:
        self.upload.observe(self._on_upload, names="value")
        self.plan_button.on_click(lambda _b: self._start_plan())
        self.apply_button.on_click(lambda _b: self._on_apply())
        self.cancel_button.on_click(lambda _b: self.cancel())
        self.rollback_button.on_click(lambda _b: self._ask_rollback())
        self.confirm_button.on_click(lambda _b: self._on_confirm_rollback())
        self.keep_button.on_click(lambda _b: self._disarm_rollback("Roll back cancelled: nothing was sent."))
        self.export_button.on_click(lambda _b: self.export())
        self.status_filter.observe(lambda _c: self._show_table(), names="value")
        if hasattr(self.connection, "on_change"):
            self.connection.on_change(self._on_connection)

    # --- input and plan ---

    def set_source(self, source: Any) -> None:
        """Take a DataFrame, CSV bytes or a CSV path, and plan it (in the background).

        The previous plan is disarmed at once: Apply stays disabled until this one is planned.
        """
        if self._runner.busy:
            self.status.value = message("Busy: wait for the current step to finish (or Cancel).", "warn")
            return
        self._source = source
        self.batch = None
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
        """A new connection: the plan was checked against the old one, so it is disarmed (and so is a
        pending roll back confirmation: its routes live behind the old connection)."""
        if self._rollback_count:
            self._disarm_rollback("The connection changed: roll back not sent.")
        if self.batch is not None and not self._runner.busy:
            self.batch = None
            self.status.value = message("The connection changed: plan again before applying.", "warn")
            self._sync()
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
        self.batch = None  # a failed plan must leave nothing armed
        self._launch(self._plan_now, "Planning…")

    def _plan_now(self) -> None:
        client = self.connection.client
        batch = plan_batch(self._source, client, defaults=self._defaults())
        self.batch, self.result = batch, None
        self.download.value = self.summary.value = ""
        counts = batch.counts()
        self.counts.value = " · ".join(
            f'<span style="color:{COLOURS[_ROLE[s]]}">{esc(s)} {n}</span>' for s, n in counts.items()
        ) + (f"<br>{message('; '.join(batch.notes))}" if batch.notes else "")
        self.status_filter.options = ["all", *[s for s in STATUSES if counts[s]]]
        self.status.value = message(f"Plan {batch.batch_id}: {len(batch)} rows, {counts['ready']} ready to apply.",
                                    "ok" if counts["ready"] else "warn")

    # --- apply, cancel, rollback ---

    def _armed(self) -> bool:
        return self.batch is not None and bool(self.batch.counts()["ready"])

    def _on_apply(self) -> None:
        """Apply the armed plan (``click()`` runs on a disabled button too: check again here)."""
        if self._runner.busy:
            self.status.value = message("Busy: wait for the current step to finish (or Cancel).", "warn")
            return
        if not self._armed():
            self.status.value = message("Nothing to apply: plan a CSV with ready rows first.", "warn")
            return
        batch, self.batch = self.batch, None  # an apply spends its plan: a second Apply needs a new plan
        self._launch(lambda: self._run(apply_batch, batch), "Applying…")

    def _rollback_ready(self) -> bool:
        return not self._runner.busy and self.result is not None and self.result.operation != "rollback"

    def _ask_rollback(self) -> None:
        """First step of Roll back: name what would be deleted, show Confirm and Cancel, send nothing."""
        if not self._rollback_ready():
            self.status.value = message("Roll back needs a finished apply (and nothing running).", "warn")
            return
        try:
            endpoint = self.connection.client.endpoint
        except VpnRouteError as err:
            self.status.value = message(f"Roll back needs a connection: {err}", "error")
            return
        if self._result_endpoint is not None and endpoint != self._result_endpoint:
            self.status.value = message(f"This batch was applied through {self._result_endpoint}; the connection "
                                        f"now goes to {endpoint}. Switch back to roll it back.", "warn")
            return
        assert self.result is not None  # checked by _rollback_ready
        count, gateways = rollback_targets(self.result.to_dataframe())
        if not count:
            self.status.value = message("Nothing to roll back: this batch created no routes.", "warn")
            return
        self._rollback_count = count
        noun = "route" if count == 1 else "routes"
        self.confirm_button.description = f"Confirm: delete {count} {noun} on {gateway_list(gateways)}"
        self.confirm_box.layout.display = ""
        self.rollback_button.disabled = True
        self.status.value = message(f"Roll back would delete {count} {noun} on {gateway_list(gateways)}. "
                                    "Confirm to send the deletes, or Cancel.", "warn")

    def _disarm_rollback(self, text: str = "") -> None:
        self._rollback_count = 0
        self.confirm_box.layout.display = "none"
        self.confirm_button.description = "Confirm"
        if text:
            self.status.value = message(text, "muted")
        self._sync()

    def _on_confirm_rollback(self) -> None:
        if not self._rollback_count or not self._rollback_ready():
            self.status.value = message("Click Roll back first: it names what will be deleted.", "warn")
            return
        result = self.result
        self._disarm_rollback()
        self._launch(lambda: self._run(rollback_batch, result), "Rolling back…")

    def _rate(self) -> float | None:
        text = self.rate.value.strip()
        if not text:
            return None
        rate = float(text)  # ValueError is shown by _background
        if not rate > 0:
            raise ValueError("Rate must be a number of calls per second above 0 (empty: automatic).")
        return rate

    def _run(self, operation: Callable, source: Any) -> None:
        try:
            rate = self._rate()
        except ValueError as err:
            raise VpnRouteError(f"Rate {self.rate.value!r}: {err}") from err
        client = self.connection.client
        folder = self.reports_dir or default_export_dir()
        folder.mkdir(parents=True, exist_ok=True)
        # the crash journal: if the kernel dies mid-run, it says which routes were made (apply and resume
        # it again, or roll it back, from the CLI or here); written report below removes it
        journal = folder / f"{getattr(source, 'batch_id', None) or 'batch'}.{operation.__name__}.journal"
        self.result = operation(source, client, rate=rate, cancel=self._cancel,
                                progress=self._on_progress, log=self.response_log, journal=journal)
        self.report_path = folder / f"{self.result.batch_id}-{self.result.operation}.csv"
        self.result.to_csv(self.report_path)  # the CSV record of what was done, atomically; the journal goes
        self._result_endpoint = client.endpoint
        counts = ", ".join(f"{k} {v}" for k, v in self.result.counts().items())
        role = "ok" if self.result.ok else "error"
        self.summary.value = message(f"{self.result.operation} {self.result.batch_id}: {counts} in "
                                     f"{self.result.elapsed_s:.1f} s ({self.result.calls} calls)"
                                     f"{' - cancelled' if self.result.cancelled else ''}.", role, small=False)
        self.status.value = message(f"{step_summary(self.result)} Report saved to {self.report_path}.",
                                    "warn" if self.result.cancelled else role)
        self.download.value = ""  # the old link was another step's report

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
            self.status.value = message(f"{err} Nothing is armed: fix the cause, then plan again.", "error")
        except Exception as err:  # noqa: BLE001 - shown in the widget, never raised into the kernel's loop
            self.error = err
            self.status.value = message(f"Unexpected {type(err).__name__}: {err}", "error")
        finally:
            self._sync()
            self._show_table()

    def _sync(self, running: bool = False) -> None:
        self.cancel_button.disabled = not running
        self.plan_button.disabled = self.upload.disabled = running
        self.apply_button.disabled = running or not self._armed()
        self.rollback_button.disabled = running or self._rollback_count > 0 or self.result is None \
            or self.result.operation == "rollback"
        self.export_button.disabled = running or self.result is None

    # --- the table ---

    def _frame(self) -> tuple[pd.DataFrame, tuple[str, ...], str]:
        if self.result is not None:
            return self.result.to_dataframe(), _REPORT_COLUMNS, "outcome"
        if self.batch is not None:
            return self.batch.plan, _PLAN_COLUMNS, "status"
        return pd.DataFrame(), (), "status"

    def _show_table(self) -> None:
        frame, columns, status_column = self._frame()
        if self.result is not None:
            self.status_filter.options = ["all", *sorted(set(frame["outcome"].dropna()))]
        if self.result is not None:  # the counts follow what the table shows: the outcomes now
            self.counts.value = " · ".join(f'<span style="color:{COLOURS[_ROLE.get(o, "text")]}">{esc(o)} {n}</span>'
                                           for o, n in self.result.counts().items())
        elif self.batch is None:
            self.counts.value = ""
        chosen = self.status_filter.value
        if chosen not in (None, "all") and status_column in frame:
            frame = frame[frame[status_column] == chosen]
        self.table.page_length = self.page_size
        self.table.show(frame, columns=columns, status_column=status_column,
                        empty_text="No plan: upload a CSV to see its rows here.")

    # --- export ---

    def export(self) -> str | None:
        """Offer the last report as a CSV download next to its button (a data-URI link, Lab and Voila)."""
        if self.result is None:
            self.status.value = message("Nothing to export yet: apply a batch first.", "warn")
            return None
        text = self.result.to_csv() or ""
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
        self.table.close()
        super().close()
