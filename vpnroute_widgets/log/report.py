"""CSV reports of a ResponseLog: formula escaping, atomic writes, and reading a report back.

Escaping (OWASP CSV injection): in the exported copy only, a text cell that starts with one
of ``= + - @``, tab, CR or LF is prefixed with ``'`` so a spreadsheet shows it as text instead
of running it. A text cell that already starts with ``'`` is prefixed too, which makes the
scheme reversible: reading strips exactly one leading ``'`` from every text cell that has
one. Numeric, boolean and timestamp columns are never touched (``-5`` stays a number).

Line ends are CRLF (RFC 4180), so a cell holding a lone CR is quoted and reads back intact.

A report written to a path goes to a temporary file in the same directory first and then
replaces the target with ``os.replace``, so a failure never leaves half a report behind and
an older report at that path stays intact. The copy gets only the read/write permission bits of
the file it replaces (never setuid, setgid or sticky, not even from a symlink's target).

Reading a report back (:func:`read_report`, :meth:`ResponseLog.from_csv`, ``resume``, ``rollback``)
trusts nothing in the file. It streams the file through the stdlib ``csv`` module (no pandas) and
refuses, with one :class:`ReportFileError` naming the file, the place and the fix:

* text that is not UTF-8, UTF-8 with a BOM, or UTF-16 with a BOM (UTF-32, UTF-16 without a BOM,
  legacy code pages and binary files are named as such);
* a file over :data:`MAX_REPORT_BYTES` (50 MiB; checked from its size before reading it), a line over
  :data:`MAX_LINE_CHARS` (4 MiB), a cell over :data:`MAX_CELL_CHARS` (64 KiB), a header over
  :data:`MAX_COLUMNS` (200) columns, a row with more cells than the header;
* repeated, unknown or secret-looking column names (all named in one message, at most a few shown).

Memory stays within a small multiple of the file's size: rows are read one at a time and only the
log's own records are kept.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import stat
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, suppress
from os import PathLike
from typing import IO, Any, cast

import numpy as np
import pandas as pd

from ..errors import VpnRouteError
from .records import SECRET_KEY_PATTERN
from .schema import COLUMNS, TEXT_COLUMNS, TIME_COLUMNS, RecordError, check_column_name, frame_from_rows

__all__ = ["ESCAPE", "FORMULA_TRIGGERS", "MAX_CELL_CHARS", "MAX_COLUMNS", "MAX_LINE_CHARS", "MAX_REPORT_BYTES",
           "ReportFileError", "atomic_write", "check_writable", "escape_cells", "frame_to_csv", "read_report",
           "unescape_cells", "write_report"]

#: The largest report read back, in bytes (checked from the file's size before reading it).
MAX_REPORT_BYTES = 50 * 2**20
#: The longest line of a report read back, in characters.
MAX_LINE_CHARS = 4 * 2**20
#: The longest cell of a report read back, in characters.
MAX_CELL_CHARS = 64 * 2**10
#: The most columns a report's header may name (several times the log's columns; more is not a report).
MAX_COLUMNS = 200
_SHOWN = 5  # names listed in one message about many columns

#: First characters that make a spreadsheet treat a cell as a formula (or mangle it).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
#: The prefix that neutralises a triggering cell (and marks an escaped one).
ESCAPE = "'"
_NEEDS_PREFIX = (*FORMULA_TRIGGERS, ESCAPE)
_PREFIXED = frozenset(_NEEDS_PREFIX)


def _rewrite_text_cells(frame: pd.DataFrame, starts: tuple[str, ...] | str,
                        rewrite: Callable[[pd.Series], pd.Series]) -> pd.DataFrame:
    """A shallow copy of ``frame`` whose text cells starting with ``starts`` are replaced by ``rewrite``.

    Text cells are those of the log's text columns, and of any other column holding text (a plan,
    an export or a frame of the user's own).
    """
    copy = frame.copy(deep=False)
    for column in copy.columns:
        if column not in TEXT_COLUMNS and not pd.api.types.is_string_dtype(copy[column]):
            continue
        cells = copy[column].astype("str") if copy[column].dtype == object else copy[column]
        hit = cells.str.startswith(starts).fillna(False).astype(bool)
        if hit.any():
            copy[column] = cells.mask(hit, rewrite(cells))
    return copy


def frame_to_csv(frame: pd.DataFrame, path: str | PathLike | None = None) -> str | None:
    """Any table (a plan, an export) as a report: text cells formula-escaped, CRLF lines (RFC 4180),
    a path written atomically; ``None`` returns the text."""
    out = escape_cells(frame)
    if path is None:
        return out.to_csv(index=False, lineterminator="\r\n")
    atomic_write(path, lambda handle: out.to_csv(handle, index=False, lineterminator="\r\n"))
    return None


def escape_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` (say ``log.errors()``) whose text cells cannot run as formulas.

    For exporting a frame of your own with ``.to_csv``; :meth:`ResponseLog.to_csv` does this itself.
    """
    return _rewrite_text_cells(frame, _NEEDS_PREFIX, lambda cells: ESCAPE + cells)


