"""Hostile report files are refused with one clear error (no pandas traceback); atomic writes drop
special permission bits; reading stays within a small multiple of the file's size."""

from __future__ import annotations

import io
import os
import stat
import traceback
import tracemalloc

import pytest

import vpnroute_widgets as vw
from vpnroute_widgets.log import ResponseLog
from vpnroute_widgets.log.report import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_LINE_CHARS,
    MAX_REPORT_BYTES,
    ReportFileError,
    atomic_write,
    check_writable,
)

GOOD = "outcome,route_dest,weight,error_message\r\nok,10.0.0.0/24,100,caf\u00e9 \u2713\r\n"


def refused(path_or_buffer, *words: str) -> ReportFileError:
    """Read ``path_or_buffer``; it must raise one ReportFileError, with ``words``, and no foreign frames."""
    with pytest.raises(ReportFileError) as caught:
        ResponseLog.from_csv(path_or_buffer)
    error = caught.value
    text = str(error)
    for word in words:
        assert word in text, (word, text)
    assert isinstance(error, vw.VpnRouteError)
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    assert not any("pandas" in frame.filename for frame in traceback.extract_tb(caught.tb))
    return error


def write(tmp_path, data: bytes, name: str = "report.csv") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


# --- encodings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le-bom", "utf-16-be-bom"])
def test_utf8_with_or_without_bom_and_utf16_with_bom_read_the_same(tmp_path, encoding):
    if encoding.endswith("-bom"):
        codec = encoding.removesuffix("-bom")
        data = "\ufeff".encode(codec) + GOOD.encode(codec)
    else:
        data = GOOD.encode(encoding)
    (record,) = ResponseLog.from_csv(write(tmp_path, data)).records()
    assert record["route_dest"] == "10.0.0.0/24" and record["weight"] == 100
    assert record["error_message"] == "caf\u00e9 \u2713"


def test_a_legacy_code_page_is_named_with_the_line_and_the_fix(tmp_path):
    path = write(tmp_path, GOOD.replace(" \u2713", "").encode("cp1252"))
    error = refused(path, path, "line 2 (byte 63)", "e9", "UTF-8", "iconv")
    assert error.source == path


@pytest.mark.parametrize("data, words", [
    ("\ufeff".encode("utf-32") + GOOD.encode("utf-32-le"), ("UTF-32",)),
    (GOOD.encode("utf-16-le"), ("NUL bytes", "byte-order mark")),           # UTF-16 without its BOM
    (bytes(range(256)) * 40, ("line 2 (byte 128): byte(s) 80", "not utf-8")),  # binary
])
def test_other_encodings_and_binary_files_say_which_encoding_is_needed(tmp_path, data, words):
    refused(write(tmp_path, data), *words, "UTF-8")


def test_a_nul_inside_a_cell_of_a_utf8_report_is_just_text(tmp_path):
    log = ResponseLog([{"outcome": "ok", "error_message": "a\x00b"}])
    log.to_csv(tmp_path / "r.csv")
    assert ResponseLog.from_csv(tmp_path / "r.csv").records()[0]["error_message"] == "a\x00b"


# --- sizes ---------------------------------------------------------------------------------------------


def test_a_file_over_the_limit_is_refused_from_its_size_before_reading(tmp_path):
    path = tmp_path / "huge.csv"
    with open(path, "wb") as handle:
        handle.write(b"outcome\r\nok\r\n")
        handle.truncate(MAX_REPORT_BYTES + 1)  # sparse: 50 MiB that cost nothing to make
    tracemalloc.start()
    try:
        refused(str(path), "MiB", "at most 50 MiB", "Fix")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20  # nothing of it was read


def test_a_text_buffer_over_the_limit_is_refused_while_reading():
    class Endless(io.TextIOBase):
        """A stream that never ends: each line is a valid row."""

        def __init__(self):
            self.header = True

        def readline(self, size=-1):
            if self.header:
                self.header = False
                return "outcome,error_message\r\n"
            return "ok," + "x" * 60_000 + "\r\n"

    refused(Endless(), "<buffer>", "more than 50 MiB")


def test_a_cell_over_the_limit_is_refused_naming_line_and_column(tmp_path):
    cell = "x" * (MAX_CELL_CHARS + 1)
    error = refused(write(tmp_path, f"outcome,error_message\r\nok,y\r\nok,{cell}\r\n".encode()),
                    "line 3", "'error_message' cell", str(MAX_CELL_CHARS))
    assert error.column == "error_message"
    big = "x" * (200 * 1024)  # past the csv module's own field limit too
    refused(io.StringIO(f'outcome,error_message\r\nok,"{big}"\r\n'), "line 2", "longer than")


