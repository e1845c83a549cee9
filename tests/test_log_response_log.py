"""ResponseLog: checked records, the typed DataFrame, helpers, threads and subscribers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

import vpnroute_widgets as vw
from vpnroute_widgets.log import DTYPES, LogChange, RecordError, ResponseLog
from vpnroute_widgets.log.records import COLUMNS, record_from_request

EXPECTED_DTYPES = {
    "timestamp": "datetime64[us, UTC]", "weight": "Int64", "http_status": "Int64", "create_time": "Int64",
    "attempts": "Int64", "row": "Int64", "publish_vpc": "boolean", "latency_ms": "Float64",
    "step": "Int64", "old_weight": "Int64", "old_publish_vpc": "boolean",
}


def ok_record(i: int = 0, **extra) -> dict:
    params = {"RegionId": "cn-hangzhou", "VpnGatewayId": f"vpn-gw{i % 3:04d}", "RouteDest": f"10.{i % 250}.0.0/24",
              "NextHop": "vco-abcd1234", "Weight": "100", "PublishVpc": "true", "ClientToken": f"tok-{i}"}
    fields = {"outcome": "ok", "http_status": 200, "request_id": f"RID-{i}", "attempts": 1, "latency_ms": 12.5,
              "endpoint": "vpc.cn-hangzhou.aliyuncs.com", "state": "published", "create_time": 1_700_000_000_000}
    return record_from_request("CreateVpnRouteEntry", params, **{**fields, **extra})


def error_record(code: str = "Throttling", gateway: str = "vpn-gw0000", **extra) -> dict:
    return {"operation": "CreateVpnRouteEntry", "region_id": "cn-hangzhou", "vpn_gateway_id": gateway,
            "outcome": "error", "error_code": code, "http_status": 400, "error_message": f"{code}: no", **extra}


# --- dtypes, order, empty -----------------------------------------------------------------


def test_columns_come_in_the_documented_order_with_explicit_dtypes():
    log = ResponseLog([ok_record(1), error_record()])
    frame = log.to_dataframe()
    assert tuple(frame.columns) == COLUMNS
    for column in COLUMNS:
        assert str(frame[column].dtype) == EXPECTED_DTYPES.get(column, "str"), column
    assert dict(frame.dtypes.astype(str)) == dict(DTYPES)
    assert frame.loc[0, "weight"] == 100 and frame.loc[0, "publish_vpc"] is np.True_
    assert pd.isna(frame.loc[1, "weight"]) and frame.loc[1, "http_status"] == 400


def test_an_empty_log_has_the_same_columns_and_dtypes():
    empty = ResponseLog().to_dataframe()
    full = ResponseLog([ok_record()]).to_dataframe()
    assert len(empty) == 0
    assert list(empty.columns) == list(COLUMNS)
    pd.testing.assert_series_equal(empty.dtypes, full.dtypes)
    for helper in ("errors", "summary", "by_code", "by_gateway"):
        assert len(getattr(ResponseLog(), helper)()) == 0


def test_each_call_builds_a_fresh_frame_that_does_not_write_back():
    log = ResponseLog([ok_record()])
    frame = log.to_dataframe()
    frame.loc[0, "route_dest"] = "changed"
    assert log.to_dataframe().loc[0, "route_dest"] == "10.0.0.0/24"
    log.append(ok_record(2))
    assert len(frame) == 1 and len(log.to_dataframe()) == 2


def test_timestamps_are_utc_whatever_form_they_arrive_in():
    plus8 = timezone(timedelta(hours=8))
    log = ResponseLog([
        {"timestamp": datetime(2024, 5, 1, 18, 0, tzinfo=plus8), "outcome": "ok"},
        {"timestamp": "2024-05-01T10:00:00Z", "outcome": "ok"},
        {"timestamp": "2024-05-01 10:00:00", "outcome": "ok"},  # no offset: taken as UTC
        {"timestamp": pd.Timestamp("2024-05-01T10:00:00", tz="UTC"), "outcome": "ok"},
        {"timestamp": np.datetime64("2024-05-01T10:00:00"), "outcome": "ok"},
    ])
    expected = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert [r["timestamp"] for r in log.records()] == [expected] * 5
    assert all(type(r["timestamp"]) is datetime for r in log.records())
    assert (log.to_dataframe()["timestamp"] == pd.Timestamp(expected)).all()


def test_a_record_without_timestamp_gets_now_in_utc():
    before = datetime.now(UTC)
    log = ResponseLog([{"outcome": "ok"}])
    assert before <= log.records()[0]["timestamp"] <= datetime.now(UTC)


# --- what append accepts and refuses --------------------------------------------------------


def test_values_are_coerced_loosely_to_the_column_type():
    log = ResponseLog([{"weight": " 100 ", "publish_vpc": "TRUE", "http_status": 400.0, "latency_ms": "3.25",
                        "row": np.int64(7), "attempts": pd.NA, "description": float("nan"), "batch_id": 42,
                        "state": ""}])
    record = log.records()[0]
    assert (record["weight"], record["publish_vpc"], record["http_status"]) == (100, True, 400)
    assert (record["latency_ms"], record["row"], record["batch_id"]) == (3.25, 7, "42")
    assert record["attempts"] is None and record["description"] is None and record["state"] is None
    assert type(record["row"]) is int


@pytest.mark.parametrize(("column", "value", "words"), [
    ("weight", "abc", "integer"),
    ("http_status", 2.5, "integer"),
    ("weight", True, "integer"),
    ("create_time", 2**70, "64-bit"),
    ("publish_vpc", "maybe", "true or false"),
    ("latency_ms", "fast", "number"),
    ("latency_ms", float("inf"), "finite"),
    ("timestamp", "yesterday", "ISO 8601"),
    ("timestamp", 1700000000, "datetime"),
    ("outcome", "done", "ok, error"),
    ("description", {"a": 1}, "text"),
    ("route_dest", b"10.0.0.0/24", "text"),
])
def test_a_mistyped_value_is_refused_naming_the_column(column, value, words):
    log = ResponseLog()
    with pytest.raises(RecordError, match=words) as caught:
        log.append({"outcome": "ok", column: value})
    assert caught.value.column == column and str(caught.value).startswith(f"{column}: ")
    assert isinstance(caught.value, vw.VpnRouteError) and isinstance(caught.value, ValueError)
    assert len(log) == 0 and log.version == 0


def test_unknown_keys_are_refused_with_the_list_of_columns():
    with pytest.raises(RecordError, match="is not a log column.*route_dest") as caught:
        ResponseLog().append({"outcome": "ok", "colour": "red"})
    assert caught.value.column == "colour"
    with pytest.raises(RecordError, match="Did you mean 'route_dest'"):
        ResponseLog().append({"RouteDest": "10.0.0.0/24"})
    with pytest.raises(RecordError):
        ResponseLog().append({3: "x"})
    with pytest.raises(TypeError, match="mapping"):
        ResponseLog().append(["ok"])


@pytest.mark.parametrize("key", ["AccessKeySecret", "access_key_secret", "password", "SecurityToken",
                                 "sts_token", "Signature", "Authorization", "credentials"])
def test_a_record_with_a_secret_looking_key_is_refused(key):
    log = ResponseLog()
    with pytest.raises(RecordError, match="credential") as caught:
        log.append({"outcome": "ok", key: "SENTINEL-SECRET"})
    assert "SENTINEL-SECRET" not in str(caught.value)
    assert len(log) == 0


def test_extend_is_all_or_nothing():
    log = ResponseLog([ok_record()])
    with pytest.raises(RecordError):
        log.extend([ok_record(1), {"weight": "abc"}])
    assert len(log) == 1


@pytest.mark.parametrize(("given", "kept"), [
    ("https://vpc.cn-hangzhou.aliyuncs.com", "vpc.cn-hangzhou.aliyuncs.com"),
    ("https://user:pw@vpc.example.com:8443/path?AccessKeyId=x#f", "vpc.example.com:8443"),
    ("http://127.0.0.1:54321/", "127.0.0.1:54321"),
    ("127.0.0.1:54321", "127.0.0.1:54321"),
    ("vpc.cn-hangzhou.aliyuncs.com", "vpc.cn-hangzhou.aliyuncs.com"),
    ("http://[::1]:8080/x", "[::1]:8080"),
])
def test_endpoint_is_reduced_to_host_and_port(given, kept):
    assert ResponseLog([{"endpoint": given}]).records()[0]["endpoint"] == kept


def test_error_records_get_the_catalogue_remedy_unless_given():
    log = ResponseLog([error_record("Resource.QuotaFull"), error_record("Throttling", remedy="wait a bit")])
    first, second = log.records()
    assert first["remedy"] == vw.error_info("Resource.QuotaFull").remedy
    assert second["remedy"] == "wait a bit"


# --- validation errors from forms and batches ---------------------------------------------


def test_a_validation_error_becomes_one_error_record_naming_the_field():
    typed = {"RegionId": "cn-hangzhou", "VpnGatewayId": "vpn-bp1a3kqjiiq9legfx0000", "RouteDest": "10.0.0.1/24",
             "NextHop": "vco-bp15oes1py4i66rmd0000", "Weight": "100", "PublishVpc": "true"}
    with pytest.raises(vw.ValidationError) as caught:
        vw.RouteEntryRequest.from_params(typed)
    log = ResponseLog()
    record = log.append_validation_error(caught.value, typed, batch_id="b-1", row=3, endpoint="https://h:1/")
    assert log.records() == [record]
    assert record["outcome"] == "error" and record["error_code"] == "ValidationError"
    assert record["error_message"].startswith("RouteDest:") and "10.0.0.1/24" in record["error_message"]
    assert record["remedy"] == vw.error_info("ValidationError").remedy
    assert record["route_dest"] == "10.0.0.1/24" and record["weight"] == 100 and record["publish_vpc"] is True
    assert (record["attempts"], record["http_status"], record["request_id"]) == (0, None, None)
    assert (record["batch_id"], record["row"], record["endpoint"]) == ("b-1", 3, "h:1")
    assert record["operation"] == "CreateVpnRouteEntry"


def test_validation_error_keeps_what_fits_and_drops_what_is_not_a_request_column():
    typed = {"route_dest": "10.0.0.0/24", "weight": "abc", "publish_vpc": "maybe",
             "AccessKeySecret": "SENTINEL-SECRET", "colour": "red"}
    error = vw.ValidationError("Weight", "must be 0 or 100, got 'abc'.", value="abc")
    log = ResponseLog()
    record = log.append_validation_error(error, typed, operation="DeleteVpnRouteEntry")
    assert record["route_dest"] == "10.0.0.0/24"
    assert record["weight"] is None and record["publish_vpc"] is None  # the message names the raw value
    assert "'abc'" in record["error_message"] and record["operation"] == "DeleteVpnRouteEntry"
    assert "SENTINEL-SECRET" not in repr(log.records()) + log.to_csv()


def test_validation_error_without_values_takes_the_rejected_value_from_the_error():
    error = vw.ValidationError("NextHop", "'VCO-1' is not a connection id.", value="VCO-1")
    record = ResponseLog().append_validation_error(error)
    assert record["next_hop"] == "VCO-1" and record["error_message"].startswith("NextHop:")


def test_append_validation_error_takes_only_validation_errors():
    with pytest.raises(TypeError, match="ValidationError"):
        ResponseLog().append_validation_error(ValueError("x"), {})


# --- helpers for the common questions ------------------------------------------------------


def sample_log() -> ResponseLog:
    return ResponseLog([ok_record(0), error_record("Throttling"), ok_record(1), error_record("Throttling"),
                        error_record("Resource.QuotaFull", gateway="vpn-other0001"), {"outcome": "skipped"}])


def test_summary_counts_by_outcome_and_error_code():
    table = sample_log().summary()
    assert list(table.columns) == ["outcome", "error_code", "count"]
    rows = [(o, None if pd.isna(c) else c, n) for o, c, n in table.itertuples(index=False)]
    assert rows == [("ok", None, 2), ("error", "Throttling", 2), ("error", "Resource.QuotaFull", 1),
                    ("skipped", None, 1)]
    assert sample_log().counts() == {"ok": 2, "error": 3, "skipped": 1}


def test_errors_by_code_and_by_gateway():
    log = sample_log()
    errors = log.errors()
    assert list(errors.index) == [1, 3, 4] and set(errors["outcome"]) == {"error"}
    assert dict(errors.dtypes.astype(str)) == dict(DTYPES)
    by_code = log.by_code()
    assert list(by_code["error_code"]) == ["Throttling", "Resource.QuotaFull"]
    assert list(by_code["count"]) == [2, 1]
    assert by_code.loc[1, "remedy"] == vw.error_info("Resource.QuotaFull").remedy
    by_gateway = log.by_gateway().set_index("vpn_gateway_id")
    assert by_gateway.loc["vpn-gw0000", ["ok", "error", "total"]].tolist() == [1, 2, 3]
    assert by_gateway.loc["vpn-other0001", "error"] == 1


def test_tail_returns_the_last_records_cheaply():
    log = ResponseLog([ok_record(i) for i in range(10)])
    assert [r["client_token"] for r in log.tail(3)] == ["tok-7", "tok-8", "tok-9"]
    assert len(log.tail(100)) == 10 and log.tail(0) == []
    small = log.tail_frame(2)
    assert list(small.index) == [8, 9] and list(small.columns) == list(COLUMNS)
    assert dict(small.dtypes.astype(str)) == dict(DTYPES)
    assert len(ResponseLog().tail_frame(5)) == 0


def test_records_are_plain_copies():
    log = ResponseLog([ok_record()])
    log.records()[0]["route_dest"] = "changed"
    log.tail(1)[0]["route_dest"] = "changed"
    assert log.records()[0]["route_dest"] == "10.0.0.0/24"


def test_len_clear_version_and_repr():
    log = sample_log()
    assert len(log) == 6 and "6 records" in repr(log) and "error 3" in repr(log)
    version = log.version
    log.clear()
    assert len(log) == 0 and log.version == version + 1 and log.counts() == {}
    assert len(log.to_dataframe()) == 0


def test_a_frame_can_be_turned_back_into_a_log():
    log = sample_log()
    assert ResponseLog.from_dataframe(log.to_dataframe()).records() == log.records()


# --- threads and subscribers ----------------------------------------------------------------


def test_several_threads_appending_lose_nothing():
    log, threads, per_thread = ResponseLog(), 8, 1500
    changes: list[LogChange] = []
    log.subscribe(changes.append)
    start = threading.Barrier(threads)

    def work(t: int) -> None:
        start.wait()
        for i in range(per_thread):
            log.append({"outcome": "ok", "batch_id": f"t{t}", "row": i})
            if i % 500 == 0:
                log.to_dataframe()  # readers while writers run

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    rows = {(r["batch_id"], r["row"]) for r in log.records()}
    assert len(log) == threads * per_thread == len(rows) == log.version == len(changes)
    assert sorted(c.version for c in changes) == list(range(1, threads * per_thread + 1))
    frame = log.to_dataframe()
    assert (frame.groupby("batch_id")["row"].max() == per_thread - 1).all()


def test_subscribers_are_called_outside_the_lock_with_the_new_records():
    log = ResponseLog()
    seen = []

    def view(change: LogChange) -> None:
        seen.append((change.kind, change.length, len(log), log.tail(1)))  # re-entering the log: no deadlock

    unsubscribe = log.subscribe(view)
    log.append(ok_record(1))
    log.extend([ok_record(2), ok_record(3)])
    log.clear()
    assert [(kind, length) for kind, length, _, _ in seen] == [("append", 1), ("append", 3), ("clear", 0)]
    assert seen[0][3][0]["client_token"] == "tok-1"
    unsubscribe()
    log.append(ok_record(4))
    assert len(seen) == 3


def test_a_failing_subscriber_does_not_break_append(caplog):
    log = ResponseLog()
    calls = []

    def broken(change):
        raise RuntimeError("view is gone")

    log.subscribe(broken)
    log.subscribe(calls.append)
    log.append(ok_record())
    assert len(log) == 1 and len(calls) == 1
    assert "view is gone" in caplog.text
