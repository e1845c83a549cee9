"""Many routes at once: read a CSV or DataFrame, plan it against the gateways, apply, resume, roll back.

    batch = vw.plan_batch("routes.csv", client, defaults={"RegionId": "cn-hangzhou"})
    result = vw.apply_batch(batch, client)      # paced by the cloud's limits; never creates twice
    result.to_csv("report.csv")                 # one record per input row
    vw.rollback_batch("report.csv", client)     # delete what the batch created

Modules, in the order data flows through them (each imports only those before it):
``reader`` (a source into raw rows), ``tokens`` (batch ids, ClientTokens), ``plan`` (validate and
compare with the gateways), ``scheduler`` (per-gateway lanes under one token bucket) and ``apply``
(apply, resume, rollback; one record per row).
"""

from __future__ import annotations

from .apply import DEFAULT_RATE, SANDBOX_RATE, BatchResult, apply_batch, default_rate, resume_batch, rollback_batch
from .plan import PLAN_COLUMNS, STATUSES, Batch, plan_batch
from .reader import FIELDS, BatchInputError, read_routes
from .scheduler import Job, Progress, Scheduler
from .tokens import derive_batch_id, derive_client_token

__all__ = [
    "DEFAULT_RATE", "FIELDS", "PLAN_COLUMNS", "SANDBOX_RATE", "STATUSES", "Batch", "BatchInputError", "BatchResult",
    "Job", "Progress", "Scheduler", "apply_batch", "default_rate", "derive_batch_id", "derive_client_token",
    "plan_batch", "read_routes", "resume_batch", "rollback_batch",
]
