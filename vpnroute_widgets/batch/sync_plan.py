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
from .export import route_sort_key
from .plan import ATTRS, _check_batch_id, _check_row, _keep_raw, _mark_batch_conflicts, _mark_duplicates
from .reader import FIELDS, read_routes
from .tokens import derive_batch_id

__all__ = ["ACTIONS", "REFUSED", "WRITES", "Step", "SyncPlan", "plan_sync"]

#: Steps that send a call, by kind.
WRITES = ("create", "modify_weight", "publish", "withdraw", "delete")
#: Rows of the file that are not planned (as in batches, plus ``blocked``).
REFUSED = ("invalid", "duplicate", "conflict", "blocked")
ACTIONS = (*WRITES, "none", "extra", *REFUSED)
STEP_COLUMNS = ("step", "row", "action", "region_id", "vpn_gateway_id", "route_dest", "next_hop", "old_weight",
                "weight", "old_publish_vpc", "publish_vpc", "after", "message")
_DTYPES = {"step": "Int64", "row": "Int64", "old_weight": "Int64", "weight": "Int64", "old_publish_vpc": "boolean",
           "publish_vpc": "boolean"}
_Lane = tuple[str, str]


@dataclass(frozen=True)
class Step:
    """One step of a sync plan. ``weight``/``publish_vpc`` are the route's values after the step
    (for a delete: the values it had); ``old_*`` before it. ``after``: step numbers this one needs."""

    number: int
    action: str
    region_id: str | None
    vpn_gateway_id: str | None
    route_dest: str | None
    next_hop: str | None
    weight: int | None = None
    publish_vpc: bool | None = None
    old_weight: int | None = None
    old_publish_vpc: bool | None = None
    row: Any = None
    message: str = ""
    overlay_mode: str | None = None
    description: str | None = None
    after: tuple[int, ...] = ()

    @property
    def lane(self) -> _Lane:
        return (str(self.region_id), str(self.vpn_gateway_id))

    @property
    def sends(self) -> bool:
        return self.action in WRITES

    def identity(self) -> tuple:
        """What the step does, without its number: a re-plan of the same change gives the same identity."""
        return (self.action, self.region_id, self.vpn_gateway_id, self.route_dest, self.next_hop, self.old_weight,
                self.weight, self.old_publish_vpc, self.publish_vpc)

    def describe(self) -> str:
        """``step 4 (delete 10.0.0.0/24 via vco-...)``: how messages name a step."""
        return f"step {self.number} ({self.action} {self.route_dest} via {self.next_hop})"


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


def _read_live(client: Any, lanes: list[_Lane]) -> tuple[dict[_Lane, list], dict[_Lane, str]]:
    """Each gateway's routes, read once and not logged; a gateway that cannot be read is named with why."""
    reader = client.clone(log=None, on_call=None) if hasattr(client, "clone") else client
    live: dict[_Lane, list] = {}
    unread: dict[_Lane, str] = {}
    for region, gateway in lanes:
        try:
            live[region, gateway] = reader.describe_vpn_route_entries(region, gateway)
        except ApiError as err:
            unread[region, gateway] = f"{err.code}: {err.info.meaning} {err.info.remedy}".strip()
        except VpnRouteError as err:
            unread[region, gateway] = str(err)
    return live, unread


def _is_custom(entry: Any) -> bool:
    return str(entry.route_entry_type or "custom").lower() == "custom"


def _published(entry: Any) -> bool | None:
    return None if not entry.state else str(entry.state).lower() == "published"


def _batch_id(lines: list[dict[str, Any]], live: Mapping[_Lane, list]) -> str:
    """From the desired rows and the live routes: the same file against the same gateways, the same id."""
    wanted = [("want", line["region_id"], line["vpn_gateway_id"], line["route_dest"], line["next_hop"],
               line["weight"], line["publish_vpc"]) for line in lines if line["status"] == "ready"]
    found = [("live", lane, e.route_dest, e.next_hop, e.weight, e.state, e.route_entry_type)
             for lane, entries in live.items() for e in entries]
    return derive_batch_id(wanted + found)


# --- building the steps ---------------------------------------------------------------------------


