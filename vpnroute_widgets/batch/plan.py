"""Many routes at once: read a CSV or DataFrame, plan it against the gateways, apply, roll back.

    batch = vw.plan_batch("routes.csv", client, defaults={"RegionId": "cn-hangzhou"})
    batch.plan                                  # one row per input row: status ready/invalid/...
    result = vw.apply_batch(batch, client)      # paced by the cloud's limits; never creates twice
    result.to_csv("report.csv")                 # one record per input row
    vw.rollback_batch("report.csv", client)     # delete what the batch created

Reading never raises for a bad row: every row gets a status and a message. Only a source that
cannot be read at all (unreadable or empty file, missing required column) raises
:class:`BatchInputError`, naming what is wrong and how to fix it.

``row`` is where a route came from: the line of a CSV file (the header is line 1, so the first
route is row 2, as a spreadsheet numbers it) or the index label of a DataFrame.

Each ready row's ClientToken is derived from the batch id and the row's content, and the batch
id by default from the content of the whole input, so re-running the same file after a crash
sends the same tokens and the cloud creates nothing twice.
"""

from __future__ import annotations

import bisect
import ipaddress
import os
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import ApiError, ValidationError, VpnRouteError
from ..model import CHECKERS, RouteEntryRequest
from ..reference import REQUEST_FIELDS
from .reader import FIELDS, BatchInputError, is_blank, read_routes
from .tokens import derive_batch_id, derive_client_token

__all__ = ["PLAN_COLUMNS", "STATUSES", "Batch", "plan_batch"]

STATUSES = ("ready", "invalid", "duplicate", "exists", "conflict")
ATTRS = {doc.name: doc.attr for doc in REQUEST_FIELDS}
PLAN_COLUMNS = ("row", *(ATTRS[name] for name in FIELDS), "status", "field", "message", "info")
_PLAN_DTYPES = {"row": "Int64", "weight": "Int64", "publish_vpc": "boolean"}


# --- planning -------------------------------------------------------------------------------------


def _check_row(values: Mapping[str, Any], defaults: Mapping[str, Any]) -> tuple[dict[str, Any], list[ValidationError]]:
    """Each field checked on its own, so one message lists every bad field of the row."""
    clean: dict[str, Any] = {}
    errors: list[ValidationError] = []
    for name in FIELDS:
        value = values.get(name)
        if is_blank(value):
            if name in defaults:
                clean[name] = defaults[name]
                continue
            value = None
        if isinstance(value, str):
            value = value.strip()
        try:
            clean[name] = CHECKERS[name](value)
        except ValidationError as err:
            errors.append(err)
            clean[name] = None
    return clean, errors


