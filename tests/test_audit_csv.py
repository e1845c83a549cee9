"""Audit (issue 8, promise 3): every CSV the toolkit writes is safe to open in a spreadsheet.

tests/test_log_csv.py covers the ResponseLog report itself (each trigger in each text column, numbers
untouched, exact round trip, generated records). This covers the other CSVs: the batch plan
(``Batch.to_csv``, the CLI's ``--plan-only``), the batch report (``BatchResult.to_csv``, the CLI's
``--report``), the LogView export and the BatchPanel's download link. A cell that starts with a
formula trigger gets one leading ``'``; numbers stay numbers; stripping one ``'`` gives the data back.
"""

from __future__ import annotations

import base64
import csv
import io
import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import vpnroute_widgets as vw
from vpnroute_widgets.batch import PLAN_COLUMNS
from vpnroute_widgets.log.report import ESCAPE, FORMULA_TRIGGERS

NUMERIC_PLAN = ("row", "weight")
NASTY = [f"{t}cmd|' /C calc'!A0" for t in FORMULA_TRIGGERS] + ["=HYPERLINK(\"http://e\",\"x\")", "@SUM(1+1)",
                                                               "+1", "-1", "'=already quoted"]


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def assert_safe(text: str, numeric: tuple[str, ...]) -> list[dict[str, str]]:
    rows = rows_of(text)
    for row in rows:
        for column, cell in row.items():
            if column in numeric:
                assert cell == "" or re.fullmatch(r"-?\d+(\.\d+)?", cell), (column, cell)  # a number, unquoted
            else:
                assert not cell.startswith(FORMULA_TRIGGERS), (column, cell)
    return rows


def raw(path) -> str:
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def unescape(cell: str) -> str:
    return cell[1:] if cell.startswith(ESCAPE) else cell


@pytest.fixture(scope="module")
def sandbox():
    with vw.Sandbox(seed=31, configuring_s=0.0) as sb:
        yield sb


def nasty_frame(sb) -> pd.DataFrame:
    lines = [{"RouteDest": f"10.50.{i}.0/24", "NextHop": sb.next_hops[i % 2], "Weight": 0, "PublishVpc": True,
              "Description": text} for i, text in enumerate(NASTY) if not text.startswith(("\t", "\r", "\n"))]
    lines += [{"RouteDest": text, "NextHop": sb.next_hop, "Weight": 0, "PublishVpc": True, "Description": "x"}
              for text in NASTY]  # invalid rows keep what was typed
    lines.append({"RouteDest": "10.60.0.0/24", "NextHop": "=evil()", "Weight": 100, "PublishVpc": True,
                  "Description": "-"})
    return pd.DataFrame(lines, index=range(-3, len(lines) - 3))  # negative row labels stay numbers


def test_batch_plan_csv_is_escaped_and_round_trips(sandbox, tmp_path):
    client = vw.VpcClient(sandbox.credentials, endpoint=sandbox.endpoint)
    batch = vw.plan_batch(nasty_frame(sandbox), client, defaults={"RegionId": sandbox.region_id,
                                                                  "VpnGatewayId": sandbox.vpn_gateway_id})
    batch.to_csv(tmp_path / "plan.csv")
    text = raw(tmp_path / "plan.csv")
    assert text == batch.to_csv()
    rows = assert_safe(text, NUMERIC_PLAN)
    assert rows[0]["row"] == "-3"
    assert sum(row["route_dest"].startswith("'") for row in rows) >= len(NASTY)  # the typed formulas, quoted
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert list(back.columns) == list(PLAN_COLUMNS)
    for column in PLAN_COLUMNS:  # exact round trip: strip one quote from text cells
        original = ["" if pd.isna(v) else str(v).lower() if column == "publish_vpc" else str(v)
                    for v in batch.plan[column]]
        restored = [unescape(c) if column not in NUMERIC_PLAN + ("publish_vpc",) else c.lower() for c in back[column]]
        assert restored == original, column


