"""What a Routes tab action will send, and sending it: plain functions of the route table, no widgets.

The Routes tab (:mod:`.routes`) shows a gateway's routes; people select rows and pick an action.
:func:`plan_action` turns the selection into an :class:`ActionPlan`: the routes acted on, the
routes skipped and why (BGP-learned routes cannot be changed; a weight change on one route of
an active/standby pair is refused by the API, so the plan says so and offers a switch instead),
and the exact calls (operation and parameters, no secret: credentials are added by the client
when it signs). :func:`run_action` sends them one by one, waiting for the gateway to be active
before each write (a change sent while it is ``updating`` is refused), and stops at Cancel.

Kept apart from the widget so the rules are tested as functions and the widget stays thin.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["ACTIONS", "ActionPlan", "ActionResult", "Route", "display_frame", "plan_action", "role_of",
           "routes_from_frame", "run_action"]

#: action -> (verb for the confirmation, past tense for the status line)
ACTIONS = {
    "switch": ("switch active/standby of", "switched"),
    "weight": ("change the weight of", "changed the weight of"),
    "publish": ("publish", "published"),
    "withdraw": ("withdraw", "withdrew"),
    "delete": ("delete", "deleted"),
}
BGP_REASON = "BGP-learned (the gateway learned it from its BGP peer; the API does not change or delete it)"
PAIR_REASON = ("one of an active/standby pair: the API refuses a weight change while the destination has "
               "another route (delete that one first); use Switch active/standby instead")

_ROLES: dict[int | None, str] = {100: "active", 0: "standby"}


def role_of(weight: int | None, other: str = "") -> str:
    """``active`` for weight 100, ``standby`` for 0, ``other`` for anything else."""
    return _ROLES.get(weight, other)


@dataclass(frozen=True)
class Route:
    """One row of the route table, as the actions need it."""

    route_dest: str
    next_hop: str
    weight: int | None
    published: bool | None
    kind: str = "custom"  # custom or bgp

    @property
    def role(self) -> str:
        return role_of(self.weight, f"weight {self.weight}")


@dataclass
class ActionPlan:
    """What an action would do on one gateway: ``targets`` (routes or destinations), ``skipped``
    (route, reason), ``calls`` (operation, parameters) in sending order."""

    action: str
    region_id: str
    vpn_gateway_id: str
    targets: list[Route] = field(default_factory=list)
    skipped: list[tuple[Route, str]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    new_weight: int | None = None

    @property
    def count(self) -> int:
        return len(self.targets)

    @property
    def noun(self) -> str:
        if self.action == "switch":
            return "destination" if self.count == 1 else "destinations"
        return "route" if self.count == 1 else "routes"

    @property
    def switch_instead(self) -> bool:
        """True when rows were skipped for the pair rule: a switch would do what was meant."""
        return any(reason == PAIR_REASON for _r, reason in self.skipped)

    def confirm_text(self) -> str:
        """``Confirm: withdraw 3 routes on vpn-xxx`` (the button people press to send)."""
        extra = f" to {self.new_weight}" if self.action == "weight" else ""
        return f"Confirm: {ACTIONS[self.action][0]} {self.count} {self.noun}{extra} on {self.vpn_gateway_id}"

    def call_lines(self, shared: bool = True) -> list[str]:
        """``1. PublishVpnRouteEntry  RegionId=... PublishVpc=false``: one line per call, in sending order.

        ``shared=False`` leaves out RegionId and VpnGatewayId (every call has the plan's; say them once).
        """
        def shown(value: Any) -> str:
            return json.dumps(value) if isinstance(value, bool) else str(value)

        skip = () if shared else ("RegionId", "VpnGatewayId")
        return [f"{n}. {op}  " + " ".join(f"{k}={shown(v)}" for k, v in params.items() if k not in skip)
                for n, (op, params) in enumerate(self.calls, 1)]

    def skipped_text(self) -> str:
        """Why rows are left out, grouped by reason (empty when none is)."""
        reasons: dict[str, int] = {}
        for _route, reason in self.skipped:
            reasons[reason] = reasons.get(reason, 0) + 1
        return "; ".join(f"{n} skipped: {reason}" for reason, n in reasons.items())


@dataclass
class ActionResult:
    """How an action went: ``done`` and ``errors`` (route label, message), ``cancelled`` count."""

    plan: ActionPlan
    done: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    cancelled: int = 0

    def summary(self) -> str:
        """The status line, in words: what happened, never "Done" alone."""
        plan = self.plan
        past = ACTIONS[plan.action][1]
        noun = plan.noun if len(self.done) == plan.count else ("destinations" if plan.action == "switch" else "routes")
        parts = [f"{past.capitalize()} {len(self.done)} of {plan.count} {noun} on {plan.vpn_gateway_id}"]
        if self.errors:
            parts.append(f"errors {len(self.errors)} ({self.errors[0][0]}: {self.errors[0][1]})")
        if self.cancelled:
            parts.append(f"cancelled {self.cancelled} (not sent)")
        if plan.skipped:
            parts.append(f"skipped {len(plan.skipped)}")
        return ", ".join(parts) + "."


def routes_from_frame(frame: Any) -> list[Route]:
    """Routes from an export frame (:func:`vpnroute_widgets.export_routes` columns)."""
    routes = []
    for row in frame.to_dict("records"):
        weight = row.get("Weight")
        published = row.get("PublishVpc")
        routes.append(Route(str(row.get("RouteDest")), str(row.get("NextHop")),
                            None if weight is None or weight != weight else int(weight),
                            None if published is None or published != published else bool(published),
                            str(row.get("RouteEntryType") or "custom")))
    return routes


def display_frame(frame: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """The export frame as people read it: connection names, active/standby, yes/no, UTC times."""
    created = frame["CreateTime"].dt.strftime("%Y-%m-%d %H:%M:%S UTC") if len(frame) else frame["CreateTime"]
    weight = frame["Weight"]
    return pd.DataFrame({
        "RouteDest": frame["RouteDest"], "NextHop": frame["NextHop"],
        "Connection": [names.get(str(h), "") for h in frame["NextHop"]],
        "Role": [role_of(None if pd.isna(w) else int(w)) for w in weight],
        "Weight": weight, "Published": [("" if pd.isna(p) else "yes" if p else "no") for p in frame["PublishVpc"]],
        "State": frame["State"], "RouteEntryType": frame["RouteEntryType"], "CreateTime (UTC)": created,
        "Description": frame["Description"],
    })


def _base(plan: ActionPlan, route: Route) -> dict[str, Any]:
    return {"RegionId": plan.region_id, "VpnGatewayId": plan.vpn_gateway_id, "RouteDest": route.route_dest,
            "NextHop": route.next_hop}


def _others(route: Route, table: Iterable[Route]) -> list[Route]:
    """The other custom routes of the same destination (its pair partner, if any)."""
    return [r for r in table if r.kind != "bgp" and r.route_dest == route.route_dest and r.next_hop != route.next_hop]


def plan_action(action: str, selected: Iterable[Route], table: Iterable[Route], *, region_id: str,
                vpn_gateway_id: str, new_weight: int | None = None) -> ActionPlan:
    """The plan of ``action`` on the ``selected`` routes, judged against the whole ``table`` of the gateway."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}: one of {', '.join(ACTIONS)}")
    table = list(table)
    plan = ActionPlan(action, region_id, vpn_gateway_id, new_weight=new_weight)
    planner = {"switch": _plan_switch, "weight": _plan_weight, "publish": _plan_publish,
               "withdraw": _plan_publish, "delete": _plan_delete}[action]
    seen: set[tuple[str, str]] = set()
    for route in selected:
        if (route.route_dest, route.next_hop) in seen:
            continue
        seen.add((route.route_dest, route.next_hop))
        if route.kind == "bgp":
            plan.skipped.append((route, BGP_REASON))
            continue
        planner(plan, route, table)
    return plan


