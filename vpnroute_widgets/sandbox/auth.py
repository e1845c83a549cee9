"""Parse an incoming RPC request and verify its V1 or V3 signature, strictly.

The verifier signs exactly what it received (every query and form parameter, the
legacy SDK's empty ``SignatureType=`` included; for V3 the headers the client lists in
``SignedHeaders``) with :mod:`vpnroute_widgets.signing`, the module the client signs
with. Failures raise :class:`~.backend.SandboxError` with the real service's codes.
Nothing here stores or echoes a secret: a ``SecurityToken`` is masked in the
StringToSign a ``SignatureDoesNotMatch`` message shows.
"""

from __future__ import annotations

import calendar
import hmac
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from .. import signing
from ..reference import API_VERSION
from .backend import SandboxError
from .world import AccessKey

__all__ = ["Call", "Incoming", "NonceCache", "parse_call", "verify"]

MAX_SKEW_S = 15 * 60
COMMON_PARAMS = frozenset({
    "Action", "Version", "Format", "AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion",
    "SignatureNonce", "SignatureType", "Timestamp", "SecurityToken",
})
_FORM = "application/x-www-form-urlencoded"
_MASK = "******"
_NOT_MATCHED = "Specified signature is not matched with our calculation. server string to sign is:"


@dataclass
class Incoming:
    """One HTTP request as received: method, path, decoded query pairs, headers, raw body."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: Any  # case-insensitive lookups: http.client.HTTPMessage or email.message.Message
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


@dataclass
class Call:
    """An API call as parsed (not yet verified)."""

    version: str  # "v1" or "v3"
    action: str
    fmt: str  # "JSON" or "XML"
    params: dict[str, str]  # every parameter received (query + form body)
    query: dict[str, str]
    key_id: str = ""
    api_version: str = ""
    nonce: str = ""
    timestamp: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def api_params(self) -> dict[str, str]:
        """The operation's own parameters: no signature, key or token."""
        return {k: v for k, v in self.params.items() if k not in COMMON_PARAMS}


def _form_params(incoming: Incoming) -> list[tuple[str, str]]:
    ctype = (incoming.header("Content-Type") or "").split(";")[0].strip().lower()
    if ctype != _FORM or not incoming.body:
        return []
    return parse_qsl(incoming.body.decode("utf-8", errors="replace"), keep_blank_values=True)


def parse_call(incoming: Incoming) -> Call:
    """Read action, format and signature style; never raises for a bad signature (``verify`` does)."""
    query = dict(incoming.query)
    params = {**query, **dict(_form_params(incoming))}
    if incoming.header("Authorization"):
        return Call("v3", incoming.header("x-acs-action") or params.get("Action", ""), "JSON", params, query,
                    key_id=v3_key_id(incoming),
                    api_version=incoming.header("x-acs-version") or "",
                    nonce=incoming.header("x-acs-signature-nonce") or "",
                    timestamp=incoming.header("x-acs-date") or "")
    fmt = (params.get("Format") or "XML").upper()
    return Call("v1", params.get("Action", ""), fmt if fmt in ("JSON", "XML") else "XML", params, query,
                key_id=params.get("AccessKeyId", ""), api_version=params.get("Version", ""),
                nonce=params.get("SignatureNonce", ""), timestamp=params.get("Timestamp", ""))


class NonceCache:
    """Nonces seen in the last ``2 * MAX_SKEW_S`` seconds; a repeat is refused."""

    def __init__(self):
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def use(self, nonce: str, now: float) -> bool:
        """Record ``nonce``; False when it was already used."""
        with self._lock:
            if len(self._seen) > 50_000:
                self._seen = {n: t for n, t in self._seen.items() if t > now}
            if self._seen.get(nonce, -1) > now:
                return False
            self._seen[nonce] = now + 2 * MAX_SKEW_S
            return True


