"""Plan a sync: what to change so that each gateway's custom routes are exactly those of a file.

    plan = vw.plan_sync("routes.csv", client)               # or a DataFrame, or CSV bytes
    plan.to_dataframe()                                      # one row per step, old and new values
    plan.summary()                                           # steps by kind, per gateway

The desired input is read by the batch reader and its rows are checked as a batch's are
(``invalid``, ``duplicate``, ``conflict``). It is the whole custom route table of every gateway
it mentions. A route is named by (gateway, RouteDest, NextHop); against the live routes (read
once per gateway, not logged) each gets one step:

``create``         in the file, not on the gateway
``modify_weight``  on both, with another Weight
``publish``        on both, the file says PublishVpc true, the gateway does not advertise it
``withdraw``       the reverse
``delete``         on the gateway, not in the file, and ``prune=True``
``extra``          on the gateway, not in the file, prune off: shown and left alone
``none``           already as the file says
``blocked``        cannot be done safely; the message says why (nothing of its destination is sent)

Order, within one destination (the API's documented rules): deletes first; a weight changes only
while the destination has no other route, so the other routes are deleted first and recreated
after (an active/standby pair: delete one, modify the other, recreate the first, with its values
from the file); then publishing; then creates, standby routes before the active one, and an
active route only after every step that removes or demotes the old active route
(``after`` lists the steps a step needs). A destination never has two active routes at any point.
Gateways are independent (their steps run in parallel lanes); within a gateway the order is kept.

Description is not compared (no API changes it, and the real service's listing does not return
it); a create or a recreate uses the file's. BGP-learned routes are never touched: a row that
names one is ``none`` when it matches the gateway and ``blocked`` otherwise. Safety for
``prune``: a gateway with invalid or conflicting rows gets no deletes (a typo must not remove a
route), and no gateway does when such a row names no readable gateway; a destination with such a
row is blocked as a whole.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ApiError, VpnRouteError
from .plan import ATTRS, _check_batch_id, _check_row, _keep_raw, _mark_batch_conflicts, _mark_duplicates
from .reader import FIELDS, read_routes
from .sync_steps import ACTIONS, REFUSED, WRITES, Lane, Step, _Builder, _gateway, _guarded
from .tokens import derive_batch_id

__all__ = ["ACTIONS", "REFUSED", "WRITES", "Step", "SyncPlan", "plan_sync"]

STEP_COLUMNS = ("step", "row", "action", "region_id", "vpn_gateway_id", "route_dest", "next_hop", "old_weight",
                "weight", "old_publish_vpc", "publish_vpc", "after", "message")
_DTYPES = {"step": "Int64", "row": "Int64", "old_weight": "Int64", "weight": "Int64", "old_publish_vpc": "boolean",
           "publish_vpc": "boolean"}


@dataclass
class SyncPlan:
    """The steps of a sync, in order; ``batch_id`` (from the file and the live routes) seeds the ClientTokens."""

    batch_id: str
    steps: list[Step]
    prune: bool = False
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.steps)

    def changes(self) -> list[Step]:
        """The steps that send a call, in plan order."""
        return [s for s in self.steps if s.sends]

    def refused(self) -> list[Step]:
        """Rows that are not planned: invalid, duplicate, conflict, blocked."""
        return [s for s in self.steps if s.action in REFUSED]

    def counts(self) -> dict[str, int]:
        """Steps per kind, in :data:`ACTIONS` order (kinds with none left out)."""
        found = Counter(s.action for s in self.steps)
        return {action: found[action] for action in ACTIONS if found[action]}

    def to_dataframe(self) -> pd.DataFrame:
        """One row per step: :data:`STEP_COLUMNS` (``after`` as text: "3 4")."""
        rows = [(s.number, s.row if isinstance(s.row, int) else None, s.action, s.region_id, s.vpn_gateway_id,
                 s.route_dest, s.next_hop, s.old_weight, s.weight, s.old_publish_vpc, s.publish_vpc,
                 " ".join(map(str, s.after)) or None, s.message) for s in self.steps]
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(STEP_COLUMNS)
        return pd.DataFrame({name: pd.array(values, dtype=_DTYPES.get(name, "str"))
                             for name, values in zip(STEP_COLUMNS, columns, strict=True)})

    def summary(self) -> pd.DataFrame:
        """Steps by kind (columns) per gateway (rows); rows without a readable gateway under "-"."""
        table: dict[str, Counter] = defaultdict(Counter)
        for s in self.steps:
            table[s.vpn_gateway_id or "-"][s.action] += 1
        kinds = [a for a in ACTIONS if any(c[a] for c in table.values())]
        frame = pd.DataFrame([[table[g][k] for k in kinds] for g in table], index=pd.Index(list(table),
                             name="vpn_gateway_id"), columns=kinds, dtype="int64")
        return frame.sort_index()

    def __repr__(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in self.counts().items()) or "no steps"
        gateways = len({s.vpn_gateway_id for s in self.steps if s.vpn_gateway_id})
        return f"<SyncPlan {self.batch_id}: {gateways} gateway(s){' (prune)' if self.prune else ''}: {counts}>"


# --- reading the file and the gateways ------------------------------------------------------------


def _lines(source: Any, defaults: Mapping[str, Any] | None) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows of ``source`` checked as a batch checks them (status ready, invalid, duplicate, conflict).

    NumPy scalars (an int64 Weight column) become Python values first: the field checkers take ints.
    """
    raw = read_routes(source, defaults)
    lines = []
    for label, cells, problem in raw.rows:
        values = {name: cell.item() if isinstance(cell, np.generic) else cell for name, cell in cells.items()}
        clean, errors = _check_row(values, raw.defaults)
        line = {"row": label, **{ATTRS[name]: clean[name] for name in FIELDS}, "status": "ready",
                "field": None, "message": None}
        if problem or errors:
            line.update(status="invalid", field=errors[0].field if errors else "row",
                        message=" ".join(([f"row {problem}"] if problem else []) + [str(e) for e in errors]))
            _keep_raw(line, values)
        lines.append(line)
    _mark_duplicates(lines)
    _mark_batch_conflicts(lines)
    notes = [f"columns ignored (not route fields): {', '.join(raw.ignored_columns)}"] if raw.ignored_columns else []
    return lines, notes


