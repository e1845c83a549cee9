"""One checker per API field: the rules of every parameter, written once.

Each ``check_*`` takes a raw value (text from a form or CSV, or a Python value), returns it
normalised (``"100"`` becomes ``100``, ``"TRUE"`` becomes ``True``) or raises
:class:`~vpnroute_widgets.errors.ValidationError` naming the API parameter and what would be
accepted. Forms, the batch reader, the request types, the client and the sandbox all use
:data:`CHECKERS`, so a rule cannot drift between them.
"""

from __future__ import annotations

import ipaddress
import numbers
import re
import unicodedata

from ..errors import ValidationError
from .values import is_blank, parse_bool

__all__ = [
    "CHECKERS",
    "check_new_weight",
    "check_route_entry_type",
    "check_route_type",
    "check_vpc_id",
    "check_client_token",
    "check_description",
    "check_next_hop",
    "check_overlay_mode",
    "check_publish_vpc",
    "check_region_id",
    "check_route_dest",
    "check_vpn_gateway_id",
    "check_weight",
]

_CARRIER_GRADE_NAT = ipaddress.ip_network("100.64.0.0/10")
_CGN_FIRST, _CGN_LAST = int(_CARRIER_GRADE_NAT.network_address), int(_CARRIER_GRADE_NAT.broadcast_address)
_SPACE = re.compile(r"\s")
_REGION_RE = re.compile(r"^[a-z]{2,}(?:-[a-z0-9]+){1,4}$")
_GATEWAY_RE = re.compile(r"^vpn-[a-z0-9]{4,64}$")
_NEXT_HOP_RE = re.compile(r"^vco-[a-z0-9]{4,64}$")
_VPC_RE = re.compile(r"^vpc-[a-z0-9]{4,64}$")
_PRINTABLE_ASCII = re.compile(r"^[\x21-\x7e]+$")
_ASCII_INT = re.compile(r"-?[0-9]{1,6}")


def _text(field: str, value: object) -> str:
    """A required text value: blank (None, NaN, spaces) is missing; surrounding spaces are dropped."""
    if is_blank(value):
        raise ValidationError(field, "is required and was empty.", value=value, missing=True)
    if not isinstance(value, str):
        raise ValidationError(field, f"must be text, got {type(value).__name__} {value!r}.", value=value)
    return value.strip()


def _no_whitespace(field: str, value: str, shape: str) -> None:
    if _SPACE.search(value):
        raise ValidationError(field, f"must not contain spaces; expected {shape}.", value=value)
    if "*" in value:
        raise ValidationError(
            field, f"{value!r} looks masked (it contains '*'); paste the full id, {shape}.", value=value
        )


def _check_identifier(field: str, value: object, pattern: re.Pattern, shape: str, prefix: str = "") -> str:
    """Shared rules of the id fields: required, no spaces, not masked, matches ``pattern``.

    A value that only fails on case gets the lower-case form suggested; one without the
    expected ``prefix`` is told which prefix such ids have.
    """
    text = _text(field, value)
    _no_whitespace(field, text, shape)
    if pattern.match(text):
        return text
    if pattern.match(text.lower()):
        hint = f" Did you mean {text.lower()!r}?"
    elif prefix and not text.startswith(prefix):
        hint = f" These ids start with {prefix!r}."
    else:
        hint = ""
    raise ValidationError(field, f"{text!r} is not valid; expected {shape}.{hint}", value=value)


def check_region_id(value: object) -> str:
    """RegionId: a region id such as ``cn-hangzhou`` or ``ap-southeast-1``."""
    return _check_identifier("RegionId", value, _REGION_RE, "a lower-case region id such as cn-hangzhou")


def check_vpn_gateway_id(value: object) -> str:
    """VpnGatewayId: ``vpn-`` followed by lower-case letters and digits."""
    return _check_identifier("VpnGatewayId", value, _GATEWAY_RE,
                             "a VPN gateway id such as vpn-bp1a3kqjiiq9legfx0000", "vpn-")


def check_next_hop(value: object) -> str:
    """NextHop: the id of an IPsec connection (``vco-...``)."""
    return _check_identifier("NextHop", value, _NEXT_HOP_RE,
                             "an IPsec connection id such as vco-bp15oes1py4i66rmd0000", "vco-")


def check_route_dest(value: object) -> str:
    """RouteDest: an IPv4 CIDR block, not 0.0.0.0/0, not overlapping 100.64.0.0/10, no host bits."""
    text = _text("RouteDest", value)
    try:
        interface = ipaddress.ip_interface(text)  # one parse: the address as typed and its network
    except ValueError:
        raise ValidationError(
            "RouteDest", f"{text!r} is not an IPv4 CIDR block such as 10.0.0.0/24.", value=value
        ) from None
    if "/" not in text:
        raise ValidationError(
            "RouteDest", f"{text!r} has no prefix length; write a CIDR block such as {text}/32.", value=value
        )
    net = interface.network
    if net.version != 4:
        raise ValidationError("RouteDest", f"{text!r} is IPv6; only IPv4 CIDR blocks are accepted.", value=value)
    canonical = str(net)
    if net.network_address != interface.ip:
        raise ValidationError(
            "RouteDest", f"{text} has host bits set; did you mean {canonical}?", value=value
        )
    if net.prefixlen == 0:
        raise ValidationError("RouteDest", "0.0.0.0/0 (a default route) is not allowed as a destination.",
                              value=value)
    first = int(net.network_address)
    if first <= _CGN_LAST and _CGN_FIRST <= first + net.num_addresses - 1:  # overlaps 100.64.0.0/10
        raise ValidationError(
            "RouteDest",
            f"{canonical} overlaps 100.64.0.0/10, which Alibaba Cloud reserves; choose another block.",
            value=value,
        )
    return canonical


