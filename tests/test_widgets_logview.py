"""LogView: counts, a short escaped tail, filters, CSV export with a data-URI link, Clear, bounded state."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from pathlib import Path

import ipywidgets as widgets
import pytest

import vpnroute_widgets as vw
from vpnroute_widgets.widgets.common import iter_widgets
from vpnroute_widgets.widgets.logview import ALL, LogView


def record(i: int, outcome: str = "ok", code: str | None = None, **extra) -> dict:
    rec = {"operation": "CreateVpnRouteEntry", "region_id": "cn-hangzhou", "vpn_gateway_id": "vpn-abcd1234",
           "route_dest": f"10.{i // 256 % 256}.{i % 256}.0/24", "next_hop": "vco-abcd1234", "weight": 100,
           "outcome": outcome, "http_status": 200 if outcome == "ok" else 400, "request_id": f"REQ-{i}"}
    if code:
        rec["error_code"] = code
    rec.update(extra)
    return rec


def state_size(widget) -> int:
    """The widget state that grows with data: itables' static JS/CSS bundle (_esm, _css) is code, not data."""
    return sum(len(json.dumps({k: v for k, v in w.get_state().items() if k not in ("_esm", "_css")}, default=str))
               for w in iter_widgets(widget))


@pytest.fixture
def log():
    return vw.ResponseLog()


def test_counts_and_tail_follow_appends(log):
    view = LogView(log, rows=3, min_interval=0)
    for i in range(5):
        log.append(record(i))
    log.append(record(5, "error", "Resource.QuotaFull"))
    assert "6 records" in view.counts.value and "ok 5" in view.counts.value and "error 1" in view.counts.value
    shown = view.visible_records()
    assert [r["request_id"] for r in shown] == ["REQ-3", "REQ-4", "REQ-5"]
    assert list(view.table.frame["request_id"]) == ["REQ-5", "REQ-4", "REQ-3"]  # newest first
    assert "REQ-2" not in view.table.data_json()


def test_rows_setting_changes_the_tail(log):
    log.extend(record(i) for i in range(30))
    view = LogView(log, rows=5)
    assert len(view.visible_records()) == 5
    view.rows.value = 12
    assert len(view.visible_records()) == 12
    assert len(view.table.frame) == 12


def test_api_strings_are_escaped(log):
    view = LogView(log, min_interval=0)
    log.append(record(1, "error", "<img src=x onerror=alert(1)>", request_id="<script>x</script>"))
    data = view.table.data_json()
    assert "<script>" not in data and "<img" not in data
    assert "&lt;script&gt;" in data
    assert "&lt;img" in view.code_filter.options[1].replace("<", "&lt;")  # offered as a filter value, as text


def test_filters_by_outcome_and_code(log):
    log.extend(record(i, "error", "Forbidden" if i % 2 else "VpnGateway.Configuring") for i in range(10))
    log.extend(record(i) for i in range(10, 20))
    view = LogView(log, rows=50, min_interval=0)
    assert set(view.code_filter.options) == {ALL, "Forbidden", "VpnGateway.Configuring"}
    view.outcome_filter.value = "error"
    assert len(view.visible_records()) == 10
    view.code_filter.value = "Forbidden"
    assert {r["error_code"] for r in view.visible_records()} == {"Forbidden"}
    assert len(view.visible_records()) == 5
    view.outcome_filter.value = ALL
    assert len(view.visible_records()) == 5
    view.outcome_filter.value = "ok"
    view.code_filter.value = ALL
    assert all(r["outcome"] == "ok" for r in view.visible_records()) and len(view.visible_records()) == 10
    log.append(record(99, "error", "Forbidden"))
    view.outcome_filter.value = "error"
    view.code_filter.value = "Forbidden"
    assert view.visible_records()[-1]["request_id"] == "REQ-99"


def test_export_goes_to_notebooks_reports_inside_the_checkout(tmp_path, monkeypatch):
    from vpnroute_widgets.widgets.logview import default_export_dir

    repo = Path(vw.__file__).resolve().parents[1]
    assert default_export_dir(repo / "notebooks") == repo / "notebooks" / "reports"
    assert default_export_dir(tmp_path) == tmp_path / "reports"
    monkeypatch.chdir(tmp_path)
    log = vw.ResponseLog([record(1)])
    view = LogView(log)
    path = view.export_csv()
    assert path.parent == tmp_path / "reports" and path.exists()  # created on first export
    assert str(path) in view.download.value and str(tmp_path / "reports") in view.export_button.tooltip


