"""Pure: build and sign a call (``calls``), read an answer (``answers``), vet an endpoint.

No I/O and no clock in either half: the client's retry loop passes nonces and timestamps in,
and tests exercise both halves without a network. Sending is :mod:`vpnroute_widgets.transport`'s.
"""

from __future__ import annotations

from .answers import excerpt, list_items, parse_response
from .calls import PreparedCall, check_endpoint, default_endpoint, is_loopback, mask_userinfo, prepare_call

__all__ = ["PreparedCall", "check_endpoint", "default_endpoint", "excerpt", "is_loopback", "list_items",
           "mask_userinfo", "parse_response", "prepare_call"]