def _plan_switch(plan: ActionPlan, route: Route, table: list[Route]) -> None:
    if any(t.route_dest == route.route_dest for t in plan.targets):
        return  # both routes of a pair selected: one switch
    pair = [route, *_others(route, table)]
    active = [r for r in pair if r.weight == 100]
    standby = [r for r in pair if r.weight == 0]
    if len(pair) != 2 or len(active) != 1 or len(standby) != 1:
        plan.skipped.append((route, "no active/standby pair (a switch needs one route of weight 100 and one of 0)"))
        return
    old, new = active[0], standby[0]
    plan.targets.append(new)
    plan.calls += [("DeleteVpnRouteEntry", {**_base(plan, new), "Weight": 0}),
                   ("ModifyVpnRouteEntryWeight", {**_base(plan, old), "Weight": 100, "NewWeight": 0}),
                   ("CreateVpnRouteEntry", {**_base(plan, new), "Weight": 100,
                                            "PublishVpc": bool(new.published) if new.published is not None else True})]


def _plan_weight(plan: ActionPlan, route: Route, table: list[Route]) -> None:
    if plan.new_weight not in (0, 100):
        raise ValueError("the new weight is 0 (standby) or 100 (active)")
    if route.weight == plan.new_weight:
        plan.skipped.append((route, f"already weight {plan.new_weight}"))
    elif _others(route, table):
        plan.skipped.append((route, PAIR_REASON))
    else:
        plan.targets.append(route)
        plan.calls.append(("ModifyVpnRouteEntryWeight", {**_base(plan, route), "Weight": route.weight,
                                                         "NewWeight": plan.new_weight}))