def _lookup(key_id: str, keys: Mapping[str, AccessKey]) -> AccessKey:
    if not key_id:
        raise SandboxError("MissingParameter",
                           'The input parameter "AccessKeyId" that is mandatory for processing this request '
                           "is not supplied.")
    if key_id.startswith("LTAI"):
        raise SandboxError("InvalidAccessKeyId.NotFound",
                           "This is the vpnroute_widgets sandbox: it only accepts its own demo keys "
                           "(sb.credentials); a real Alibaba Cloud AccessKey is never accepted here. "
                           "Use the sandbox's key pair.", 404)
    key = keys.get(key_id)
    if key is None:
        raise SandboxError("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
    return key


def _check_time(timestamp: str, now: float, name: str) -> None:
    if not timestamp:
        raise SandboxError("MissingParameter",
                           f'The input parameter "{name}" that is mandatory for processing this request '
                           "is not supplied.")
    try:
        sent = calendar.timegm(time.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        raise SandboxError("IllegalTimestamp",
                           f'The input parameter "{name}" that is mandatory for processing this request '
                           "is not supplied or its format is invalid (expected YYYY-MM-DDThh:mm:ssZ).") from None
    if abs(sent - now) > MAX_SKEW_S:
        raise SandboxError("InvalidTimeStamp.Expired",
                           f"Specified time stamp or date value is expired (more than {MAX_SKEW_S // 60} "
                           "minutes from the server's clock).")


def _verify_v1(call: Call, incoming: Incoming, key: AccessKey) -> None:
    for name in ("Signature", "SignatureNonce", "SignatureMethod"):
        if not call.params.get(name):
            raise SandboxError("IncompleteSignature", f"The request signature does not conform to Aliyun "
                                                      f"standards: {name} is missing.")
    if call.params["SignatureMethod"] != "HMAC-SHA1" or call.params.get("SignatureVersion") != "1.0":
        raise SandboxError("IncompleteSignature", "Only SignatureMethod=HMAC-SHA1 with SignatureVersion=1.0 "
                                                  "is supported for this signature style.")
    canonical = signing.v1_canonical_query(call.params)
    expected = signing.v1_signature(key.access_key_secret, signing.v1_string_to_sign(incoming.method, canonical))
    if not hmac.compare_digest(expected, call.params["Signature"]):
        shown = {k: (_MASK if k == "SecurityToken" else v) for k, v in call.params.items()}
        raise SandboxError("SignatureDoesNotMatch", _NOT_MATCHED + signing.v1_string_to_sign(
            incoming.method, signing.v1_canonical_query(shown)))


def _verify_v3(call: Call, incoming: Incoming, key: AccessKey) -> None:
    try:
        _key_id, names, signature = signing.parse_v3_authorization(incoming.header("Authorization") or "")
    except ValueError as exc:
        raise SandboxError("IncompleteSignature", f"The Authorization header is malformed: {exc}.") from None
    body_hash = incoming.header("x-acs-content-sha256") or ""
    if body_hash != signing.sha256_hex(incoming.body):
        raise SandboxError("SignatureDoesNotMatch", "The x-acs-content-sha256 header does not match the SHA-256 "
                                                    "of the request body.")
    present = {name: value for name in names if (value := incoming.header(name)) is not None}
    try:
        block, signed = signing.v3_canonical_headers(present, names)
    except KeyError as exc:
        raise SandboxError("IncompleteSignature", f"The request signature does not conform to Aliyun "
                                                  f"standards: {exc.args[0]}.") from None
    canonical = signing.v3_canonical_request(incoming.method, incoming.path, signing.v3_canonical_query(call.query),
                                             block, signed, body_hash)
    string_to_sign = signing.v3_string_to_sign(canonical)
    if not hmac.compare_digest(signing.v3_signature(key.access_key_secret, string_to_sign), signature):
        raise SandboxError("SignatureDoesNotMatch", _NOT_MATCHED + string_to_sign)


def _check_token(call: Call, incoming: Incoming, key: AccessKey) -> None:
    """A key pair registered with an STS token works only with that token (never echoed back)."""
    if key.security_token is None:
        return
    sent = incoming.header("x-acs-security-token") if call.version == "v3" else call.params.get("SecurityToken")
    if not sent:
        raise SandboxError("MissingSecurityToken", "This AccessKey pair is temporary (STS): the request must "
                                                   "carry its SecurityToken.")
    if not hmac.compare_digest(sent.encode(), key.security_token.encode()):
        raise SandboxError("InvalidSecurityToken.MismatchWithAccessKey",
                           "The SecurityToken does not belong to this AccessKeyId.")


def v3_key_id(incoming: Incoming) -> str:
    """The AccessKeyId named in a V3 Authorization header ('' when unreadable)."""
    try:
        return signing.parse_v3_authorization(incoming.header("Authorization") or "")[0]
    except ValueError:
        return ""


def verify(call: Call, incoming: Incoming, keys: Mapping[str, AccessKey], clock: Callable[[], float],
           nonces: NonceCache) -> AccessKey:
    """Check key, signature, timestamp and nonce, in that order; returns the sandbox key."""
    key = _lookup(call.key_id, keys)
    if call.version == "v3":
        _verify_v3(call, incoming, key)
    else:
        _verify_v1(call, incoming, key)
    _check_token(call, incoming, key)
    now = clock()
    _check_time(call.timestamp, now, "x-acs-date" if call.version == "v3" else "Timestamp")
    if not call.nonce:
        raise SandboxError("IncompleteSignature", "The request signature does not conform to Aliyun standards: "
                                                  "the signature nonce is missing.")
    if not nonces.use(call.nonce, now):
        raise SandboxError("SignatureNonceUsed", "Specified signature nonce was used already.")
    if call.api_version != API_VERSION:
        raise SandboxError("InvalidVersion", f"Specified parameter Version is not valid: this API is "
                                             f"{API_VERSION}.")
    if not call.action:
        raise SandboxError("MissingParameter", 'The input parameter "Action" that is mandatory for processing '
                                               "this request is not supplied.")
    return key
