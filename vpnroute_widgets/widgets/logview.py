"""LogView: the ResponseLog as counts, a short table (the app's TableView), filters, CSV export and Clear.

Why it stays fast and small at any log length: counts come from the log's running
counters, the table shows only the last ``rows`` matching records, and filtered tails are
kept in bounded deques fed by the log's change notifications, so a refresh never walks the
whole log and the widget state never holds more than one short table.

Appends may come from any thread (the client logs from an executor thread). Inside a kernel
the view re-renders on the kernel's event loop, at most every ``min_interval`` seconds;
without a running loop it renders in the notifying thread, throttled the same way (a timer
flushes the last change). ``refresh()`` always renders now.

Export CSV writes to :func:`default_export_dir`: ``notebooks/reports/`` when the kernel runs
inside this checkout, else ``reports/`` in the working directory; the status beside the link
names the file written.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections import defaultdict, deque
from datetime import datetime
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd

from ..log.records import OUTCOMES
from .common import active_loop, esc, labelled_style, message, row_layout
from .table import TableView

__all__ = ["LogView"]

ALL = "(all)"
# What a reader scans first comes first: the table scrolls sideways in a narrow column.
SHOWN_COLUMNS = ("timestamp", "outcome", "error_code", "http_status", "route_dest", "next_hop", "weight",
                 "vpn_gateway_id", "region_id", "operation", "request_id", "latency_ms", "error_message")
MAX_ROWS = 500
CONFIRM_S = 10.0  # a second click on Clear within this many seconds confirms


def default_export_dir(cwd: str | os.PathLike | None = None) -> Path:
    """Where Export CSV writes: ``notebooks/reports/`` of this checkout when the kernel runs inside it,
    otherwise a ``reports/`` folder in the notebook's working directory (created on first export)."""
    here = Path(cwd or Path.cwd()).resolve()
    repo = Path(__file__).resolve().parents[2]
    if (repo / "notebooks").is_dir() and (here == repo or repo in here.parents):
        return repo / "notebooks" / "reports"
    return here / "reports"