def test_batch_report_csv_and_the_cli_files_are_escaped(sandbox, tmp_path, monkeypatch):
    from vpnroute_widgets import cli

    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", sandbox.credentials.access_key_id)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", sandbox.credentials.access_key_secret)

    sandbox.reset()
    client = vw.VpcClient(sandbox.credentials, endpoint=sandbox.endpoint)
    data = nasty_frame(sandbox)
    result = vw.apply_batch(data, client, defaults={"RegionId": sandbox.region_id,
                                                    "VpnGatewayId": sandbox.vpn_gateway_id})
    result.to_csv(tmp_path / "report.csv")
    text = raw(tmp_path / "report.csv")
    rows = assert_safe(text, ("weight", "http_status", "create_time", "attempts", "row", "latency_ms"))
    assert len(rows) == len(data)
    assert vw.ResponseLog.from_csv(tmp_path / "report.csv").records() == result.log.records()  # exact

    sandbox.reset()
    source = tmp_path / "routes.csv"
    data.to_csv(source, index=False)
    for argv in (["--plan-only"], []):
        out = io.StringIO()
        target = tmp_path / f"cli{len(argv)}.csv"
        status = cli.main(["apply", str(source), "--report", str(target), "--endpoint", sandbox.endpoint, "--quiet",
                  "--region", sandbox.region_id, "--gateway", sandbox.vpn_gateway_id, *argv], stdout=out, stderr=out)
        assert status in (0, 1) and target.exists(), out.getvalue()
        assert_safe(raw(target), NUMERIC_PLAN if argv else
                    ("weight", "http_status", "create_time", "attempts", "row", "latency_ms"))


def test_log_view_and_batch_panel_exports_are_escaped(sandbox, tmp_path):
    from vpnroute_widgets.widgets.batch_panel import BatchPanel

    sandbox.reset()
    log = vw.ResponseLog()
    connection = vw.ConnectionPanel(sandbox=sandbox, home=tmp_path, log=log)
    panel = BatchPanel(connection, log)
    view = vw.LogView(log, export_dir=tmp_path)
    frame = nasty_frame(sandbox).reset_index(drop=True)
    frame["RegionId"], frame["VpnGatewayId"] = sandbox.region_id, sandbox.vpn_gateway_id
    panel.set_source(frame.to_csv(index=False).encode())
    panel.wait()
    panel.apply_button.click()
    panel.wait()
    panel.export()
    payload = re.search(r"base64,([A-Za-z0-9+/=]+)", panel.download.value).group(1)
    numeric = ("weight", "http_status", "create_time", "attempts", "row", "latency_ms")
    assert len(assert_safe(base64.b64decode(payload).decode(), numeric)) == len(frame)
    path = view.export_csv()
    assert len(assert_safe(raw(path), numeric)) == len(log) >= len(frame)
    for widget in (view, panel, connection):
        widget.close()


CELLS = st.one_of(st.sampled_from(NASTY + ["", "ok", "10.0.0.0/24", "'", "''"]),
                  st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8))


@given(cells=st.lists(st.tuples(CELLS, CELLS, CELLS), min_size=1, max_size=5))
def test_fuzz_plan_export_never_starts_a_cell_with_a_trigger(cells):
    frame = pd.DataFrame([{"RouteDest": a, "NextHop": b, "Description": c, "Weight": 0, "PublishVpc": True}
                          for a, b, c in cells])
    batch = vw.plan_batch(frame, defaults={"RegionId": "cn-hangzhou", "VpnGatewayId": "vpn-bp1a3kqjiiq9legfx0000"})
    text = batch.to_csv()
    rows = assert_safe(text, NUMERIC_PLAN)
    for row, (_, line) in zip(rows, batch.plan.iterrows(), strict=True):
        for column in ("route_dest", "next_hop", "description", "message"):
            value = line[column]
            assert unescape(row[column]) == ("" if pd.isna(value) else value)
