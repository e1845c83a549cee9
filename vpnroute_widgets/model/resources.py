"""Typed values of what the service returns: routes, gateways, connections.

Built from a parsed JSON or XML answer (XML gives every value as text; numbers are converted
here). A value that cannot be read raises :class:`~vpnroute_widgets.errors.ValidationError`
naming the field; the client turns that into an error of the call.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ValidationError

__all__ = ["RouteEntry"]


_INT64 = (-(2**63), 2**63 - 1)
_WEIGHT = (0, 2**31 - 1)
_DIGITS = re.compile(r"[+-]?[0-9]{1,20}")


def _as_int(field: str, value: object, bounds: tuple[int, int] = _INT64) -> int | None:
    """An int from a JSON number or XML text; absent is None; anything else raises ValidationError.

    Accepted: an int, an integral finite float (``100.0``), or ASCII digits with an optional sign.
    Refused: booleans, fractions, NaN and infinities, other text, and values outside ``bounds``
    (a 64-bit integer by default: the log and pandas hold no more).
    """
    if value is None or value == "":
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        number = int(value.strip())
    if number is None or not bounds[0] <= number <= bounds[1]:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise ValidationError(field, f"the response carried {shown}, not an integer from {bounds[0]} to "
                                     f"{bounds[1]}.", value=value)
    return number


@dataclass(frozen=True)
class RouteEntry:
    """A VPN destination route as the service returned it (weight and create_time always ints)."""

    request_id: str | None
    vpn_instance_id: str | None
    route_dest: str | None
    next_hop: str | None
    weight: int | None
    overlay_mode: str | None = None
    state: str | None = None
    create_time: int | None = None
    description: str | None = None
    route_entry_type: str | None = None
    #: What could not be read: one message per field set to None because its value was unreadable.
    problems: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any], request_id: str | None = None) -> RouteEntry:
        """Build from a parsed JSON or XML body, converting text numbers to ints; never raises.

        A number that cannot be read (not an integer, a fraction, NaN, out of range: a Weight
        past 2**31-1, a CreateTime past 64 bits) becomes None and its message goes to
        ``problems``. The answer is still the service's word: a create answer with one odd
        field means the route WAS created, so it must not turn into an error that would make
        the user create it again (the client notes the problem in the call's record).
        """
        problems: list[str] = []


        def text(key: str) -> str | None:
            value = data.get(key)
            return None if value is None or value == "" else str(value)

        def number(key: str, bounds: tuple[int, int] = _INT64) -> int | None:
            try:
                return _as_int(key, data.get(key), bounds)
            except ValidationError as err:
                problems.append(f"{err} Kept as None.")
                return None

        return cls(
            request_id=text("RequestId") or request_id,
            vpn_instance_id=text("VpnInstanceId"),
            route_dest=text("RouteDest"),
            next_hop=text("NextHop"),
            weight=number("Weight", _WEIGHT),
            overlay_mode=text("OverlayMode"),
            state=text("State"),
            create_time=number("CreateTime", (0, _INT64[1])),
            description=text("Description"),
            route_entry_type=text("RouteEntryType"),
            problems=tuple(problems),
        )
