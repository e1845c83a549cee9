"""Pure: turn an answer (status and body) into data or a toolkit error, redacting server text.

Server text is untrusted: every text of an answer goes through the caller's redaction (the
client passes its ``Credentials.redact``) before it is returned or put in an error, then is
capped. JSON and XML answers give the same keys. Nothing here does I/O.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

import xmltodict

from ..errors import ApiError, TransportError
from ..redact import Redact

__all__ = ["excerpt", "list_items", "parse_response"]

_EXCERPT = 200
_SHORT, _LONG, _BODY = 256, 2048, 4096  # caps on server text kept in an error: code/ids, message, body
_LEAF = 4096  # cap on any text of an answer: no field of this API is longer; a report cell stays small
_MAX_DEPTH = 32  # API answers nest five levels at most
_MAX_DIGITS = 20  # a JSON integer longer than this stays text
_SUCCESS_CODES = {"", "200", "0", "ok", "success"}
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_JSON_KIND = {list: "array", str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}
_LIST_KEYS = ("VpnRouteEntry",)
_DECLARATION_RE = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def _same(text: str) -> str:
    return text


def excerpt(body: bytes | str, redact: Redact | None = None) -> str:
    """The start of a body as one line of printable text, for an error message.

    The whole body is redacted before it is cut, so a credential straddling the cut cannot
    leave a piece behind.
    """
    text = _decoded(body) if isinstance(body, bytes) else body
    text = (redact or _same)(text)[:_EXCERPT]
    text = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(text.split())


def _capped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def _unusable(status: int, what: str, body: bytes | str, attempt: int, redact: Redact) -> TransportError:
    """A body that cannot be read: the request reached the service, so a 2xx or 5xx outcome is unknown."""
    return TransportError(f"HTTP {status}: the response body {redact(what)} (excerpt: {excerpt(body, redact)!r})",
                          http_status=status, unknown_outcome=status >= 500 or 200 <= status < 300,
                          attempts=attempt)


def _json_constant(name: str) -> str:
    return name  # NaN, Infinity, -Infinity: not JSON numbers; kept as text for the model to refuse


def _json_int(text: str) -> int | str:
    return int(text) if len(text) <= _MAX_DIGITS else text  # a longer number is kept as text, never parsed


def _json_float(text: str) -> float | str:
    value = float(text)
    return value if math.isfinite(value) else text  # 1e400 is no number an answer can carry


def _parse_json(text: str) -> Any:
    """The JSON value, or raise ValueError; numbers that cannot be numbers stay text."""
    try:
        return json.loads(text, parse_constant=_json_constant, parse_int=_json_int, parse_float=_json_float)
    except RecursionError:
        raise ValueError("is nested too deeply") from None
    except ValueError:
        raise ValueError("is not JSON or XML") from None


def _parse_xml(body: bytes) -> dict[str, Any]:
    """``{"__root__": name, **children}``, or raise ValueError (declarations are refused, never expanded)."""
    if _DECLARATION_RE.search(body):
        raise ValueError("carries an XML declaration of entities or a DOCTYPE")
    try:
        doc = xmltodict.parse(body, force_list=_LIST_KEYS, disable_entities=True)
    except Exception:  # noqa: BLE001 - expat raises several types; any failure means "not XML"
        raise ValueError("is not JSON or XML") from None
    if not isinstance(doc, dict) or len(doc) != 1:
        raise ValueError("is not JSON or XML")
    root, content = next(iter(doc.items()))
    if not isinstance(content, dict):
        raise ValueError(f"is XML without elements under <{_capped(root, _SHORT)}>")
    return {"__root__": root, **content}


def _needs_cleaning(data: Any, redact: Redact) -> tuple[bool, bool]:
    """``(clean at all, redact too)`` for parsed data, from one walk and one redaction pass.

    Cleaning is needed when a text is longer than _LEAF, the data nests past _MAX_DEPTH (then
    :func:`_clean_tree` refuses it) or a text holds a credential. The texts are joined by NUL, which
    no credential pattern matches, so no match can straddle two of them. The usual answer (short
    texts, no credential) is then used as parsed, without a copy or a pass per text.
    """
    texts: list[str] = []
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            texts.append(value)
        elif depth > _MAX_DEPTH:
            return True, redact is not _same
        elif isinstance(value, dict):
            texts.extend(key if isinstance(key, str) else str(key) for key in value)
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    joined = "\x00".join(texts)
    secret = redact is not _same and redact(joined) != joined
    return secret or any(len(text) > _LEAF for text in texts), secret


def _clean_tree(data: Any, redact: Redact) -> Any:
    """A copy of parsed data with every text (keys too) redacted and capped at _LEAF characters;
    ValueError past _MAX_DEPTH levels.

    Iterative: a deep answer cannot exhaust the stack here, and the depth cap keeps it from
    exhausting anyone's later (records, pandas, json.dumps).
    """
    def leaf(value: Any) -> Any:
        return _capped(redact(value), _LEAF) if isinstance(value, str) else value  # redacted, then cut

    root: list[Any] = [None]
    stack = [(root, 0, data, 1)]
    while stack:
        holder, slot, value, depth = stack.pop()
        if isinstance(value, dict | list) and depth > _MAX_DEPTH:
            raise ValueError(f"is nested deeper than {_MAX_DEPTH} levels")
        if isinstance(value, dict):
            copy: Any = {}
            for key, item in value.items():
                copy[leaf(key)] = None
                stack.append((copy, leaf(key), item, depth + 1))
        elif isinstance(value, list):
            copy = [None] * len(value)
            stack.extend((copy, i, item, depth + 1) for i, item in enumerate(value))
        else:
            copy = leaf(value)
        holder[slot] = copy
    return root[0]


def _error_code(data: dict[str, Any]) -> str | None:
    """The error code an answer carries, or None: any non-empty ``Code`` but a success marker."""
    code = data.get("Code")
    if code is None or isinstance(code, dict | list):
        return None if code in (None, {}, []) else "Unknown"
    text = str(code).strip()
    return None if text.lower() in _SUCCESS_CODES else text


def _text(value: Any, limit: int) -> str | None:
    if value in (None, "") or isinstance(value, dict | list):
        return None
    return _capped(str(value), limit)


def parse_response(status: int, body: bytes, fmt: str, *, attempt: int = 1, redact: Redact | None = None,
                   action: str | None = None) -> dict[str, Any]:
    """The body as a dict, or raise ApiError (error body) / TransportError (unusable body).

    Server text is untrusted: every text in the answer (values, keys, the kept body, excerpts)
    goes through ``redact`` (the client passes its ``Credentials.redact``) before it is returned
    or put in an error, and is then capped (4,096 characters a value; an error's code and ids
    256, message and recommend 2,048). JSON and XML give the same keys; XML's text values are converted later by
    the model. A number JSON cannot hold (NaN, Infinity, 1e400, more than 20 digits) stays text.

    Raises only ApiError or TransportError: an error ``Code`` (even with HTTP 200 or no
    ``Message``) or an ``<Error>`` root is an ApiError; a body that is empty, not UTF-8, not a
    JSON object or XML document, nested deeper than 32 levels, or (with ``action``) XML whose
    root is neither ``<{action}Response>`` nor ``<Error>`` is a TransportError with an excerpt,
    whose outcome is unknown for 2xx and 5xx statuses. ``fmt`` is what was asked for; the body
    is read as whichever of the two it is.
    """
    clean = redact or _same
    try:
        data = _read_body(body.removeprefix(b"\xef\xbb\xbf"))
        needed, secret = _needs_cleaning(data, clean)
        if needed:
            data = _clean_tree(data, clean if secret else _same)
    except ValueError as exc:
        raise _unusable(status, str(exc), body, attempt, clean) from None
    root = data.pop("__root__", None)
    code = _error_code(data)
    if code is not None or root == "Error":
        raise ApiError(
            _capped(code or "Unknown", _SHORT), _text(data.get("Message"), _LONG) or "", http_status=status,
            request_id=_text(data.get("RequestId"), _SHORT), host_id=_text(data.get("HostId"), _SHORT),
            recommend=_text(data.get("Recommend"), _LONG), body=_capped(clean(_decoded(body)), _BODY),
            attempts=attempt,
        )
    if status >= 400:
        raise _unusable(status, "carries no error code", body, attempt, clean)
    if action and root is not None and root != f"{action}Response":
        raise _unusable(status, f"is XML rooted at <{_capped(root, _SHORT)}>, not <{action}Response>", body,
                        attempt, clean)
    return data


def _decoded(body: bytes) -> str:
    """The body as text for an excerpt or an error: UTF-16 when it says so, else UTF-8; NULs dropped,
    so text spelled in UTF-16 without a mark still reads (and is redacted) as itself."""
    encoding = "utf-16" if body[:2] in _UTF16_BOMS else "utf-8"
    return body.decode(encoding, errors="replace").replace("\x00", "")


def _read_body(body: bytes) -> dict[str, Any]:
    """The answer as a dict (XML with its root under ``__root__``), or raise ValueError saying why not."""
    if not body.strip():
        raise ValueError("is empty")
    if body[:2] in _UTF16_BOMS:  # only XML can declare another encoding; expat reads it
        return _parse_xml(body)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("is not valid UTF-8") from None
    start = text.lstrip()[:1]
    if start == "<":
        return _parse_xml(body.lstrip())
    data = _parse_json(text)
    if not isinstance(data, dict):
        raise ValueError(f"is a JSON {_JSON_KIND.get(type(data), 'value')}, not an object")
    return data


def list_items(data: Mapping[str, Any], outer: str, inner: str) -> list[dict[str, Any]]:
    """``data[outer][inner]`` as a list, whether JSON or XML gave it (absent or empty: [])."""
    container = data.get(outer) or {}
    items = container.get(inner, []) if isinstance(container, dict) else []
    if isinstance(items, dict):
        items = [items]
    return [item for item in items if isinstance(item, dict)]