def unescape_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`escape_cells`: drop one leading ``'`` from every text cell that has one."""
    return _rewrite_text_cells(frame, ESCAPE, lambda cells: cells.str.slice(1))


def _escaped_text(values: tuple) -> np.ndarray:
    """One text column for export, formula cells prefixed (plain Python: cheaper than ``.str``)."""
    return np.array([ESCAPE + v if v and v[0] in _PREFIXED else v for v in values], dtype=object)


def _plain_text(values: tuple) -> np.ndarray:
    return np.array(values, dtype=object)


def _iso_times(values: tuple) -> np.ndarray:
    """``2024-05-01 10:00:00.123456+00:00``, pandas' own format, at a tenth of its cost."""
    return np.array([v.isoformat(" ", "microseconds") for v in values], dtype=object)


def _export_columns(escape: bool) -> dict:
    text = _escaped_text if escape else _plain_text
    return {**dict.fromkeys(TEXT_COLUMNS, text), **dict.fromkeys(TIME_COLUMNS, _iso_times)}


def write_report(rows: list[tuple], path_or_buffer: str | PathLike | IO[str] | None, *,
                 escape_formulas: bool = True, encoding: str = "utf-8") -> str | None:
    """Write stored log ``rows`` as CSV with a header: to a path (atomically), to an open text
    buffer, or, given ``None``, return the text."""
    out = frame_from_rows(rows, export=_export_columns(escape_formulas))

    def write(handle: IO[str]) -> None:
        out.to_csv(handle, index=False, lineterminator="\r\n")  # RFC 4180; a CR in a cell gets quoted

    if path_or_buffer is None:
        buffer = io.StringIO()
        write(buffer)
        return buffer.getvalue()
    if hasattr(path_or_buffer, "write"):
        write(cast(IO[str], path_or_buffer))
        return None
    atomic_write(path_or_buffer, write, encoding=encoding)
    return None