@dataclass
class Batch:
    """A planned batch: ``plan`` (one row per input row) and the requests of its ready rows.

    ``requests`` maps the position of a ready row in ``plan`` to its RouteEntryRequest.
    """

    batch_id: str
    plan: pd.DataFrame
    requests: dict[int, RouteEntryRequest] = field(repr=False)
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Rows per status, in :data:`STATUSES` order (every status listed)."""
        found = self.plan["status"].value_counts()
        return {status: int(found.get(status, 0)) for status in STATUSES}

    @property
    def ready(self) -> pd.DataFrame:
        return self.plan[self.plan["status"] == "ready"]

    def __len__(self) -> int:
        return len(self.plan)

    def to_csv(self, path: str | os.PathLike | None = None) -> str | None:
        """The plan as CSV, every text cell formula-escaped; a path is written atomically."""
        from ..log.report import frame_to_csv

        return frame_to_csv(self.plan, path)

    def __repr__(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in self.counts().items() if v)
        return f"<Batch {self.batch_id}: {len(self)} rows: {counts}>"


def plan_batch(source: Any, client: Any = None, *, defaults: Mapping[str, Any] | None = None,
               batch_id: str | None = None) -> Batch:
    """Read ``source``, validate every row, and compare it with the gateways' current routes.

    ``client`` (a VpcClient) is used to read each gateway's routes (DescribeVpnRouteEntries);
    without one, the plan checks the input only. Statuses: ``ready``, ``invalid`` (a field is
    wrong), ``duplicate`` (the same route earlier in the batch), ``exists`` (already on the
    gateway, identical), ``conflict`` (same RouteDest and NextHop with another Weight, or a second
    active route for one RouteDest). Overlapping prefixes are reported in ``info`` only.
    """
    if isinstance(source, Batch):
        return source
    raw = read_routes(source, defaults)
    lines: list[dict[str, Any]] = []
    for label, values, problem in raw.rows:
        clean, errors = _check_row(values, raw.defaults)
        line = {"row": label, **{ATTRS[name]: clean[name] for name in FIELDS}, "status": "ready",
                "field": None, "message": None, "info": None}
        if problem or errors:
            line.update(status="invalid", field=errors[0].field if errors else "row",
                        message=" ".join(([f"row {problem}"] if problem else []) + [str(e) for e in errors]))
            _keep_raw(line, values)
        lines.append(line)
    ids = [_identity(line) for line in lines if line["status"] == "ready"]
    batch_id = _check_batch_id(batch_id) if batch_id else derive_batch_id(ids)
    _mark_duplicates(lines)
    existing, notes = _read_gateways(client, lines)
    _mark_existing(lines, existing)
    _mark_batch_conflicts(lines)
    _mark_overlaps(lines, existing)
    requests = {}
    for position, line in enumerate(lines):
        if line["status"] == "ready":
            token = line["client_token"] or derive_client_token(batch_id, _identity(line))
            line["client_token"] = token
            requests[position] = RouteEntryRequest(**{ATTRS[n]: line[ATTRS[n]] for n in FIELDS})
    if raw.ignored_columns:
        notes.append(f"columns ignored (not route fields): {', '.join(raw.ignored_columns)}")
    if raw.blank_rows:
        notes.append(f"{raw.blank_rows} blank line(s) skipped")
    return Batch(batch_id, _plan_frame(lines), requests, notes)


def _check_batch_id(batch_id: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", str(batch_id)):
        raise BatchInputError("batch_id", f"{batch_id!r}: use 1-40 letters, digits, '-', '_' or '.'.")
    return str(batch_id)


def _keep_raw(line: dict[str, Any], values: Mapping[str, Any]) -> None:
    """An invalid row shows what was typed in its text columns (numbers stay blank when unreadable)."""
    for name, value in values.items():
        attr = ATTRS[name]
        if line[attr] is None and not is_blank(value) and attr not in _PLAN_DTYPES:
            line[attr] = str(value)


def _identity(line: Mapping[str, Any]) -> tuple:
    return tuple(line[ATTRS[n]] for n in FIELDS if n != "ClientToken")


def _route_key(line: Mapping[str, Any]) -> tuple:
    return (line["region_id"], line["vpn_gateway_id"], line["route_dest"], line["next_hop"], line["weight"])


def _set(line: dict[str, Any], status: str, message: str) -> None:
    line.update(status=status, message=message)


def _mark_duplicates(lines: list[dict[str, Any]]) -> None:
    first: dict[tuple, dict[str, Any]] = {}
    for line in lines:
        if line["status"] != "ready":
            continue
        earlier = first.setdefault(_route_key(line), line)
        if earlier is line:
            continue
        if _identity(earlier) == _identity(line):
            _set(line, "duplicate", f"same route as row {earlier['row']}; it is created once.")
        else:
            _set(line, "conflict", f"same RouteDest, NextHop and Weight as row {earlier['row']} but other "
                                   "PublishVpc/OverlayMode/Description; keep one of the two rows.")


def _read_gateways(client: Any, lines: list[dict[str, Any]]) -> tuple[dict[tuple, list], list[str]]:
    """Each gateway's current routes; a gateway that cannot be read marks its rows or adds a note."""
    existing: dict[tuple, list] = {}
    notes: list[str] = []
    if client is None:
        return existing, notes
    reader = client.clone(log=None, on_call=None) if hasattr(client, "clone") else client
    gateways = sorted({(ln["region_id"], ln["vpn_gateway_id"]) for ln in lines if ln["status"] == "ready"})
    for region, gateway in gateways:
        try:
            # BGP routes too: a row naming one is "exists", so an exported table reads back unchanged
            existing[region, gateway] = reader.describe_vpn_route_entries(region, gateway)
        except ApiError as err:
            if err.retryable:
                notes.append(f"{gateway}: routes not read ({err.code}); rows not checked against the gateway")
                continue
            for line in lines:
                if (line["region_id"], line["vpn_gateway_id"]) == (region, gateway) and line["status"] == "ready":
                    line.update(status="invalid", field="VpnGatewayId",
                                message=f"{err.code}: {err.info.meaning} {err.info.remedy}")
        except VpnRouteError as err:
            notes.append(f"{gateway}: routes not read ({err}); rows not checked against the gateway")
    return existing, notes


