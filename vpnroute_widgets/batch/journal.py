"""A crash journal for batch runs: what a run did, on disk before the next step, so a kill loses nothing.

A run that dies (SIGKILL, a dead kernel, a power cut) before its report is written would leave
routes on the gateways that no report owns. So a batch run appends every event to a journal file
(the CLI's is ``REPORT.csv.journal``) and the report is written from the records at the end; the
journal is removed once the report is on disk. The next run of the same batch (apply again, resume,
rollback) reads it and knows what the dead one did.

Format: UTF-8, one JSON object per line, each line ending in ``\\n``. A run starts with a header,
then one line per event; several runs may append to one journal::

    {"journal": "vpnroute_widgets", "version": 1, "batch_id": "b...", "operation": "CreateVpnRouteEntry", ...}
    {"event": "pending", "record": {...}}   a row that will be sent (all of them, at the start)
    {"event": "sent", "record": {...}}      a row's first attempt is about to go out
    {"event": "done", "record": {...}}      a row's final record, whatever its outcome
    {"event": "end"}                        the run finished; only its report is left to write

``record`` is a record of the log (keys from :data:`~vpnroute_widgets.log.records.COLUMNS`, checked
by the log's schema, so no secret can reach the file; datetimes as ISO 8601 text, empty columns
left out), so any batch operation can keep a journal.

Durability: each write is one ``os.write`` of whole lines on a descriptor opened with
``O_APPEND``, followed by ``fsync``; a "sent" line is on disk before its request goes out. A
kill can therefore tear only the last line: the reader ignores a last line without its ``\\n``
(and a writer cuts it off before appending), so a journal is never unreadable after a crash. A
complete line that is not a journal line (edited by hand) is refused with :class:`JournalError`
naming the file, the line and the fix. One run at a time may write a journal (``flock``).

Reading (:func:`journal_records`): the last event per (batch id, operation, row) wins; a row
left "pending" reads as ``cancelled`` (never sent), a row left "sent" as ``cancelled`` with
``state`` :data:`UNANSWERED` (the route may exist: the same ClientToken settles it, and a
rollback deletes it). :func:`report_log` reads a report together with the journal beside it.

A run (:class:`Journal`) takes the lock, cuts a torn tail and reads what earlier runs of its batch
wrote (:attr:`Journal.prior`); a journal holding another batch or operation is refused, since the
new report could not own those routes. :meth:`Journal.carried` gives a row's earlier ``ok`` record
(kept; the row is not sent again) and :meth:`Journal.unanswered` a row sent without an answer.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from os import PathLike
from typing import Any

import pandas as pd

from ..errors import VpnRouteError
from ..log.records import COLUMNS
from ..log.response_log import ResponseLog
from ..log.schema import normalise_record

try:  # POSIX; elsewhere two runs on one journal are not prevented
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["SUFFIX", "UNANSWERED", "Journal", "JournalError", "NoJournal", "journal_path", "journal_records",
           "read_journal", "report_log"]

#: The CLI keeps the journal of ``REPORT.csv`` at ``REPORT.csv`` + SUFFIX.
SUFFIX = ".journal"
#: The ``state`` of a record for a row that was sent but whose answer the journal never got.
UNANSWERED = "sent; answer not recorded (the run stopped)"
_VERSION = 1
_MAX_LINE = 1 << 20  # a journal line is one record: far below this
_EVENTS = frozenset({"pending", "sent", "done", "end"})


class JournalError(VpnRouteError):
    """A journal that cannot be used: in use by another run, edited by hand, or holding another batch."""


def _row_key(value: Any) -> Any:
    """A row label as the journal stores it (the log keeps rows as integers)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def journal_path(report: str | PathLike) -> str:
    """Where the journal of the report at ``report`` lives."""
    return os.fspath(report) + SUFFIX


# --- reading ------------------------------------------------------------------------------------


def _complete_lines(path: str) -> Iterator[tuple[int, bytes]]:
    """(line number, line) for every line that ends in ``\\n``; a torn last line is left out."""
    with open(path, "rb") as handle:
        number = 0
        while True:
            line = handle.readline(_MAX_LINE + 1)
            if not line.endswith(b"\n"):
                if len(line) > _MAX_LINE:
                    raise JournalError(f"{path}: line {number + 1} is over {_MAX_LINE} bytes: not a journal. "
                                       "Fix: move the file away (it is not one this toolkit wrote).")
                return  # end of file, or a line torn by a kill
            number += 1
            yield number, line


