"""BatchPanel: upload, plan table (escaped, counted), apply with progress, cancel, export, guarded rollback."""

from __future__ import annotations

import base64
import threading
import time
from datetime import UTC, datetime

import ipywidgets as widgets
import pytest

import vpnroute_widgets as vw
from vpnroute_widgets.log import ResponseLog
from vpnroute_widgets.widgets.batch_panel import BatchPanel
from vpnroute_widgets.widgets.common import iter_widgets
from vpnroute_widgets.widgets.table import TableView


@pytest.fixture(scope="module")
def sandbox():
    with vw.Sandbox(seed=5, gateways=2, configuring_s=0.02) as sb:
        yield sb


@pytest.fixture
def panel(sandbox, tmp_path):
    sandbox.reset()
    connection = vw.ConnectionPanel(sandbox=sandbox, home=tmp_path)
    log = ResponseLog()
    widget = BatchPanel(connection, log, page_size=10, reports_dir=tmp_path / "reports")
    yield widget
    widget.close()
    connection.close()


def csv_for(sb, count: int, extra: str = "") -> bytes:
    gw, n = sb.gateways, len(sb.gateways)
    lines = ["RouteDest,NextHop,VpnGatewayId,Weight,PublishVpc,Description"]
    lines += [f"10.{i % n}.{i}.0/24,{gw[i % n]['next_hops'][0]},{gw[i % n]['vpn_gateway_id']},0,true,"
              for i in range(count)]
    return ("\n".join(lines) + "\n" + extra).encode()


def upload(panel, data: bytes) -> None:
    panel.upload.value = ({"name": "routes.csv", "type": "text/csv", "size": len(data), "content": memoryview(data),
                           "last_modified": datetime.now(UTC)},)


def test_upload_plans_and_shows_an_escaped_table_with_counts(panel, sandbox):
    upload(panel, csv_for(sandbox, 25, extra=f"<img src=x onerror=alert(1)>,{sandbox.next_hop},,0,true,x\n"))
    panel.wait()
    assert panel.error is None, panel.status.value
    assert panel.batch.counts()["ready"] == 25 and panel.batch.counts()["invalid"] == 1
    assert "ready 25" in panel.counts.value and "invalid 1" in panel.counts.value
    assert len(panel.table.frame) == 26 and panel.table.status_column == "status"
    data = panel.table.data_json()
    assert "<img" not in data and "&lt;img src=x onerror=alert(1)&gt;" in data
    panel.status_filter.value = "invalid"
    assert len(panel.table.frame) == 1


def test_cidr_and_id_columns_never_wrap_messages_do(panel, sandbox):
    panel.set_source(csv_for(sandbox, 3, extra=f"10.0.0.0/33,{sandbox.next_hop},,0,true,x\n"))
    panel.wait()
    assert "message" in panel.table.frame.columns
    for column in ("route_dest", "vpn_gateway_id", "next_hop"):
        assert "vw-nowrap" in panel.table.column_classes(column), column
    assert "vw-wrap" in panel.table.column_classes("message")
    assert ".vw-table td.vw-nowrap" in panel.table.itable._dt_args["table_style"]
    assert "white-space:nowrap" in panel.table.itable._dt_args["table_style"]
    assert TableView("t").page_length >= 20  # compact rows: 20+ fit on a 1000 px screen


def test_apply_shows_progress_summary_and_logs_one_record_per_row(panel, sandbox):
    panel.set_source(csv_for(sandbox, 12))
    panel.wait()
    panel.apply_button.click()
    panel.wait()
    assert panel.result is not None and panel.result.counts() == {"ok": 12}
    assert panel.progress.value == panel.progress.max == 12
    assert "ok 12" in panel.summary.value and "12/12" in panel.progress_label.value
    assert len(panel.response_log) == 12 and panel.response_log.counts() == {"ok": 12}
    assert "outcome" in panel.table.frame.columns and panel.table.status_column == "outcome"
    assert "Apply finished: applied 12 (of 12 rows" in panel.status.value and "Done" not in panel.status.value
    text = panel.export()
    assert text.count("\n") == 13
    assert base64.b64encode(text.encode()).decode() in panel.download.value
    panel.rollback_button.click()
    panel.confirm_button.click()
    panel.wait()
    assert "Roll back finished: rolled back 12" in panel.status.value
    assert panel.result.operation == "rollback" and panel.result.counts() == {"ok": 12}
    assert all(not g["Routes"] for g in sandbox.state()["gateways"])


