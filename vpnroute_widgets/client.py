"""VpcClient: a thin, safe client for the VPN route operations of the Alibaba Cloud VPC API.

It signs (V1 or V3), sends with ``requests``, parses JSON or XML, maps error bodies to
:class:`~vpnroute_widgets.errors.ApiError`, and retries only what is safe: a create
always carries one ClientToken, reused on every attempt, while every attempt gets a
fresh nonce, timestamp and signature. Every logical call, success or failure, becomes
one record for the ``log`` (a ResponseLog) and the ``on_call`` callback.

This module imports neither pandas nor ipywidgets.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from .credentials import Credentials
from .errors import ApiError, ConfigurationError, TransportError, ValidationError, VpnRouteError, error_info
from .model import RouteEntry, RouteEntryRequest, check_region_id, check_vpn_gateway_id
from .records import record_from_request
from .transport import (
    PreparedCall,
    check_endpoint,
    default_endpoint,
    list_items,
    parse_response,
    prepare_call,
    read_capped,
    read_timeout,
    retry_after_seconds,
    transport_error,
)

__all__ = ["VpcClient"]

CREATE = "CreateVpnRouteEntry"
DESCRIBE = "DescribeVpnRouteEntries"
DELETE = "DeleteVpnRouteEntry"
DESCRIBE_GATEWAY = "DescribeVpnGateway"
_PAGE_SIZE = 50
_CONFIGURING = "VpnGateway.Configuring"
_ROUTE_GONE = "InvalidRouteEntry.NotFound"


def _utc_timestamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _new_nonce() -> str:
    return uuid.uuid4().hex


class VpcClient:
    """Create, list and delete VPN destination routes.

    ``endpoint`` None means ``https://vpc.<region>.aliyuncs.com`` for the request's region;
    an explicit endpoint must be ``https://`` (or ``http://`` to 127.0.0.1/localhost, for
    the sandbox). ``timeout`` is (connect, read) seconds. ``max_attempts`` counts the
    first try. ``sleep``, ``clock`` and ``rng`` are injectable so tests need no waiting.
    ``retry_configuring=False`` hands ``VpnGateway.Configuring`` straight back to the
    caller (the batch scheduler paces gateways itself).
    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        region_id: str | None = None,
        endpoint: str | None = None,
        format: str = "JSON",  # noqa: A002 - the API's own parameter name
        signature_version: str = "v3",
        timeout: float | tuple[float, float] = (5, 10),
        max_attempts: int = 4,
        session: requests.Session | None = None,
        log: Any = None,
        on_call: Callable[[dict[str, Any]], None] | None = None,
        backoff_base: float = 0.2,
        backoff_max: float = 5.0,
        retry_configuring: bool = True,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ):
        if not isinstance(credentials, Credentials):
            raise ConfigurationError("credentials must be a vw.Credentials (or use vw.Credentials.resolve()).")
        fmt = str(format).upper()
        if fmt not in ("JSON", "XML"):
            raise ConfigurationError(f"format must be 'JSON' or 'XML', got {format!r}.")
        version = str(signature_version).lower()
        if version not in ("v1", "v3"):
            raise ConfigurationError(f"signature_version must be 'v1' or 'v3', got {signature_version!r}.")
        if not _valid_timeout(timeout):
            raise ConfigurationError(f"timeout must be seconds > 0 or a (connect, read) pair, got {timeout!r}; "
                                     "every request needs a timeout.")
        if version == "v3" and fmt == "XML":
            raise ConfigurationError("format='XML' needs signature_version='v1': V3 requests are always "
                                     "answered in JSON.")
        if int(max_attempts) < 1:
            raise ConfigurationError("max_attempts must be at least 1.")
        self.credentials = credentials
        self.region_id = check_region_id(region_id) if region_id else None
        self.endpoint = check_endpoint(endpoint) if endpoint else None
        self.format = fmt
        self.signature_version = version
        self.timeout = timeout
        self.max_attempts = int(max_attempts)
        self.log = log
        self.on_call = on_call
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.retry_configuring = retry_configuring
        self._session = session
        self._local = threading.local()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security

    def __repr__(self) -> str:
        where = self.endpoint or "https://vpc.<region>.aliyuncs.com"
        return (f"VpcClient({self.credentials.masked_key_id!r}, endpoint={where!r}, "
                f"format={self.format!r}, signature_version={self.signature_version!r})")

    def clone(self, **overrides: Any) -> VpcClient:
        """A client with the same settings but ``overrides`` (for example ``log=None``)."""
        settings = {
            "region_id": self.region_id, "endpoint": self.endpoint, "format": self.format,
            "signature_version": self.signature_version, "timeout": self.timeout,
            "max_attempts": self.max_attempts, "session": self._session, "log": self.log,
            "on_call": self.on_call, "backoff_base": self.backoff_base, "backoff_max": self.backoff_max,
            "retry_configuring": self.retry_configuring, "sleep": self._sleep, "clock": self._clock,
        }
        settings.update(overrides)
        return VpcClient(self.credentials, **settings)

    # --- operations ---------------------------------------------------------------------

    def create_vpn_route_entry(self, request: RouteEntryRequest | Mapping[str, Any], *,
                               context: Mapping[str, Any] | None = None) -> RouteEntry:
        """Create a route; a ClientToken is generated when the request has none and reused on retries."""
        if not isinstance(request, RouteEntryRequest):
            request = RouteEntryRequest.from_params(request)
        params = request.to_params()
        params.setdefault("ClientToken", str(uuid.uuid4()))  # valid by construction: no second validation
        data = self.call(CREATE, params, context=context)
        return RouteEntry.from_api(data)  # checked readable by call()

    def describe_vpn_route_entries(self, region_id: str, vpn_gateway_id: str, *,
                                   route_entry_type: str | None = None) -> list[RouteEntry]:
        """Every route of the gateway, following all pages."""
        params = {"RegionId": check_region_id(region_id), "VpnGatewayId": check_vpn_gateway_id(vpn_gateway_id),
                  "PageSize": str(_PAGE_SIZE)}
        if route_entry_type:
            if route_entry_type not in ("Custom", "System"):
                raise ValidationError("RouteEntryType", "must be 'Custom' or 'System'.", value=route_entry_type)
            params["RouteEntryType"] = route_entry_type
        entries: list[RouteEntry] = []
        for page in range(1, 10_000):
            data = self.call(DESCRIBE, {**params, "PageNumber": str(page)})
            items = list_items(data, "VpnRouteEntries", "VpnRouteEntry")
            entries += [_entry_from(item, 200, 1, request_id=data.get("RequestId")) for item in items]
            total = int(data.get("TotalCount") or 0)
            if not items or len(entries) >= total:
                return entries
        raise TransportError("DescribeVpnRouteEntries did not stop paging after 10,000 pages.")

    def delete_vpn_route_entry(self, region_id: str, vpn_gateway_id: str, route_dest: str, next_hop: str,
                               weight: int, *, overlay_mode: str | None = None, client_token: str | None = None,
                               context: Mapping[str, Any] | None = None) -> str | None:
        """Delete one route; returns the RequestId. Validated like a create (same field rules)."""
        probe = RouteEntryRequest(region_id, vpn_gateway_id, route_dest, next_hop, weight, True,
                                  client_token=client_token or str(uuid.uuid4()), overlay_mode=overlay_mode)
        params = {k: v for k, v in probe.to_params().items() if k != "PublishVpc"}
        return self.call(DELETE, params, context=context).get("RequestId")

    def describe_vpn_gateway(self, region_id: str, vpn_gateway_id: str) -> dict[str, Any]:
        """The gateway's attributes (``Status``: active/updating, ``BusinessStatus``: Normal/FinancialLocked)."""
        params = {"RegionId": check_region_id(region_id), "VpnGatewayId": check_vpn_gateway_id(vpn_gateway_id)}
        return self.call(DESCRIBE_GATEWAY, params)

    def preview(self, action: str, params: Mapping[str, str], region_id: str | None = None) -> dict[str, Any]:
        """What one attempt would send, with the key id masked and every secret hidden."""
        prepared = self._prepare(action, params, region_id or params.get("RegionId"),
                                 nonce="<fresh per attempt>", timestamp=_utc_timestamp())
        return prepared.preview()

    # --- the call loop --------------------------------------------------------------------

    def call(self, action: str, params: Mapping[str, str], *,
             context: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Sign, send, retry and parse one logical call; record its outcome. Returns the body as a dict."""
        _check_params(params)
        endpoint = self._endpoint_for(params.get("RegionId"))
        started = self._clock()
        attempts = 0
        try:
            data, status, attempts = self._attempt_loop(action, params, endpoint)
            if action == CREATE:
                _entry_from(data, status, attempts)  # an unreadable answer is an error of this call
        except VpnRouteError as err:
            attempts = getattr(err, "attempts", attempts) or 1
            self._record(action, params, endpoint, started, attempts, context, error=err)
            raise
        self._record(action, params, endpoint, started, attempts, context, data=data, status=status)
        return data

    def _attempt_loop(self, action, params, endpoint) -> tuple[dict[str, Any], int, int]:
        outcome_unknown = False
        for attempt in range(1, self.max_attempts + 1):
            prepared = self._prepare(action, params, params.get("RegionId"), endpoint=endpoint,
                                     nonce=_new_nonce(), timestamp=_utc_timestamp())
            try:
                status, body, retry_after = self._send(prepared)
                return parse_response(status, body, self.format), status, attempt
            except ApiError as err:
                err.attempts = attempt
                if action == DELETE and outcome_unknown and err.code == _ROUTE_GONE:
                    return {"RequestId": err.request_id, "AlreadyGone": True}, err.http_status, attempt
                if attempt == self.max_attempts or not self._should_retry(err):
                    raise
                delay = self._backoff(attempt, retry_after)
            except TransportError as err:
                err.attempts = attempt
                outcome_unknown = outcome_unknown or err.unknown_outcome
                if attempt == self.max_attempts or not getattr(err, "retryable", True):
                    raise
                delay = self._backoff(attempt, None)
            self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _should_retry(self, err: ApiError) -> bool:
        if err.code == _CONFIGURING:
            return self.retry_configuring
        return err.retryable

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with full jitter; a server's retry-after hint wins when larger."""
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        delay = ceiling / 2 + self._rng.random() * ceiling / 2
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.backoff_max * 4))
        return delay

    def _endpoint_for(self, region_id: str | None) -> str:
        if self.endpoint:
            return self.endpoint
        region = region_id or self.region_id
        if not region:
            raise ConfigurationError("No endpoint and no region: pass region_id= or endpoint= to VpcClient.")
        return default_endpoint(region)

    def _prepare(self, action, params, region_id, *, endpoint=None, nonce, timestamp) -> PreparedCall:
        endpoint = endpoint or self._endpoint_for(region_id)
        return prepare_call(action, params, self.credentials, endpoint, version=self.signature_version,
                            fmt=self.format, nonce=nonce, timestamp=timestamp)

    def _session_for_thread(self) -> requests.Session:
        if self._session is not None:
            return self._session
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.trust_env = False  # no proxies or netrc surprises: endpoints are explicit
        return session

    def _send(self, prepared: PreparedCall) -> tuple[int, bytes, float | None]:
        """One HTTP exchange; transport failures become TransportError (``retryable`` set)."""
        session = self._session_for_thread()
        try:
            request = requests.PreparedRequest()  # no session merging: headers, auth and proxies are explicit
            request.prepare(method=prepared.method, url=prepared.url, headers=prepared.headers,
                            data=prepared.body or None)
            response = session.send(request, timeout=self.timeout, stream=True, allow_redirects=False,
                                    verify=True, proxies={})
            body = read_capped(response, read_timeout(self.timeout))
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise transport_error("read timed out after sending", exc, retryable=True, unknown=True) from exc
        except urllib3.exceptions.HTTPError as exc:  # the body broke off (raw reads are not wrapped by requests)
            raise transport_error("connection dropped or reset", exc, retryable=True, unknown=True) from exc
        except requests.exceptions.SSLError as exc:
            raise transport_error("TLS verification failed", exc, retryable=False, unknown=False) from exc
        except requests.exceptions.ConnectTimeout as exc:
            raise transport_error("connect timed out", exc, retryable=True, unknown=False) from exc
        except requests.exceptions.ReadTimeout as exc:
            raise transport_error("read timed out after sending", exc, retryable=True, unknown=True) from exc
        except requests.exceptions.RequestException as exc:
            refused = "NewConnectionError" in repr(exc) or "Connection refused" in str(exc)
            what = "connection refused" if refused else "connection dropped or reset"
            raise transport_error(what, exc, retryable=True, unknown=not refused) from exc
        return response.status_code, body, retry_after_seconds(response.headers)

    def _record(self, action, params, endpoint, started, attempts, context, *, data=None, status=None,
                error: VpnRouteError | None = None) -> None:
        if self.log is None and self.on_call is None:
            return
        fields: dict[str, Any] = {
            "latency_ms": round((self._clock() - started) * 1000, 3),
            "attempts": attempts,
            "endpoint": urlsplit(endpoint).netloc,
        }
        if error is None:
            fields.update(outcome="ok", http_status=status, request_id=data.get("RequestId"))
            if action == CREATE:
                entry = RouteEntry.from_api(data)
                fields.update(state=entry.state, create_time=entry.create_time,
                              vpn_instance_id=entry.vpn_instance_id)
        else:
            code = getattr(error, "code", type(error).__name__)
            fields.update(outcome="error", error_code=code, error_message=str(error),
                          http_status=getattr(error, "http_status", None),
                          request_id=getattr(error, "request_id", None),
                          remedy=error_info(code, getattr(error, "http_status", None)).remedy)
        record = record_from_request(action, params, **fields, **(context or {}))
        if self.log is not None:
            self.log.append(record)
        if self.on_call is not None:
            self.on_call(record)


def _check_params(params: Mapping[str, Any]) -> None:
    """Every parameter must be text that can travel as UTF-8 (the typed operations check far more)."""
    for name, value in params.items():
        if not isinstance(value, str):
            raise ValidationError(name, f"must be text on the wire, got {type(value).__name__}.", value=value)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError(name, "contains characters that cannot be sent (unpaired surrogates).",
                                  value=value) from None


def _entry_from(data: Mapping[str, Any], status: int, attempts: int, request_id: str | None = None) -> RouteEntry:
    """A RouteEntry from an answer; an unreadable one is a TransportError, never a ValidationError.

    The request did reach the service, so the outcome is unknown: a retry must reuse the ClientToken.
    """
    try:
        return RouteEntry.from_api(data, request_id=request_id)
    except ValidationError as exc:
        err = TransportError(f"HTTP {status}: the answer could not be read ({exc})", http_status=status,
                             unknown_outcome=True)
        err.attempts = attempts
        raise err from exc


def _valid_timeout(timeout: object) -> bool:
    parts = timeout if isinstance(timeout, tuple) and len(timeout) == 2 else (timeout,)
    return all(isinstance(p, int | float) and not isinstance(p, bool) and p > 0 for p in parts)