def check_weight(value: object) -> int:
    """Weight: 0 (standby) or 100 (active); the strings "0"/"100" and numpy integers are accepted."""
    if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b":
        raise ValidationError("Weight", f"must be 0 or 100, got {value!r}.", value=value)
    if isinstance(value, numbers.Integral):
        value = int(value)  # numpy's int64 from a DataFrame column is an integer too
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        stripped = value.strip()
        if not stripped:
            raise ValidationError("Weight", "is required: 0 (standby) or 100 (active).", value=value, missing=True)
        value = int(stripped) if _ASCII_INT.fullmatch(stripped) else stripped
    if value is None:
        raise ValidationError("Weight", "is required: 0 (standby) or 100 (active).", value=value, missing=True)
    if value in (0, 100) and isinstance(value, int):
        return value
    hint = ""
    if isinstance(value, int):
        hint = " Did you mean 100 (active)?" if value > 50 else " Did you mean 0 (standby)?"
    raise ValidationError("Weight", f"must be 0 (standby) or 100 (active), got {value!r}.{hint}", value=value)


def check_publish_vpc(value: object) -> bool:
    """PublishVpc: a bool, or "true"/"false" in any case."""
    parsed = parse_bool(value)
    if parsed is not None:
        return parsed
    if is_blank(value):
        raise ValidationError("PublishVpc", "is required: true or false.", value=value, missing=True)
    raise ValidationError("PublishVpc", f"must be true or false, got {value!r}.", value=value)


def check_client_token(value: object) -> str | None:
    """ClientToken: optional, 1-64 printable ASCII characters without spaces."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationError("ClientToken", f"must be text, got {type(value).__name__}.", value=value)
    if len(value) > 64:
        raise ValidationError("ClientToken", f"must be at most 64 characters, got {len(value)}.", value=value)
    if not _PRINTABLE_ASCII.match(value):
        raise ValidationError(
            "ClientToken", "must be printable ASCII without spaces (letters, digits, - _ . and the like).",
            value=value,
        )
    return value


def check_overlay_mode(value: object) -> str | None:
    """OverlayMode: empty or ``Ipsec``."""
    if value is None or value == "":
        return None
    if value == "Ipsec":
        return value
    hint = " Did you mean 'Ipsec'?" if isinstance(value, str) and value.strip().lower() == "ipsec" else ""
    raise ValidationError("OverlayMode", f"must be empty or 'Ipsec', got {value!r}.{hint}", value=value)


def check_description(value: object) -> str | None:
    """Description: optional, 1-100 printable characters, not starting with http:// or https://."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationError("Description", f"must be text, got {type(value).__name__}.", value=value)
    if len(value) > 100:
        raise ValidationError("Description", f"must be at most 100 characters, got {len(value)}.", value=value)
    if value.lower().startswith(("http://", "https://")):
        raise ValidationError("Description", "must not start with http:// or https://.", value=value)
    bad = next((ch for ch in value if unicodedata.category(ch) in ("Cc", "Cs")), None)
    if bad is not None:
        # A control character cannot travel in an XML answer (the route would be made but its answer
        # unreadable); a lone surrogate cannot be encoded as UTF-8 for the signature.
        raise ValidationError("Description", f"must not contain control characters or unpaired surrogates "
                                             f"(found U+{ord(bad):04X}); use printable text.", value=value)
    return value


def check_vpc_id(value: object) -> str | None:
    """VpcId (a filter): optional, ``vpc-`` followed by lower-case letters and digits."""
    if value is None or value == "":
        return None
    return _check_identifier("VpcId", value, _VPC_RE, "a VPC id such as vpc-bp1h8rvkz3jtmejx20000", "vpc-")


def check_new_weight(value: object) -> int:
    """NewWeight (ModifyVpnRouteEntryWeight): the weight to set, 0 (standby) or 100 (active)."""
    try:
        return check_weight(value)
    except ValidationError as err:
        raise ValidationError("NewWeight", err.message, value=value, missing=err.missing) from None


def check_route_type(value: object) -> str:
    """RouteType (PublishVpnRouteEntry): ``dbr`` (destination-based route, the default) or ``pbr``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "dbr"
    if isinstance(value, str) and value.strip().lower() in ("dbr", "pbr"):
        return value.strip().lower()
    raise ValidationError("RouteType", f"must be 'dbr' (destination-based) or 'pbr' (policy-based), got {value!r}.",
                          value=value)


def check_route_entry_type(value: object) -> str | None:
    """RouteEntryType (DescribeVpnRouteEntries): ``custom`` (destination routes) or ``bgp`` (BGP-learned)."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().lower() in ("custom", "bgp"):
        return value.strip().lower()
    raise ValidationError("RouteEntryType", f"must be 'custom' (destination routes) or 'bgp' (BGP-learned routes), "
                                            f"got {value!r}.", value=value)


CHECKERS = {
    "RegionId": check_region_id,
    "VpnGatewayId": check_vpn_gateway_id,
    "RouteDest": check_route_dest,
    "NextHop": check_next_hop,
    "Weight": check_weight,
    "PublishVpc": check_publish_vpc,
    "ClientToken": check_client_token,
    "OverlayMode": check_overlay_mode,
    "Description": check_description,
    "NewWeight": check_new_weight,
    "RouteType": check_route_type,
    "RouteEntryType": check_route_entry_type,
    "VpcId": check_vpc_id,
}
