"""ResponseLog: one plain record per logical call, a typed DataFrame view, and CSV reports.

Records are the dicts of :mod:`vpnroute_widgets.records` (columns :data:`COLUMNS`). Appending
checks and normalises a record (unknown or secret-looking keys are refused, values are coerced
loosely but clearly to the column's type) and stores it as one tuple: O(1), under a lock, so
several threads may append at once. The DataFrame is built on request, once per call, with
explicit dtypes (:data:`DTYPES`); growing a frame row by row would be quadratic.

Common questions, as helpers or plain pandas on ``df = log.to_dataframe()``::

    log.errors()                      # df[df["outcome"] == "error"]
    log.by_code()                     # df[df.outcome == "error"].groupby("error_code").size()
    log.by_gateway()                  # pd.crosstab([df.region_id, df.vpn_gateway_id], df.outcome)
    log.summary()                     # df.groupby(["outcome", "error_code"], dropna=False).size()
    log.to_csv("changes.csv")         # formula cells escaped, written atomically
    ResponseLog.from_csv("changes.csv")   # the exact records back
"""

from __future__ import annotations

import logging
import math
import numbers
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from os import PathLike
from types import MappingProxyType
from typing import IO, Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from .errors import ValidationError, VpnRouteError, error_info
from .records import COLUMNS, OUTCOMES, PARAM_COLUMNS, SECRET_KEY_PATTERN, now_utc

__all__ = ["COLUMNS", "DTYPES", "TEXT_COLUMNS", "LogChange", "RecordError", "ResponseLog"]

_log = logging.getLogger(__name__)

INT_COLUMNS = ("weight", "http_status", "create_time", "attempts", "row")
FLOAT_COLUMNS = ("latency_ms",)
BOOL_COLUMNS = ("publish_vpc",)
TIME_COLUMNS = ("timestamp",)
TEXT_COLUMNS = tuple(c for c in COLUMNS if c not in INT_COLUMNS + FLOAT_COLUMNS + BOOL_COLUMNS + TIME_COLUMNS)

#: The dtype of every column of :meth:`ResponseLog.to_dataframe` (read-only).
DTYPES: Mapping[str, str] = MappingProxyType(
    {c: "datetime64[us, UTC]" if c in TIME_COLUMNS else "Int64" if c in INT_COLUMNS
     else "Float64" if c in FLOAT_COLUMNS else "boolean" if c in BOOL_COLUMNS else "str"
     for c in COLUMNS}
)

_POSITION = MappingProxyType({c: i for i, c in enumerate(COLUMNS)})
_OUTCOME, _CODE = _POSITION["outcome"], _POSITION["error_code"]
_REGION, _GATEWAY = _POSITION["region_id"], _POSITION["vpn_gateway_id"]
_COLUMN_OF_PARAM = MappingProxyType(dict(PARAM_COLUMNS))
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_TRUE_WORDS = frozenset({"true", "1", "yes"})
_FALSE_WORDS = frozenset({"false", "0", "no"})


class RecordError(VpnRouteError, ValueError):
    """A record the log refuses: an unknown or secret-looking key, or a value of the wrong type.

    ``column`` names the offending key, so the caller can point at the right field.
    """

    def __init__(self, column: str, message: str):
        super().__init__(f"{column}: {message}")
        self.column = column
        self.message = message


@dataclass(frozen=True)
class LogChange:
    """What a subscriber is told: ``kind`` is "append" or "clear"; ``records`` are the added ones."""

    kind: str
    version: int
    length: int
    records: tuple[dict[str, Any], ...] = ()


# --- normalising one value ---------------------------------------------------------------


