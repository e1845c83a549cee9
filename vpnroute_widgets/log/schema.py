"""The log's schema: column dtypes, and checking and normalising one record into a row tuple.

Kept apart from :class:`~vpnroute_widgets.log.ResponseLog` so the storage, the CSV side
(:mod:`vpnroute_widgets.log_csv`) and the DataFrame building share one definition of what
a valid record is.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from ..errors import VpnRouteError, error_info
from ..model.values import is_blank, parse_bool
from .records import COLUMNS, OUTCOMES, PARAM_COLUMNS, SECRET_KEY_PATTERN, now_utc

INT_COLUMNS = ("weight", "http_status", "create_time", "attempts", "row", "step", "old_weight")
FLOAT_COLUMNS = ("latency_ms",)
BOOL_COLUMNS = ("publish_vpc", "old_publish_vpc")
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


class RecordError(VpnRouteError, ValueError):
    """A record the log refuses: an unknown or secret-looking key, or a value of the wrong type.

    ``column`` names the offending key, so the caller can point at the right field.
    """

    def __init__(self, column: str, message: str):
        super().__init__(f"{column}: {message}")
        self.column = column
        self.message = message


# --- normalising one value ---------------------------------------------------------------


def _missing(value: Any) -> bool:
    """None, NaN, pd.NA and NaT all mean "no value" (so rows of a DataFrame can be appended)."""
    return value is None or (not isinstance(value, str) and is_blank(value))


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
            value = int(float(value))
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
    if _missing(value) or (isinstance(value, str) and not value.strip()):
        return None
    parsed = parse_bool(value)
    if parsed is None:
        raise _refuse(column, "true or false", value)
    return parsed


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
            check_column_name(key)  # raises: unknown or secret-looking
            continue
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

def _lenient(column: str, value: Any) -> Any:
    """``value`` typed for ``column``, or None when it does not fit (the user typed something wrong)."""
    try:
        return _CONVERTERS[column](column, value)
    except (RecordError, TypeError, ValueError):
        return None