def atomic_write(path: str | PathLike, write: Callable[[IO[str]], None], *, encoding: str = "utf-8") -> None:
    """Run ``write(handle)`` on a temporary file beside ``path``, then move it over ``path``.

    On any failure the temporary file is removed and ``path`` is left as it was. A report
    that replaces an older one keeps the older one's permissions; a new one is 0644.
    """
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(target)}.", suffix=".tmp")
    try:
        with open(fd, "w", encoding=encoding, newline="") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, _mode_for(target))
        os.replace(temporary, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _mode_for(target: str) -> int:
    """The old file's read/write bits only: setuid, setgid, sticky and execute bits are never copied."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode) & 0o666
    except FileNotFoundError:
        return 0o644


def check_writable(path: str | PathLike) -> None:
    """Raise :class:`ReportFileError` unless a report can be written at ``path`` (call before sending).

    The directory must exist and take a new file (one is created and removed, the way
    :func:`atomic_write` will), and ``path`` must not be a directory.
    """
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    if os.path.isdir(target):
        raise ReportFileError(target, "is a directory. Fix: give a file name, e.g. report.csv.")
    if not os.path.isdir(directory):
        problem = "is not a directory" if os.path.exists(directory) else "does not exist"
        raise ReportFileError(target, f"cannot be written: {directory} {problem}. "
                                      "Fix: create the directory, or give a report path in an existing one.")
    try:
        fd, probe = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(target)}.", suffix=".probe")
    except OSError as exc:
        raise ReportFileError(target, f"cannot be written ({exc.strerror or exc}). Fix: choose a directory "
                                      "you may write to.") from None
    os.close(fd)
    os.unlink(probe)


class ReportFileError(RecordError):
    """A report file that cannot be read back: not text, too big, or not a report's shape.

    ``source`` names the file (or ``<buffer>``); ``column`` the offending column, when there is one.
    It is a :class:`~vpnroute_widgets.log.RecordError` (and so a ``VpnRouteError``).
    """

    def __init__(self, source: str, message: str, *, column: str | None = None):
        VpnRouteError.__init__(self, f"{source}: {message}")
        self.source = source
        self.column = column  # type: ignore[assignment]
        self.message = message


_FIX_ENCODING = ("Fix: save the report as UTF-8 (a spreadsheet's 'CSV UTF-8'), or convert it, e.g. "
                 "iconv -f WINDOWS-1252 -t UTF-8 old.csv > new.csv.")


def _encoding_of(head: bytes, source: str) -> str:
    """UTF-8 (BOM or not) or UTF-16 with a BOM; anything else is refused by name."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise ReportFileError(source, f"is UTF-32 text; reports are read as UTF-8 or UTF-16. {_FIX_ENCODING}")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.count(0) * 4 > len(head):  # a cell may hold a NUL; a quarter of all bytes is another encoding
        raise ReportFileError(source, "is mostly NUL bytes: UTF-16 or UTF-32 without a byte-order mark, or "
                                      f"binary; reports are read as UTF-8 (or UTF-16 with a BOM). {_FIX_ENCODING}")
    return "utf-8"


def _open_text(path: str, stack: ExitStack) -> IO[str]:
    raw = stack.enter_context(open(path, "rb"))  # noqa: SIM115 - closed by the stack
    size = os.fstat(raw.fileno()).st_size
    if size > MAX_REPORT_BYTES:
        raise ReportFileError(path, f"is {size / 2**20:.1f} MiB; a report read back may be at most "
                                    f"{MAX_REPORT_BYTES // 2**20} MiB. Fix: split the batch, or filter the "
                                    "report to the rows you need.")
    encoding = _encoding_of(raw.read(4096), path)
    raw.seek(0)
    return stack.enter_context(io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline=""))


def _where_undecodable(source: str, exc: UnicodeDecodeError) -> str:
    """"line N (byte B): byte(s) XX" for a UTF-8 file (decoded ahead in chunks, so found again line by line)."""
    bad = exc.object[exc.start:exc.end].hex(" ")
    if exc.encoding.replace("-", "").lower().startswith("utf8") and os.path.isfile(source):
        with open(source, "rb") as raw:
            offset = 0
            for number, line in enumerate(raw, 1):  # UTF-8 never holds a 0x0A inside a character
                try:
                    line.decode("utf-8-sig" if number == 1 else "utf-8")
                except UnicodeDecodeError as inner:
                    bad = line[inner.start:inner.end].hex(" ")
                    return f"line {number} (byte {offset + inner.start}): byte(s) {bad}"
                offset += len(line)
    return f"byte(s) {bad}"


def _lines(stream: IO[str], source: str) -> Iterator[str]:
    """The lines of ``stream``, each checked: decodable, within the line and file limits."""
    number = total = 0
    while True:
        try:
            line = stream.readline(MAX_LINE_CHARS + 1)
        except UnicodeDecodeError as exc:
            raise ReportFileError(source, f"{_where_undecodable(source, exc)} are not {exc.encoding} text; "
                                          f"reports are read as UTF-8 (or UTF-16 with a BOM). {_FIX_ENCODING}"
                                  ) from None
        if not line:
            return
        number += 1
        total += len(line)
        if len(line) > MAX_LINE_CHARS:
            raise ReportFileError(source, f"line {number} is longer than {MAX_LINE_CHARS // 2**20} MiB; "
                                          "this is not a report written by vpnroute_widgets.")
        if total > MAX_REPORT_BYTES:
            raise ReportFileError(source, f"holds more than {MAX_REPORT_BYTES // 2**20} MiB of text; "
                                          "Fix: split the batch, or filter the report to the rows you need.")
        yield line


