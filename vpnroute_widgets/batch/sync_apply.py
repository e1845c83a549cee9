"""Run a sync plan, and undo it: per-gateway lanes, one outcome and one record per step.

    result = vw.apply_sync(plan, client)          # a BatchResult (operation "sync")
    result.to_csv("report.csv")                   # one row per step: action, outcome, old and new values
    vw.rollback_batch("report.csv", client)       # dispatches here: the table as it was before

Steps run through the batch :class:`~vpnroute_widgets.batch.Scheduler`: one lane per gateway
(its steps one at a time, in plan order), gateways in parallel under one rate. A step whose
``after`` step did not end ``ok`` is not sent: it ends ``skipped``, naming that step. Each step's
ClientToken comes from the plan's batch id and what the step does, so running the same plan again
(or a re-plan with the same batch id) repeats no change. ``journal=PATH`` keeps a crash journal
(:mod:`~vpnroute_widgets.batch.journal`): a later run with it does not send again the steps it
shows ``ok`` (its report owns them) and re-sends with the same token the steps sent but unanswered.

Records: the log's columns, with ``operation`` the API action, ``action`` the step kind, ``step``
its number, ``row`` the input row, ``weight``/``publish_vpc`` the values after the step and
``old_weight``/``old_publish_vpc`` those before. Steps that send nothing get a record too:
``none`` ends ``ok``; ``extra`` and refused rows (invalid, duplicate, conflict, blocked) end
``skipped``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from os import PathLike
from typing import Any

import pandas as pd

from ..errors import ApiError, describe_error
from ..log.records import now_utc
from ..log.response_log import ResponseLog
from ..model import RouteEntryRequest
from .apply import BatchResult, RunBase
from .journal import UNANSWERED, Journal, JournalError, _as_record, read_journal
from .scheduler import Job, Progress
from .sync_plan import WRITES, Step, SyncPlan
from .sync_report import is_sync_report, sync_records
from .tokens import derive_client_token

__all__ = ["JOURNAL_OPERATION", "apply_sync", "is_sync_report", "rollback_sync", "sync_records"]

#: The ``operation`` a sync journal's header names (its records carry the API action of each step).
JOURNAL_OPERATION = "Sync"
OPERATION_OF = {"create": "CreateVpnRouteEntry", "delete": "DeleteVpnRouteEntry",
                "modify_weight": "ModifyVpnRouteEntryWeight", "publish": "PublishVpnRouteEntry",
                "withdraw": "PublishVpnRouteEntry"}
_REFUSED_CODES = {"invalid": "ValidationError", "duplicate": "Batch.Duplicate", "conflict": "Batch.Conflict",
                  "blocked": "Sync.Blocked"}
_REMEDY = {"invalid": "Correct the field named in the message, then sync again.",
           "duplicate": "Nothing to do: the row named in the message stands for this route.",
           "conflict": "Decide which route is meant, correct the file, then sync again.",
           "blocked": "Do what the message says, then sync again.",
           "extra": "Add the route to the file to keep it, or sync with prune to delete it.",
           "skipped": "Fix the failed step named in the message, then sync again (plan again to see what is left)."}


class _Skipped(Exception):
    """Raised instead of sending a step whose prerequisite step did not end ok (never retried)."""

    retryable = False


class _SyncJournal(Journal):
    """A journal whose records are a sync's steps (any API action), known by their ClientToken."""

    def _read_prior(self) -> dict[Any, tuple[str, dict[str, Any]]]:
        prior: dict[Any, tuple[str, dict[str, Any]]] = {}
        for event, entry in read_journal(self.path):
            record = entry.get("record")
            if event in ("start", "end") or not record:
                continue
            if record.get("batch_id") != self.batch_id or not record.get("action"):
                raise JournalError(f"{self.path}: holds another run ({record.get('operation')} of batch "
                                   f"{record.get('batch_id')}). Fix: finish or roll back that run first, or give "
                                   "another report path.")
            prior[record.get("client_token")] = (event, record)
        return prior


# --- one step: its call and its record -----------------------------------------------------------


def _sender(step: Step, token: str) -> Callable[[Any], Any]:
    """``send(client)`` for a step that writes; its request is checked when sent, so a step read from a
    hand-edited report ends as an error record instead of stopping the run."""
    r, g, d, h = step.region_id, step.vpn_gateway_id, step.route_dest, step.next_hop
    if step.action == "create":
        fields: dict[str, Any] = {"region_id": r, "vpn_gateway_id": g, "route_dest": d, "next_hop": h,
                                  "weight": step.weight, "publish_vpc": bool(step.publish_vpc),
                                  "client_token": token, "overlay_mode": step.overlay_mode,
                                  "description": step.description}
        return lambda c: c.create_vpn_route_entry(RouteEntryRequest(**fields))
    if step.action == "delete":
        return lambda c: c.delete_vpn_route_entry(r, g, d, h, step.old_weight, overlay_mode=step.overlay_mode,
                                                  client_token=token)
    if step.action == "modify_weight":
        return lambda c: c.modify_vpn_route_entry_weight(r, g, d, h, step.old_weight, step.weight,
                                                         overlay_mode=step.overlay_mode, client_token=token)
    return lambda c: c.publish_vpn_route_entry(r, g, d, h, step.action == "publish", client_token=token)