def _missing(value: Any) -> bool:
    """None, NaN, pd.NA and NaT all mean "no value" (so rows of a DataFrame can be appended)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and value != value


def _refuse(column: str, kind: str, value: Any) -> RecordError:
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    return RecordError(column, f"takes {kind}; got {type(value).__name__} {shown}.")


def _to_text(column: str, value: Any) -> str | None:
    if type(value) is str:
        return value or None
    if _missing(value):
        return None
    if isinstance(value, str):
        return str(value) or None
    if isinstance(value, numbers.Number) and not isinstance(value, bool | np.bool_):
        return str(value)
    raise _refuse(column, "text", value)


def _to_int(column: str, value: Any) -> int | None:
    if type(value) is not int:
        if _missing(value):
            return None
        if isinstance(value, bool | np.bool_):
            raise _refuse(column, "an integer", value)
        if isinstance(value, str):
            value = _parse_number(column, value, "an integer")
            if value is None:
                return None
        if isinstance(value, numbers.Integral):
            value = int(value)
        elif isinstance(value, numbers.Real) and float(value).is_integer():
            value = int(value)
        else:
            raise _refuse(column, "an integer", value)
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise RecordError(column, f"{value} does not fit a 64-bit integer.")
    return value


def _parse_number(column: str, text: str, kind: str) -> int | float | None:
    stripped = text.strip()
    if not stripped:
        return None
    try:
        return int(stripped)
    except ValueError:
        pass
    try:
        return float(stripped)
    except ValueError:
        raise _refuse(column, kind, text) from None


def _to_float(column: str, value: Any) -> float | None:
    if _missing(value):
        return None
    if isinstance(value, bool | np.bool_):
        raise _refuse(column, "a number", value)
    if isinstance(value, str):
        value = _parse_number(column, value, "a number")
        if value is None or value != value:
            return None
    if not isinstance(value, numbers.Real):
        raise _refuse(column, "a number", value)
    value = float(value)
    if not math.isfinite(value):
        raise RecordError(column, f"must be a finite number; got {value}.")
    return value


def _to_bool(column: str, value: Any) -> bool | None:
    if value is True or value is False:
        return value
    if _missing(value):
        return None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if not word:
            return None
        if word in _TRUE_WORDS or word in _FALSE_WORDS:
            return word in _TRUE_WORDS
    raise _refuse(column, "true or false", value)


def _to_timestamp(column: str, value: Any) -> datetime:
    """A datetime in UTC. Naive values and ISO strings without an offset are taken as UTC."""
    if _missing(value):
        return now_utc()
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise _refuse(column, "a datetime or an ISO 8601 string", value) from None
    elif isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime(warn=False)
    if not isinstance(value, datetime):
        raise _refuse(column, "a datetime or an ISO 8601 string", value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def _to_outcome(column: str, value: Any) -> str | None:
    text = _to_text(column, value)
    if text is not None and text not in OUTCOMES:
        raise RecordError(column, f"{text!r} is not one of {', '.join(OUTCOMES)}.")
    return text


def host_only(value: str) -> str | None:
    """``https://user:pw@vpc.example.com:8443/x?y`` -> ``vpc.example.com:8443`` (no path, no user info)."""
    text = value.strip()
    if not text:
        return None
    netloc = urlsplit(text if "//" in text else "//" + text).netloc
    return netloc.rpartition("@")[2] or None


def _to_endpoint(column: str, value: Any) -> str | None:
    text = _to_text(column, value)
    return None if text is None else host_only(text)


def _converter(column: str) -> Callable[[str, Any], Any]:
    if column in TIME_COLUMNS:
        return _to_timestamp
    if column in INT_COLUMNS:
        return _to_int
    if column in FLOAT_COLUMNS:
        return _to_float
    if column in BOOL_COLUMNS:
        return _to_bool
    return {"outcome": _to_outcome, "endpoint": _to_endpoint}.get(column, _to_text)


_CONVERTERS = MappingProxyType({c: _converter(c) for c in COLUMNS})


def check_column_name(key: Any) -> None:
    """Raise RecordError for a key that is not a column, saying so loudly when it looks like a credential."""
    if isinstance(key, str) and key in _POSITION:
        return
    if not isinstance(key, str):
        raise RecordError(repr(key), "record keys must be column names (text).")
    if SECRET_KEY_PATTERN.search(key):
        raise RecordError(key, "looks like a credential; the log never stores secrets, so the record is refused.")
    hint = f" Did you mean {_COLUMN_OF_PARAM[key]!r}?" if key in _COLUMN_OF_PARAM else ""
    raise RecordError(key, f"is not a log column.{hint} Columns: {', '.join(COLUMNS)}.")


