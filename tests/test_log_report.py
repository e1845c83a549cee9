"""CSV reports: formula escaping for every trigger, exact round trips, atomic writes.

Every CSV the toolkit writes is safe to open in a spreadsheet (the security audit, issue 8, promise 3):
the ResponseLog report itself (each trigger in each text column, numbers untouched, exact round trip,
generated records), and the other reports built on it: the batch report (``BatchResult.to_csv``, the
CLI's ``--report`` and ``--plan-only`` files), the LogView export and the BatchPanel's download link.
A cell that starts with a formula trigger gets one leading ``'``; numbers stay numbers; stripping one
``'`` gives the data back. The batch plan's own CSV is tested in test_batch_plan.py, with the helpers
defined here.
"""

from __future__ import annotations

import base64
import csv
import io
import os
import re
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vpnroute_widgets as vw
from vpnroute_widgets.log import INT_COLUMNS, TEXT_COLUMNS, RecordError, ResponseLog
from vpnroute_widgets.log.records import COLUMNS, OUTCOMES
from vpnroute_widgets.log.report import ESCAPE, FORMULA_TRIGGERS

NUMERIC_PLAN = ("row", "weight")
NUMERIC_REPORT = ("weight", "http_status", "create_time", "attempts", "row", "latency_ms")
NASTY = [f"{t}cmd|' /C calc'!A0" for t in FORMULA_TRIGGERS] + ["=HYPERLINK(\"http://e\",\"x\")", "@SUM(1+1)",
                                                               "+1", "-1", "'=already quoted"]
SANDBOX_OPTIONS = {"seed": 31, "configuring_s": 0.0}  # the module's sandbox (tests/conftest.py)


def cells(text: str) -> list[dict[str, str]]:
    """The report as a spreadsheet would see it: every cell as raw text."""
    return list(csv.DictReader(io.StringIO(text, newline="")))


def assert_safe(text: str, numeric: tuple[str, ...]) -> list[dict[str, str]]:
    """No text cell starts with a formula trigger; the ``numeric`` columns hold plain numbers."""
    rows = cells(text)
    for row in rows:
        for column, cell in row.items():
            if column in numeric:
                assert cell == "" or re.fullmatch(r"-?\d+(\.\d+)?", cell), (column, cell)  # a number, unquoted
            else:
                assert not cell.startswith(FORMULA_TRIGGERS), (column, cell)
    return rows


def read_raw(path) -> str:
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def unescape(cell: str) -> str:
    return cell[1:] if cell.startswith(ESCAPE) else cell


def nasty_frame(sb) -> pd.DataFrame:
    """Routes whose text cells start with every formula trigger; invalid rows keep what was typed."""
    lines = [{"RouteDest": f"10.50.{i}.0/24", "NextHop": sb.next_hops[i % 2], "Weight": 0, "PublishVpc": True,
              "Description": text} for i, text in enumerate(NASTY) if not text.startswith(("\t", "\r", "\n"))]
    lines += [{"RouteDest": text, "NextHop": sb.next_hop, "Weight": 0, "PublishVpc": True, "Description": "x"}
              for text in NASTY]
    lines.append({"RouteDest": "10.60.0.0/24", "NextHop": "=evil()", "Weight": 100, "PublishVpc": True,
                  "Description": "-"})
    return pd.DataFrame(lines, index=range(-3, len(lines) - 3))  # negative row labels stay numbers


def full_record(**extra) -> dict:
    base = {"timestamp": datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC), "operation": "CreateVpnRouteEntry",
            "region_id": "cn-hangzhou", "vpn_gateway_id": "vpn-gw0001", "route_dest": "10.0.0.0/24",
            "next_hop": "vco-abcd1234", "weight": 0, "publish_vpc": False, "overlay_mode": "Ipsec",
            "description": "primary", "client_token": "tok-1", "outcome": "error", "http_status": 400,
            "error_code": "Throttling", "error_message": "Throttling: slow down", "remedy": "wait",
            "request_id": "RID-1", "state": "published", "create_time": 1_700_000_000_123,
            "vpn_instance_id": "vpn-gw0001", "latency_ms": 0.1 + 0.2, "attempts": 3,
            "endpoint": "vpc.cn-hangzhou.aliyuncs.com", "batch_id": "b-1", "row": 7}
    return {**base, **extra}


def round_trip(log: ResponseLog, tmp_path=None) -> ResponseLog:
    if tmp_path is None:
        return ResponseLog.from_csv(io.StringIO(log.to_csv()))
    path = tmp_path / "report.csv"
    log.to_csv(path)
    return ResponseLog.from_csv(path)


# --- the report's shape -------------------------------------------------------------------


def test_report_has_a_header_in_column_order_and_utf8_text(tmp_path):
    log = ResponseLog([full_record(description="机房 → Zürich")])
    log.to_csv(tmp_path / "r.csv")
    raw = (tmp_path / "r.csv").read_bytes()
    text = raw.decode("utf-8")
    assert text.splitlines()[0] == ",".join(COLUMNS)
    row = cells(text)[0]
    assert row["description"] == "机房 → Zürich"
    assert (row["http_status"], row["weight"], row["attempts"], row["row"]) == ("400", "0", "3", "7")  # not 400.0
    assert row["publish_vpc"] == "False" and row["latency_ms"] == "0.30000000000000004"
    assert row["timestamp"] == "2024-05-01 10:00:00.123456+00:00"


