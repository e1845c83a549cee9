"""Reading a batch: a DataFrame, a CSV path, CSV bytes or a text stream, into raw rows.

Only the source as a whole is checked here (readable, not empty, the required columns present,
the defaults valid); values are checked row by row by the planner, so one bad cell never
stops a batch. Column names may be the API's (``RouteDest``), snake_case (``route_dest``) or
any case and spacing (``ROUTE DEST``).

``row`` is where a route came from: the line of a CSV file (the header is line 1) or the index
label of a DataFrame (its position when the index is not integers).
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..errors import ValidationError
from ..model import CHECKERS, is_blank
from ..reference import REQUEST_FIELDS

__all__ = ["FIELDS", "REQUIRED", "BatchInputError", "RawRoutes", "is_blank", "read_routes"]

FIELDS = tuple(doc.name for doc in REQUEST_FIELDS)  # API names, in reference order
REQUIRED = tuple(doc.name for doc in REQUEST_FIELDS if doc.required)
_KEY_OF = {re.sub(r"[^a-z0-9]", "", name.lower()): name for name in FIELDS}
_MAX_BYTES = 50 * 1024 * 1024


class BatchInputError(ValidationError):
    """The batch source as a whole cannot be used (``field`` names the column or "CSV")."""


def _key(name: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


# --- reading -------------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if not data.strip():
        raise BatchInputError("CSV", "the file is empty; it needs a header line (RouteDest,NextHop,...) and rows.")
    if data[:2] == b"PK" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise BatchInputError("CSV", "this is an Excel workbook, not CSV; save it as 'CSV UTF-8' and try again.")
    try:
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BatchInputError(
            "CSV", f"the file is not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8' and try again."
        ) from None


def _read_text(source: Any) -> str:
    if isinstance(source, bytes | bytearray | memoryview):
        return _decode(bytes(source))
    if hasattr(source, "read"):
        data = source.read()
        return data if isinstance(data, str) else _decode(data)
    path = os.fspath(source)
    try:
        if os.path.getsize(path) > _MAX_BYTES:
            raise BatchInputError("CSV", f"{path} is larger than 50 MB; split it into several batches.")
        with open(path, "rb") as handle:
            return _decode(handle.read())
    except FileNotFoundError:
        raise BatchInputError("CSV", f"no such file: {path}; check the path.") from None
    except IsADirectoryError:
        raise BatchInputError("CSV", f"{path} is a directory; give the path of a CSV file.") from None
    except OSError as exc:
        raise BatchInputError("CSV", f"cannot read {path}: {exc.strerror or exc}.") from None


def _csv_records(text: str) -> tuple[list[str], list[tuple[Any, list[str]]], int]:
    """Header, [(line number, cells)] and the number of blank lines skipped."""
    first = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = ","
    if "," not in first:
        delimiter = ";" if ";" in first else "\t" if "\t" in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[tuple[Any, list[str]]] = []
    blank = 0
    start = 1
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                blank += header is not None
            elif header is None:
                header = cells
            else:
                rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise BatchInputError("CSV", f"line {reader.line_num} cannot be parsed ({exc}); check its quotes.") from None
    if header is None:
        raise BatchInputError("CSV", "the file has no header line; the first line must name the columns "
                                     "(RouteDest,NextHop,Weight,...).")
    return header, rows, blank


def _column_map(names: Iterable[Any]) -> tuple[dict[int, str], list[str]]:
    """Position -> API name for known columns, and the names of the columns that are ignored."""
    mapping: dict[int, str] = {}
    seen: dict[str, Any] = {}
    ignored = []
    for position, name in enumerate(names):
        api = _KEY_OF.get(_key(name))
        if api is None:
            if str(name).strip():
                ignored.append(str(name))
            continue
        if api in seen:
            raise BatchInputError(api, f"two columns, {seen[api]!r} and {name!r}, both mean {api}; keep one.")
        seen[api] = name
        mapping[position] = api
    return mapping, ignored


def _normalise_defaults(defaults: Mapping[str, Any] | None) -> dict[str, Any]:
    out = {}
    for name, value in (defaults or {}).items():
        api = _KEY_OF.get(_key(name))
        if api is None:
            raise BatchInputError(str(name), f"is not a route field; defaults take {', '.join(FIELDS)}.")
        if is_blank(value):
            continue
        try:
            out[api] = CHECKERS[api](value)
        except ValidationError as err:
            raise BatchInputError(api, f"the default {value!r} is not valid: {err.message}") from None
    return out


@dataclass
class RawRoutes:
    """Input rows as raw cells keyed by API name, with where each came from."""

    rows: list[tuple[Any, dict[str, Any], str | None]]  # (row, {API name: raw value}, row-level problem)
    columns: list[str]
    ignored_columns: list[str]
    blank_rows: int
    defaults: dict[str, Any]


def read_routes(source: Any, defaults: Mapping[str, Any] | None = None) -> RawRoutes:
    """Read a DataFrame, a CSV path, CSV bytes or a text stream; check the columns, not the values."""
    given = _normalise_defaults(defaults)
    if isinstance(source, pd.DataFrame):
        mapping, ignored = _column_map(source.columns)
        labels = [_row_label(label) for label in source.index]
        if not all(isinstance(label, int) for label in labels):
            labels = list(range(len(source)))  # the row is the position when the index is not integers
        records = list(zip(labels, map(list, source.itertuples(index=False, name=None)), strict=True))
        width, blank = len(source.columns), 0
        if not records:
            raise BatchInputError("DataFrame", "the DataFrame has no rows.")
    elif source is None or isinstance(source, int | float | bool):
        raise BatchInputError("source", "give a DataFrame, a CSV path or the bytes of a CSV file.")
    else:
        header, records, blank = _csv_records(_read_text(source))
        mapping, ignored = _column_map(header)
        width = len(header)
        if not records:
            raise BatchInputError("CSV", "the file has a header line but no routes under it.")
    missing = [name for name in REQUIRED if name not in mapping.values() and name not in given]
    if missing:
        raise BatchInputError(
            missing[0], f"required column(s) missing: {', '.join(missing)}. Add a column with that name "
            f"(or snake_case, any case), or give a default for every row (defaults={{...}}, or --region / "
            f"--gateway / --weight / --publish-vpc on the command line). Columns found: "
            f"{', '.join(map(str, ignored + list(mapping.values()))) or 'none'}.")
    rows = []
    for label, cells in records:
        values = {api: cells[pos] for pos, api in mapping.items() if pos < len(cells)}
        problem = None
        if len(cells) > width and any(str(c).strip() for c in cells[width:]):
            problem = f"has {len(cells)} cells but the header names {width} columns; check for a stray comma."
        rows.append((label, values, problem))
    return RawRoutes(rows, list(mapping.values()), ignored, blank, given)


def _row_label(label: Any) -> Any:
    if isinstance(label, bool):
        return label
    try:
        return int(label) if int(label) == label else label
    except (TypeError, ValueError, OverflowError):
        return label