class _Builder:
    """Appends numbered steps; one method per situation of a destination."""

    def __init__(self, prune: bool):
        self.prune = prune
        self.steps: list[Step] = []

    def add(self, action: str, lane: _Lane, dest: Any, hop: Any, **values: Any) -> int:
        number = len(self.steps) + 1
        self.steps.append(Step(number, action, lane[0], lane[1], dest, hop, **values))
        return number

    def add_line(self, action: str, line: Mapping[str, Any], message: str, **values: Any) -> int:
        lane = (line["region_id"], line["vpn_gateway_id"])
        values = {"weight": line["weight"], "publish_vpc": line["publish_vpc"], "row": line["row"],
                  "overlay_mode": line["overlay_mode"], "description": line["description"], **values}
        return self.add(action, lane, line["route_dest"], line["next_hop"], message=message, **values)

    def add_live(self, action: str, lane: _Lane, entry: Any, message: str, **values: Any) -> int:
        values = {"weight": entry.weight, "publish_vpc": _published(entry), "old_weight": entry.weight,
                  "old_publish_vpc": _published(entry), "overlay_mode": entry.overlay_mode,
                  "description": entry.description, **values}
        return self.add(action, lane, entry.route_dest, entry.next_hop, message=message, **values)

    # --- situations ---

    def refused_rows(self, lines: list[dict[str, Any]]) -> None:
        for line in lines:
            if line["status"] in ("invalid", "conflict"):
                self.add_line(line["status"], line, line["message"])

    def blocked(self, lane: _Lane, live: Mapping[str, Any], want: Mapping[str, dict], reason: str) -> None:
        """Nothing of this destination is sent: its rows say why, its other live routes are extras."""
        for hop in sorted(want):
            old = live.get(hop)
            self.add_line("blocked", want[hop], reason, old_weight=getattr(old, "weight", None),
                          old_publish_vpc=_published(old) if old is not None else None)
        for hop in sorted(set(live) - set(want)):
            self.add_live("extra", lane, live[hop], f"on the gateway, not in the file; left alone ({reason})")

    def destination(self, lane: _Lane, live: Mapping[str, Any], want: Mapping[str, dict], prune: bool) -> None:
        """The steps that turn the live routes of one destination into the wanted ones (module docstring)."""
        extras = sorted(set(live) - set(want))
        kept = [] if prune else extras
        actives = [h for h in want if want[h]["weight"] == 100] + [h for h in kept if live[h].weight == 100]
        if len(actives) > 1:
            extra = next(h for h in kept if live[h].weight == 100)
            return self.blocked(lane, live, want, f"the gateway's active route via {extra} is not in the file and is "
                                                  "left alone (prune is off), and a destination has one active "
                                                  f"route: add {extra} with Weight 0 to the file, or use prune.")
        demoted: list[int] = []  # steps after which the old active route is gone or standby
        deletes: list[int] = []
        for hop in extras:
            if not prune:
                self.add_live("extra", lane, live[hop], "on the gateway, not in the file: left alone (prune is off).")
                continue
            deletes.append(self.add_live("delete", lane, live[hop], "on the gateway, not in the file (prune)."))
            demoted += deletes[-1:] if live[hop].weight == 100 else []
        common = sorted(h for h in want if h in live)
        changed = [h for h in common if live[h].weight != want[h]["weight"]]
        removed: dict[str, int] = {}
        if changed:
            target = next((h for h in changed if want[h]["weight"] == 100), changed[0])
            for hop in sorted(set(common + kept) - {target}):
                removed[hop] = self.add_live("delete", lane, live[hop], "removed for now: the API changes a weight "
                                             "only while the destination has no other route; recreated below.",
                                             row=want[hop]["row"] if hop in want else None)
                demoted += [removed[hop]] if live[hop].weight == 100 else []
            line = want[target]
            step = self.add_line("modify_weight", line, f"Weight {live[target].weight} -> {line['weight']}.",
                                 publish_vpc=_published(live[target]), old_weight=live[target].weight,
                                 old_publish_vpc=_published(live[target]), overlay_mode=live[target].overlay_mode,
                                 after=tuple(deletes + list(removed.values())))
            demoted += [step] if live[target].weight == 100 else []
        self._publishing(lane, live, want, [h for h in common if h not in removed], set(changed))
        self._creates(lane, live, want, removed, demoted)
        return None

    def _publishing(self, lane: _Lane, live: Mapping[str, Any], want: Mapping[str, dict], hops: list[str],
                    changed: set[str]) -> None:
        for hop in hops:
            line, entry = want[hop], live[hop]
            if _published(entry) != line["publish_vpc"]:
                action = "publish" if line["publish_vpc"] else "withdraw"
                what = "advertise it to the VPC" if line["publish_vpc"] else "stop advertising it to the VPC"
                self.add_line(action, line, f"{what}.", old_weight=line["weight"] if hop in changed else entry.weight,
                              old_publish_vpc=_published(entry), overlay_mode=entry.overlay_mode)
            elif hop not in changed:
                self.add_line("none", line, "already as the file says.", old_weight=entry.weight,
                              old_publish_vpc=_published(entry))

    def _creates(self, lane: _Lane, live: Mapping[str, Any], want: Mapping[str, dict], removed: Mapping[str, int],
                 demoted: list[int]) -> None:
        """Recreate what was removed for now, create what is new: standby routes first, the active one last."""
        todo = [(hop, removed.get(hop)) for hop in removed] + [(hop, None) for hop in sorted(want) if hop not in live]

        def weight(item: tuple[str, int | None]) -> int:
            hop = item[0]
            return want[hop]["weight"] if hop in want else live[hop].weight

        for hop, deleted in sorted(todo, key=lambda item: (weight(item), item[0])):
            needs = ((deleted,) if deleted else ()) + (tuple(demoted) if weight((hop, deleted)) == 100 else ())
            if hop in want:
                message = (f"recreated with the file's values (removed by step {deleted})." if deleted
                           else "in the file, not on the gateway.")
                old = live.get(hop)
                self.add_line("create", want[hop], message, after=needs,
                              old_weight=getattr(old, "weight", None) if deleted else None,
                              old_publish_vpc=_published(old) if deleted and old is not None else None)
            else:
                self.add_live("create", lane, live[hop], f"not in the file; recreated as it was (removed by step "
                                                         f"{deleted}).", after=needs)