def test_a_line_over_the_limit_is_refused(tmp_path):
    line = ",".join(["y" * 1000] * (MAX_LINE_CHARS // 1000 + 2))
    refused(write(tmp_path, b"outcome\r\n" + line.encode() + b"\r\n"), "line 2", "longer than 4 MiB")


# --- headers and shape --------------------------------------------------------------------------------


def test_thousands_of_columns_are_refused_in_one_message(tmp_path):
    header = ",".join(f"col{i}" for i in range(5000))
    error = refused(write(tmp_path, (header + "\r\n" + "," * 4999 + "\r\n").encode()),
                    "5000 columns", f"at most {MAX_COLUMNS}", "route_dest")
    assert str(error).count("\n") == 0 and len(str(error)) < 1000


def test_repeated_columns_are_refused_naming_them(tmp_path):
    header = "outcome,row," + ",".join(["route_dest"] * 150)
    error = refused(io.StringIO(header + "\r\n"), "'route_dest'", "more than once", "keep one")
    assert error.column == "route_dest"


def test_many_unknown_columns_are_named_a_few_at_a_time(tmp_path):
    header = "outcome," + ",".join(f"extra{i}" for i in range(150))
    error = refused(io.StringIO(header + "\r\nok" + "," * 150 + "\r\n"), "extra0: is not a log column", "'extra1'",
                    "and 144 more", "remove the column")
    assert len(str(error)) < 2000


def test_an_unknown_secret_looking_column_is_named_first():
    refused(io.StringIO("outcome,colour,AccessKeySecret\r\nok,red,x\r\n"), "AccessKeySecret", "credential",
            "'colour'")


@pytest.mark.parametrize("text, words", [
    ("outcome,row\r\nok,1,extra\r\n", ("line 2 has 3 cells", "header names 2")),
    ('outcome,error_message\r\nok,"unterminated\r\n', ("not valid CSV",)),
    ('outcome,error_message\r\nok,"a"b\r\n', ("line 2", "not valid CSV")),
])
def test_rows_that_do_not_fit_the_header_are_refused_with_the_line(text, words):
    refused(io.StringIO(text), *words)


def test_short_rows_blank_lines_and_a_header_only_file_read_as_before():
    log = ResponseLog.from_csv(io.StringIO("outcome,row,route_dest\r\nok,2\r\n\r\nerror,3,10.0.0.0/24\r\n"))
    assert [(r["outcome"], r["row"], r["route_dest"]) for r in log.records()] == [
        ("ok", 2, None), ("error", 3, "10.0.0.0/24")]
    assert len(ResponseLog.from_csv(io.StringIO("outcome,row\r\n"))) == 0
    assert len(ResponseLog.from_csv(io.StringIO(""))) == 0


def test_resume_and_rollback_refuse_a_hostile_report_before_sending(sb, tmp_path):
    client = vw.VpcClient(sb.credentials, endpoint=sb.endpoint)
    path = write(tmp_path, "outcome,row\r\nok,caf\u00e9\r\n".encode("cp1252"))
    for run in (vw.resume_batch, vw.rollback_batch):
        with pytest.raises(ReportFileError, match="not utf-8"):
            run(path, client)
    assert sb.requests == []


# --- memory -----------------------------------------------------------------------------------------


def test_reading_a_few_mb_report_stays_within_a_small_multiple_of_its_size(tmp_path):
    log = ResponseLog({"operation": "CreateVpnRouteEntry", "region_id": "cn-hangzhou",
                       "vpn_gateway_id": "vpn-bp1abcdefghijk", "route_dest": f"10.{i // 256}.{i % 256}.0/24",
                       "next_hop": "vco-bp1qd9afza5vpuemopj8", "weight": 0, "publish_vpc": True,
                       "outcome": "error" if i % 3 else "ok", "error_code": "VpnGateway.Configuring",
                       "error_message": "=1+" + "x" * 100, "attempts": 2, "latency_ms": 12.5, "batch_id": "b1",
                       "row": i} for i in range(8000))
    path = tmp_path / "big.csv"
    log.to_csv(path)
    size = os.path.getsize(path)
    assert size > 2 * 2**20
    tracemalloc.start()
    try:
        back = ResponseLog.from_csv(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert back.records() == log.records()
    assert peak < 6 * size, f"peak {peak / size:.1f} x the file's size"


# --- writing --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("via_symlink", [False, True])
def test_atomic_write_keeps_only_the_rw_bits_of_the_file_it_replaces(tmp_path, via_symlink):
    old = tmp_path / "old.csv"
    old.write_text("old")
    os.chmod(old, stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX | 0o775)
    target = old
    if via_symlink:
        target = tmp_path / "link.csv"
        target.symlink_to(old)
    atomic_write(target, lambda handle: handle.write("new"))
    mode = os.stat(target).st_mode
    assert stat.S_IMODE(mode) == 0o664  # rw of user, group and others kept; x, setuid, setgid, sticky not
    assert target.read_text() == "new"


def test_a_new_report_is_0644_and_a_failed_write_leaves_nothing(tmp_path):
    atomic_write(tmp_path / "new.csv", lambda handle: handle.write("x"))
    assert stat.S_IMODE(os.stat(tmp_path / "new.csv").st_mode) == 0o644

    def fail(handle):
        handle.write("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(tmp_path / "new.csv", fail)
    assert (tmp_path / "new.csv").read_text() == "x" and sorted(os.listdir(tmp_path)) == ["new.csv"]


@pytest.mark.parametrize("where, words", [("missing/report.csv", "does not exist"), (".", "is a directory"),
                                          ("file.txt/report.csv", "file.txt is not a directory")])
def test_check_writable_names_the_problem(tmp_path, where, words):
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ReportFileError, match=words):
        check_writable(tmp_path / where)
    check_writable(tmp_path / "fine.csv")
    assert not (tmp_path / "fine.csv").exists() and sorted(os.listdir(tmp_path)) == ["file.txt"]
