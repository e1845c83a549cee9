"""The log of calls: plain records, their schema, a DataFrame view and CSV reports.

    log = vw.ResponseLog()                 # vpnroute_widgets.log.ResponseLog
    client = vw.VpcClient(creds, log=log)  # every call becomes one record
    log.to_dataframe(); log.to_csv("report.csv"); vw.ResponseLog.from_csv("report.csv")

``records`` is plain Python (the client builds records with it and must not import pandas);
``schema`` checks and types a record; ``response_log`` holds ``ResponseLog``; ``report`` writes and
reads CSV reports (formula-escaped, atomic). Names from the pandas side load on first use, so
``import vpnroute_widgets.log.records`` stays free of pandas.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "ResponseLog": "response_log", "LogChange": "response_log", "RecordError": "schema",
    "DTYPES": "schema", "BOOL_COLUMNS": "schema", "FLOAT_COLUMNS": "schema", "INT_COLUMNS": "schema",
    "TEXT_COLUMNS": "schema", "TIME_COLUMNS": "schema", "check_column_name": "schema",
    "frame_from_rows": "schema", "host_only": "schema",
    "ESCAPE": "report", "FORMULA_TRIGGERS": "report", "atomic_write": "report", "escape_cells": "report",
    "unescape_cells": "report", "read_report": "report", "write_report": "report",
    "COLUMNS": "records", "OUTCOMES": "records", "record_from_request": "records",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'vpnroute_widgets.log' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(globals()))