def _base(step: Step, batch_id: str, endpoint: str | None, token: str | None) -> dict[str, Any]:
    return {"operation": OPERATION_OF.get(step.action), "action": step.action, "step": step.number,
            "row": step.row if isinstance(step.row, int) else None, "region_id": step.region_id,
            "vpn_gateway_id": step.vpn_gateway_id, "route_dest": step.route_dest, "next_hop": step.next_hop,
            "weight": step.weight, "publish_vpc": step.publish_vpc, "old_weight": step.old_weight,
            "old_publish_vpc": step.old_publish_vpc, "overlay_mode": step.overlay_mode,
            "description": step.description, "client_token": token, "batch_id": batch_id, "endpoint": endpoint}


def _unsent(step: Step) -> dict[str, Any]:
    """The outcome of a step that sends nothing: ``none`` is ok, the rest skipped with why."""
    if step.action == "none":
        return {"outcome": "ok", "attempts": 0, "state": "unchanged", "error_message": step.message}
    code = _REFUSED_CODES.get(step.action)
    return {"outcome": "skipped", "attempts": 0, "error_code": code, "remedy": _REMEDY[step.action],
            "error_message": f"{step.action}: {step.message}"}


def _request_id(value: Any) -> str | None:
    if isinstance(value, str) or value is None:
        return value
    return getattr(value, "request_id", None)


def _answered(step: Step, job: Job, value: Any, error: BaseException | None, lenient: bool) -> dict[str, Any]:
    """The outcome fields of a step that was sent (or skipped or cancelled instead)."""
    if isinstance(error, _Skipped):
        return {"outcome": "skipped", "error_code": "Sync.DependencyFailed", "error_message": str(error),
                "remedy": _REMEDY["skipped"], "attempts": 0}
    if job.cancelled:
        lost = " after an attempt whose answer was lost: the change may have been made" if job.unknown else ""
        return {"outcome": "cancelled", "error_message": f"cancelled{lost}.",
                "remedy": "Apply the same plan again (its ClientTokens repeat nothing), or plan again."}
    if error is None:
        return {"outcome": "ok", "http_status": 200, "request_id": _request_id(value), "state": "done"}
    code = getattr(error, "code", None)
    settled = {"delete": ("InvalidRouteEntry.NotFound",), "create": ("VpnRouteEntry.AlreadyExist",)}
    if isinstance(error, ApiError) and code in settled.get(step.action, ()) and (job.unknown or lenient
                                                                                or step.action == "delete"):
        return {"outcome": "ok", "http_status": error.http_status, "request_id": error.request_id,
                "state": "already deleted" if step.action == "delete" else "already there"}
    if isinstance(error, ApiError) and lenient and code == "InvalidRouteEntry.NotFound":
        return {"outcome": "ok", "http_status": error.http_status, "request_id": error.request_id,
                "state": "not changed by the interrupted run; nothing to undo"}
    return describe_error(error).record_fields()


# --- running steps ---------------------------------------------------------------------------------


