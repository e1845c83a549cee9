"""Reading a sync's report: its step records from a result, a log, a DataFrame, a CSV report or a journal.

A report path also brings the records of the journal beside it (a killed run's steps); records are
told apart by ClientToken, so several steps of one input row, or prune deletes of no row, never merge.
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from ..errors import ValidationError
from ..log.response_log import ResponseLog
from .apply import BatchResult
from .journal import SUFFIX, _as_record, journal_path, read_journal

__all__ = ["is_sync_report", "sync_records"]


def _journal_steps(path: str) -> list[dict[str, Any]]:
    """The records a sync journal stands for: the last event per ClientToken."""
    latest: dict[Any, dict[str, Any]] = {}
    for event, entry in read_journal(path):
        record = entry.get("record")
        if event in ("start", "end") or not record:
            continue
        key = record.get("client_token") or ("step", record.get("step"))
        latest.pop(key, None)
        latest[key] = _as_record(event, record)
    return list(latest.values())


def _records(report: Any) -> list[dict[str, Any]]:
    if isinstance(report, BatchResult):
        return report.log.records()
    if isinstance(report, ResponseLog):
        return report.records()
    if isinstance(report, pd.DataFrame):
        return ResponseLog.from_dataframe(report).records()
    if hasattr(report, "read"):
        return ResponseLog.from_csv(report).records()
    path = os.fspath(report)
    if path.endswith(SUFFIX):
        return _journal_steps(path)
    beside = journal_path(path)
    found = ResponseLog.from_csv(path).records() if os.path.exists(path) or not os.path.exists(beside) else []
    return found + (_journal_steps(beside) if os.path.exists(beside) else [])


def is_sync_report(report: Any) -> bool:
    """True when ``report`` (a result, log, DataFrame, report or journal path, or a stream, which is read)
    holds sync steps (records with an ``action``); False when it holds none or cannot be read."""
    if isinstance(report, BatchResult) and report.operation == "sync":
        return True
    try:
        return any(record.get("action") for record in _records(report))
    except (OSError, ValueError, TypeError):
        return False


def sync_records(report: Any, batch_id: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    """One sync's step records from ``report``, the last one per step (a journal beside it included)."""
    records = [r for r in _records(report) if r.get("action") and r.get("batch_id")]
    ids = sorted({r["batch_id"] for r in records})
    if batch_id is None and len(ids) > 1:
        raise ValidationError("batch_id", f"this log holds several syncs ({', '.join(ids)}); pass batch_id=.")
    batch_id = batch_id or (ids[0] if ids else None)
    latest: dict[Any, dict[str, Any]] = {}
    for record in records:
        if record["batch_id"] == batch_id:
            latest[record.get("client_token") or ("step", record.get("step"))] = record
    if not latest:
        raise ValidationError("report", "no sync steps found; give the report (or log) that a sync wrote.")
    return str(batch_id), list(latest.values())