def normalise_record(record: Mapping[str, Any]) -> tuple:
    """The stored form of ``record``: a tuple in :data:`COLUMNS` order, each value checked and typed.

    Missing columns are None, except ``timestamp`` (now, UTC). An error record without a
    ``remedy`` gets the catalogue's remedy for its ``error_code``.
    """
    if not isinstance(record, Mapping):
        raise TypeError(f"a log record is a mapping of column names to values, not {type(record).__name__}.")
    row: list[Any] = [None] * len(COLUMNS)
    for key, value in record.items():
        position = _POSITION.get(key)
        if position is None:
            check_column_name(key)
        row[position] = _CONVERTERS[key](key, value)
    if row[0] is None:
        row[0] = now_utc()
    code, remedy = row[_CODE], _POSITION["remedy"]
    if code is not None and row[remedy] is None:
        row[remedy] = error_info(code, row[_POSITION["http_status"]]).remedy
    return tuple(row)


# --- building frames ------------------------------------------------------------------------


def _time_array(values: tuple) -> pd.api.extensions.ExtensionArray:
    return pd.DatetimeIndex(pd.to_datetime(list(values), utc=True)).as_unit("us").array


def _typed_array(column: str, values: tuple):
    if column in TIME_COLUMNS:
        return _time_array(values)
    return pd.array(values, dtype=DTYPES[column])


def frame_from_rows(rows: list[tuple], index: Iterable[int] | None = None, *,
                    export: Mapping[str, Callable[[tuple], Any]] | None = None) -> pd.DataFrame:
    """A DataFrame with :data:`COLUMNS` in order and :data:`DTYPES`, also when ``rows`` is empty.

    ``export`` maps a column to a function building that column instead (the CSV export uses it
    to escape formula cells and pre-format timestamps; that copy is never shown as the log).
    """
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(COLUMNS)
    export = export or {}
    data = {name: export[name](values) if name in export else _typed_array(name, values)
            for name, values in zip(COLUMNS, columns, strict=True)}
    frame = pd.DataFrame(data, columns=list(COLUMNS))
    if index is not None:
        frame.index = pd.Index(list(index), dtype="int64")
    return frame


def _as_dict(row: tuple) -> dict[str, Any]:
    return dict(zip(COLUMNS, row, strict=True))


# --- the log ------------------------------------------------------------------------------


