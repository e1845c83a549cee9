"""LogView: the ResponseLog as counts, a short escaped table, filters, CSV export and Clear.

Why it stays fast and small at any log length: counts come from the log's running
counters, the table shows only the last ``rows`` matching records, and filtered tails are
kept in bounded deques fed by the log's change notifications, so a refresh never walks the
whole log and the widget state never holds more than one short table.

Appends may come from any thread (the client logs from an executor thread). Inside a kernel
the view re-renders on the kernel's event loop, at most every ``min_interval`` seconds;
without a running loop it renders in the notifying thread, throttled the same way (a timer
flushes the last change). ``refresh()`` always renders now.
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

from ..log.records import OUTCOMES
from .common import COLOURS as _COLOURS
from .common import active_loop, esc, labelled_style, message, row_layout

__all__ = ["LogView"]

ALL = "(all)"
# What a reader scans first comes first: the table scrolls sideways in a narrow column.
SHOWN_COLUMNS = ("timestamp", "outcome", "error_code", "http_status", "route_dest", "next_hop", "weight",
                 "vpn_gateway_id", "region_id", "operation", "request_id", "latency_ms")
MAX_ROWS = 500
OUTCOME_ROLE = {"ok": "ok", "error": "error", "exists": "info", "skipped": "muted", "cancelled": "warn"}
CONFIRM_S = 10.0  # a second click on Clear within this many seconds confirms


def _cell(column: str, value: Any) -> str:
    """One escaped table cell; timestamps shortened to the second, the outcome coloured."""
    if value is None:
        text = ""
    elif column == "timestamp" and isinstance(value, datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S")
    elif column == "latency_ms" and isinstance(value, float):
        text = f"{value:.0f}"
    else:
        text = str(value)
    if column == "outcome":
        return f'<td style="color:{_COLOURS[OUTCOME_ROLE.get(text, "text")]}">{esc(text)}</td>'
    return f"<td>{esc(text)}</td>"


# One stylesheet per table, scoped by a class, instead of a style attribute on every cell:
# it keeps the widget state about a third of the size.
_TABLE_CSS = (
    f".vw-logtable{{border-collapse:collapse;font-size:var(--jp-ui-font-size0);"
    f"font-family:var(--jp-code-font-family);line-height:1.4;color:{_COLOURS['text']}}}"
    f".vw-logtable td,.vw-logtable th{{padding:1px 6px;white-space:nowrap;text-align:left}}"
    f".vw-logtable th{{color:{_COLOURS['muted']};border-bottom:1px solid {_COLOURS['border']}}}"
)


def render_table(records: list[dict[str, Any]]) -> str:
    """An escaped HTML table of ``records`` (newest first), themed, scrolling sideways if wide."""
    if not records:
        return message("No records to show.")
    head = "".join(f"<th>{esc(c)}</th>" for c in SHOWN_COLUMNS)
    body = "".join("<tr>" + "".join(_cell(c, rec.get(c)) for c in SHOWN_COLUMNS) + "</tr>"
                   for rec in reversed(records))
    return (f'<style>{_TABLE_CSS}</style><div style="overflow-x:auto;max-width:100%">'
            f'<table class="vw-logtable"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>')


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

    Public parts: ``counts`` (HTML), ``table`` (HTML), ``outcome_filter``, ``code_filter``, ``rows``
    (IntText), ``refresh_button``, ``export_button``, ``clear_button``, ``download`` (HTML with the link),
    ``last_export`` (the path written), ``refresh()``, ``export_csv(path=None)``, ``visible_records()``.
    """

    def __init__(self, log, rows: int = 20, *, export_dir: str | os.PathLike = ".",
                 min_interval: float = 0.25, max_link_bytes: int = 5_000_000, **kwargs: Any):
        self.response_log = log
        self.export_dir = Path(export_dir)
        self.min_interval = min_interval
        self.max_link_bytes = max_link_bytes
        self.last_export: Path | None = None
        self.counts = widgets.HTML()
        self.table = widgets.HTML()
        self.download = widgets.HTML()
        self.outcome_filter = widgets.Dropdown(options=[ALL, *OUTCOMES], value=ALL, description="Outcome",
                                               style=labelled_style(), layout=widgets.Layout(width="260px"))
        self.code_filter = widgets.Dropdown(options=[ALL], value=ALL, description="Error code",
                                            style=labelled_style(), layout=widgets.Layout(width="420px"))
        self.rows = widgets.BoundedIntText(value=rows, min=1, max=MAX_ROWS, description="Rows shown",
                                           style=labelled_style(), layout=widgets.Layout(width="220px"))
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self.export_button = widgets.Button(description="Export CSV", icon="download")
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
        actions = widgets.HBox([self.refresh_button, self.export_button, self.clear_button, self.download],
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
        parts = [f"{len(self.response_log)} records"] + [f"{k} {v}" for k, v in counts.items()]
        self.counts.value = message(" · ".join(parts), "text", small=False)
        codes = [ALL, *sorted(self._tails.codes)]
        if list(self.code_filter.options) != codes:
            current = self.code_filter.value
            self.code_filter.options = codes
            self.code_filter.value = current if current in codes else ALL
        self.table.value = render_table(self.visible_records())

    # --- actions ---

    def export_csv(self, path: str | os.PathLike | None = None) -> Path:
        """Write the whole log as CSV and offer it as a download link (data URI: works in Lab and Voila)."""
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = Path(path) if path is not None else self.export_dir / f"vpnroute-log-{stamp}.csv"
        try:
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
        super().close()
