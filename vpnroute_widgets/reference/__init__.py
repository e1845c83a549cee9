"""The API reference as data: every operation's parameters with their docs, and the error catalogue.

``fields`` holds the parameters of CreateVpnRouteEntry (the forms' help texts, the examples
code export uses) and its response fields; ``operations`` the parameters of every operation the
toolkit calls; ``error_codes`` the catalogue that :func:`vpnroute_widgets.errors.error_info`
reads. Plain data and the standard library only.
"""

from __future__ import annotations

from .error_codes import CATALOGUE
from .fields import API_VERSION, PRODUCT, REQUEST_FIELDS, RESPONSE_FIELDS, FieldDoc, field_doc
from .operations import OPERATIONS, OperationSpec, attr_of

__all__ = ["API_VERSION", "CATALOGUE", "OPERATIONS", "PRODUCT", "REQUEST_FIELDS", "RESPONSE_FIELDS", "FieldDoc",
           "OperationSpec", "attr_of", "field_doc"]
