"""The steps of a sync, built one destination at a time in the order the API's rules allow.

:mod:`vpnroute_widgets.batch.sync_plan` reads the file and the gateways and hands each gateway's
rows and live routes to :func:`_gateway`; the rules of order are in that module's docstring.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .export import route_sort_key

__all__ = ["ACTIONS", "REFUSED", "WRITES", "Lane", "Step"]

#: Steps that send a call, by kind.
WRITES = ("create", "modify_weight", "publish", "withdraw", "delete")
#: Rows of the file that are not planned (as in batches, plus ``blocked``).
REFUSED = ("invalid", "duplicate", "conflict", "blocked")
ACTIONS = (*WRITES, "none", "extra", *REFUSED)
Lane = tuple[str, str]


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
    def lane(self) -> Lane:
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


class _Builder:
    """Appends numbered steps; one method per situation of a destination."""

    def __init__(self, prune: bool):
        self.prune = prune
        self.steps: list[Step] = []

    def add(self, action: str, lane: Lane, dest: Any, hop: Any, **values: Any) -> int:
        number = len(self.steps) + 1
        self.steps.append(Step(number, action, lane[0], lane[1], dest, hop, **values))
        return number

    def add_line(self, action: str, line: Mapping[str, Any], message: str, **values: Any) -> int:
        lane = (line["region_id"], line["vpn_gateway_id"])
        values = {"weight": line["weight"], "publish_vpc": line["publish_vpc"], "row": line["row"],
                  "overlay_mode": line["overlay_mode"], "description": line["description"], **values}
        return self.add(action, lane, line["route_dest"], line["next_hop"], message=message, **values)

    def add_live(self, action: str, lane: Lane, entry: Any, message: str, **values: Any) -> int:
        values = {"weight": entry.weight, "publish_vpc": _published(entry), "old_weight": entry.weight,
                  "old_publish_vpc": _published(entry), "overlay_mode": entry.overlay_mode,
                  "description": entry.description, **values}
        return self.add(action, lane, entry.route_dest, entry.next_hop, message=message, **values)

    # --- situations ---

    def refused_rows(self, lines: list[dict[str, Any]]) -> None:
        for line in lines:
            if line["status"] in ("invalid", "conflict"):
                self.add_line(line["status"], line, line["message"])

    def blocked(self, lane: Lane, live: Mapping[str, Any], want: Mapping[str, dict], reason: str) -> None:
        """Nothing of this destination is sent: its rows say why, its other live routes are extras."""
        for hop in sorted(want):
            old = live.get(hop)
            self.add_line("blocked", want[hop], reason, old_weight=getattr(old, "weight", None),
                          old_publish_vpc=_published(old) if old is not None else None)
        for hop in sorted(set(live) - set(want)):
            self.add_live("extra", lane, live[hop], f"on the gateway, not in the file; left alone ({reason})")

    def destination(self, lane: Lane, live: Mapping[str, Any], want: Mapping[str, dict], prune: bool) -> None:
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

    def _publishing(self, lane: Lane, live: Mapping[str, Any], want: Mapping[str, dict], hops: list[str],
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

    def _creates(self, lane: Lane, live: Mapping[str, Any], want: Mapping[str, dict], removed: Mapping[str, int],
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


def _guarded(lines: list[dict[str, Any]]) -> tuple[set[tuple], set[Lane] | None]:
    """Destinations with an invalid or conflicting row, and gateways prune must not touch (None: all)."""
    dests: set[tuple] = set()
    lanes: set[Lane] | None = set()
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


def _gateway(builder: _Builder, lane: Lane, lines: list[dict[str, Any]], entries: list, prune: bool,
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


def _is_custom(entry: Any) -> bool:
    return str(entry.route_entry_type or "custom").lower() == "custom"


def _published(entry: Any) -> bool | None:
    return None if not entry.state else str(entry.state).lower() == "published"