def _plan_publish(plan: ActionPlan, route: Route, _table: list[Route]) -> None:
    want = plan.action == "publish"
    if route.published is want:
        plan.skipped.append((route, "already published" if want else "already withdrawn"))
        return
    plan.targets.append(route)
    plan.calls.append(("PublishVpnRouteEntry", {**_base(plan, route), "PublishVpc": want, "RouteType": "dbr"}))


def _plan_delete(plan: ActionPlan, route: Route, _table: list[Route]) -> None:
    plan.targets.append(route)
    plan.calls.append(("DeleteVpnRouteEntry", {**_base(plan, route), "Weight": route.weight}))


# --- sending ------------------------------------------------------------------------------------


def _sender(plan: ActionPlan, route: Route, context: Mapping[str, Any], poll: float,
            timeout: float) -> Callable[[Any], Any]:
    """The call(s) that carry out ``plan`` on one target route."""
    region, gateway = plan.region_id, plan.vpn_gateway_id

    def send(client: Any) -> Any:
        if plan.action == "switch":
            from ..lifecycle import switch_active

            return switch_active(client, region, gateway, route.route_dest, route.next_hop, timeout=timeout,
                                 poll=poll, switch_id=str(context["batch_id"]))
        client.wait_for_gateway(region, gateway, timeout=timeout, poll=poll, context=context)
        if plan.action == "weight":
            return client.modify_vpn_route_entry_weight(region, gateway, route.route_dest, route.next_hop,
                                                        route.weight, plan.new_weight, context=context)
        if plan.action in ("publish", "withdraw"):
            return client.publish_vpn_route_entry(region, gateway, route.route_dest, route.next_hop,
                                                  plan.action == "publish", context=context)
        return client.delete_vpn_route_entry(region, gateway, route.route_dest, route.next_hop, route.weight,
                                             context=context)

    return send


def run_action(plan: ActionPlan, client: Any, *, cancel: threading.Event | None = None,
               progress: Callable[[int, int], None] | None = None, poll: float = 0.25,
               timeout: float = 300.0) -> ActionResult:
    """Send ``plan``'s calls, one target after another; every call goes to the client's log.

    The calls of one action share a ``batch_id`` (``routes-<hex>``) and carry the target's number
    as ``row``, so the log groups them. An error stops nothing but its own target; Cancel stops
    before the next target (the ones not sent are counted as cancelled).
    """
    result = ActionResult(plan)
    batch_id = f"routes-{uuid.uuid4().hex[:12]}"
    for number, route in enumerate(plan.targets, start=1):
        if cancel is not None and cancel.is_set():
            result.cancelled = plan.count - number + 1
            break
        label = f"{route.route_dest} via {route.next_hop}"
        try:
            _sender(plan, route, {"batch_id": batch_id, "row": number}, poll, timeout)(client)
        except Exception as err:  # noqa: BLE001 - every failure is reported in the result, in words
            result.errors.append((label, getattr(err, "summary", None) or str(err).splitlines()[0]))
        else:
            result.done.append(label)
        if progress is not None:
            progress(number, plan.count)
    return result
