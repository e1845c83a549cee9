"""The API reference as data: every operation's parameters with their docs, and the error catalogue.

``fields`` holds the parameters of CreateVpnRouteEntry (the forms' help texts, the examples
code export uses) and its response fields; ``error_codes`` the catalogue that
:func:`vpnroute_widgets.errors.error_info` reads. Plain data and the standard library only.
"""

from __future__ import annotations

from .error_codes import CATALOGUE
from .fields import API_VERSION, PRODUCT, REQUEST_FIELDS, RESPONSE_FIELDS, FieldDoc, field_doc

__all__ = ["API_VERSION", "CATALOGUE", "PRODUCT", "REQUEST_FIELDS", "RESPONSE_FIELDS", "FieldDoc", "field_doc"]
