"""VpcClient: a thin, safe client for the VPN route operations of the Alibaba Cloud VPC API.

It signs (V1 or V3), sends with ``requests``, parses JSON or XML, maps error bodies to
:class:`~vpnroute_widgets.errors.ApiError`, and retries only what is safe: a create
always carries one ClientToken, reused on every attempt, while every attempt gets a
fresh nonce, timestamp and signature. Every logical call, success or failure, becomes
one record for the ``log`` (a ResponseLog) and the ``on_call`` callback.

This module imports neither pandas nor ipywidgets.
"""

from __future__ import annotations

import dataclasses
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from .credentials import Credentials
from .errors import ApiError, ConfigurationError, TransportError, ValidationError, VpnRouteError, describe_error
from .log.records import record_from_request
from .model import RouteEntry, check_region_id
from .operations import CREATE, DELETE, RouteOperations
from .retry import RetryPolicy
from .transport import Answer, HttpTransport, Timeout, Transport
from .wire import PreparedCall, check_endpoint, default_endpoint, parse_response, prepare_call

__all__ = ["ClientConfig", "VpcClient"]

_ROUTE_GONE = "InvalidRouteEntry.NotFound"


def _utc_timestamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _new_nonce() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class ClientConfig:
    """Every setting of a :class:`VpcClient`, checked once. ``dataclasses.replace`` makes a variant.

    ``endpoint`` None means ``https://vpc.<region>.aliyuncs.com`` for the request's region; an
    explicit endpoint must be ``https://`` (or ``http://`` to 127.0.0.1/localhost, for the
    sandbox). ``timeout`` is seconds or (connect, read) seconds. ``retry`` is the one
    :class:`~vpnroute_widgets.retry.RetryPolicy`. ``transport`` sends (default: real HTTP
    through ``requests``). ``sleep``, ``clock`` and ``rng`` are injectable so tests need no waiting.
    """

    credentials: Credentials
    region_id: str | None = None
    endpoint: str | None = None
    format: str = "JSON"
    signature_version: str = "v3"
    timeout: Timeout = (5, 10)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    transport: Transport | None = None
    log: Any = None
    on_call: Callable[[dict[str, Any]], None] | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if not isinstance(self.credentials, Credentials):
            raise ConfigurationError("credentials must be a vw.Credentials (or use vw.Credentials.resolve()).")
        fmt = str(self.format).upper()
        if fmt not in ("JSON", "XML"):
            raise ConfigurationError(f"format must be 'JSON' or 'XML', got {self.format!r}.")
        version = str(self.signature_version).lower()
        if version not in ("v1", "v3"):
            raise ConfigurationError(f"signature_version must be 'v1' or 'v3', got {self.signature_version!r}.")
        if not _valid_timeout(self.timeout):
            raise ConfigurationError(f"timeout must be seconds > 0 or a (connect, read) pair, got {self.timeout!r}; "
                                     "every request needs a timeout.")
        if version == "v3" and fmt == "XML":
            raise ConfigurationError("format='XML' needs signature_version='v1': V3 requests are always "
                                     "answered in JSON.")
        object.__setattr__(self, "format", fmt)
        object.__setattr__(self, "signature_version", version)
        object.__setattr__(self, "region_id", check_region_id(self.region_id) if self.region_id else None)
        object.__setattr__(self, "endpoint", check_endpoint(self.endpoint) if self.endpoint else None)
        if self.transport is None:
            object.__setattr__(self, "transport", HttpTransport())


