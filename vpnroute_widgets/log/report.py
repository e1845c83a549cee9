"""CSV reports of a ResponseLog: formula escaping, atomic writes, and reading a report back.

Escaping (OWASP CSV injection): in the exported copy only, a text cell that starts with one
of ``= + - @``, tab, CR or LF is prefixed with ``'`` so a spreadsheet shows it as text instead
of running it. A text cell that already starts with ``'`` is prefixed too, which makes the
scheme reversible: reading strips exactly one leading ``'`` from every text cell that has
one. Numeric, boolean and timestamp columns are never touched (``-5`` stays a number).

Line ends are CRLF (RFC 4180), so a cell holding a lone CR is quoted and reads back intact.

A report written to a path goes to a temporary file in the same directory first and then
replaces the target with ``os.replace``, so a failure never leaves half a report behind and
an older report at that path stays intact.
"""

from __future__ import annotations

import io
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import suppress
from os import PathLike
from typing import IO, Any

import numpy as np
import pandas as pd

from .schema import COLUMNS, TEXT_COLUMNS, TIME_COLUMNS, check_column_name, frame_from_rows

__all__ = ["ESCAPE", "FORMULA_TRIGGERS", "atomic_write", "escape_cells", "read_report", "unescape_cells",
           "write_report"]

#: First characters that make a spreadsheet treat a cell as a formula (or mangle it).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
#: The prefix that neutralises a triggering cell (and marks an escaped one).
ESCAPE = "'"
_NEEDS_PREFIX = (*FORMULA_TRIGGERS, ESCAPE)
_PREFIXED = frozenset(_NEEDS_PREFIX)


def _rewrite_text_cells(frame: pd.DataFrame, starts: tuple[str, ...] | str,
                        rewrite: Callable[[pd.Series], pd.Series]) -> pd.DataFrame:
    """A shallow copy of ``frame`` whose text cells starting with ``starts`` are replaced by ``rewrite``."""
    copy = frame.copy(deep=False)
    for column in TEXT_COLUMNS:
        if column not in copy.columns:
            continue
        cells = copy[column]
        hit = cells.str.startswith(starts).fillna(False).astype(bool)
        if hit.any():
            copy[column] = cells.mask(hit, rewrite(cells))
    return copy


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
        write(path_or_buffer)
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
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return 0o644


def read_report(path_or_buffer: str | PathLike | IO[str], *, unescape: bool = True) -> Iterator[dict[str, Any]]:
    """The records of a CSV report, as dicts of text (the log types and checks them on append).

    Every cell is read as text (so nothing is guessed: ``NA`` stays ``NA``); an empty cell
    is a missing value. A header naming an unknown or secret-looking column is refused.
    """
    frame = pd.read_csv(path_or_buffer, dtype=str, keep_default_na=False, na_values=[""],
                        encoding="utf-8-sig")
    names = [str(name) for name in frame.columns]
    for name in names:
        if name not in COLUMNS:
            check_column_name(name)  # raises RecordError naming the column
    if unescape:
        frame = unescape_cells(frame)
    columns = [frame[name].tolist() for name in names]
    return (dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True))