def log_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The shown records (newest first) as a frame of :data:`SHOWN_COLUMNS`; latency rounded to ms."""
    frame = pd.DataFrame(list(reversed(records)), columns=list(SHOWN_COLUMNS))
    if "latency_ms" in frame:
        frame["latency_ms"] = [None if v is None or v != v else round(float(v)) for v in frame["latency_ms"]]
    if "timestamp" in frame:
        frame["timestamp"] = [v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, datetime) else v
                              for v in frame["timestamp"]]
    return frame


class _Tails:
    """The last ``size`` records per outcome, per error code, and per (outcome, code): O(1) per record."""

    def __init__(self, size: int):
        self.size = size
        self._lock = threading.Lock()
        self._by: dict[tuple, deque] = defaultdict(lambda: deque(maxlen=self.size))
        self.codes: set[str] = set()

    def add(self, records) -> None:
        with self._lock:
            for rec in records:
                outcome, code = rec.get("outcome"), rec.get("error_code")
                self._by["outcome", outcome].append(rec)
                if code:
                    self.codes.add(code)
                    self._by["code", code].append(rec)
                    self._by["pair", outcome, code].append(rec)

    def reset(self, size: int | None = None) -> None:
        with self._lock:
            self.size = size or self.size
            self._by.clear()
            self.codes.clear()

    def get(self, outcome: str | None, code: str | None, n: int) -> list[dict[str, Any]]:
        key = ("pair", outcome, code) if outcome and code else ("code", code) if code else ("outcome", outcome)
        with self._lock:
            found = self._by.get(key) or ()
            return list(found)[-n:]


class LogView(widgets.VBox):
    """Counts by outcome, the last ``rows`` records, filters, Export CSV (with a download link), Clear.

    Public parts: ``counts`` (HTML), ``table`` (TableView: ``table.frame`` is what it shows),
    ``outcome_filter``, ``code_filter``, ``rows``
    (IntText), ``refresh_button``, ``export_button``, ``clear_button``, ``download`` (HTML with the link),
    ``last_export`` (the path written), ``refresh()``, ``export_csv(path=None)``, ``visible_records()``.
    """

    def __init__(self, log, rows: int = 20, *, export_dir: str | os.PathLike | None = None,
                 min_interval: float = 0.25, max_link_bytes: int = 5_000_000, **kwargs: Any):
        self.response_log = log
        self.export_dir = Path(export_dir) if export_dir is not None else default_export_dir()
        self.min_interval = min_interval
        self.max_link_bytes = max_link_bytes
        self.last_export: Path | None = None
        self.counts = widgets.HTML()
        self.table = TableView("log: the last records, newest first")
        self.download = widgets.HTML()
        self.outcome_filter = widgets.Dropdown(options=[ALL, *OUTCOMES], value=ALL, description="Outcome",
                                               style=labelled_style(), layout=widgets.Layout(width="260px"))
        self.code_filter = widgets.Dropdown(options=[ALL], value=ALL, description="Error code",
                                            style=labelled_style(), layout=widgets.Layout(width="420px"))
        self.rows = widgets.BoundedIntText(value=rows, min=1, max=MAX_ROWS, description="Rows shown",
                                           style=labelled_style(), layout=widgets.Layout(width="220px"))
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self.export_button = widgets.Button(description="Export CSV", icon="download",
                                            tooltip=f"Write the whole log as CSV into {self.export_dir}")
        self.clear_button = widgets.Button(description="Clear", icon="trash", button_style="warning",
                                           tooltip="Forget every record of the log")
        self._clear_armed_at: float | None = None
        self._tails = _Tails(MAX_ROWS)
        self._loop = active_loop()
        self._last_render = 0.0
        self._pending = False
        self._timer: threading.Timer | None = None
        self._unsubscribe = log.subscribe(self._on_change)
        self._tails.add(log.records() if len(log) else ())
        self._wire()
        super().__init__(children=self._layout(), layout=widgets.Layout(width="100%"), **kwargs)
        self.add_class("vw-log-view")  # a stable hook for browser tests and user CSS
        self.refresh()

    def _layout(self) -> list[widgets.Widget]:
        filters = widgets.HBox([self.outcome_filter, self.code_filter, self.rows], layout=row_layout())
        actions = widgets.HBox([self.refresh_button, self.clear_button, self.export_button, self.download],
                               layout=row_layout(margin="4px 0"))
        return [self.counts, filters, actions, self.table]

    def _wire(self) -> None:
        for control in (self.outcome_filter, self.code_filter, self.rows):
            control.observe(lambda _change: self.refresh(), names="value")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.export_button.on_click(lambda _b: self.export_csv())
        self.clear_button.on_click(self._on_clear_click)

    # --- change notification (any thread) ---

    def _on_change(self, change) -> None:
        if change.kind == "clear":
            self._tails.reset()
        else:
            self._tails.add(change.records)
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._schedule)
        else:
            self._schedule()

    def _schedule(self) -> None:
        """Render now, or once ``min_interval`` after the last render (coalescing a burst)."""
        wait = self.min_interval - (time.monotonic() - self._last_render)
        if wait <= 0:
            self.refresh()
            return
        if self._pending:
            return
        self._pending = True
        if self._loop is not None and self._loop.is_running():
            self._loop.call_later(wait, self.refresh)
        else:
            self._timer = threading.Timer(wait, self.refresh)
            self._timer.daemon = True
            self._timer.start()

    # --- rendering ---

    def visible_records(self) -> list[dict[str, Any]]:
        """The records the table shows (oldest first): the last ``rows`` matching the filters."""
        n = self.rows.value
        outcome = None if self.outcome_filter.value == ALL else self.outcome_filter.value
        code = None if self.code_filter.value == ALL else self.code_filter.value
        if outcome is None and code is None:
            return self.response_log.tail(n)
        return self._tails.get(outcome, code, n)

    def refresh(self) -> None:
        """Render counts, filter choices and the table now; cost bounded by ``rows``, not the log."""
        self._pending = False
        self._last_render = time.monotonic()
        counts = self.response_log.counts()
        codes = [ALL, *sorted(self._tails.codes)]
        if list(self.code_filter.options) != codes:
            current = self.code_filter.value
            self.code_filter.options = codes
            self.code_filter.value = current if current in codes else ALL
        shown = self.visible_records()
        parts = [f"{len(self.response_log)} records"] + [f"{k} {v}" for k, v in counts.items()]
        self.counts.value = message(" · ".join(parts) + f" (the table: the newest {len(shown)} matching)",
                                    "text", small=False)
        self.table.show(log_frame(shown), status_column="outcome", empty_text="No records to show.")

    # --- actions ---

    def export_csv(self, path: str | os.PathLike | None = None) -> Path:
        """Write the whole log as CSV and offer it as a download link (data URI: works in Lab and Voila)."""
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = Path(path) if path is not None else self.export_dir / f"vpnroute-log-{stamp}.csv"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.response_log.to_csv(target)
        except OSError as err:
            self.download.value = message(f"Export failed: {err}", "error")
            raise
        self.last_export = target
        self.download.value = self._link(target)
        return target

    def _link(self, target: Path) -> str:
        size = target.stat().st_size
        where = message(f"Written to {target} ({size:,} bytes).")
        if size > self.max_link_bytes:
            return where + message(" Too large for a download link: open the file from the file browser.", "warn")
        payload = base64.b64encode(target.read_bytes()).decode("ascii")
        return (f'<a download="{esc(target.name)}" href="data:text/csv;base64,{payload}" '
                f'style="color:var(--jp-content-link-color);margin-right:8px">Download {esc(target.name)}</a>'
                f"{where}")

    def _on_clear_click(self, _button: Any = None) -> None:
        """Clear asks first: the log may be the only record of what was changed.

        The first click arms the button (it then names how many records would go); a second
        click within CONFIRM_S clears. Export first to keep a report.
        """
        now = time.monotonic()
        if self._clear_armed_at is not None and now - self._clear_armed_at <= CONFIRM_S:
            self.clear()
            return
        self._clear_armed_at = now
        self.clear_button.description = f"Click again to clear {len(self.response_log)} records"
        self.clear_button.button_style = "danger"

    def clear(self) -> None:
        """Empty the log (and the download link, which pointed at the old records)."""
        self._clear_armed_at = None
        self.clear_button.description = "Clear"
        self.clear_button.button_style = "warning"
        self.response_log.clear()
        self.download.value = ""
        self.refresh()

    def close(self) -> None:
        """Stop listening to the log and close the widgets."""
        self._unsubscribe()
        if self._timer is not None:
            self._timer.cancel()
        self.table.close()
        super().close()