class VpcClient(RouteOperations):
    """Create, list, change and delete VPN destination routes; read gateways and connections.

    Keyword arguments are the fields of :class:`ClientConfig`, plus shorthands for the retry
    policy (``max_attempts``, which counts the first try, ``backoff_base``, ``backoff_max``, and
    ``retry_configuring=False``, which hands ``VpnGateway.Configuring`` straight back to the
    caller: the batch scheduler paces gateways itself) and ``session`` (a ``requests.Session``
    for the default HTTP transport).
    """

    def __init__(self, credentials: Credentials, *, session: requests.Session | None = None,
                 max_attempts: int | None = None, backoff_base: float | None = None,
                 backoff_max: float | None = None, retry_configuring: bool | None = None, **settings: Any):
        retry = settings.pop("retry", None) or RetryPolicy()
        shorthands = {"max_attempts": max_attempts, "backoff_base": backoff_base, "backoff_max": backoff_max,
                      "retry_busy": retry_configuring}
        try:
            retry = dataclasses.replace(retry, **{k: v for k, v in shorthands.items() if v is not None})
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None
        if session is not None and settings.get("transport") is None:
            settings["transport"] = HttpTransport(session)
        if settings.get("rng") is None:
            settings.pop("rng", None)
        self.config = ClientConfig(credentials, retry=retry, **settings)

    @classmethod
    def from_config(cls, config: ClientConfig) -> VpcClient:
        """A client with exactly these settings."""
        client = cls.__new__(cls)
        client.config = config
        return client

    # the settings people read most, by name
    credentials = property(lambda self: self.config.credentials)
    region_id = property(lambda self: self.config.region_id)
    endpoint = property(lambda self: self.config.endpoint)
    format = property(lambda self: self.config.format)  # noqa: A003 - the API's own parameter name
    signature_version = property(lambda self: self.config.signature_version)
    timeout = property(lambda self: self.config.timeout)
    log = property(lambda self: self.config.log)
    on_call = property(lambda self: self.config.on_call)
    max_attempts = property(lambda self: self.config.retry.max_attempts)
    retry_configuring = property(lambda self: self.config.retry.retry_busy)

    def __repr__(self) -> str:
        where = self.endpoint or "https://vpc.<region>.aliyuncs.com"
        return (f"VpcClient({self.credentials.masked_key_id!r}, endpoint={where!r}, "
                f"format={self.format!r}, signature_version={self.signature_version!r})")

    def clone(self, **overrides: Any) -> VpcClient:
        """A client with the same settings but ``overrides`` (config fields or retry shorthands).

        Everything not named is kept, the transport, the clock and the random generator included.
        """
        retry_names = {"max_attempts": "max_attempts", "backoff_base": "backoff_base",
                       "backoff_max": "backoff_max", "retry_configuring": "retry_busy"}
        retry_changes = {retry_names[k]: overrides.pop(k) for k in list(overrides) if k in retry_names}
        if "session" in overrides:
            overrides["transport"] = HttpTransport(overrides.pop("session"))
        try:
            retry = dataclasses.replace(overrides.pop("retry", self.config.retry), **retry_changes)
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None
        return VpcClient.from_config(dataclasses.replace(self.config, retry=retry, **overrides))

    def preview(self, action: str, params: Mapping[str, str], region_id: str | None = None) -> dict[str, Any]:
        """What one attempt would send, with the key id masked and every secret hidden."""
        prepared = self._prepare(action, params, region_id or params.get("RegionId"),
                                 nonce="<fresh per attempt>", timestamp=_utc_timestamp())
        return prepared.preview()

    # --- the call loop --------------------------------------------------------------------

    def call(self, action: str, params: Mapping[str, str], *, context: Mapping[str, Any] | None = None,
             check: Callable[[dict[str, Any]], Any] | None = None) -> dict[str, Any]:
        """Sign, send, retry and parse one logical call; record its outcome. Returns the body as a dict.

        ``check(data)`` (optional) judges an answer the service gave: when it raises a toolkit error
        (a page that proves the server is lying, an answer that cannot be read), the call's record
        is that error, not "ok", and the error is raised.
        """
        _check_params(params)
        endpoint = self._endpoint_for(params.get("RegionId"))
        started = self.config.clock()
        attempts = 0  # set once an answer came back; a failure of the loop carries its own count
        try:
            data, status, attempts = self._attempt_loop(action, params, endpoint)
            if check is not None:
                check(data)
        except VpnRouteError as err:
            attempts = max(attempts, getattr(err, "attempts", 1))
            self._record(action, params, endpoint, started, attempts, context, error=err)
            raise
        self._record(action, params, endpoint, started, attempts, context, data=data, status=status)
        return data

    def _attempt_loop(self, action, params, endpoint) -> tuple[dict[str, Any], int, int]:
        config = self.config
        outcome_unknown = False
        for attempt in range(1, config.retry.max_attempts + 1):
            prepared = self._prepare(action, params, params.get("RegionId"), endpoint=endpoint,
                                     nonce=_new_nonce(), timestamp=_utc_timestamp())
            retry_after = None
            try:
                answer = config.transport.send(prepared, config.timeout, attempt)
                retry_after = answer.retry_after
                return self._read(action, answer, attempt), answer.status, attempt
            except ApiError as err:
                if action == DELETE and outcome_unknown and err.code == _ROUTE_GONE:
                    return {"RequestId": err.request_id, "AlreadyGone": True}, err.http_status or 200, attempt
                if not config.retry.should_retry(err, attempt):
                    raise
            except TransportError as err:
                outcome_unknown = outcome_unknown or err.unknown_outcome
                if not config.retry.should_retry(err, attempt):
                    raise
            config.sleep(config.retry.backoff(attempt, config.rng, retry_after))
        raise AssertionError("unreachable")  # pragma: no cover

    def _read(self, action: str, answer: Answer, attempt: int) -> dict[str, Any]:
        """The answer as data, or ApiError/TransportError; the one place server text enters the toolkit.

        Every text of the answer is redacted with these credentials here (see
        :mod:`vpnroute_widgets.redact`), so exceptions, records, reports, widgets and the CLI,
        which all take their text from what this returns or raises, never see a credential.
        """
        try:
            return parse_response(answer.status, answer.body, self.config.format, attempt=attempt,
                                  redact=self.credentials.redact, action=action)
        except (ApiError, TransportError):
            raise
        except Exception as exc:  # noqa: BLE001 - a parser bug must still end as an error of this call
            raise TransportError(f"HTTP {answer.status}: the answer could not be read ({type(exc).__name__}); "
                                 "its outcome is unknown.", http_status=answer.status, unknown_outcome=True,
                                 retryable=False, attempts=attempt) from None

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

    def _record(self, action, params, endpoint, started, attempts, context, *, data=None, status=None,
                error: VpnRouteError | None = None) -> None:
        log, on_call = self.config.log, self.config.on_call
        if log is None and on_call is None:
            return
        fields: dict[str, Any] = {
            "latency_ms": round((self.config.clock() - started) * 1000, 3),
            "attempts": attempts,
            "endpoint": urlsplit(endpoint).netloc,
        }
        if error is None:
            fields.update(outcome="ok", http_status=status, request_id=_answer_text(data.get("RequestId")))
            if action == CREATE:  # the route was created even when a field of the answer is unreadable
                entry = RouteEntry.from_api(data)
                fields.update(state=entry.state, create_time=entry.create_time,
                              vpn_instance_id=entry.vpn_instance_id)
                if entry.problems:
                    fields["error_message"] = "Created; the answer was partly unreadable: " + " ".join(entry.problems)
        else:
            fields.update(describe_error(error).record_fields())
        record = record_from_request(action, params, **fields, **(context or {}))
        if log is not None:
            log.append(record)
        if on_call is not None:
            on_call(record)


def _answer_text(value: Any) -> str | None:
    """A scalar of an answer as text for a record (a nested structure is no id: None)."""
    return None if value in (None, "") or isinstance(value, dict | list) else str(value)


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


def _valid_timeout(timeout: object) -> bool:
    parts = timeout if isinstance(timeout, tuple) and len(timeout) == 2 else (timeout,)
    return all(isinstance(p, int | float) and not isinstance(p, bool) and p > 0 for p in parts)
