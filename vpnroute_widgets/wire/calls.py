"""Pure: turn API parameters into a signed call and vet an endpoint.

Nothing here does I/O or reads a clock: nonce and timestamp are passed in, so the client's
retry loop stays small, the tests need no network, and the preview a form shows is exactly
what would be sent, with the secrets masked. Sending is :mod:`vpnroute_widgets.transport`'s.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .. import signing
from ..credentials import Credentials, mask_key_id
from ..errors import ConfigurationError
from ..reference import API_VERSION

__all__ = ["PreparedCall", "check_endpoint", "default_endpoint", "is_loopback", "mask_userinfo", "prepare_call"]

_MASK = "******"
_LOOPBACK_NAMES = {"localhost"}


def default_endpoint(region_id: str) -> str:
    """``https://vpc.<region>.aliyuncs.com``, the public endpoint of every region."""
    return f"https://vpc.{region_id}.aliyuncs.com"


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1): the only hosts plain HTTP may reach."""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def mask_userinfo(url: str) -> str:
    """``https://user:pw@host`` -> ``https://***@host`` (for messages about a refused endpoint)."""
    scheme, sep, rest = url.partition("://")
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    host_part, tail = rest[:cut], rest[cut:]
    if "@" in host_part:
        host_part = "***@" + host_part.rpartition("@")[2]
    return scheme + sep + host_part + tail if sep else url


def check_endpoint(endpoint: str) -> str:
    """Normalise and vet an endpoint URL: HTTPS anywhere, plain HTTP only to loopback.

    A bare host (``vpc.cn-hangzhou.aliyuncs.com``) gets ``https://``. Raises
    ConfigurationError for anything else, naming the fix.
    """
    text = endpoint.strip().rstrip("/")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        parts = parts._replace(netloc="")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"endpoint {mask_userinfo(endpoint)!r} is not an http(s) URL such as "
                                 "https://vpc.cn-hangzhou.aliyuncs.com")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigurationError(
            f"endpoint {mask_userinfo(endpoint)!r} uses plain HTTP to a remote host, which would expose the request; "
            "use https:// (plain http:// is allowed only to 127.0.0.1 or localhost, e.g. the sandbox)."
        )
    if "@" in parts.netloc:  # user info would be sent as Basic auth and shown in every repr
        raise ConfigurationError(f"endpoint {mask_userinfo(endpoint)!r} carries a user name or password; "
                                 "give scheme://host[:port] only (credentials come from vw.Credentials).")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigurationError(f"endpoint {endpoint!r} must be scheme://host[:port] with no path or query.")
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class PreparedCall:
    """One signed attempt: what goes on the wire. ``preview()`` is the shareable view."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)

    def preview(self) -> dict[str, Any]:
        """The request with AccessKeyId masked and Signature, tokens and Authorization hidden."""
        return {
            "method": self.method,
            "url": _masked_query(self.url),
            "headers": {k: _masked_header(k, v) for k, v in self.headers.items()},
            "body": _masked_query("?" + self.body.decode())[1:] if self.body else "",
        }


def _masked_value(name: str, value: str) -> str:
    lowered = name.lower()
    if lowered in ("accesskeyid",):
        return mask_key_id(value)
    if lowered in ("signature", "securitytoken"):
        return _MASK
    return value


def _masked_query(url: str) -> str:
    """A URL (or ``?``-prefixed form body) with the key id masked and secrets replaced."""
    base, _, query = url.partition("?")
    if not query:
        return url
    shown = []
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        shown.append(f"{name}={_masked_value(name, value)}")
    return base + "?" + "&".join(shown)


def _masked_header(name: str, value: str) -> str:
    lowered = name.lower()
    if lowered == "authorization":
        key_id = value.split("Credential=", 1)[-1].split(",", 1)[0]
        return f"{signing.V3_ALGORITHM} Credential={mask_key_id(key_id)},SignedHeaders=...,Signature={_MASK}"
    if lowered == "x-acs-security-token":
        return _MASK
    return value


def prepare_call(
    action: str,
    params: Mapping[str, str],
    credentials: Credentials,
    endpoint: str,
    *,
    version: str,
    fmt: str,
    nonce: str,
    timestamp: str,
) -> PreparedCall:
    """Sign one attempt with ``version`` "v1" or "v3"; every attempt needs a fresh nonce and timestamp."""
    if version == "v1":
        return _prepare_v1(action, params, credentials, endpoint, fmt, nonce, timestamp)
    return _prepare_v3(action, params, credentials, endpoint, fmt, nonce, timestamp)


def _prepare_v1(action, params, credentials, endpoint, fmt, nonce, timestamp) -> PreparedCall:
    query = dict(params)
    query.update({
        "Action": action,
        "Format": fmt,
        "Version": API_VERSION,
        "AccessKeyId": credentials.access_key_id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": nonce,
        "Timestamp": timestamp,
    })
    if credentials.security_token:
        query["SecurityToken"] = credentials.security_token
    query["Signature"] = signing.sign_v1("POST", query, credentials.access_key_secret)
    # Everything travels in a form body, not the URL: URLs end up in debug logs and proxies,
    # and a V1 URL would carry the signature and the STS token.
    body = f"{signing.v1_canonical_query(query)}&Signature={signing.percent_encode(query['Signature'])}"
    headers = {"Accept": "application/json" if fmt == "JSON" else "application/xml",
               "Content-Type": "application/x-www-form-urlencoded"}
    return PreparedCall("POST", f"{endpoint}/", headers, body.encode(), params=dict(params))


def _prepare_v3(action, params, credentials, endpoint, fmt, nonce, timestamp) -> PreparedCall:
    host = urlsplit(endpoint).netloc
    headers = {
        "host": host,
        "x-acs-action": action,
        "x-acs-version": API_VERSION,
        "x-acs-date": timestamp,
        "x-acs-signature-nonce": nonce,
        "x-acs-content-sha256": signing.EMPTY_BODY_SHA256,
    }
    if credentials.security_token:
        headers["x-acs-security-token"] = credentials.security_token
    query = signing.v3_canonical_query(params)  # signed and sent: built once
    signature, names = signing.sign_v3_canonical("POST", "/", query, headers, headers.keys(),
                                                 credentials.access_key_secret)
    headers["Authorization"] = signing.v3_authorization(credentials.access_key_id, names, signature)
    headers["Accept"] = "application/json"
    del headers["host"]  # requests sets Host from the URL: identical value
    url = f"{endpoint}/?{query}" if query else f"{endpoint}/"
    return PreparedCall("POST", url, headers, params=dict(params))