def test_missing_values_are_empty_cells():
    row = cells(ResponseLog([{"outcome": "ok"}]).to_csv())[0]
    assert all(row[c] == "" for c in COLUMNS if c not in ("timestamp", "outcome"))


def test_an_empty_log_writes_just_the_header():
    assert ResponseLog().to_csv() == ",".join(COLUMNS) + "\r\n"  # RFC 4180 line ends
    assert len(ResponseLog.from_csv(io.StringIO(ResponseLog().to_csv()))) == 0


def test_to_csv_writes_to_an_open_buffer():
    buffer = io.StringIO()
    assert ResponseLog([full_record()]).to_csv(buffer) is None
    assert buffer.getvalue() == ResponseLog([full_record()]).to_csv()


# --- formula escaping ---------------------------------------------------------------------


@pytest.mark.parametrize("trigger", FORMULA_TRIGGERS)
@pytest.mark.parametrize("column", ["description", "error_message", "batch_id", "route_dest"])
def test_every_trigger_is_neutralised_in_every_text_column(trigger, column):
    value = f"{trigger}HYPERLINK(\"http://evil\")"
    log = ResponseLog([full_record(**{column: value})])
    row = cells(log.to_csv())[0]
    assert row[column] == "'" + value
    assert log.records()[0][column] == value  # only the exported copy is escaped
    assert log.to_dataframe().loc[0, column] == value
    assert round_trip(log).records() == log.records()


def test_trigger_list_is_the_owasp_list():
    assert set(FORMULA_TRIGGERS) == {"=", "+", "-", "@", "\t", "\r", "\n"}


def test_harmless_cells_and_numbers_are_untouched():
    log = ResponseLog([full_record(description="a=b", latency_ms=-1.5, row=-3, weight=100, create_time=-1)])
    row = cells(log.to_csv())[0]
    assert (row["description"], row["latency_ms"], row["row"], row["create_time"]) == ("a=b", "-1.5", "-3", "-1")
    assert row["route_dest"] == "10.0.0.0/24" and row["timestamp"].startswith("2024-")


def test_a_cell_starting_with_a_quote_is_quoted_again_so_reading_is_exact():
    log = ResponseLog([full_record(description="'=not a formula", error_message="'", remedy="''x")])
    row = cells(log.to_csv())[0]
    assert (row["description"], row["error_message"], row["remedy"]) == ("''=not a formula", "''", "'''x")
    assert round_trip(log).records() == log.records()


def test_escaping_can_be_turned_off_and_read_back_without_unescaping():
    log = ResponseLog([full_record(description="=1+1", error_message="'quoted")])
    row = cells(log.to_csv(escape_formulas=False))[0]
    assert (row["description"], row["error_message"]) == ("=1+1", "'quoted")
    back = ResponseLog.from_csv(io.StringIO(log.to_csv(escape_formulas=False)), unescape=False)
    assert back.records() == log.records()


# --- round trips --------------------------------------------------------------------------


def test_round_trip_is_exact_for_every_column(tmp_path):
    log = ResponseLog([full_record(), full_record(publish_vpc=True, weight=100, outcome="ok", error_code=None),
                       {"outcome": "cancelled"}, {"outcome": "exists", "description": "NA"},
                       full_record(description="null", batch_id="007", request_id="None", state="nan")])
    back = round_trip(log, tmp_path)
    assert back.records() == log.records()
    assert back.to_dataframe().equals(log.to_dataframe())


text_cells = st.one_of(st.none(), st.text(), st.sampled_from(["=1", "'", "''", "-", "NA", " ", "\r\n", "\x00"]))
optional_ints = st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1))
timestamps = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1),
                          timezones=st.just(UTC))


@st.composite
def records(draw):
    record = {column: draw(text_cells) for column in TEXT_COLUMNS if column not in ("outcome", "endpoint")}
    record.update({column: draw(optional_ints) for column in INT_COLUMNS})
    record["timestamp"] = draw(timestamps)
    record["outcome"] = draw(st.sampled_from(OUTCOMES))
    record["publish_vpc"] = draw(st.sampled_from([True, False, None]))
    record["latency_ms"] = draw(st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)))
    record["endpoint"] = draw(st.sampled_from([None, "vpc.cn-hangzhou.aliyuncs.com", "127.0.0.1:8080"]))
    return record


@settings(deadline=None)  # example count from the suite profile (make fuzz runs long)
@given(st.lists(records(), max_size=6))
def test_round_trip_is_exact_for_generated_records(generated):
    log = ResponseLog(generated)
    text = log.to_csv()
    back = ResponseLog.from_csv(io.StringIO(text))
    assert back.records() == log.records()
    for row in cells(text):
        for column in TEXT_COLUMNS:
            assert not row[column].startswith(FORMULA_TRIGGERS), (column, row[column])


