"""TableView: the one table renderer of the app (plan, result, log and, later, route tables).

Why itables' ``ITable`` ipywidget: it is a well-kept DataTables wrapper whose JavaScript and CSS
ship inside the Python wheel (an anywidget ESM bundle), so it needs no labextension, no CDN
and no network: it renders offline in JupyterLab, in Voila and on Binder alike. It pages,
sorts and searches in the browser, escapes cell text (``allow_html=False``), and syncs the
selected rows back to Python (``selected_rows``) for the Routes tab.

What this module adds, the same for every table:

* identifiers, CIDRs, codes and times never wrap (``white-space:nowrap``); the free-text
  columns in :data:`WRAP_COLUMNS` (messages, remedies) wrap inside a bounded width;
* columns that are empty in every row are hidden (:attr:`TableView.hidden_columns` lists them);
* compact rows and 25 rows a page, so at least 20 rows fit on a 1000 px high screen;
* the table scrolls sideways inside its own box, so an 800 px window reaches every column;
* rows carry a class per status/outcome/action (``vw-row-ok``, ``vw-row-error``, ...) tinted
  with the theme's colours (``--jp-*`` variables only: readable in the light and dark themes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import ipywidgets as widgets
import pandas as pd

from .common import message, readable_colour

__all__ = ["PAGE_LENGTH", "ROW_ROLES", "WRAP_COLUMNS", "TableView", "prepare_frame", "row_css"]

PAGE_LENGTH = 25
# Free text wraps; everything else (ids, CIDRs, codes, times, numbers) stays on one line.
WRAP_COLUMNS = frozenset({"message", "error_message", "info", "description", "meaning", "remedy", "recommend",
                          "note", "notes", "detail"})
# status / outcome / action value -> theme role
ROW_ROLES = {
    "ok": "success", "created": "success", "create": "success", "ready": "info", "applied": "success",
    "exists": "neutral", "duplicate": "neutral", "skipped": "neutral", "keep": "neutral", "unchanged": "neutral",
    "invalid": "error", "error": "error", "delete": "error", "deleted": "error", "conflict": "warn",
    "cancelled": "warn", "modify": "warn", "update": "warn",
}
_ROLE_COLOUR = {"success": "--jp-success-color1", "info": "--jp-info-color1", "error": "--jp-error-color1",
                "warn": "--jp-warn-color1", "neutral": "--jp-border-color1"}
# DataTables calls this for every row it draws: the row gets a class named after its status cell.
# The value is reduced to [a-z0-9_-] so a cell can never inject a class list or markup.
_CREATED_ROW = ("function (row, data) {{ var v = String(data[{index}] == null ? '' : data[{index}])"
                ".toLowerCase().replace(/[^a-z0-9_-]/g, ''); if (v) {{ row.classList.add('vw-row-' + v); }} }}")


def row_css() -> str:
    """The stylesheet of every TableView (scoped by the ``vw-table`` class; theme variables only)."""
    rules = [
        ".vw-table.dataTable{color:var(--jp-ui-font-color1);font-size:var(--jp-ui-font-size1);"
        "background:transparent}",
        ".vw-table.dataTable th{color:var(--jp-ui-font-color1);border-bottom:1px solid var(--jp-border-color1)}",
        ".vw-table.dataTable td,.vw-table.dataTable th{padding:2px 8px;line-height:1.3;vertical-align:top}",
        ".vw-table td.vw-nowrap,.vw-table th.vw-nowrap{white-space:nowrap}",
        ".vw-table td.vw-wrap{white-space:normal;min-width:14em;max-width:28em;overflow-wrap:anywhere}",
        ".vw-table td.vw-status{font-weight:600}",
        ".dt-container:has(.vw-table){color:var(--jp-ui-font-color1)}",
        ".dt-container:has(.vw-table) input,.dt-container:has(.vw-table) select{color:var(--jp-ui-font-color1);"
        "background:var(--jp-layout-color1);border:1px solid var(--jp-border-color1)}",
    ]
    for value, role in sorted(ROW_ROLES.items()):
        colour = _ROLE_COLOUR[role]
        # a border colour tints a background well but is too faint for text: neutral text uses font-color2
        text = "var(--jp-ui-font-color2)" if role == "neutral" else readable_colour(colour)
        rules.append(f".vw-table tr.vw-row-{value}>td{{background-color:"
                     f"color-mix(in srgb,var({colour}) 14%,transparent)}}")
        rules.append(f".vw-table tr.vw-row-{value}>td.vw-status{{color:{text}}}")
    return "".join(rules)


def _blank(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value) \
        or (isinstance(value, str) and not value.strip())


def prepare_frame(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """The frame as shown: chosen ``columns`` (in order, when present), times as UTC text, blanks as "".

    Returns it with the columns dropped because every row was empty there.
    """
    if columns is not None:
        frame = frame[[c for c in columns if c in frame.columns]]
    shown, hidden = {}, []
    for name in frame.columns:
        series = frame[name]
        if pd.api.types.is_datetime64_any_dtype(series):
            series = series.dt.strftime("%Y-%m-%d %H:%M:%S")
        values = [("" if _blank(v) else v) for v in series.astype(object).tolist()]
        if all(v == "" for v in values):
            hidden.append(str(name))
            continue
        shown[str(name)] = values
    return pd.DataFrame(shown, columns=list(shown), dtype=object), hidden


def _column_defs(columns: Sequence[str], status_column: str | None) -> list[dict[str, Any]]:
    wrap = [i for i, c in enumerate(columns) if c in WRAP_COLUMNS]
    nowrap = [i for i, c in enumerate(columns) if c not in WRAP_COLUMNS]
    defs = []
    if nowrap:
        defs.append({"targets": nowrap, "className": "vw-nowrap"})
    if wrap:
        defs.append({"targets": wrap, "className": "vw-wrap"})
    if status_column is not None and status_column in columns:
        defs.append({"targets": [list(columns).index(status_column)], "className": "vw-status"})
    return defs


class TableView(widgets.Box):
    """A themed, paged, searchable table of a DataFrame; scrolls sideways inside its own box.

    ``show(frame, columns=..., status_column=...)`` replaces the rows. ``frame`` is what is shown
    (empty columns dropped, see ``hidden_columns``); ``selected_rows`` are positions in ``frame``
    (``select=True`` lets people pick rows). ``description`` names the table for screen readers
    and tests. The ITable widget itself is ``itable``.
    """

    def __init__(self, description: str = "table", *, select: bool = False, page_length: int = PAGE_LENGTH,
                 **kwargs: Any):
        from itables.widget import ITable  # heavy (a 600 KB bundle): loaded with the first table only

        self.description = description
        self.select = select
        self.page_length = page_length
        self.frame = pd.DataFrame()
        self.hidden_columns: list[str] = []
        self.status_column: str | None = None
        self.itable = ITable(None, **self._options([], None))
        self.itable.layout = widgets.Layout(width="max-content", min_width="100%")
        self.empty = widgets.HTML()
        # min_width 0: a flex item otherwise grows to its content, and the page, not the box, would scroll
        super().__init__(children=[self.empty], layout=widgets.Layout(width="100%", max_width="100%", min_width="0",
                                                                      overflow="auto hidden"),
                         **kwargs)
        self.add_class("vw-table-view")
        # no tooltip: a Box model has no description, and ipywidgets' Box view then fails to render

    def _options(self, columns: Sequence[str], status_column: str | None) -> dict[str, Any]:
        from itables.javascript import JavascriptFunction

        options: dict[str, Any] = {
            "showIndex": False, "classes": "display compact vw-table", "style": "table-layout:auto;width:auto;"
            "margin:0", "css": row_css(), "pageLength": self.page_length, "lengthMenu": [10, 25, 50, 100, 500],
            "columnDefs": _column_defs(columns, status_column), "maxBytes": 2 ** 21, "order": [],
            "allow_html": False, "select": self.select, "autoWidth": False,
            "warn_on_undocumented_option": False, "warn_on_unexpected_option_type": False,
        }
        # always set (a stale callback would otherwise survive update()); index -1 reads no cell
        index = list(columns).index(status_column) if status_column is not None and status_column in columns else -1
        options["createdRow"] = JavascriptFunction(_CREATED_ROW.format(index=index))
        return options

    def show(self, frame: pd.DataFrame | None, *, columns: Iterable[str] | None = None,
             status_column: str | None = None, empty_text: str = "No rows to show.") -> None:
        """Show ``frame`` (every cell escaped by itables); an empty frame shows ``empty_text`` instead."""

        shown, hidden = prepare_frame(frame if frame is not None else pd.DataFrame(),
                                      list(columns) if columns is not None else None)
        self.frame, self.hidden_columns, self.status_column = shown, hidden, status_column
        if shown.empty:
            self.empty.value = message(empty_text)
            self.children = [self.empty]
            return
        self.itable.update(shown, **self._options(list(shown.columns), status_column), selected_rows=[])
        self.children = [self.itable]

    @property
    def selected_rows(self) -> list[int]:
        """Positions (in ``frame``) of the rows selected in the browser."""
        return list(self.itable.selected_rows)

    def column_classes(self, column: str) -> list[str]:
        """The CSS classes a column's cells get (``vw-nowrap`` for ids and CIDRs, ``vw-wrap`` for text)."""
        if column not in self.frame.columns:
            return []
        index = list(self.frame.columns).index(column)
        return [d["className"] for d in self.itable._dt_args.get("columnDefs", [])
                if "className" in d and index in d["targets"]]

    def data_json(self) -> str:
        """The escaped cell data sent to the browser (for tests and audits)."""
        return str(self.itable._dt_args.get("data_json", ""))

    def close(self) -> None:
        self.itable.close()
        self.empty.close()
        super().close()