def test_each_run_writes_its_report_and_keeps_a_crash_journal_only_while_it_runs(panel, sandbox):
    folder = panel.reports_dir
    seen_journals: list[str] = []
    original = panel._on_progress

    def watching(p):  # in the worker, mid-run: the journal must be on disk
        seen_journals.extend(path.name for path in folder.glob("*.journal"))
        original(p)

    panel._on_progress = watching
    panel.set_source(csv_for(sandbox, 4))
    panel.wait()
    batch_id = panel.batch.batch_id
    panel.apply_button.click()
    panel.wait()
    assert f"{batch_id}.apply_batch.journal" in seen_journals
    report = folder / f"{batch_id}-apply.csv"
    assert panel.report_path == report and report.exists() and str(report) in panel.status.value
    assert vw.ResponseLog.from_csv(report).counts() == {"ok": 4}
    assert not list(folder.glob("*.journal"))  # the report is written: the journal is gone


def test_cancel_takes_effect_within_half_a_second(tmp_path):
    with vw.Sandbox(seed=6, gateways=1, configuring_s=0.05) as sb:
        connection = vw.ConnectionPanel(sandbox=sb, home=tmp_path)
        panel = BatchPanel(connection, ResponseLog(), reports_dir=tmp_path)
        try:
            panel.set_source(csv_for(sb, 60))
            panel.wait()
            assert panel.batch.counts()["ready"] == 60
            clicked = {}

            def cancel_later():
                time.sleep(0.5)
                clicked["at"] = time.monotonic()
                panel.cancel_button.click()

            started = time.monotonic()
            panel.apply_button.click()
            assert time.monotonic() - started < 0.2  # the click handler returns at once
            assert panel.cancel_button.disabled is False and panel.apply_button.disabled
            threading.Thread(target=cancel_later).start()
            panel.wait()
            assert time.monotonic() - clicked["at"] < 0.5
            counts = panel.result.counts()
            assert counts["cancelled"] > 20 and counts["ok"] + counts["cancelled"] == 60
            assert "cancelled" in panel.summary.value
            status = panel.status.value
            assert "Apply stopped by Cancel" in status and f"cancelled {counts['cancelled']}" in status
            assert f"applied {counts['ok']}" in status and "Done" not in status
            assert panel.apply_button.disabled and panel.cancel_button.disabled  # the plan is spent
        finally:
            panel.close()
            connection.close()


def test_buttons_refuse_politely_without_a_plan(panel):
    panel.apply_button.click()
    assert "Nothing to apply" in panel.status.value
    panel.plan_button.click()
    assert "Upload a CSV" in panel.status.value
    assert panel.export() is None and panel.rollback_button.disabled


def test_a_bad_file_is_shown_in_the_panel(panel):
    panel.set_source(b"")
    panel.wait()
    assert "empty" in panel.status.value and panel.error is not None


def test_gateway_defaults_come_from_the_connection(panel, sandbox):
    panel._on_connection()
    assert sandbox.vpn_gateway_id in panel.gateway.options
    data = f"RouteDest,NextHop,Weight,PublishVpc\n10.7.0.0/24,{sandbox.next_hop},0,true\n".encode()
    panel.gateway.value = sandbox.vpn_gateway_id
    panel.set_source(data)
    panel.wait()
    assert panel.batch.plan.loc[0, "region_id"] == sandbox.region_id
    assert panel.batch.counts()["ready"] == 1


def test_the_app_has_the_batch_tab():
    assert vw.BatchPanel is BatchPanel


def test_a_failed_upload_disarms_the_plan_and_apply(panel, sandbox):
    upload(panel, csv_for(sandbox, 4))
    panel.wait()
    assert not panel.apply_button.disabled
    upload(panel, b"not,a,route,file\n\x00\x01")
    assert panel.batch is None and panel.apply_button.disabled  # at once, before the plan finishes
    panel.wait()
    assert panel.error is not None and panel.batch is None and panel.apply_button.disabled
    panel.apply_button.click()  # click() runs even on a disabled button: nothing may be sent
    assert "Nothing to apply" in panel.status.value and panel.result is None
    assert sandbox.requests.count("CreateVpnRouteEntry") == 0