def read_journal(path: str | PathLike) -> list[tuple[str, dict[str, Any]]]:
    """Every (event, entry) of the journal at ``path``, in order; a header is ("start", header).

    A missing file is an empty journal; a torn last line is ignored.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        return []
    events = []
    for number, line in _complete_lines(path):
        try:
            entry = json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError):
            entry = None
        if isinstance(entry, dict) and entry.get("journal") == "vpnroute_widgets":
            events.append(("start", entry))
        elif isinstance(entry, dict) and entry.get("event") in _EVENTS and isinstance(entry.get("record", {}), dict):
            events.append((entry["event"], entry))
        else:
            raise JournalError(f"{path}: line {number} is not a journal line (was the file edited?). Fix: "
                               "restore the line, or remove it if you know what that row did.")
    return events


def _as_record(event: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """A journal entry as the record a report would hold (unfinished rows as cancelled)."""
    if event == "pending":
        return {**record, "outcome": "cancelled", "attempts": 0,
                "error_message": "not sent: the run stopped before this row's turn.",
                "remedy": "Resume the batch, or apply the same file again."}
    if event == "sent":
        return {**record, "outcome": "cancelled", "state": UNANSWERED, "attempts": record.get("attempts") or 1,
                "error_message": "the run stopped after this row was sent and before its answer was "
                                 "recorded: the change may have been made.",
                "remedy": "Resume the batch or apply the same file again (the same ClientToken settles it "
                          "without doing it twice); a rollback also undoes it."}
    return dict(record)


def journal_records(path: str | PathLike) -> list[dict[str, Any]]:
    """The records the journal at ``path`` stands for: the last event per (batch id, operation, row)."""
    latest: dict[tuple, dict[str, Any]] = {}
    for event, entry in read_journal(path):
        if event in ("start", "end"):
            continue
        record = entry.get("record") or {}
        key = (record.get("batch_id"), record.get("operation"), record.get("row"))
        latest.pop(key, None)  # re-inserted: keeps the order of the last events
        latest[key] = _as_record(event, record)
    return list(latest.values())


def report_log(report: Any) -> ResponseLog:
    """The records of a report; a report path brings those of the journal beside it too (newer: they win).

    ``report`` may be a ResponseLog, anything with a ``.log`` (a BatchResult), a DataFrame, an open CSV
    text buffer, a CSV report path (missing, if a run was killed before writing it, as long as its
    journal is there) or a journal path (ending in :data:`SUFFIX`).
    """
    if isinstance(report, pd.DataFrame):
        return ResponseLog.from_dataframe(report)
    report = getattr(report, "log", report)
    if isinstance(report, ResponseLog):
        return report
    if hasattr(report, "read"):
        return ResponseLog.from_csv(report)
    path = os.fspath(report)
    if path.endswith(SUFFIX):
        if not os.path.exists(path):
            raise FileNotFoundError(2, "No such file or directory", path)
        return ResponseLog(journal_records(path))
    beside = journal_path(path)
    has_journal = os.path.exists(beside)
    log = ResponseLog.from_csv(path) if os.path.exists(path) or not has_journal else ResponseLog()
    if has_journal:
        log.extend(journal_records(beside))
    return log


# --- writing ------------------------------------------------------------------------------------


def _plain(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record checked by the log's schema, as JSON-ready values (empty columns left out)."""
    row = normalise_record(record)
    return {column: value.isoformat() if isinstance(value, datetime) else value
            for column, value in zip(COLUMNS, row, strict=True) if value is not None}