class ResponseLog:
    """Every call's outcome as one plain record; cheap to append, typed on the way out.

    ``append(record)`` takes a mapping of column names (the client's hook and users' own rows
    use the same path). Subscribers (``subscribe(callback)``) hear of each change after the
    lock is released, in the appending thread; an exception in a callback is logged, never
    raised into ``append``.
    """

    def __init__(self, records: Iterable[Mapping[str, Any]] = ()):
        self._lock = threading.Lock()
        self._rows: list[tuple] = []
        self._counts: Counter = Counter()
        self._version = 0
        self._subscribers: tuple[Callable[[LogChange], None], ...] = ()
        if records:
            self.extend(records)

    # --- writing ---

    def append(self, record: Mapping[str, Any]) -> None:
        """Check ``record`` (refusing unknown or secret-looking keys and mistyped values) and add it."""
        self._add((normalise_record(record),))

    def extend(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Add many records: all are checked first, so a bad one leaves the log unchanged."""
        self._add([normalise_record(record) for record in records])

    def _add(self, rows: list[tuple] | tuple[tuple, ...]) -> None:
        """Store checked rows under the lock, then tell subscribers outside it."""
        if not rows:
            return
        with self._lock:
            self._rows.extend(rows)
            self._counts.update((row[_OUTCOME], row[_CODE]) for row in rows)
            self._version += 1
            version, length = self._version, len(self._rows)
        if self._subscribers:
            self._notify(LogChange("append", version, length, tuple(_as_dict(row) for row in rows)))

    def append_validation_error(self, error: ValidationError, values: Mapping[str, Any] | None = None, *,
                                operation: str = "CreateVpnRouteEntry", **context: Any) -> dict[str, Any]:
        """Record input refused before any I/O (a form or batch row) as an error record; return it.

        ``values`` are the raw values the user typed, keyed by API names (``RouteDest``) or
        column names (``route_dest``); only request columns are kept (anything else, such as a
        pasted key, is dropped), and a value that does not fit its column's type is left empty
        (the message names it). ``context`` adds columns such as ``batch_id``, ``row``, ``endpoint``.
        """
        if not isinstance(error, ValidationError):
            raise TypeError(f"append_validation_error takes a vw.ValidationError, not {type(error).__name__}.")
        record: dict[str, Any] = {"operation": operation}
        raw = dict(values or {})
        field_column = _COLUMN_OF_PARAM.get(error.field)
        if field_column and error.value is not None and error.field not in raw and field_column not in raw:
            raw[field_column] = error.value
        for key, value in raw.items():
            column = _COLUMN_OF_PARAM.get(key, key if key in _COLUMN_OF_PARAM.values() else None)
            if column is not None:
                record[column] = _lenient(column, value)
        record.update(outcome="error", error_code=ValidationError.code, error_message=str(error),
                      remedy=error_info(ValidationError.code).remedy, attempts=0)
        record.update(context)
        row = normalise_record(record)
        self._add((row,))
        return _as_dict(row)

    def clear(self) -> None:
        """Forget every record (subscribers get a "clear" change)."""
        with self._lock:
            self._rows = []
            self._counts = Counter()
            self._version += 1
            version = self._version
        if self._subscribers:
            self._notify(LogChange("clear", version, 0))

    # --- change notification ---

    @property
    def version(self) -> int:
        """Grows by one at every append, extend or clear: a view can compare it to refresh lazily."""
        return self._version

    def subscribe(self, callback: Callable[[LogChange], None]) -> Callable[[], None]:
        """Call ``callback(change)`` after every change; returns a function that unsubscribes."""
        with self._lock:
            self._subscribers = (*self._subscribers, callback)

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers = tuple(cb for cb in self._subscribers if cb is not callback)

        return unsubscribe

    def _notify(self, change: LogChange) -> None:
        for callback in self._subscribers:
            try:
                callback(change)
            except Exception:  # a broken view must not lose a record or break the caller
                _log.exception("ResponseLog subscriber %r failed", callback)

    # --- reading ---

    def __len__(self) -> int:
        return len(self._rows)

    def __repr__(self) -> str:
        counts = self.counts()
        detail = ", ".join(f"{outcome} {n}" for outcome, n in counts.items())
        return f"<ResponseLog: {len(self)} records{': ' + detail if detail else ''}>"

    def _snapshot(self) -> list[tuple]:
        with self._lock:
            return list(self._rows)

    def records(self) -> list[dict[str, Any]]:
        """Every record as a plain dict (a copy), oldest first."""
        return [_as_dict(row) for row in self._snapshot()]

    def tail(self, n: int = 50) -> list[dict[str, Any]]:
        """The last ``n`` records as plain dicts, in O(n)."""
        if n <= 0:
            return []
        with self._lock:
            rows = self._rows[-n:]
        return [_as_dict(row) for row in rows]

    def tail_frame(self, n: int = 50) -> pd.DataFrame:
        """The last ``n`` records as a small typed DataFrame, indexed by their position in the log."""
        with self._lock:
            start = max(len(self._rows) - max(n, 0), 0)
            rows = self._rows[start:]
        return frame_from_rows(rows, index=range(start, start + len(rows)))

    def to_dataframe(self) -> pd.DataFrame:
        """Every record as a DataFrame with :data:`DTYPES`, built now (each call builds a new one)."""
        return frame_from_rows(self._snapshot())

    def counts(self) -> dict[str, int]:
        """Records per outcome, in :data:`OUTCOMES` order, in O(number of distinct codes)."""
        with self._lock:
            pairs = list(self._counts.items())
        per_outcome: Counter = Counter()
        for (outcome, _code), n in pairs:
            per_outcome[outcome] += n
        order = [o for o in OUTCOMES if per_outcome[o]] + [o for o in per_outcome if o not in OUTCOMES]
        return {outcome: per_outcome[outcome] for outcome in order}

    def summary(self) -> pd.DataFrame:
        """Counts by outcome and error code: columns ``outcome``, ``error_code``, ``count``."""
        with self._lock:
            pairs = list(self._counts.items())
        rank = {o: i for i, o in enumerate(OUTCOMES)}
        pairs.sort(key=lambda item: (rank.get(item[0][0], len(rank)), -item[1], item[0][1] or ""))
        return pd.DataFrame({
            "outcome": pd.array([o for (o, _), _n in pairs], dtype="str"),
            "error_code": pd.array([c for (_, c), _n in pairs], dtype="str"),
            "count": pd.array([n for _, n in pairs], dtype="Int64"),
        })

    def errors(self) -> pd.DataFrame:
        """Only the error records (typed like :meth:`to_dataframe`), indexed by position in the log."""
        rows = self._snapshot()
        picked = [i for i, row in enumerate(rows) if row[_OUTCOME] == "error"]
        return frame_from_rows([rows[i] for i in picked], index=picked)

    def by_code(self) -> pd.DataFrame:
        """Error records per ``error_code``: ``count``, ``first_seen``, ``last_seen``, ``remedy``; most first."""
        errors = self.errors()
        grouped = errors.groupby("error_code", dropna=False, sort=False)
        table = grouped.agg(count=("outcome", "size"), first_seen=("timestamp", "min"),
                            last_seen=("timestamp", "max"), remedy=("remedy", "first"))
        table["count"] = table["count"].astype("Int64")
        return table.sort_values("count", ascending=False, kind="stable").reset_index()

    def by_gateway(self) -> pd.DataFrame:
        """Records per (``region_id``, ``vpn_gateway_id``): one count column per outcome, and ``total``."""
        counts: Counter = Counter()
        for row in self._snapshot():
            counts[row[_REGION], row[_GATEWAY], row[_OUTCOME]] += 1
        gateways = sorted({(r, g) for r, g, _ in counts}, key=lambda k: (k[0] or "", k[1] or ""))
        table = pd.DataFrame({
            "region_id": pd.array([r for r, _ in gateways], dtype="str"),
            "vpn_gateway_id": pd.array([g for _, g in gateways], dtype="str"),
        })
        for outcome in OUTCOMES:
            table[outcome] = pd.array([counts[r, g, outcome] for r, g in gateways], dtype="Int64")
        table["total"] = pd.array([sum(counts[r, g, o] for o in OUTCOMES) for r, g in gateways], dtype="Int64")
        return table

    # --- CSV ---

    def to_csv(self, path_or_buffer: str | PathLike | IO[str] | None = None, escape_formulas: bool = True, *,
               encoding: str = "utf-8") -> str | None:
        """Write a CSV report (header, UTF-8); see :func:`vpnroute_widgets.log_csv.write_report`.

        Text cells that a spreadsheet would run as a formula are prefixed with ``'`` in the
        report only. A path is written atomically; ``None`` returns the text.
        """
        from .log_csv import write_report

        return write_report(self._snapshot(), path_or_buffer, escape_formulas=escape_formulas, encoding=encoding)

    @classmethod
    def from_csv(cls, path_or_buffer: str | PathLike | IO[str], *, unescape: bool = True) -> ResponseLog:
        """Read a report written by :meth:`to_csv` back into a log: the records come back exactly.

        ``unescape=False`` for a report written with ``escape_formulas=False``.
        """
        from .log_csv import read_report

        return cls(read_report(path_or_buffer, unescape=unescape))

    @classmethod
    def from_dataframe(cls, frame: pd.DataFrame) -> ResponseLog:
        """A log holding the rows of ``frame`` (for example an edited ``to_dataframe()``)."""
        columns = [frame[name].tolist() for name in frame.columns]
        names = [str(name) for name in frame.columns]
        return cls(dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True))


def _lenient(column: str, value: Any) -> Any:
    """``value`` typed for ``column``, or None when it does not fit (the user typed something wrong)."""
    try:
        return _CONVERTERS[column](column, value)
    except (RecordError, TypeError, ValueError):
        return None
