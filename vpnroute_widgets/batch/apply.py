"""Apply, resume and roll back a planned batch; one report record per input row.

The report is a :class:`~vpnroute_widgets.log.ResponseLog` (columns of
:data:`vpnroute_widgets.records.COLUMNS`) holding exactly one record per input row, with the
input's ``row`` and the ``batch_id``: ``ok`` (created), ``exists`` (already there), ``error``
(``error_code``, ``remedy``), ``skipped`` (invalid, duplicate or conflicting row: never sent) or
``cancelled`` (not sent because the batch was cancelled). ``attempts`` counts every HTTP attempt
of the row, gateway-busy polls included.

``journal=PATH`` keeps a crash journal (:mod:`~vpnroute_widgets.batch.journal`): a later run of the
batch with it keeps the rows it shows ``ok`` (not sent again: its report owns those routes) and
re-sends with the same ClientToken a row sent but never answered; resume and rollback of a report
path also read the journal beside it, so a killed run's routes are never left without an owner.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from os import PathLike
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from ..errors import ApiError, ValidationError, describe_error
from ..log.records import now_utc
from ..log.response_log import ResponseLog
from ..model import RouteEntryRequest
from .journal import UNANSWERED, Journal, NoJournal, report_log
from .pacing import DEFAULT_RATE, PACING_LIMITS, SANDBOX_RATE, batch_scheduler, default_rate
from .plan import plan_batch
from .scheduler import Job, Progress
from .tokens import derive_client_token

__all__ = ["DEFAULT_RATE", "PACING_LIMITS", "SANDBOX_RATE", "BatchResult", "apply_batch", "default_rate",
           "resume_batch", "rollback_batch"]

CREATE = "CreateVpnRouteEntry"
DELETE = "DeleteVpnRouteEntry"
_REQUEST_COLUMNS = ("region_id", "vpn_gateway_id", "route_dest", "next_hop", "weight", "publish_vpc",
                    "overlay_mode", "description", "client_token")
_PLAN_SKIPS = {
    "invalid": ("ValidationError", "Correct the field named in the message, then apply the batch again."),
    "duplicate": ("Batch.Duplicate", "Nothing to do: the row named in the message creates this route."),
    "conflict": ("Batch.Conflict", "Decide which route is meant (this row, the other row or the gateway's "
                                   "route), correct the CSV, then apply again."),
}


@dataclass
class BatchResult:
    """The outcome of apply, resume or rollback: ``log`` holds one record per input row, in input order."""

    batch_id: str
    operation: str  # "apply", "resume" or "rollback"
    log: ResponseLog
    elapsed_s: float
    calls: int  # write calls sent (retries of a row included): more than one per row means refusals
    cancelled: bool
    journal: str | None = None  # the crash journal of the run, removed once to_csv writes the report to a file
    probes: int = 0  # status reads (DescribeVpnGateway) the scheduler made instead of writing into a busy gateway

    def counts(self) -> dict[str, int]:
        """Rows per outcome (ok, error, exists, skipped, cancelled)."""
        return self.log.counts()

    @property
    def ok(self) -> bool:
        """True when every row that was sent ended ok or exists (skipped rows were never sent)."""
        return not {"error", "cancelled"} & set(self.counts())

    def to_dataframe(self) -> pd.DataFrame:
        return self.log.to_dataframe()

    def to_csv(self, path: str | PathLike | None = None) -> str | None:
        """The report: formula cells escaped, a path written atomically (then the run's journal goes)."""
        text = self.log.to_csv(path)
        if path is not None and not hasattr(path, "write") and self.journal:
            with suppress(FileNotFoundError):
                os.unlink(self.journal)
            self.journal = None
        return text

    def __repr__(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in self.counts().items())
        state = " (cancelled)" if self.cancelled else ""
        return f"<BatchResult {self.operation} {self.batch_id}: {counts} in {self.elapsed_s:.2f} s{state}>"


# --- records ---------------------------------------------------------------------------------


def _base(line: Mapping[str, Any], operation: str, batch_id: str, endpoint: str | None) -> dict[str, Any]:
    record = {c: line.get(c) for c in _REQUEST_COLUMNS}
    record.update(operation=operation, batch_id=batch_id, row=line.get("row"), endpoint=endpoint)
    return record


def _error_fields(error: BaseException) -> dict[str, Any]:
    return describe_error(error).record_fields()


def _timing(job: Job) -> dict[str, Any]:
    latency = None
    if job.first_sent is not None and job.last_done is not None:
        latency = round((job.last_done - job.first_sent) * 1000, 3)
    return {"attempts": job.attempts, "latency_ms": latency}


def _cancelled(job: Job, error: BaseException | None) -> dict[str, Any]:
    message = "cancelled before it was sent."
    if job.unknown:
        message = ("cancelled after an attempt whose answer was lost: the route may exist. Resume the batch "
                   "(the same ClientToken settles it without creating it twice).")
    elif error is not None:
        message = f"cancelled before a retry (last answer: {error})."
    return {"outcome": "cancelled", "error_message": message,
            "remedy": "Resume the batch to apply the cancelled rows."}


def _finish_create(job: Job, value: Any, error: BaseException | None) -> dict[str, Any]:
    if job.cancelled:
        return _cancelled(job, error)
    if error is None:
        record = {"outcome": "ok", "http_status": 200, "request_id": value.request_id, "state": value.state,
                  "create_time": value.create_time, "vpn_instance_id": value.vpn_instance_id}
        if getattr(value, "problems", None):  # made, but a field of the answer was unreadable: say so
            record["error_message"] = "Created; the answer was partly unreadable: " + " ".join(value.problems)
        return record
    if isinstance(error, ApiError) and error.code == "VpnRouteEntry.AlreadyExist":
        if job.unknown:  # our own earlier attempt made it; its answer was lost
            return {"outcome": "ok", "http_status": error.http_status, "request_id": error.request_id,
                    "state": "created by an earlier attempt whose answer was lost"}
        return {"outcome": "exists", "http_status": error.http_status, "request_id": error.request_id,
                "error_code": error.code, "error_message": str(error), "remedy": error.info.remedy}
    return _error_fields(error)


def _finish_delete(job: Job, value: Any, error: BaseException | None) -> dict[str, Any]:
    if job.cancelled:
        return _cancelled(job, error)
    if error is None:
        return {"outcome": "ok", "http_status": 200, "request_id": value, "state": "deleted"}
    if isinstance(error, ApiError) and error.code == "InvalidRouteEntry.NotFound":
        return {"outcome": "ok", "http_status": error.http_status, "request_id": error.request_id,
                "state": "already deleted"}
    return _error_fields(error)


# --- running -----------------------------------------------------------------------------------


class RunBase:
    """What every batch run has (apply, resume, rollback, sync): its ids, the scheduler and quiet client,
    the cancel event, the log that also hears of each record, and the records decided so far."""

    def __init__(self, client: Any, batch_id: str, operation: str, *, rate: float | None = None,
                 burst: float | None = None, concurrency: int = 16, cancel: threading.Event | None = None,
                 progress: Callable[[Progress], None] | None = None, log: ResponseLog | None = None,
                 max_failures: int = 8, busy_timeout: float = 600.0, journal: str | PathLike | None = None):
        self.batch_id = batch_id
        self.operation = operation
        self.endpoint = urlsplit(client.endpoint).netloc if getattr(client, "endpoint", None) else None
        self.cancel = cancel or threading.Event()
        self.shared_log = log if log is not None else getattr(client, "log", None)
        self.scheduler = batch_scheduler(client, rate=rate, burst=burst, concurrency=concurrency,
                                         max_failures=max_failures, busy_timeout=busy_timeout, cancel=self.cancel,
                                         progress=progress)
        self.client = self.scheduler.client
        self.records: dict[int, dict[str, Any]] = {}
        self.journal_file = os.fspath(journal) if journal is not None else None


class _Run(RunBase):
    """One scheduler run over some rows (others keep their record); ``with`` opens and closes its journal."""

    def __init__(self, client: Any, batch_id: str, operation: str, **options: Any):
        super().__init__(client, batch_id, operation, **options)
        self.journal: Journal | NoJournal = NoJournal()

    def __enter__(self) -> _Run:
        if self.journal_file is not None:
            operation = DELETE if self.operation == "rollback" else CREATE
            self.journal = Journal(self.journal_file, batch_id=self.batch_id, operation=operation)
        return self

    def __exit__(self, kind: Any, *_: Any) -> None:
        self.journal.close(finished=kind is None)

    def decided(self, position: int, record: dict[str, Any]) -> None:  # logged and journaled in run()
        self.records[position] = {"timestamp": now_utc(), **record}

    def _kept(self, position: int, row: Any) -> bool:
        """An earlier run of this batch (the journal) made it: its record stays, the row is not sent again."""
        kept = self.journal.carried(row)
        if kept is not None:
            self.records[position] = kept
        return kept is not None

    def run(self, jobs: list[Job], bases: dict[int, dict[str, Any]], finisher) -> BatchResult:
        def finish(job: Job, value: Any, error: BaseException | None) -> str:
            # stamped when its call ended, so a timeline of the result shows each call where it happened
            record = {"timestamp": now_utc(), **bases[job.key], **_timing(job), **finisher(job, value, error)}
            self.records[job.key] = record
            if self.shared_log is not None:
                self.shared_log.append(record)
            self.journal.write("done", [record])
            return record["outcome"]

        jobs = [job for job in jobs if not self._kept(job.key, bases[job.key].get("row"))]
        for position, record in list(self.records.items()):
            self._kept(position, record.get("row"))
        self.journal.check_owned()
        settled = [self.records[k] for k in sorted(self.records)]
        if self.shared_log is not None:
            self.shared_log.extend(settled)
        self.journal.write("done", settled)
        self.journal.write("pending", [bases[job.key] for job in jobs])
        for job in jobs:
            job.send = self.journal.noting_sent(job.key, bases[job.key], job.send)
        started = time.monotonic()
        self.scheduler.run(jobs, finish, preset=dict(Counter(r["outcome"] for r in self.records.values())))
        elapsed = time.monotonic() - started
        log = ResponseLog(self.records[k] for k in sorted(self.records))
        return BatchResult(self.batch_id, self.operation, log, elapsed, self.scheduler.calls, self.cancel.is_set(),
                           journal=self.journal_file, probes=self.scheduler.probes)


def _create_job(position: int, req: RouteEntryRequest, *, unknown: bool = False) -> Job:
    job = Job(position, (req.region_id, req.vpn_gateway_id), lambda c: c.create_vpn_route_entry(req))
    job.unknown = unknown  # an earlier attempt may have made it: AlreadyExist then means ok
    return job


def apply_batch(batch: Any, client: Any, *, defaults: Mapping[str, Any] | None = None, batch_id: str | None = None,
                rate: float | None = None, burst: float | None = None, concurrency: int = 16,
                cancel: threading.Event | None = None, progress: Callable[[Progress], None] | None = None,
                log: ResponseLog | None = None, max_failures: int = 8, busy_timeout: float = 600.0,
                journal: str | PathLike | None = None) -> BatchResult:
    """Create the ready routes of ``batch`` (a Batch, or any source :func:`plan_batch` reads).

    At most one create is in flight per gateway; gateways run in parallel (``concurrency`` calls
    at most) under a global ``rate`` of attempts per second (default: :func:`default_rate`).
    ``cancel`` (a threading.Event) stops scheduling; calls in flight finish. ``progress`` gets a
    :class:`~vpnroute_widgets.scheduler.Progress` at most every 0.1 s and at the end, in this
    thread. ``log`` (default: the client's own log, if it has one; for example the app's ResponseLog)
    also gets every record. ``journal`` (a path, or None) keeps a crash journal there (see the
    module docstring); the result's ``to_csv(path)`` removes it once the report is written.
    """
    planned = plan_batch(batch, client, defaults=defaults, batch_id=batch_id)
    with _Run(client, planned.batch_id, "apply", rate=rate, burst=burst, concurrency=concurrency, cancel=cancel,
              progress=progress, log=log, max_failures=max_failures, busy_timeout=busy_timeout,
              journal=journal) as run:
        jobs, bases = [], {}
        for position, line in enumerate(planned.plan.to_dict("records")):
            base = _base(line, CREATE, planned.batch_id, run.endpoint)
            status = line["status"]
            lost = run.journal.unanswered(line["row"])
            if lost is not None and status in ("ready", "exists"):
                bases[position] = {**base, "client_token": lost.get("client_token")}
                jobs.append(_create_job(position, _request_of(lost), unknown=True))  # the same ClientToken
            elif status == "ready":
                bases[position] = base
                jobs.append(_create_job(position, planned.requests[position]))
            elif status == "exists":
                run.decided(position, {**base, "outcome": "exists", "error_message": line["message"],
                                       "attempts": 0})
            else:
                code, remedy = _PLAN_SKIPS[status]
                run.decided(position, {**base, "outcome": "skipped", "error_code": code, "attempts": 0,
                                       "error_message": f"{status}: {line['message']}", "remedy": remedy})
        return run.run(jobs, bases, _finish_create)


def _report_records(report: Any, batch_id: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    """One batch's create records, the last one per row (a log may also hold resumes and rollbacks)."""
    records = [r for r in report_log(report).records() if r.get("batch_id")]
    ids = sorted({r["batch_id"] for r in records})
    if batch_id is None:
        if len(ids) > 1:
            raise ValidationError("batch_id", f"this log holds several batches ({', '.join(ids)}); "
                                              "pass batch_id= to choose one.")
        batch_id = ids[0] if ids else None
    latest: dict[Any, dict[str, Any]] = {}
    for record in records:
        if record["batch_id"] == batch_id and record["operation"] == CREATE:
            latest[record["row"]] = record
    if not latest:
        raise ValidationError("report", "no batch rows found; give the report (or log) that an apply wrote"
                              + (f" for batch {batch_id}." if batch_id else "."))
    return str(batch_id), list(latest.values())


def _request_of(record: Mapping[str, Any]) -> RouteEntryRequest:
    fields: dict[str, Any] = {c: record.get(c) for c in _REQUEST_COLUMNS}
    return RouteEntryRequest(**fields)


def resume_batch(report: Any, client: Any, **options: Any) -> BatchResult:
    """Apply again only the rows of ``report`` that ended ``error`` or ``cancelled`` (same ClientTokens).

    ``report``: anything :func:`~vpnroute_widgets.batch.journal.report_log` reads (a BatchResult, a
    ResponseLog such as the app's, where ``batch_id=`` picks a batch, a DataFrame, a CSV report with
    the journal beside it, or a journal). One record per row of the batch: new ones for the rows
    applied again, the latest old ones otherwise. Options as for :func:`apply_batch`.
    """
    batch_id, records = _report_records(report, options.pop("batch_id", None))
    with _Run(client, batch_id, "resume", **_run_options(options)) as run:
        jobs, bases = [], {}
        for position, record in enumerate(records):
            lost = run.journal.unanswered(record.get("row"))
            if lost is None and record["outcome"] not in ("error", "cancelled"):
                run.decided(position, record)
                continue
            base = {**_base(lost or record, CREATE, batch_id, run.endpoint)}
            try:
                req = _request_of(base)
            except ValidationError as err:
                run.decided(position, {**base, **_error_fields(err), "attempts": 0})
                continue
            bases[position] = base
            unknown = lost is not None or record.get("state") == UNANSWERED  # it may have been made
            jobs.append(_create_job(position, req, unknown=unknown))
        return run.run(jobs, bases, _finish_create)


def _delete_job(position: int, req: RouteEntryRequest, token: str) -> Job:
    return Job(position, (req.region_id, req.vpn_gateway_id), lambda c: c.delete_vpn_route_entry(
        req.region_id, req.vpn_gateway_id, req.route_dest, req.next_hop, req.weight, overlay_mode=req.overlay_mode,
        client_token=token))


def rollback_batch(report: Any, client: Any, **options: Any) -> BatchResult:
    """Delete the routes a batch created (its rows that ended ``ok``), gateway by gateway.

    ``report`` as for :func:`resume_batch`. Rows a killed run sent without recording the answer
    are deleted too (a route that is not there counts as deleted). Every row gets one rollback
    record: ``ok`` (deleted, or already gone), ``error``, ``cancelled``, or ``skipped`` (the batch
    did not create it). Running it again is safe. Options as for :func:`apply_batch`. A sync's
    report goes to :func:`~vpnroute_widgets.batch.rollback_sync`.
    """
    log = report_log(report)
    if any(record.get("action") for record in log.records()):  # a sync's steps: undone one by one
        from .sync_apply import rollback_sync  # it imports this module

        return rollback_sync(report, client, **options)
    batch_id, records = _report_records(log, options.pop("batch_id", None))
    with _Run(client, batch_id, "rollback", **_run_options(options)) as run:
        jobs, bases = [], {}
        for position, record in enumerate(records):
            base = _base(record, DELETE, batch_id, run.endpoint)
            lost = run.journal.unanswered(record.get("row"))
            if lost is None and record["outcome"] != "ok" and record.get("state") != UNANSWERED:
                run.decided(position, {**base, "outcome": "skipped", "attempts": 0,
                                       "error_message": f"not created by this batch ({record['outcome']})."})
                continue
            try:
                req = _request_of(record)
            except ValidationError as err:
                run.decided(position, {**base, **_error_fields(err), "attempts": 0})
                continue
            token = derive_client_token(batch_id, req.identity(), "delete")
            base["client_token"] = token
            bases[position] = base
            jobs.append(_delete_job(position, req, token))
        return run.run(jobs, bases, _finish_delete)


def _run_options(options: Mapping[str, Any]) -> dict[str, Any]:
    allowed = {"rate": None, "burst": None, "concurrency": 16, "cancel": None, "progress": None, "log": None,
               "max_failures": 8, "busy_timeout": 600.0, "journal": None}
    unknown = set(options) - set(allowed)
    if unknown:
        raise TypeError(f"unknown option(s) {', '.join(sorted(unknown))}; accepted: {', '.join(allowed)}.")
    return {**allowed, **options}