def _named(names: Iterable[str]) -> str:
    names = list(names)
    shown = ", ".join(repr(name[:40]) for name in names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


def _check_header(names: list[str], source: str) -> None:
    """At most MAX_COLUMNS columns, each a log column, each once; one error names every problem."""
    if len(names) > MAX_COLUMNS:
        raise ReportFileError(source, f"the header has {len(names)} columns; a report has at most "
                                      f"{MAX_COLUMNS} (the log's columns are: {', '.join(COLUMNS)}). "
                                      "This is not a report written by vpnroute_widgets.")
    repeated = [name for name, count in Counter(names).items() if count > 1]
    if repeated:
        raise ReportFileError(source, f"column(s) {_named(repeated)} appear more than once in "
                                      "the header. Fix: keep one of each.", column=repeated[0])
    unknown = [name for name in names if name not in COLUMNS]
    if not unknown:
        return
    first = next((name for name in unknown if SECRET_KEY_PATTERN.search(name)), unknown[0])
    try:
        check_column_name(first)
    except RecordError as exc:
        more = f" Other unknown columns: {_named([n for n in unknown if n != first])}." if len(unknown) > 1 else ""
        raise ReportFileError(source, f"header: {exc}{more} Fix: remove the column(s); a report holds only "
                                      "the log's columns.", column=first) from None


def _source_name(path_or_buffer: Any) -> str:
    if hasattr(path_or_buffer, "read"):
        return str(getattr(path_or_buffer, "name", "<buffer>"))
    return os.fspath(path_or_buffer)


def read_report(path_or_buffer: str | PathLike | IO[str], *, unescape: bool = True) -> Iterator[dict[str, Any]]:
    """The records of a CSV report, as dicts of text (the log types and checks them on append).

    Every cell is read as text (so nothing is guessed: ``NA`` stays ``NA``); an empty cell is a
    missing value; a row shorter than the header is padded with missing values. Rows are read
    lazily, one at a time. Raises :class:`ReportFileError` (see the module docstring for the
    limits) for a file that is not a report.
    """
    source = _source_name(path_or_buffer)
    with ExitStack() as stack:
        if hasattr(path_or_buffer, "read"):
            stream = cast(IO[str], path_or_buffer)
        else:
            stream = _open_text(source, stack)
        yield from _read_rows(_lines(stream, source), source, unescape)


def _read_rows(lines: Iterator[str], source: str, unescape: bool) -> Iterator[dict[str, Any]]:
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return
        names = [name.removeprefix("\ufeff") if i == 0 else name for i, name in enumerate(header)]
        _check_header(names, source)
        unescaped = {i for i, name in enumerate(names) if unescape and name in TEXT_COLUMNS}
        width = len(names)
        for cells in reader:
            if not cells:
                continue  # a blank line
            _check_row(cells, width, names, reader.line_num, source)
            values: list[str | None] = [None] * width
            for i, cell in enumerate(cells):
                if cell:
                    values[i] = cell[1:] if i in unescaped and cell[0] == ESCAPE else cell
            yield dict(zip(names, values, strict=True))
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise ReportFileError(source, f"line {reader.line_num}: a cell is longer than {MAX_CELL_CHARS} "
                                          "characters; this is not a report written by vpnroute_widgets."
                                  ) from None
        raise ReportFileError(source, f"line {reader.line_num}: not valid CSV ({exc}). Fix: write the report "
                                      "with to_csv, or re-save it as CSV from a spreadsheet.") from None


def _check_row(cells: list[str], width: int, names: list[str], line: int, source: str) -> None:
    if len(cells) > width:
        raise ReportFileError(source, f"line {line} has {len(cells)} cells but the header names {width} "
                                      "columns. Fix: remove the extra cells (or quote cells holding commas).")
    for i, cell in enumerate(cells):
        if len(cell) > MAX_CELL_CHARS:
            raise ReportFileError(source, f"line {line}: the {names[i][:40]!r} cell is longer than "
                                          f"{MAX_CELL_CHARS} characters; this is not a report written by "
                                          "vpnroute_widgets.", column=names[i])
