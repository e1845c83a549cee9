"""BatchPanel: upload, plan table (escaped, paged, counted), apply with progress, cancel, export, rollback."""

from __future__ import annotations

import base64
import threading
import time
from datetime import UTC, datetime

import pytest

import vpnroute_widgets as vw
from vpnroute_widgets.log import ResponseLog
from vpnroute_widgets.widgets.batch_panel import BatchPanel


@pytest.fixture(scope="module")
def sandbox():
    with vw.Sandbox(seed=5, gateways=2, configuring_s=0.02) as sb:
        yield sb


@pytest.fixture
def panel(sandbox, tmp_path):
    sandbox.reset()
    connection = vw.ConnectionPanel(sandbox=sandbox, home=tmp_path)
    log = ResponseLog()
    widget = BatchPanel(connection, log, page_size=10)
    yield widget
    widget.close()
    connection.close()


def csv_for(sb, count: int, extra: str = "") -> bytes:
    gw, n = sb.gateways, len(sb.gateways)
    lines = ["RouteDest,NextHop,VpnGatewayId,Weight,PublishVpc,Description"]
    lines += [f"10.{i % n}.{i}.0/24,{gw[i % n]['next_hops'][0]},{gw[i % n]['vpn_gateway_id']},0,true,"
              for i in range(count)]
    return ("\n".join(lines) + "\n" + extra).encode()


def test_upload_plans_and_shows_an_escaped_paged_table_with_counts(panel, sandbox):
    data = csv_for(sandbox, 25, extra=f"<img src=x onerror=alert(1)>,{sandbox.next_hop},,0,true,x\n")
    panel.upload.value = ({"name": "routes.csv", "type": "text/csv", "size": len(data), "content": memoryview(data),
                           "last_modified": datetime.now(UTC)},)
    panel.wait()
    assert panel.error is None, panel.status.value
    assert panel.batch.counts()["ready"] == 25 and panel.batch.counts()["invalid"] == 1
    assert "ready 25" in panel.counts.value and "invalid 1" in panel.counts.value
    assert "page 1 of 3 (26 rows)" in panel.page_label.value
    panel.next_page.click()
    panel.next_page.click()
    assert "page 3 of 3" in panel.page_label.value and panel.next_page.disabled
    assert "<img" not in panel.table.value and "&lt;img src=x onerror=alert(1)&gt;" in panel.table.value
    panel.status_filter.value = "invalid"
    assert "page 1 of 1 (1 rows)" in panel.page_label.value


def test_apply_shows_progress_summary_and_logs_one_record_per_row(panel, sandbox):
    panel.set_source(csv_for(sandbox, 12))
    panel.wait()
    panel.apply_button.click()
    panel.wait()
    assert panel.result is not None and panel.result.counts() == {"ok": 12}
    assert panel.progress.value == panel.progress.max == 12
    assert "ok 12" in panel.summary.value and "12/12" in panel.progress_label.value
    assert len(panel.response_log) == 12 and panel.response_log.counts() == {"ok": 12}
    assert "outcome" in panel.table.value
    text = panel.export()
    assert text.count("\n") == 13
    assert base64.b64encode(text.encode()).decode() in panel.download.value
    panel.rollback_button.click()
    panel.wait()
    assert panel.result.operation == "rollback" and panel.result.counts() == {"ok": 12}
    assert all(not g["Routes"] for g in sandbox.state()["gateways"])


def test_cancel_takes_effect_within_half_a_second(tmp_path):
    with vw.Sandbox(seed=6, gateways=1, configuring_s=0.05) as sb:
        connection = vw.ConnectionPanel(sandbox=sb, home=tmp_path)
        panel = BatchPanel(connection, ResponseLog())
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
            assert not panel.apply_button.disabled and panel.cancel_button.disabled
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
