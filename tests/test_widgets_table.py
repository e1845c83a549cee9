"""TableView (the one table renderer) and the status words: headless checks of what goes to the browser."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from vpnroute_widgets.widgets.table import PAGE_LENGTH, WRAP_COLUMNS, TableView, prepare_frame, row_css
from vpnroute_widgets.widgets.words import gateway_list, outcome_words, rollback_targets, step_summary


@pytest.fixture
def view():
    table = TableView("test table", select=True)
    yield table
    table.close()


def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "route_dest": ["10.0.0.0/24", "<b>10.0.1.0/24</b>"], "vpn_gateway_id": ["vpn-a", "vpn-b"],
        "status": ["ready", "invalid"], "message": [None, "RouteDest: not a CIDR " * 5],
        "empty": [None, ""], "timestamp": pd.to_datetime(["2026-01-01 10:00", "2026-01-01 10:01"], utc=True),
        "weight": pd.array([100, None], dtype="Int64"),
    })


def test_columns_empty_everywhere_are_hidden_and_blanks_shown_empty():
    shown, hidden = prepare_frame(frame())
    assert hidden == ["empty"] and "empty" not in shown
    assert shown.loc[0, "message"] == "" and shown.loc[1, "weight"] == ""
    assert shown.loc[0, "timestamp"] == "2026-01-01 10:00:00"


def test_ids_and_cidrs_never_wrap_messages_do(view):
    view.show(frame(), status_column="status")
    for column in ("route_dest", "vpn_gateway_id", "status", "timestamp", "weight"):
        assert "vw-nowrap" in view.column_classes(column), column
    assert view.column_classes("message") == ["vw-wrap"] and "message" in WRAP_COLUMNS
    css = view.itable._dt_args["table_style"]
    assert ".vw-table td.vw-nowrap,.vw-table th.vw-nowrap{white-space:nowrap}" in css
    assert "white-space:normal" in css


def test_cells_are_escaped_and_rows_get_a_safe_status_class(view):
    view.show(frame(), status_column="status")
    assert "<b>" not in view.data_json() and "&lt;b&gt;10.0.1.0/24&lt;/b&gt;" in view.data_json()
    created_row = view.itable._dt_args["createdRow"]
    assert "data[2]" in created_row and "replace(/[^a-z0-9_-]/g, '')" in created_row
    assert ["createdRow"] in view.itable._dt_args["keys_to_be_evaluated"]


def test_styles_use_theme_variables_only():
    css = row_css()
    assert not re.search(r"#[0-9a-fA-F]{3,6}\b|rgb\(|rgba\(", css)
    for value in ("ok", "error", "ready", "cancelled", "skipped", "conflict", "delete", "create"):
        assert f"tr.vw-row-{value}>td{{background-color:color-mix(in srgb,var(--jp-" in css, value


def test_compact_paging_and_sideways_scroll_in_its_own_box(view):
    view.show(frame())
    assert PAGE_LENGTH >= 20 and view.itable._dt_args["pageLength"] == PAGE_LENGTH
    assert "compact" in view.itable.classes and view.layout.overflow == "auto hidden"
    assert view.layout.min_width == "0" and view.layout.max_width == "100%"


def test_rows_can_be_selected_for_the_routes_tab(view):
    view.show(frame())
    assert view.itable._dt_args["select"] is True
    view.itable.selected_rows = [1]
    assert view.selected_rows == [1] and view.frame.iloc[view.selected_rows[0]]["vpn_gateway_id"] == "vpn-b"
    view.show(frame())
    assert view.selected_rows == []  # new rows: the old selection meant other routes


def test_an_empty_frame_shows_a_sentence_not_a_table(view):
    view.show(pd.DataFrame(), empty_text="Nothing yet.")
    assert view.children == (view.empty,) and "Nothing yet." in view.empty.value
    view.show(frame())
    assert view.children == (view.itable,)


def test_a_stale_status_column_is_dropped_on_update(view):
    view.show(frame(), status_column="status")
    view.show(frame()[["route_dest", "vpn_gateway_id"]])
    assert "data[-1]" in view.itable._dt_args["createdRow"]
    assert all(d.get("className") != "vw-status" for d in view.itable._dt_args["columnDefs"])


# --- words ---------------------------------------------------------------------------------


class Result:
    def __init__(self, operation, counts, cancelled=False):
        self.operation, self._counts, self.cancelled = operation, counts, cancelled
        self.calls, self.elapsed_s = 12, 1.25

    def counts(self):
        return self._counts


def test_status_words_name_what_happened_never_done_alone():
    text = step_summary(Result("apply", {"ok": 40, "exists": 3, "error": 2, "cancelled": 5}, cancelled=True))
    assert text.startswith("Apply stopped by Cancel: applied 40, already there 3, errors 2, cancelled 5 (of 50 rows")
    back = step_summary(Result("rollback", {"ok": 46, "skipped": 4}))
    assert back.startswith("Roll back finished: rolled back 46, not created by this batch 4")
    assert outcome_words("apply", {}) == "no rows" and "Done" not in text + back


def test_rollback_targets_count_the_created_routes_and_their_gateways():
    report = pd.DataFrame({"outcome": ["ok", "ok", "exists", "error", "ok"],
                           "vpn_gateway_id": ["vpn-b", "vpn-a", "vpn-a", "vpn-c", "vpn-b"]})
    assert rollback_targets(report) == (3, ["vpn-a", "vpn-b"])
    assert rollback_targets(pd.DataFrame()) == (0, [])
    assert gateway_list([f"vpn-{i}" for i in range(6)]) == "vpn-0, vpn-1, vpn-2, vpn-3 and 2 more"