def _guarded(lines: list[dict[str, Any]]) -> tuple[set[tuple], set[_Lane] | None]:
    """Destinations with an invalid or conflicting row, and gateways prune must not touch (None: all)."""
    dests: set[tuple] = set()
    lanes: set[_Lane] | None = set()
    for line in lines:
        if line["status"] not in ("invalid", "conflict"):
            continue
        lane = (line["region_id"], line["vpn_gateway_id"])
        if not all(isinstance(part, str) and part for part in lane):
            lanes = None
        elif lanes is not None:
            lanes.add(lane)
        if all(isinstance(part, str) for part in lane) and isinstance(line["route_dest"], str):
            dests.add((*lane, line["route_dest"]))
    return dests, lanes


def _gateway(builder: _Builder, lane: _Lane, lines: list[dict[str, Any]], entries: list, prune: bool,
             guarded: set[tuple]) -> None:
    custom: dict[str, dict[str, Any]] = defaultdict(dict)
    others = {}
    for entry in entries:
        if _is_custom(entry):
            custom[entry.route_dest][entry.next_hop] = entry
        else:
            others[entry.route_dest, entry.next_hop] = entry
    want: dict[str, dict[str, dict]] = defaultdict(dict)
    for line in lines:
        bgp = others.get((line["route_dest"], line["next_hop"]))
        if bgp is None:
            want[line["route_dest"]][line["next_hop"]] = line
        elif (bgp.weight, _published(bgp)) == (line["weight"], line["publish_vpc"]):
            builder.add_line("none", line, f"a {bgp.route_entry_type} route: listed for the record; sync never "
                                           "changes it.", old_weight=bgp.weight, old_publish_vpc=_published(bgp))
        else:
            builder.add_line("blocked", line, f"a {bgp.route_entry_type} route on the gateway (Weight {bgp.weight}, "
                                              f"published {_published(bgp)}); sync never changes those: make the "
                                              "row match or remove it.", old_weight=bgp.weight,
                             old_publish_vpc=_published(bgp))
    for dest in sorted(set(want) | set(custom), key=route_sort_key):
        if (*lane, dest) in guarded:
            problem = "another row of this destination is invalid or conflicting; fix it first."
            builder.blocked(lane, custom.get(dest, {}), want.get(dest, {}), problem)
        else:
            builder.destination(lane, custom.get(dest, {}), want.get(dest, {}), prune)


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
    by_lane: dict[_Lane, list] = defaultdict(list)
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