class _StepRun(RunBase):
    """Steps of one run to one record each: decided ones at once, the rest through the scheduler."""

    def __init__(self, client: Any, batch_id: str, operation: str, **options: Any):
        super().__init__(client, batch_id, operation, **options)
        self.outcomes: dict[int, str] = {}
        self.history: list[dict[str, Any]] = []  # an earlier run's ok steps that this plan no longer has

    def decide(self, number: int, record: dict[str, Any]) -> None:
        record = {"timestamp": now_utc(), **record}
        self.records[number] = record
        self.outcomes[number] = record["outcome"]
        if self.shared_log is not None:
            self.shared_log.append(record)

    def run(self, steps: Iterable[Step], token_of: Callable[[Step], str],
            lenient: Callable[[Step], bool]) -> BatchResult:
        """Decide or send every step; returns the result with one record per step (history first)."""
        started = time.monotonic()
        journal = _SyncJournal(self.journal_file, batch_id=self.batch_id, operation=JOURNAL_OPERATION) \
            if self.journal_file else None
        self._journal = journal
        finished = False
        try:
            jobs, bases = self._prepare(list(steps), token_of, lenient, journal.prior if journal else {})
            if journal is not None:
                journal.write("pending", [bases[job.key] for job in jobs])
            self.scheduler.run(jobs, self._finisher(bases, lenient, journal), preset=dict(_count(self.records)))
            finished = True
        finally:
            if journal is not None:
                journal.close(finished=finished)
        log = ResponseLog([*self.history, *(self.records[k] for k in sorted(self.records))])
        skipped = sum(1 for r in self.records.values() if r.get("error_code") == "Sync.DependencyFailed")
        return BatchResult(self.batch_id, self.operation, log, time.monotonic() - started,
                           self.scheduler.calls - skipped, self.cancel.is_set(), journal=self.journal_file,
                           probes=self.scheduler.probes)

    def _prepare(self, steps: list[Step], token_of: Callable[[Step], str], lenient: Callable[[Step], bool],
                 prior: Mapping[Any, tuple[str, dict[str, Any]]]) -> tuple[list[Job], dict[int, dict]]:
        jobs, bases, mine = [], {}, set()
        for step in steps:
            if not step.sends:
                self.decide(step.number, {**_base(step, self.batch_id, self.endpoint, None), **_unsent(step)})
                continue
            token = token_of(step)
            mine.add(token)
            base = _base(step, self.batch_id, self.endpoint, token)
            event, earlier = prior.get(token, ("", {}))
            if event == "done" and earlier.get("outcome") == "ok":
                self.decide(step.number, {**earlier, "step": step.number, "row": base["row"]})
                continue
            bases[step.number] = base
            job = Job(step.number, step.lane, self._guarded(step, base, _sender(step, token)))
            job.unknown = event == "sent" or earlier.get("state") == UNANSWERED
            jobs.append(job)
        self.history = _history(prior, mine, steps)
        self._steps = {s.number: s for s in steps}
        self._journal_sent: set[int] = set()
        return jobs, bases

    def _guarded(self, step: Step, base: dict[str, Any], send: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """``send``, not called when a step it needs did not end ok; the journal hears of it first."""
        def guarded(client: Any) -> Any:
            for number in step.after:
                outcome = self.outcomes.get(number)
                if outcome != "ok":
                    needed = self._steps.get(number)
                    named = needed.describe() if needed else f"step {number}"
                    raise _Skipped(f"not sent: it needs {named}, which ended {outcome or 'not run'}.")
            if self._journal is not None and step.number not in self._journal_sent:
                self._journal_sent.add(step.number)
                self._journal.write("sent", [base])
            return send(client)

        return guarded

    def _finisher(self, bases: Mapping[int, dict[str, Any]], lenient: Callable[[Step], bool],
                  journal: Journal | None) -> Callable[[Job, Any, BaseException | None], str]:
        def finish(job: Job, value: Any, error: BaseException | None) -> str:
            step = self._steps[job.key]
            fields = _answered(step, job, value, error, lenient(step))
            latency = None
            if job.first_sent is not None and job.last_done is not None:
                latency = round((job.last_done - job.first_sent) * 1000, 3)
            record = {"timestamp": now_utc(), **bases[job.key], "attempts": job.attempts, "latency_ms": latency,
                      **fields}
            if journal is not None:  # on disk first: whatever the shared log's subscribers do next
                journal.write("done", [record])
            self.decide(job.key, record)
            return record["outcome"]

        return finish


_LOST = "done by the interrupted run (its answer was lost; the gateway now shows the change)"


def _history(prior: Mapping[Any, tuple[str, dict[str, Any]]], mine: set[str], steps: list[Step]) -> list[dict]:
    """An earlier run's steps this plan no longer has, for the report to own (and a rollback to undo).

    Steps it finished ok are kept as they are. A step it sent without recording the answer is kept as
    unanswered (a rollback undoes it, tolerating "not found"), or as ok when this plan's ``none`` step
    shows the route as that step left it.
    """
    settled = {(s.vpn_gateway_id, s.route_dest, s.next_hop, s.weight, s.publish_vpc) for s in steps
               if s.action == "none"}
    kept = []
    for token, (event, record) in prior.items():
        if token in mine or record.get("action") not in WRITES:
            continue
        if event == "done" and record.get("outcome") == "ok":
            kept.append(record)
        elif event == "sent":
            key = tuple(record.get(c) for c in ("vpn_gateway_id", "route_dest", "next_hop", "weight", "publish_vpc"))
            verified = record["action"] != "delete" and key in settled
            kept.append({**record, "outcome": "ok", "state": _LOST} if verified else _as_record("sent", record))
    return kept


def _count(records: Mapping[int, Mapping[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in records.values():
        counts[record["outcome"]] = counts.get(record["outcome"], 0) + 1
    return counts


def apply_sync(plan: SyncPlan, client: Any, *, rate: float | None = None, burst: float | None = None,
               concurrency: int = 16, cancel: threading.Event | None = None,
               progress: Callable[[Progress], None] | None = None, log: ResponseLog | None = None,
               max_failures: int = 8, busy_timeout: float = 600.0,
               journal: str | PathLike | None = None) -> BatchResult:
    """Run the steps of ``plan`` (module docstring); returns a BatchResult with one record per step.

    Options as for :func:`~vpnroute_widgets.batch.apply_batch`: ``rate`` (calls per second in
    all), ``concurrency``, ``cancel`` (a threading.Event), ``progress``, ``log`` (also gets every
    record), ``journal`` (a path).
    """
    if not isinstance(plan, SyncPlan):
        raise TypeError("apply_sync takes the SyncPlan of vw.plan_sync(desired, client).")
    run = _StepRun(client, plan.batch_id, "sync", rate=rate, burst=burst, concurrency=concurrency, cancel=cancel,
                   progress=progress, log=log, max_failures=max_failures, busy_timeout=busy_timeout, journal=journal)
    return run.run(plan.steps, lambda s: derive_client_token(plan.batch_id, s.identity(), OPERATION_OF[s.action]),
                   lambda s: False)


# --- undoing a sync ------------------------------------------------------------------------------------


_INVERSE = {"create": "delete", "delete": "create", "modify_weight": "modify_weight", "publish": "withdraw",
            "withdraw": "publish"}


def _undo(record: Mapping[str, Any], number: int, after: tuple[int, ...]) -> Step:
    """The step that undoes one done step: the route back to its old values."""
    action = _INVERSE[record["action"]]
    old_w, new_w = record.get("old_weight"), record.get("weight")
    old_p, new_p = record.get("old_publish_vpc"), record.get("publish_vpc")
    if record["action"] == "create":  # delete what was made, as it was made
        old_w, old_p = new_w, new_p
    elif record["action"] == "delete":  # make again what was deleted, as it was
        new_w, new_p = old_w, old_p
    return Step(number, action, record.get("region_id"), record.get("vpn_gateway_id"), record.get("route_dest"),
                record.get("next_hop"), weight=old_w, publish_vpc=old_p, old_weight=new_w, old_publish_vpc=new_p,
                row=record.get("row"), message=f"undo of step {record.get('step')} ({record['action']}).",
                overlay_mode=record.get("overlay_mode"), description=record.get("description"), after=after)


def rollback_sync(report: Any, client: Any, **options: Any) -> BatchResult:
    """Undo a sync: every step that ended ok (or was sent unanswered), newest first, each by its inverse.

    A create is deleted, a delete recreated with the old values, a weight set back, publishing
    restored. Undoing in reverse order keeps the active/standby rule the sync kept. Within one
    destination an undo step is not sent when an earlier undo of it failed. ``report``: as for
    :func:`~vpnroute_widgets.batch.rollback_batch`; ``batch_id=`` picks one sync of a log.
    Running it again is safe (the same ClientTokens). Options as for :func:`apply_sync`.
    """
    batch_id, records = sync_records(report, options.pop("batch_id", None))
    done = [r for r in records if r.get("action") in WRITES and (r.get("outcome") == "ok"
                                                                 or r.get("state") == UNANSWERED)]
    done.sort(key=lambda r: (pd.Timestamp(r["timestamp"]), r.get("step") or 0), reverse=True)
    steps: list[Step] = []
    last: dict[tuple, tuple[int, ...]] = {}
    unanswered: set[int] = set()
    for number, record in enumerate(done, start=1):
        dest = (record.get("vpn_gateway_id"), record.get("route_dest"))
        steps.append(_undo(record, number, tuple(last.get(dest, ()))))
        last[dest] = (*last.get(dest, ()), number)
        if record.get("state") == UNANSWERED:
            unanswered.add(number)
    run = _StepRun(client, f"{batch_id[:34]}.undo", "rollback", **_options(options))
    return run.run(steps, lambda s: derive_client_token(batch_id, s.identity(), "undo-" + OPERATION_OF[s.action]),
                   lambda s: s.number in unanswered)


_OPTIONS = frozenset({"rate", "burst", "concurrency", "cancel", "progress", "log", "max_failures", "busy_timeout",
                      "journal"})


def _options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The run options of :func:`apply_sync`; an unknown one is a TypeError naming the accepted ones."""
    allowed = _OPTIONS
    unknown = set(options) - allowed
    if unknown:
        raise TypeError(f"unknown option(s) {', '.join(sorted(unknown))}; accepted: {', '.join(sorted(allowed))}.")
    return dict(options)