def test_table_hides_empty_columns_colours_outcomes_and_keeps_ids_on_one_line(log):
    log.append(record(1))
    log.append(record(2, "error", "Forbidden", error_message="a long explanation " * 10))
    view = LogView(log, min_interval=0)
    assert "http_status" in view.table.frame.columns and "latency_ms" in view.table.hidden_columns
    for column in ("route_dest", "request_id", "error_code", "vpn_gateway_id"):
        assert "vw-nowrap" in view.table.column_classes(column), column
    assert view.table.column_classes("error_message") == ["vw-wrap"]
    assert view.table.status_column == "outcome" and "vw-row-" in view.table.itable._dt_args["createdRow"]


def test_download_link_sits_next_to_the_export_button(log, tmp_path):
    view = LogView(log, export_dir=tmp_path)
    row = next(w for w in iter_widgets(view) if isinstance(w, widgets.HBox) and view.export_button in w.children)
    assert row.children.index(view.download) == row.children.index(view.export_button) + 1


def test_export_writes_csv_and_offers_a_data_uri_link(log, tmp_path):
    log.append(record(1, description="=HYPERLINK(\"http://x\")"))
    view = LogView(log, export_dir=tmp_path)
    view.export_button.click()
    assert view.last_export is not None and view.last_export.parent == tmp_path
    text = view.last_export.read_text(encoding="utf-8")
    assert "REQ-1" in text and "'=HYPERLINK" in text  # the log's formula escaping is kept
    match = re.search(r'<a download="([^"]+)" href="data:text/csv;base64,([^"]+)"', view.download.value)
    assert match and match.group(1) == view.last_export.name
    assert base64.b64decode(match.group(2)) == view.last_export.read_bytes()


def test_large_export_gives_no_inline_link(log, tmp_path):
    log.extend(record(i) for i in range(200))
    view = LogView(log, max_link_bytes=1000)
    path = view.export_csv(tmp_path / "big.csv")
    assert path.exists() and "data:text/csv" not in view.download.value and "Too large" in view.download.value


def test_clear_empties_log_and_view(log, tmp_path):
    log.extend(record(i, "error", "Forbidden") for i in range(5))
    view = LogView(log, export_dir=tmp_path)
    view.export_csv()
    view.clear_button.click()
    assert len(log) == 5 and "Click again to clear 5 records" == view.clear_button.description
    view.clear_button.click()
    assert view.clear_button.description == "Clear"
    assert len(log) == 0 and "0 records" in view.counts.value and view.download.value == ""
    assert view.code_filter.options == (ALL,)
    assert view.visible_records() == []


def test_appends_from_threads_are_coalesced_and_flushed(log):
    view = LogView(log, rows=5, min_interval=0.05)
    threads = [threading.Thread(target=lambda k=k: [log.append(record(k * 100 + i)) for i in range(50)])
               for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(0.2)  # the throttle's timer flushes the last change
    assert "200 records" in view.counts.value
    view.close()


def test_state_stays_small_and_refresh_fast_at_100k_records():
    log = vw.ResponseLog(record(i, "error" if i % 10 == 0 else "ok", "Forbidden" if i % 10 == 0 else None)
                         for i in range(100_000))
    view = LogView(log, rows=20)
    started = time.perf_counter()
    for _ in range(10):
        view.refresh()
    per_refresh = (time.perf_counter() - started) / 10
    view.outcome_filter.value = "error"
    assert len(view.visible_records()) == 20
    size = state_size(view)
    assert size < 40_000, size  # about 28 KB, flat from 1k to 100k records
    assert per_refresh < 0.05, per_refresh


def test_counts_say_how_many_rows_the_table_shows(log):
    log.extend(record(i) for i in range(30))
    view = LogView(log, rows=5)
    assert "30 records" in view.counts.value and "the newest 5 matching" in view.counts.value
