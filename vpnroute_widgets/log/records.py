"""The shape of one call record: the columns every log row and CSV report has.

This module is plain Python (no pandas) so the client can build records without
importing the DataFrame side; :mod:`vpnroute_widgets.log` turns records into frames.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..model.values import parse_bool
from ..reference import REQUEST_FIELDS

__all__ = ["COLUMNS", "OUTCOMES", "SECRET_KEY_PATTERN", "now_utc", "record_from_request"]

COLUMNS: tuple[str, ...] = (
    "timestamp",
    "operation",
    "region_id",
    "vpn_gateway_id",
    "route_dest",
    "next_hop",
    "weight",
    "publish_vpc",
    "overlay_mode",
    "description",
    "client_token",
    "outcome",
    "http_status",
    "error_code",
    "error_message",
    "remedy",
    "request_id",
    "state",
    "create_time",
    "vpn_instance_id",
    "latency_ms",
    "attempts",
    "endpoint",
    "batch_id",
    "row",
    "action",  # a sync step's kind (create, modify_weight, publish, withdraw, delete); empty otherwise
    "step",  # a sync step's number in its plan (a row of the input may have several steps)
    "old_weight",  # a sync step or a weight change: the route's Weight before it
    "old_publish_vpc",  # a sync step: whether the route was published before it
)

OUTCOMES = ("ok", "error", "exists", "skipped", "cancelled")

# Keys that name a credential; a record carrying one is refused outright.
SECRET_KEY_PATTERN = re.compile(
    r"secret|password|passwd|security_?token|sts_?token|signature|authorization|credential",
    re.IGNORECASE,
)

# API parameter name -> record column, for the request side of a record (from the reference: one mapping).
PARAM_COLUMNS = {doc.name: doc.attr for doc in REQUEST_FIELDS}


def now_utc() -> datetime:
    return datetime.now(UTC)


def _wire_to_value(column: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    if column == "weight":
        try:
            return int(value)
        except (TypeError, ValueError):
            return None  # not an integer: the error message of the record names the raw value
    if column == "publish_vpc":
        return parse_bool(value)
    return str(value) if column != "weight" else value


def record_from_request(operation: str, params: Mapping[str, Any], **fields: Any) -> dict[str, Any]:
    """A record for ``operation`` with the request side filled from API ``params``.

    Only the known request columns are copied, so signature parameters, keys and
    tokens in ``params`` can never reach a record. ``fields`` adds or overrides columns.
    A weight change (``NewWeight``) is recorded as sync steps are: ``weight`` is the route's
    weight after the call, ``old_weight`` the one before, so the log alone says what changed.
    """
    record: dict[str, Any] = {"timestamp": now_utc(), "operation": operation}
    for name, column in PARAM_COLUMNS.items():
        if name in params:
            record[column] = _wire_to_value(column, params[name])
    if "NewWeight" in params:
        record["old_weight"] = record.get("weight")
        record["weight"] = _wire_to_value("weight", params["NewWeight"])
    record.update(fields)
    return record
