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
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from os import PathLike
from typing import IO, Any

import pandas as pd

from ..errors import ValidationError, error_info
from .records import COLUMNS, OUTCOMES
from .schema import (
    _CODE,
    _COLUMN_OF_PARAM,
    _GATEWAY,
    _OUTCOME,
    _REGION,
    BOOL_COLUMNS,
    DTYPES,
    FLOAT_COLUMNS,
    INT_COLUMNS,
    TEXT_COLUMNS,
    TIME_COLUMNS,
    RecordError,
    _as_dict,
    _lenient,
    check_column_name,
    frame_from_rows,
    host_only,
    normalise_record,
)

__all__ = [
    "BOOL_COLUMNS", "COLUMNS", "DTYPES", "FLOAT_COLUMNS", "INT_COLUMNS", "TEXT_COLUMNS", "TIME_COLUMNS",
    "LogChange", "RecordError", "ResponseLog", "check_column_name", "frame_from_rows", "host_only",
]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LogChange:
    """What a subscriber is told: ``kind`` is "append" or "clear"; ``records`` are the added ones."""

    kind: str
    version: int
    length: int
    records: tuple[dict[str, Any], ...] = ()



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
        from .report import write_report

        return write_report(self._snapshot(), path_or_buffer, escape_formulas=escape_formulas, encoding=encoding)

    @classmethod
    def from_csv(cls, path_or_buffer: str | PathLike | IO[str], *, unescape: bool = True) -> ResponseLog:
        """Read a report written by :meth:`to_csv` back into a log: the records come back exactly.

        ``unescape=False`` for a report written with ``escape_formulas=False``. The file is not
        trusted: text that is not UTF-8 (or UTF-16 with a BOM), a file over 50 MiB, a cell over
        64 KiB, a header over 200 columns, or repeated, unknown or secret-looking columns raise one
        :class:`~vpnroute_widgets.log.report.ReportFileError` naming the file and the fix (limits in
        :mod:`vpnroute_widgets.log.report`).
        """
        from .report import read_report

        return cls(read_report(path_or_buffer, unescape=unescape))

    @classmethod
    def from_dataframe(cls, frame: pd.DataFrame) -> ResponseLog:
        """A log holding the rows of ``frame`` (for example an edited ``to_dataframe()``)."""
        columns = [frame[name].tolist() for name in frame.columns]
        names = [str(name) for name in frame.columns]
        return cls(dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True))
