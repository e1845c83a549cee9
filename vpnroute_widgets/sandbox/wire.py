"""Response bodies in the real service's JSON and XML shapes.

Success JSON is a flat object with ``RequestId``; success XML has the root
``<{Action}Response>`` and repeats list items as sibling elements. Errors are
``{"RequestId","HostId","Code","Message","Recommend"}`` in JSON, ``<Error>`` with the
same children in XML. XML is written by hand with :func:`xml.sax.saxutils.escape`;
nothing a client sends is ever parsed as XML.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

__all__ = ["CONTENT_TYPES", "error_body", "html_page", "malformed_body", "new_request_id", "success_body"]

CONTENT_TYPES = {"JSON": "application/json;charset=utf-8", "XML": "text/xml;charset=utf-8"}
_XML_DECL = "<?xml version='1.0' encoding='UTF-8'?>"


def new_request_id() -> str:
    """An upper-case UUID, like the service's RequestId."""
    return str(uuid.uuid4()).upper()


def recommend_url(code: str, request_id: str) -> str:
    return f"https://api.aliyun.com/troubleshoot?q={quote(code, safe='.')}&product=Vpc&requestId={request_id}"


def _xml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def _xml_items(data: Mapping[str, Any]) -> str:
    parts = []
    for name, value in data.items():
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        for item in values:
            inner = _xml_items(item) if isinstance(item, Mapping) else _xml_value(item)
            parts.append(f"<{name}>{inner}</{name}>")
    return "".join(parts)


def to_xml(root: str, data: Mapping[str, Any]) -> bytes:
    return f"{_XML_DECL}<{root}>{_xml_items(data)}</{root}>".encode()


def to_json(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def success_body(action: str, fields: Mapping[str, Any], request_id: str, fmt: str) -> bytes:
    """A success body for ``action`` in ``fmt`` ("JSON" or "XML")."""
    data = {"RequestId": request_id, **fields}
    return to_xml(f"{action}Response", data) if fmt == "XML" else to_json(data)


def error_body(code: str, message: str, request_id: str, host_id: str, fmt: str) -> bytes:
    """An error body in ``fmt`` with the five fields of the real service."""
    data = {"RequestId": request_id, "HostId": host_id, "Code": code, "Message": message,
            "Recommend": recommend_url(code, request_id)}
    return to_xml("Error", data) if fmt == "XML" else to_json(data)


def html_page(status: int, reason: str) -> bytes:
    """The kind of HTML error page a load balancer in front of an API returns."""
    return (f"<!DOCTYPE html><html><head><title>{status} {escape(reason)}</title></head><body>"
            f"<center><h1>{status} {escape(reason)}</h1></center><hr><center>Tengine</center>"
            "</body></html>").encode()


def malformed_body(request_id: str, fmt: str) -> bytes:
    """A body that claims the format but does not parse."""
    if fmt == "XML":
        return f"{_XML_DECL}<Response><RequestId>{request_id}</RequestId><Broken".encode()
    return f'{{"RequestId":"{request_id}","RouteDest":,}}'.encode()
