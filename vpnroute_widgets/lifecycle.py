"""The documented route lifecycle rules: wait for a gateway, fail over an active/standby pair.

Alibaba Cloud's reference for ModifyVpnRouteEntryWeight says: when a destination has an active
(weight 100) and a standby (weight 0) route, the weight of one can only be changed after the
other is deleted, and a new standby (or active) route is configured afterwards. Every change puts
the gateway in ``updating`` for a while, and a change sent meanwhile is refused
(``VpnGateway.Configuring``). :func:`switch_active` runs a failover as that documented sequence::

    1. wait until the gateway is active
    2. delete the standby route (via ``to_next_hop``, weight 0)        then wait
    3. change the active route (via the other hop) from 100 to 0      then wait
    4. create the route via ``to_next_hop`` with weight 100            then wait

Every call is recorded in the client's log with one ``batch_id`` (the switch id) and the step
number as ``row``, so the steps can be found together. A failure half-way stops at once and
raises :class:`SwitchError`: the steps done, the step that failed, the routes of the destination
as they are now, and how to finish or undo, in plain words.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigurationError, ValidationError, VpnRouteError
from .model import RouteEntryRequest, check_next_hop, check_region_id, check_route_dest, check_vpn_gateway_id
from .model.resources import RouteEntry, VpnGateway

__all__ = ["GatewayWaitError", "SwitchError", "SwitchResult", "SwitchStep", "switch_active", "wait_until_active"]

_NEVER_ACTIVE = ("deleting",)
_ACTIVE, _STANDBY = 100, 0


class GatewayWaitError(VpnRouteError):
    """A gateway did not become ``active`` within the time allowed (or never will: it is being deleted)."""

    code = "GatewayWaitTimeout"
    http_status = None
    request_id = None

    def __init__(self, message: str, *, region_id: str, vpn_gateway_id: str, last_status: str | None,
                 waited_s: float, polls: int, retryable: bool = True):
        super().__init__(message)
        self.message = message
        self.region_id = region_id
        self.vpn_gateway_id = vpn_gateway_id
        self.last_status = last_status
        self.waited_s = waited_s
        self.polls = polls
        self.retryable = retryable


def wait_until_active(describe: Callable[[], VpnGateway], *, region_id: str, vpn_gateway_id: str,
                      timeout: float, poll: float, max_poll: float, sleep: Callable[[float], None],
                      clock: Callable[[], float]) -> VpnGateway:
    """Call ``describe`` until the gateway is active, backing off from ``poll`` to ``max_poll`` seconds.

    The time waited is the larger of the clock's and the sum of the pauses asked for, so an
    injected sleep that returns at once still ends the wait after the same number of polls.
    """
    if not (timeout >= 0 and 0 < poll <= max_poll):
        raise ConfigurationError(f"wait_for_gateway needs timeout >= 0 and 0 < poll <= max_poll, got "
                                 f"timeout={timeout!r}, poll={poll!r}, max_poll={max_poll!r}.")
    started, slept, delay, polls = clock(), 0.0, poll, 0
    while True:
        gateway = describe()
        polls += 1
        if gateway.is_active:
            return gateway
        waited = max(clock() - started, slept)
        status = gateway.status
        if (status or "").lower() in _NEVER_ACTIVE:
            raise GatewayWaitError(
                f"VPN gateway {vpn_gateway_id} ({region_id}) is {status!r}: it will not become active again.",
                region_id=region_id, vpn_gateway_id=vpn_gateway_id, last_status=status, waited_s=waited,
                polls=polls, retryable=False)
        if waited >= timeout:
            raise GatewayWaitError(
                f"VPN gateway {vpn_gateway_id} ({region_id}) is still {status!r} after {waited:.1f} s "
                f"({polls} polls; timeout {timeout:g} s). It accepts changes only when 'active': wait longer "
                "(wait_for_gateway(..., timeout=...)) or look at the gateway in the console.",
                region_id=region_id, vpn_gateway_id=vpn_gateway_id, last_status=status, waited_s=waited, polls=polls)
        pause = min(delay, timeout - waited)
        sleep(pause)
        slept += pause
        delay = min(delay * 2, max_poll)


# --- switch_active ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SwitchStep:
    """One step of a switch: its number (the log records' ``row``), what it does, and how it went."""

    number: int
    name: str
    action: str
    outcome: str = "ok"  # ok, error
    request_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class SwitchResult:
    """What :func:`switch_active` did. ``changed`` is False for a switch to the hop already active."""

    switch_id: str
    route_dest: str
    from_next_hop: str | None
    to_next_hop: str
    changed: bool
    message: str
    steps: tuple[SwitchStep, ...] = ()

    def __str__(self) -> str:
        return self.message


class SwitchError(VpnRouteError):
    """A switch stopped: ``steps_done``, ``failed_step``, ``error`` (the cause), ``routes`` (the destination's
    routes now; None when they could not be read), ``finish`` and ``undo`` (what to do, in plain words).

    ``str(err)`` is the whole account, ready to print.
    """

    code = "SwitchError"
    http_status = None
    request_id = None
    retryable = False

    def __init__(self, summary: str, *, switch_id: str, steps_done: tuple[SwitchStep, ...],
                 failed_step: SwitchStep | None, error: BaseException | None, routes: tuple[RouteEntry, ...] | None,
                 finish: tuple[str, ...], undo: tuple[str, ...]):
        self.summary = summary
        self.switch_id = switch_id
        self.steps_done = steps_done
        self.failed_step = failed_step
        self.error = error
        self.routes = routes
        self.finish = finish
        self.undo = undo
        self.message = self.account()
        super().__init__(self.message)

    def account(self) -> str:
        """The plain-words account: what was done, what failed, the state left, how to finish or undo."""
        lines = [self.summary, f"Switch id: {self.switch_id} (the log's batch_id of every call of this switch)."]
        lines += ["Steps done:"] + ([f"  {s.number}. {s.name}" for s in self.steps_done] or ["  none"])
        if self.failed_step is not None:
            lines.append(f"Failed: {self.failed_step.number}. {self.failed_step.name}: {self.failed_step.error}")
        lines.append("Routes of the destination now:")
        if self.routes is None:
            lines.append("  unknown (they could not be read; list them with client.describe_vpn_route_entries)")
        else:
            lines += [f"  via {r.next_hop} weight {r.weight}" for r in self.routes] or ["  none"]
        lines += ["To finish:"] + [f"  {text}" for text in self.finish]
        lines += ["To undo:"] + [f"  {text}" for text in self.undo]
        return "\n".join(lines)


def switch_active(client: Any, region_id: str, vpn_gateway_id: str, route_dest: str, to_next_hop: str, *,
                  timeout: float = 300.0, poll: float = 1.0, switch_id: str | None = None) -> SwitchResult:
    """Make ``to_next_hop`` the active route of ``route_dest`` (weight 100) and the current one standby (0).

    Checks before sending anything: the destination has exactly two routes, one active
    (weight 100) and one standby via ``to_next_hop`` (weight 0); switching to the hop already
    active sends nothing and says so. Then runs the documented sequence (module docstring),
    waiting up to ``timeout`` seconds for the gateway before each write and after the last.
    The route recreated via ``to_next_hop`` keeps the deleted standby's publishing and
    description (when the listing shows them). Raises :class:`SwitchError` on any failure.
    """
    run = _Switch(client, check_region_id(region_id), check_vpn_gateway_id(vpn_gateway_id),
                  check_route_dest(route_dest), check_next_hop(to_next_hop),
                  switch_id or f"switch-{uuid.uuid4().hex[:12]}", timeout, poll)
    return run.run()


@dataclass
class _Switch:
    """One run of :func:`switch_active`: its steps, in order, and the account of a failure."""

    client: Any
    region_id: str
    gateway_id: str
    dest: str
    to_hop: str
    switch_id: str
    timeout: float
    poll: float
    done: list[SwitchStep] = field(default_factory=list)
    old_hop: str | None = None
    standby: RouteEntry | None = None

    def context(self, number: int) -> dict[str, Any]:
        return {"batch_id": self.switch_id, "row": number}

    def routes(self, number: int) -> list[RouteEntry]:
        """The destination's destination routes (custom), read now."""
        listed = self.client.describe_vpn_route_entries(self.region_id, self.gateway_id, route_entry_type="custom",
                                                        context=self.context(number))
        return [r for r in listed if r.route_dest == self.dest and not r.is_bgp]

    def run(self) -> SwitchResult:
        before = self._step(0, f"read the routes of {self.dest}", "DescribeVpnRouteEntries", lambda: self.routes(0))
        found, standby = self._pair(before)
        if found is None:
            return self._result(False, f"{self.to_hop} already carries {self.dest} (weight 100): nothing to switch, "
                                       "nothing was sent.")
        active: RouteEntry = found
        request = self._recreatable(standby, before)
        self.old_hop, self.standby = active.next_hop, standby
        self._wait(1, "wait until the gateway is active", check_locked=True)
        self._step(2, f"delete the standby route via {self.to_hop} (weight 0)", "DeleteVpnRouteEntry",
                   lambda: self.client.delete_vpn_route_entry(
                       self.region_id, self.gateway_id, self.dest, self.to_hop, _STANDBY,
                       overlay_mode=standby.overlay_mode, context=self.context(2)))
        self._wait(3, "wait until the gateway is active")
        self._step(4, f"set the route via {self.old_hop} from weight 100 to 0", "ModifyVpnRouteEntryWeight",
                   lambda: self.client.modify_vpn_route_entry_weight(
                       self.region_id, self.gateway_id, self.dest, self.old_hop, _ACTIVE, _STANDBY,
                       overlay_mode=active.overlay_mode, context=self.context(4)))
        self._wait(5, "wait until the gateway is active")
        self._step(6, f"create the route via {self.to_hop} with weight 100", "CreateVpnRouteEntry",
                   lambda: self.client.create_vpn_route_entry(request, context=self.context(6)))
        self._wait(7, "wait until the gateway is active")
        return self._result(True, f"{self.dest} now goes via {self.to_hop} (weight 100); {self.old_hop} is "
                                  "standby (weight 0).")

    def _pair(self, routes: list[RouteEntry]) -> tuple[RouteEntry | None, RouteEntry]:
        """(active, standby) when the destination is a switchable pair; (None, to) when to_hop is already active."""
        to = [r for r in routes if r.next_hop == self.to_hop]
        if len(to) == 1 and to[0].weight == _ACTIVE:
            return None, to[0]
        active = [r for r in routes if r.next_hop != self.to_hop and r.weight == _ACTIVE]
        if len(routes) == 2 and len(to) == 1 and to[0].weight == _STANDBY and len(active) == 1:
            return active[0], to[0]
        shown = ", ".join(f"via {r.next_hop} weight {r.weight}" for r in routes) or "none"
        raise self._error(f"Nothing was sent: {self.dest} must have exactly two routes, one active (weight 100) "
                          f"and one standby via {self.to_hop} (weight 0); it has: {shown}.", None, None,
                          tuple(routes))

    def _recreatable(self, standby: RouteEntry, routes: list[RouteEntry]) -> RouteEntryRequest:
        """The create of step 6, built before anything is sent: a value it cannot carry stops the switch now."""
        self.standby = standby
        try:
            return self.recreate(_ACTIVE)
        except ValidationError as err:
            raise SwitchError(
                f"Nothing was sent: the route via {self.to_hop} could not be recreated as it is ({err}).",
                switch_id=self.switch_id, steps_done=tuple(self.done), failed_step=None, error=err,
                routes=tuple(routes), undo=("nothing to undo",),
                finish=(f"correct the route via {self.to_hop} (delete it and create it again with a valid "
                        f"{err.field}), then run vw.switch_active again",)) from err

    def recreate(self, weight: int) -> RouteEntryRequest:
        """The route via ``to_hop`` with ``weight`` and the deleted standby's publishing, description, overlay."""
        standby = self.standby
        publish = True if standby is None or standby.published is None else standby.published
        return RouteEntryRequest(self.region_id, self.gateway_id, self.dest, self.to_hop, weight, publish,
                                 overlay_mode=standby.overlay_mode if standby else None,
                                 description=standby.description if standby else None)

    def _wait(self, number: int, name: str, check_locked: bool = False) -> None:
        gateway = self._step(number, name, "DescribeVpnGateway", lambda: self.client.wait_for_gateway(
            self.region_id, self.gateway_id, timeout=self.timeout, poll=self.poll, context=self.context(number)))
        if check_locked and gateway.is_locked:
            self.done.pop()  # the wait ended, but the step failed: the gateway takes no change
            failed = SwitchStep(number, name, "DescribeVpnGateway", "error",
                                error="the gateway is FinancialLocked (overdue payment): it accepts no change")
            raise self._failure(failed, None)

    def _step(self, number: int, name: str, action: str, run: Callable[[], Any]) -> Any:
        try:
            value = run()
        except VpnRouteError as err:
            failed = SwitchStep(number, name, action, "error", getattr(err, "request_id", None), str(err))
            raise self._failure(failed, err) from err
        request_id = value if isinstance(value, str) else getattr(value, "request_id", None)
        self.done.append(SwitchStep(number, name, action, "ok", request_id))
        return value

    def _failure(self, failed: SwitchStep, err: VpnRouteError | None) -> SwitchError:
        if failed.number == 0:
            return self._error(f"Nothing was sent: the routes of {self.dest} could not be read.", failed, err, None)
        try:
            now: tuple[RouteEntry, ...] | None = tuple(self.routes(8))
        except VpnRouteError:
            now = None
        return self._error(f"The switch of {self.dest} to {self.to_hop} stopped at step {failed.number} "
                           f"({failed.name}).", failed, err, now)

    def _error(self, summary: str, failed: SwitchStep | None, err: BaseException | None,
               routes: tuple[RouteEntry, ...] | None) -> SwitchError:
        if self.old_hop:
            finish, undo = _advice(self, routes)
        elif failed is not None:  # the first read failed: nothing was sent
            finish, undo = ("nothing was sent: run vw.switch_active again",), ("nothing to undo",)
        else:  # the destination is not a switchable pair
            finish = (f"make {self.dest} an active/standby pair (one route weight 100, one via {self.to_hop} "
                      "weight 0), then run vw.switch_active again",)
            undo = ("nothing to undo",)
        return SwitchError(summary, switch_id=self.switch_id, steps_done=tuple(self.done), failed_step=failed,
                           error=err, routes=routes, finish=finish, undo=undo)

    def _result(self, changed: bool, message: str) -> SwitchResult:
        return SwitchResult(self.switch_id, self.dest, self.old_hop, self.to_hop, changed, message, tuple(self.done))


def _advice(run: _Switch, routes: tuple[RouteEntry, ...] | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(to finish, to undo) from the routes left: what the state means, then the calls to make, in order."""
    old, to = run.old_hop, run.to_hop
    args = f"{run.region_id!r}, {run.gateway_id!r}, {run.dest!r}"
    wait = (f"between the calls, wait until the gateway is active: "
            f"client.wait_for_gateway({run.region_id!r}, {run.gateway_id!r})")
    if routes is None:
        look = (f"list the routes (client.describe_vpn_route_entries({run.region_id!r}, {run.gateway_id!r})) and "
                f"compare: before the switch {old} had weight 100 and {to} weight 0",)
        return look, look

    def create(weight: int) -> str:
        request = run.recreate(weight)
        extra = f", description={request.description!r}" if request.description else ""
        return (f"client.create_vpn_route_entry(vw.RouteEntryRequest({args}, {to!r}, weight={weight}, "
                f"publish_vpc={request.publish_vpc}{extra}))")

    def modify(weight: int, new: int) -> str:
        return f"client.modify_vpn_route_entry_weight({args}, {old!r}, {weight}, {new})"

    state = {r.next_hop: r.weight for r in routes}
    if state == {old: _ACTIVE, to: _STANDBY}:
        return (f"nothing changed: run vw.switch_active again (to {to})",), ("nothing to undo",)
    if state == {old: _ACTIVE}:
        said = f"traffic still goes via {old}; the standby route via {to} was deleted"
        return (f"{said}; set {old} to 0, then create {to} with weight 100:", wait, modify(100, 0), create(100)), \
               (f"{said}; recreate it as the standby:", create(0))
    if state == {old: _STANDBY}:
        said = f"{run.dest} has no active route: {old} is standby (0) and {to} does not exist"
        return (f"{said}; create {to} with weight 100:", create(100)), \
               (f"{said}; set {old} back to 100, then recreate {to} as the standby:", wait, modify(0, 100), create(0))
    if state == {old: _STANDBY, to: _ACTIVE}:
        return (f"nothing: the switch is complete ({to} active, {old} standby); the gateway may still be "
                "updating",), (f"switch back: vw.switch_active(client, {args}, {old!r})",)
    shown = ", ".join(f"via {hop} weight {weight}" for hop, weight in state.items()) or "no route"
    text = (f"the destination has {shown}, which is not a state this switch leaves; compare with the state "
            f"before ({old} weight 100, {to} weight 0) and correct it by hand",)
    return text, text