def test_reading_a_report_with_an_unknown_or_secret_column_is_refused():
    with pytest.raises(RecordError, match="colour"):
        ResponseLog.from_csv(io.StringIO("outcome,colour\nok,red\n"))
    with pytest.raises(RecordError, match="credential"):
        ResponseLog.from_csv(io.StringIO("outcome,AccessKeySecret\nok,x\n"))


def test_reading_a_hand_edited_report_names_the_bad_column():
    with pytest.raises(RecordError, match="^weight: .*'abc'"):
        ResponseLog.from_csv(io.StringIO("outcome,weight\nok,abc\n"))


def test_a_report_may_hold_only_some_columns_and_a_bom():
    log = ResponseLog.from_csv(io.StringIO("\ufeffoutcome,route_dest,weight\nok,10.0.0.0/24,100\n"))
    record = log.records()[0]
    assert (record["outcome"], record["route_dest"], record["weight"]) == ("ok", "10.0.0.0/24", 100)


# --- atomic writes ------------------------------------------------------------------------


def test_a_failed_write_leaves_the_old_report_intact_and_no_temporary_file(tmp_path):
    path = tmp_path / "changes.csv"
    ResponseLog([full_record()]).to_csv(path)
    before = path.read_bytes()
    unwritable = ResponseLog([full_record()] * 2000 + [full_record(description="Zürich")])
    with pytest.raises(UnicodeEncodeError):
        unwritable.to_csv(path, encoding="ascii")  # fails after thousands of rows were written
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["changes.csv"]


def test_a_failed_replace_leaves_the_old_report_intact(tmp_path, monkeypatch):
    path = tmp_path / "changes.csv"
    path.write_text("old report\n")

    def refuse(src, dst):
        raise PermissionError("target locked")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionError):
        ResponseLog([full_record()]).to_csv(path)
    assert path.read_text() == "old report\n" and os.listdir(tmp_path) == ["changes.csv"]


def test_writing_into_a_missing_directory_fails_cleanly(tmp_path):
    with pytest.raises(FileNotFoundError):
        ResponseLog([full_record()]).to_csv(tmp_path / "nope" / "r.csv")
    assert os.listdir(tmp_path) == []


def test_a_rewrite_replaces_the_report_and_keeps_its_permissions(tmp_path):
    path = tmp_path / "changes.csv"
    ResponseLog([full_record()]).to_csv(path)
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)
    path.chmod(0o600)
    log = ResponseLog([full_record(row=i) for i in range(3)])
    log.to_csv(str(path))
    assert len(cells(path.read_text())) == 3 and oct(path.stat().st_mode & 0o777) == oct(0o600)


def test_large_report_round_trip_through_a_file(tmp_path):
    start = datetime(2024, 1, 1, tzinfo=UTC)
    log = ResponseLog([full_record(timestamp=start + timedelta(microseconds=i), row=i,
                                   description=("-" if i % 7 == 0 else "") + f"route {i}") for i in range(5000)])
    assert round_trip(log, tmp_path).records() == log.records()


def test_a_filtered_frame_can_be_exported_safely_with_escape_cells():
    from vpnroute_widgets.log.report import escape_cells, unescape_cells

    log = ResponseLog([full_record(description="@SUM(A1)"), full_record(outcome="ok", description="-ok")])
    errors = log.errors()
    safe = escape_cells(errors)
    assert safe.loc[0, "description"] == "'@SUM(A1)" and errors.loc[0, "description"] == "@SUM(A1)"
    assert safe["latency_ms"].equals(errors["latency_ms"])
    pd_text = safe.to_csv(index=False)
    assert "'@SUM(A1)" in pd_text
    assert unescape_cells(safe).equals(errors)


# --- the reports built on the log: batch report, CLI files, widget exports ----------------------


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
    text = read_raw(tmp_path / "report.csv")
    rows = assert_safe(text, NUMERIC_REPORT)
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
        assert_safe(read_raw(target), NUMERIC_PLAN if argv else NUMERIC_REPORT)


def test_log_view_and_batch_panel_exports_are_escaped(sandbox, tmp_path):
    from vpnroute_widgets.widgets.batch_panel import BatchPanel

    sandbox.reset()
    log = vw.ResponseLog()
    connection = vw.ConnectionPanel(sandbox=sandbox, home=tmp_path, log=log)
    panel = BatchPanel(connection, log, reports_dir=tmp_path)
    view = vw.LogView(log, export_dir=tmp_path)
    frame = nasty_frame(sandbox).reset_index(drop=True)
    frame["RegionId"], frame["VpnGatewayId"] = sandbox.region_id, sandbox.vpn_gateway_id
    panel.set_source(frame.to_csv(index=False).encode())
    panel.wait()
    panel.apply_button.click()
    panel.wait()
    panel.export()
    payload = re.search(r"base64,([A-Za-z0-9+/=]+)", panel.download.value).group(1)
    numeric = NUMERIC_REPORT
    assert len(assert_safe(base64.b64decode(payload).decode(), numeric)) == len(frame)
    path = view.export_csv()
    assert len(assert_safe(read_raw(path), numeric)) == len(log) >= len(frame)
    for widget in (view, panel, connection):
        widget.close()