def _mark_existing(lines: list[dict[str, Any]], existing: Mapping[tuple, list]) -> None:
    for (region, gateway), entries in existing.items():
        by_pair = {(e.route_dest, e.next_hop): e for e in entries}
        active = {e.route_dest: e for e in entries if e.weight == 100}
        for line in lines:
            if line["status"] != "ready" or (line["region_id"], line["vpn_gateway_id"]) != (region, gateway):
                continue
            same = by_pair.get((line["route_dest"], line["next_hop"]))
            other_active = active.get(line["route_dest"])
            if same is not None and same.weight == line["weight"]:
                _set(line, "exists", f"already on {gateway} (state {same.state or 'unknown'}); nothing to do.")
            elif same is not None:
                _set(line, "conflict", f"{gateway} already routes {line['route_dest']} via {line['next_hop']} "
                                       f"with Weight {same.weight}; delete that route first or use Weight "
                                       f"{same.weight}.")
            elif line["weight"] == 100 and other_active is not None:
                _set(line, "conflict", f"{gateway} already has an active route (Weight 100) for "
                                       f"{line['route_dest']} via {other_active.next_hop}; use Weight 0 for a "
                                       "standby route.")


def _mark_batch_conflicts(lines: list[dict[str, Any]]) -> None:
    """Rows that contradict each other are all held back: which one was meant is for a person to say."""
    groups: dict[tuple, list] = defaultdict(list)
    for line in lines:
        if line["status"] in ("ready", "exists"):
            groups[line["region_id"], line["vpn_gateway_id"], line["route_dest"]].append(line)
    for group in groups.values():
        pairs: dict[str, set] = defaultdict(set)
        for line in group:
            pairs[line["next_hop"]].add(line["weight"])
        active = [ln for ln in group if ln["weight"] == 100]
        for line in group:
            if line["status"] != "ready":
                continue
            if len(pairs[line["next_hop"]]) > 1:
                rows = ", ".join(str(o["row"]) for o in group
                                 if o["next_hop"] == line["next_hop"] and o["weight"] != line["weight"])
                _set(line, "conflict", f"row(s) {rows} route {line['route_dest']} via the same NextHop with "
                                       "another Weight; keep one Weight.")
            elif line["weight"] == 100 and len(active) > 1:
                rows = ", ".join(str(o["row"]) for o in active if o is not line)
                _set(line, "conflict", f"row(s) {rows} also make {line['route_dest']} active (Weight 100); "
                                       "one route per RouteDest can be active, make the others Weight 0.")


def _mark_overlaps(lines: list[dict[str, Any]], existing: Mapping[tuple, list], shown: int = 3) -> None:
    """Information only: a ready row whose prefix contains or lies inside another on the same gateway."""
    for region, gateway in {(ln["region_id"], ln["vpn_gateway_id"]) for ln in lines if ln["status"] == "ready"}:
        prefixes: dict[tuple[int, int], list[str]] = defaultdict(list)
        for entry in existing.get((region, gateway), ()):
            net = _network(entry.route_dest)
            if net is not None:
                prefixes[int(net.network_address), net.prefixlen].append(f"{net} (on the gateway)")
        mine = [ln for ln in lines if (ln["region_id"], ln["vpn_gateway_id"]) == (region, gateway)
                and ln["status"] in ("ready", "exists")]
        for line in mine:
            net = _network(line["route_dest"])
            if net is not None:  # ready and exists rows hold checked CIDRs: always true
                prefixes[int(net.network_address), net.prefixlen].append(f"{net} (row {line['row']})")
        ordered = sorted(prefixes)
        for line in mine:
            net = _network(line["route_dest"])
            if line["status"] != "ready" or net is None:
                continue
            found = _overlapping(net, prefixes, ordered)
            if found:
                more = f" and {len(found) - shown} more" if len(found) > shown else ""
                line["info"] = f"overlaps {', '.join(found[:shown])}{more}"


def _network(text: str | None) -> ipaddress.IPv4Network | None:
    try:
        return ipaddress.IPv4Network(text)
    except (ValueError, TypeError):
        return None


def _overlapping(net: ipaddress.IPv4Network, prefixes: Mapping[tuple[int, int], list[str]],
                 ordered: list[tuple[int, int]]) -> list[str]:
    """Supernets by masking (32 lookups); subnets by bisecting the sorted prefixes inside the range."""
    address, length = int(net.network_address), net.prefixlen
    found = []
    for shorter in range(1, length):
        mask = (0xFFFFFFFF << (32 - shorter)) & 0xFFFFFFFF
        found += prefixes.get((address & mask, shorter), [])
    top = address + net.num_addresses
    for key in ordered[bisect.bisect_left(ordered, (address, 0)):bisect.bisect_left(ordered, (top, 0))]:
        if key[1] > length:
            found += prefixes[key]
    return found


def _plan_frame(lines: list[dict[str, Any]]) -> pd.DataFrame:
    data = {}
    for column in PLAN_COLUMNS:
        values = [line[column] for line in lines]
        data[column] = pd.array(values, dtype=_PLAN_DTYPES.get(column, "str"))
    return pd.DataFrame(data)