def test_apply_spends_the_plan_so_a_rolled_back_batch_is_not_re_created(panel, sandbox):
    panel.set_source(csv_for(sandbox, 5))
    panel.wait()
    panel.apply_button.click()
    panel.wait()
    panel.rollback_button.click()
    panel.confirm_button.click()
    panel.wait()
    assert panel.apply_button.disabled
    sent = len(sandbox.requests)
    panel.apply_button.click()
    assert len(sandbox.requests) == sent and "Nothing to apply" in panel.status.value


def test_rollback_asks_first_naming_count_and_gateways_and_sends_nothing_before(panel, sandbox):
    panel.set_source(csv_for(sandbox, 6))
    panel.wait()
    panel.apply_button.click()
    panel.wait()
    before = len(sandbox.requests)
    panel.rollback_button.click()
    gateways = sorted(g["vpn_gateway_id"] for g in sandbox.gateways)
    assert panel.confirm_button.description == f"Confirm: delete 6 routes on {', '.join(gateways)}"
    assert panel.confirm_box.layout.display != "none" and panel.rollback_button.disabled
    assert len(sandbox.requests) == before and panel.result.operation == "apply"
    panel.keep_button.click()
    assert "nothing was sent" in panel.status.value and panel.confirm_box.layout.display == "none"
    panel.confirm_button.click()  # without a fresh Roll back click it refuses
    assert len(sandbox.requests) == before and "Click Roll back first" in panel.status.value
    panel.rollback_button.click()
    panel.confirm_button.click()
    panel.wait()
    assert sandbox.requests.count("DeleteVpnRouteEntry") >= 6 and panel.result.counts() == {"ok": 6}
    assert panel.result.operation == "rollback" and panel.rollback_button.disabled


def test_download_link_sits_next_to_the_export_button(panel, sandbox):
    panel.set_source(csv_for(sandbox, 2))
    panel.wait()
    panel.apply_button.click()
    panel.wait()
    panel.export_button.click()
    row = next(w for w in iter_widgets(panel) if isinstance(w, widgets.HBox) and panel.export_button in w.children)
    assert row.children.index(panel.download) == row.children.index(panel.export_button) + 1
    assert "Download apply-" in panel.download.value


def test_rate_explains_its_default_and_refuses_nonsense(panel, sandbox):
    assert panel.rate.value == "" and "automatic" in panel.rate.placeholder
    assert "1 call/s on Alibaba Cloud" in panel.rate_help.value
    assert "100 calls/s on the sandbox" in panel.rate_help.value
    panel.set_source(csv_for(sandbox, 2))
    panel.wait()
    panel.rate.value = "-3"
    panel.apply_button.click()
    panel.wait()
    assert "above 0" in panel.status.value and sandbox.requests.count("CreateVpnRouteEntry") == 0


def test_counts_follow_the_table_from_plan_to_outcomes(panel, sandbox):
    panel.set_source(csv_for(sandbox, 3))
    panel.wait()
    assert "ready 3" in panel.counts.value
    panel.apply_button.click()
    panel.wait()
    assert "ok 3" in panel.counts.value and "ready" not in panel.counts.value


def test_a_connection_change_disarms_the_plan_and_a_pending_rollback(panel, sandbox):
    panel.set_source(csv_for(sandbox, 2))
    panel.wait()
    panel.connection.mode_choice.value = "cloud"
    assert panel.batch is None and panel.apply_button.disabled and "plan again" in panel.status.value
    panel.connection.mode_choice.value = "sandbox"
    panel.set_source(csv_for(sandbox, 2))
    panel.wait()
    panel.apply_button.click()
    panel.wait()
    panel.rollback_button.click()
    assert panel.confirm_box.layout.display == ""
    panel.connection.mode_choice.value = "cloud"
    assert panel.confirm_box.layout.display == "none" and "roll back not sent" in panel.status.value


def test_rollback_refuses_another_endpoint_than_the_apply_used(panel, sandbox, tmp_path, monkeypatch):
    panel.set_source(csv_for(sandbox, 2))
    panel.wait()
    panel.apply_button.click()
    panel.wait()
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI" "5tOtherAccount12")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "other-secret")
    panel.connection.mode_choice.value = "cloud"
    sent = len(sandbox.requests)
    panel.rollback_button.click()
    assert "Switch back to roll it back" in panel.status.value and panel.confirm_box.layout.display == "none"
    assert len(sandbox.requests) == sent
