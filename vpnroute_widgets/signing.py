"""Alibaba Cloud RPC request signatures, V1 (HMAC-SHA1) and V3 (ACS3-HMAC-SHA256).

Pure functions: no clock, no randomness, no I/O. Each stage of a signature is its
own function, so the tests can hold every intermediate value of the public worked
examples (canonical query, string to sign, signature). The client signs with these
and the sandbox verifies with the same ones; golden vectors from Alibaba's docs and
interop tests with the official SDKs guard against a shared mistake.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote

__all__ = [
    "V3_ALGORITHM",
    "EMPTY_BODY_SHA256",
    "parse_v3_authorization",
    "percent_encode",
    "sha256_hex",
    "sign_v1",
    "sign_v3",
    "v1_canonical_query",
    "v1_signature",
    "v1_string_to_sign",
    "v3_authorization",
    "v3_canonical_headers",
    "v3_canonical_query",
    "v3_canonical_request",
    "v3_signature",
    "v3_string_to_sign",
]

V3_ALGORITHM = "ACS3-HMAC-SHA256"
_UNRESERVED = re.compile(r"[A-Za-z0-9._~-]*")
EMPTY_BODY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Alibaba Cloud requires: only ``A-Za-z0-9-_.~`` stay literal (UTF-8).

    Most values (ids, regions, numbers) need no encoding: they are returned as they are, without
    the cost of ``quote`` (a third of a call's signing time before this).
    """
    if _UNRESERVED.fullmatch(value):
        return value
    return quote(value, safe="-_.~")


def _sorted_pairs(params: Mapping[str, str]) -> list[tuple[str, str]]:
    return sorted(params.items(), key=lambda item: item[0])


# --- V1 -------------------------------------------------------------------------------


def v1_canonical_query(params: Mapping[str, str]) -> str:
    """Every parameter but Signature, sorted by name, encoded, joined as ``k=v&...``."""
    return "&".join(
        f"{percent_encode(k)}={percent_encode(v)}" for k, v in _sorted_pairs(params) if k != "Signature"
    )


def v1_string_to_sign(method: str, canonical_query: str) -> str:
    """``METHOD&%2F&`` followed by the encoded canonical query."""
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical_query)}"


def v1_signature(secret: str, string_to_sign: str) -> str:
    """base64(HMAC-SHA1(secret + "&", string_to_sign))."""
    digest = hmac.new((secret + "&").encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def sign_v1(method: str, params: Mapping[str, str], secret: str) -> str:
    """The V1 Signature of ``params`` (which hold every common parameter but Signature)."""
    return v1_signature(secret, v1_string_to_sign(method, v1_canonical_query(params)))


# --- V3 -------------------------------------------------------------------------------


def sha256_hex(body: bytes) -> str:
    """Hex SHA-256 of the request body (``x-acs-content-sha256``)."""
    return hashlib.sha256(body).hexdigest()


def v3_canonical_query(params: Mapping[str, str]) -> str:
    """Query parameters sorted by name, RFC 3986 encoded, joined as ``k=v&...``."""
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in _sorted_pairs(params))


def v3_canonical_headers(headers: Mapping[str, str], signed: Iterable[str]) -> tuple[str, str]:
    """The canonical header block and the ``;``-joined signed header names.

    ``signed`` names the headers to sign (any case); the block is ``name:value\\n`` per
    header, names lower-cased and sorted, values trimmed.
    """
    lowered = {name.lower(): str(value).strip() for name, value in headers.items()}
    names = sorted({name.lower() for name in signed})
    missing = [name for name in names if name not in lowered]
    if missing:
        raise KeyError(f"signed headers not present: {', '.join(missing)}")
    block = "".join(f"{name}:{lowered[name]}\n" for name in names)
    return block, ";".join(names)


def v3_canonical_request(
    method: str, path: str, canonical_query: str, header_block: str, signed_names: str, body_hash: str
) -> str:
    """The six parts joined by newlines (the header block ends with its own newline)."""
    return "\n".join([method.upper(), path or "/", canonical_query, header_block, signed_names, body_hash])


def v3_string_to_sign(canonical_request: str) -> str:
    """``ACS3-HMAC-SHA256\\n`` + hex SHA-256 of the canonical request."""
    return f"{V3_ALGORITHM}\n{sha256_hex(canonical_request.encode())}"


def v3_signature(secret: str, string_to_sign: str) -> str:
    """Hex HMAC-SHA256 with the raw secret as key."""
    return hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


def v3_authorization(access_key_id: str, signed_names: str, signature: str) -> str:
    """The ``Authorization`` header value."""
    return f"{V3_ALGORITHM} Credential={access_key_id},SignedHeaders={signed_names},Signature={signature}"


def sign_v3(
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    signed: Iterable[str],
    secret: str,
) -> tuple[str, str]:
    """Sign a request; returns ``(signature, signed_names)``.

    ``headers`` must already hold ``x-acs-content-sha256``; its value is the body hash
    used in the canonical request.
    """
    return sign_v3_canonical(method, path, v3_canonical_query(query), headers, signed, secret)


def sign_v3_canonical(method: str, path: str, canonical_query: str, headers: Mapping[str, str],
                      signed: Iterable[str], secret: str) -> tuple[str, str]:
    """:func:`sign_v3` given the canonical query already built (a client puts the same text in its URL)."""
    block, names = v3_canonical_headers(headers, signed)
    body_hash = {k.lower(): str(v).strip() for k, v in headers.items()}["x-acs-content-sha256"]
    canonical = v3_canonical_request(method, path, canonical_query, block, names, body_hash)
    return v3_signature(secret, v3_string_to_sign(canonical)), names


def parse_v3_authorization(value: str) -> tuple[str, list[str], str]:
    """Split an Authorization header into ``(access_key_id, signed_header_names, signature)``.

    Raises ValueError when the header is not an ACS3-HMAC-SHA256 authorization.
    """
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != V3_ALGORITHM:
        raise ValueError(f"unsupported signature algorithm {algorithm!r}")
    parts: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, val = item.strip().partition("=")
        if not sep:
            raise ValueError(f"malformed Authorization component {item!r}")
        parts[key] = val
    try:
        return parts["Credential"], parts["SignedHeaders"].split(";"), parts["Signature"]
    except KeyError as exc:
        raise ValueError(f"Authorization lacks {exc.args[0]}") from None
