"""Many routes at once: read a CSV or DataFrame, plan it against the gateways, apply, resume, roll back.

    batch = vw.plan_batch("routes.csv", client, defaults={"RegionId": "cn-hangzhou"})
    result = vw.apply_batch(batch, client)      # paced by the cloud's limits; never creates twice
    result.to_csv("report.csv")                 # one record per input row
    vw.rollback_batch("report.csv", client)     # delete what the batch created

Modules, in the order data flows through them (each imports only those before it):
``reader`` (a source into raw rows), ``tokens`` (batch ids, ClientTokens), ``plan`` (validate and
compare with the gateways), ``scheduler`` (per-gateway lanes under one token bucket) and ``apply``
(apply, resume, rollback; one record per row). A file as the whole route table of its gateways:
``export`` (the gateways' routes as a DataFrame), ``sync_plan`` (the steps that make the gateways
match the file), ``sync_report`` (a sync's step records from any report) and ``sync_apply`` (run the
steps, undo them; one record per step).
"""

from __future__ import annotations

from .apply import DEFAULT_RATE, SANDBOX_RATE, BatchResult, apply_batch, default_rate, resume_batch, rollback_batch
from .export import EXPORT_COLUMNS, export_routes
from .plan import PLAN_COLUMNS, STATUSES, Batch, plan_batch
from .reader import FIELDS, BatchInputError, read_routes
from .scheduler import Job, Progress, Scheduler
from .sync_apply import apply_sync, is_sync_report, rollback_sync
from .sync_plan import Step, SyncPlan, plan_sync
from .tokens import derive_batch_id, derive_client_token

__all__ = [
    "DEFAULT_RATE", "EXPORT_COLUMNS", "FIELDS", "PLAN_COLUMNS", "SANDBOX_RATE", "STATUSES", "Batch",
    "BatchInputError", "BatchResult", "Job", "Progress", "Scheduler", "Step", "SyncPlan", "apply_batch",
    "apply_sync", "default_rate", "derive_batch_id", "derive_client_token", "export_routes", "is_sync_report",
    "plan_batch", "plan_sync", "read_routes", "resume_batch", "rollback_batch", "rollback_sync",
]
