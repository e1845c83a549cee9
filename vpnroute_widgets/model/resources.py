"""Typed values of what the service returns: routes, gateways, connections.

Built from a parsed JSON or XML answer (XML gives every value as text; numbers are converted
here). A value that cannot be read raises :class:`~vpnroute_widgets.errors.ValidationError`
naming the field; the client turns that into an error of the call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ValidationError

__all__ = ["RouteEntry"]


def _as_int(field: str, value: object) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError(field, f"the response carried a non-integer value {value!r}.", value=value) from None


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

    @classmethod
    def from_api(cls, data: Mapping[str, Any], request_id: str | None = None) -> RouteEntry:
        """Build from a parsed JSON or XML body, converting text numbers to ints."""

        def text(key: str) -> str | None:
            value = data.get(key)
            return None if value is None or value == "" else str(value)

        return cls(
            request_id=text("RequestId") or request_id,
            vpn_instance_id=text("VpnInstanceId"),
            route_dest=text("RouteDest"),
            next_hop=text("NextHop"),
            weight=_as_int("Weight", data.get("Weight")),
            overlay_mode=text("OverlayMode"),
            state=text("State"),
            create_time=_as_int("CreateTime", data.get("CreateTime")),
            description=text("Description"),
            route_entry_type=text("RouteEntryType"),
        )