def _read_live(client: Any, lanes: list[Lane]) -> tuple[dict[Lane, list], dict[Lane, str]]:
    """Each gateway's routes, read once and not logged; a gateway that cannot be read is named with why."""
    reader = client.clone(log=None, on_call=None) if hasattr(client, "clone") else client
    live: dict[Lane, list] = {}
    unread: dict[Lane, str] = {}
    for region, gateway in lanes:
        try:
            live[region, gateway] = reader.describe_vpn_route_entries(region, gateway)
        except ApiError as err:
            unread[region, gateway] = f"{err.code}: {err.info.meaning} {err.info.remedy}".strip()
        except VpnRouteError as err:
            unread[region, gateway] = str(err)
    return live, unread


def _batch_id(lines: list[dict[str, Any]], live: Mapping[Lane, list]) -> str:
    """From the desired rows and the live routes: the same file against the same gateways, the same id."""
    wanted = [("want", line["region_id"], line["vpn_gateway_id"], line["route_dest"], line["next_hop"],
               line["weight"], line["publish_vpc"]) for line in lines if line["status"] == "ready"]
    found = [("live", lane, e.route_dest, e.next_hop, e.weight, e.state, e.route_entry_type)
             for lane, entries in live.items() for e in entries]
    return derive_batch_id(wanted + found)


def plan_sync(desired: Any, client: Any, *, prune: bool = False, defaults: Mapping[str, Any] | None = None,
              batch_id: str | None = None) -> SyncPlan:
    """Plan the steps that make every gateway ``desired`` mentions hold exactly its routes (module docstring).

    ``desired``: a DataFrame, a CSV path or CSV bytes (any column naming the batch reader takes);
    ``defaults`` fill empty cells as in batches. ``prune`` deletes the gateways' custom routes
    the file does not list (otherwise they are shown as ``extra``). ``batch_id`` names the run
    (default: derived from the file and the live routes; the CLI passes an interrupted run's id).
    Raises :class:`~vpnroute_widgets.batch.BatchInputError` when the source cannot be read at all.
    """
    lines, notes = _lines(desired, defaults)
    ready = [line for line in lines if line["status"] == "ready"]
    lanes = sorted({(line["region_id"], line["vpn_gateway_id"]) for line in ready})
    live, unread = _read_live(client, lanes)
    guarded, unsafe = _guarded(lines)
    builder = _Builder(prune)
    builder.refused_rows(lines)
    by_lane: dict[Lane, list] = defaultdict(list)
    for line in ready:
        by_lane[line["region_id"], line["vpn_gateway_id"]].append(line)
    for lane in lanes:
        if lane in unread:
            for line in by_lane[lane]:
                builder.add_line("blocked", line, f"the gateway's routes could not be read ({unread[lane]}); "
                                                  "nothing is planned for it.")
            continue
        prune_here = prune and unsafe is not None and lane not in unsafe
        if prune and not prune_here:
            notes.append(f"{lane[1]}: no deletes (prune withheld): the file has invalid or conflicting rows for "
                         "it, or rows naming no readable gateway.")
        _gateway(builder, lane, by_lane[lane], live[lane], prune_here, guarded)
    for line in lines:
        if line["status"] == "duplicate":
            builder.add_line("duplicate", line, line["message"])
    return SyncPlan(_check_batch_id(batch_id) if batch_id else _batch_id(lines, live), builder.steps, prune, notes)