class Journal:
    """The journal of one run, open for appending (see the module docstring for the format).

    ``Journal(path, batch_id=..., operation=...)`` locks the file, cuts a torn last line, reads
    what earlier runs wrote (:attr:`prior`: records of this batch and operation, by row) and
    appends a header. Records of any other batch or operation in the file are refused
    (:class:`JournalError`): this run's report could not own them.
    """

    def __init__(self, path: str | PathLike, *, batch_id: str, operation: str):
        self.path = os.fspath(path)
        self.batch_id, self.operation = batch_id, operation
        self._write_lock = threading.Lock()
        self._asked: set[Any] = set()  # rows this run has looked up in prior
        self._sent: set[Any] = set()
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            self._lock()
            self._cut_torn_tail()
            self.prior = self._read_prior()
            self._write([{"journal": "vpnroute_widgets", "version": _VERSION, "batch_id": batch_id,
                          "operation": operation, "pid": os.getpid(), "started": datetime.now().astimezone()
                          .isoformat(timespec="seconds")}])
        except BaseException:
            os.close(self._fd)
            self._fd = -1
            raise

    def _lock(self) -> None:
        if fcntl is None:  # pragma: no cover
            return
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise JournalError(f"{self.path}: another run is using this journal (and so this report). Fix: wait "
                               "for it to finish, or give another report path.") from None

    def _cut_torn_tail(self) -> None:
        """Drop a last line without its newline (a write torn by a kill), so appends start clean."""
        size = os.fstat(self._fd).st_size
        if size == 0:
            return
        keep = size
        while keep > 0:
            start = max(0, keep - 65536)
            os.lseek(self._fd, start, os.SEEK_SET)  # (appends still go to the end: O_APPEND)
            chunk = os.read(self._fd, keep - start)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                keep = start + newline + 1
                break
            keep = start
        if keep != size:
            os.ftruncate(self._fd, keep)

    def _read_prior(self) -> dict[Any, tuple[str, dict[str, Any]]]:
        prior: dict[Any, tuple[str, dict[str, Any]]] = {}
        others: dict[tuple, int] = {}
        for event, entry in read_journal(self.path):
            record = entry.get("record")
            if event in ("start", "end") or not record:
                continue
            if (record.get("batch_id"), record.get("operation")) != (self.batch_id, self.operation):
                key = (record.get("batch_id"), record.get("operation"))
                others[key] = others.get(key, 0) + 1
                continue
            prior[_row_key(record.get("row"))] = (event, record)
        if others:
            named = ", ".join(f"{op} of batch {bid} ({n} events)" for (bid, op), n in others.items())
            raise JournalError(f"{self.path}: holds an unfinished run of another batch or operation: {named}. Fix: "
                               "finish that run first (apply the same file again, or resume/rollback the "
                               "report next to this journal), or give another report path.")
        return prior

    def _write(self, entries: Iterable[Mapping[str, Any]]) -> None:
        data = b"".join(json.dumps(entry, ensure_ascii=True, separators=(",", ":")).encode() + b"\n"
                        for entry in entries)
        if not data:
            return
        with self._write_lock:  # "sent" lines come from the scheduler's worker threads
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view):]
            os.fsync(self._fd)

    def write(self, event: str, records: Iterable[Mapping[str, Any]]) -> None:
        """Append one ``event`` line per record, then fsync once (thread-safe)."""
        if event not in _EVENTS:
            raise ValueError(f"unknown journal event {event!r}")
        self._write([{"event": event, "record": _plain(record)} for record in records])

    # --- what an earlier run of this batch did ---

    def carried(self, row: Any) -> dict[str, Any] | None:
        """The earlier run's ``ok`` record of ``row``: the run keeps it and does not send the row again."""
        self._asked.add(_row_key(row))
        event, record = self.prior.get(_row_key(row), ("", {}))
        return record if event == "done" and record.get("outcome") == "ok" else None

    def unanswered(self, row: Any) -> dict[str, Any] | None:
        """The earlier run's record of ``row`` if it was sent and its answer never recorded."""
        self._asked.add(_row_key(row))
        event, record = self.prior.get(_row_key(row), ("", {}))
        return record if event == "sent" else None

    def check_owned(self) -> None:
        """Refuse to go on if the earlier run has rows this run never looked up: its report would lose them."""
        left = sorted(set(self.prior) - self._asked, key=str)
        if left:
            raise JournalError(f"{self.path}: holds rows {', '.join(map(str, left[:10]))} of batch {self.batch_id} "
                               "that this run does not have (was the file edited?). Fix: apply the same file "
                               "again, or resume/rollback the report beside the journal first.")

    def noting_sent(self, key: Any, record: Mapping[str, Any], send: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """``send``, with a "sent" line on disk before the first attempt of ``key`` goes out."""
        def send_noted(client: Any) -> Any:
            if key not in self._sent:
                self._sent.add(key)
                self.write("sent", [record])
            return send(client)

        return send_noted

    def close(self, *, finished: bool = False) -> None:
        """Release the journal (after an "end" line when ``finished``); the file stays."""
        if self._fd < 0:
            return
        try:
            if finished:
                self._write([{"event": "end"}])
        finally:
            os.close(self._fd)
            self._fd = -1

    def __repr__(self) -> str:
        return f"<Journal {self.path} {self.operation} {self.batch_id}>"


class NoJournal:
    """What a run without a journal uses: remembers nothing, writes nothing."""

    path = None
    prior: dict[Any, tuple[str, dict[str, Any]]] = {}  # noqa: RUF012 - never written

    def carried(self, row: Any) -> None:
        return None

    def unanswered(self, row: Any) -> None:
        return None

    def check_owned(self) -> None:
        return None

    def noting_sent(self, key: Any, record: Mapping[str, Any], send: Callable[[Any], Any]) -> Callable[[Any], Any]:
        return send

    def write(self, event: str, records: Iterable[Mapping[str, Any]]) -> None:
        return None

    def close(self, *, finished: bool = False) -> None:
        return None
