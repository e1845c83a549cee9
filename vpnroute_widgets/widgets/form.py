"""RouteEntryForm: one CreateVpnRouteEntry request, checked as it is typed, sent without blocking.

The form holds no rules of its own: each input is checked by the model's per-field checker
(:data:`~vpnroute_widgets.model.CHECKERS`), the request is a
:class:`~vpnroute_widgets.model.RouteEntryRequest`, the preview is the client's own masked
``preview()``, and the result card's advice comes from the error catalogue.

Submit runs the HTTP call in an executor thread from an asyncio task, so the notebook keeps
answering clicks meanwhile; a second click while one request is in flight is refused. In a
script or test (no running event loop) ``form.wait()`` drives the task to completion::

    form.fields["RouteDest"].value = "10.0.0.0/24"
    form.submit.click()
    form.wait()
    form.result.value  # the result card
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import ipywidgets as widgets

from ..errors import ConfigurationError, ValidationError, VpnRouteError
from ..log.records import record_from_request
from ..model import CHECKERS, RouteEntry, RouteEntryRequest
from ..reference import REQUEST_FIELDS
from .code_export import EXPORTERS, vpnroute_python
from .codeblock import CodeBlock, CopyButton
from .common import (
    TaskRunner,
    card,
    entry_card,
    error_card,
    message,
    pre,
    row_layout,
    table,
)
from .demo import DemoValues
from .inputs import REGIONS, input_for

__all__ = ["REGIONS", "RouteEntryForm"]

OPERATION = "CreateVpnRouteEntry"
TICK_S = 0.1


class RouteEntryForm(DemoValues, widgets.VBox):
    """A form for CreateVpnRouteEntry: inputs, live checks, preview, code export, submit, result card.

    ``client`` is a VpcClient, a zero-argument callable returning one, or an object with a
    ``.client`` attribute (the ConnectionPanel); it is looked up at preview/submit time, so a
    connection can change underneath the form. ``log`` receives what the client cannot log
    itself: submits refused before sending. Public parts: ``fields`` and ``messages`` (keyed by
    API name), ``submit``, ``generate_token``, ``fill_demo`` (a free RouteDest read from the
    gateway in a worker), ``status``, ``result`` (cleared when an input or the connection changes),
    ``target`` (where requests go), ``preview``, ``code`` (a CodeBlock with a Copy button) and
    ``code_choice``, ``request`` (the valid request or None), ``errors``, ``submit_task`` and
    ``wait()``, ``last_result`` (a RouteEntry or the exception).
    """

    def __init__(self, client: Any = None, log: Any = None, **kwargs: Any):
        self._client_source = client
        self.response_log = log
        self.fields = {doc.name: input_for(doc) for doc in REQUEST_FIELDS}
        self.messages = {name: widgets.HTML(layout=widgets.Layout(margin="0 0 0 8px")) for name in self.fields}
        self.generate_token = widgets.Button(description="Generate", icon="refresh",
                                             tooltip="Put a new random ClientToken (UUID4) in the field")
        self.fill_demo = widgets.Button(description="Use demo values", icon="magic",
                                        tooltip="Fill region, gateway, next hop and a RouteDest not yet on the "
                                                "gateway (read from it, without blocking)",
                                        layout=widgets.Layout(display="none", width="auto"))
        self.submit = widgets.Button(description="Create route", button_style="primary", icon="paper-plane",
                                     disabled=True, tooltip="Send CreateVpnRouteEntry")
        self.status = widgets.HTML()
        self.result = widgets.HTML()
        self.result.add_class("vw-result-card")
        self.preview = widgets.HTML()
        self.preview_copy = CopyButton(hint="Copy the signed request (key id masked, signature hidden)",
                                       layout=widgets.Layout(display="none"))
        self.code_choice = widgets.ToggleButtons(options=list(EXPORTERS), description="Export as",
                                                 style={"description_width": "initial", "button_width": "auto"})
        self.code = CodeBlock("exported code")
        self.target = widgets.HTML()
        self.target.add_class("vw-target")
        self.errors: dict[str, str] = {}
        self.request: RouteEntryRequest | None = None
        self.last_result: RouteEntry | BaseException | None = None
        self.quick_picks: dict[str, Any] = {}
        self._runner = TaskRunner()
        self._demo_runner = TaskRunner()
        self._in_flight = False
        self._wire()
        super().__init__(children=self._layout(), layout=widgets.Layout(width="100%"), **kwargs)
        self.add_class("vw-route-form")  # a stable hook for browser tests and user CSS
        self.validate()

    # --- building -----------------------------------------------------------------------

    def _layout(self) -> list[widgets.Widget]:
        rows = []
        for doc in REQUEST_FIELDS:
            extra = [self.generate_token] if doc.name == "ClientToken" else []
            help_line = widgets.HTML(message(doc.description), layout=widgets.Layout(margin="0 0 4px 124px"))
            rows += [widgets.HBox([self.fields[doc.name], *extra, self.messages[doc.name]], layout=row_layout()),
                     help_line]
        details = widgets.Accordion(children=[widgets.VBox([self.preview_copy, self.preview]),
                                              widgets.VBox([self.code_choice, self.code])],
                                    titles=("Preview: what will be sent", "Code export"))
        actions = widgets.HBox([self.submit, self.fill_demo, self.status], layout=row_layout(margin="6px 0"))
        return [*rows, self.target, actions, self.result, details]

    def _wire(self) -> None:
        for widget in self.fields.values():
            widget.observe(self._on_value, names="value")
        self.fields["VpnGatewayId"].observe(self._on_gateway, names="value")
        self.generate_token.on_click(self._on_generate)
        self.fill_demo.on_click(self._on_fill_demo)
        self.submit.on_click(self._on_submit)
        self.code_choice.observe(lambda _change: self._render_code(), names="value")

    # --- values and validation ----------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """The current input values keyed by API name (as typed, before normalising)."""
        return {name: widget.value for name, widget in self.fields.items()}

    def validate(self) -> RouteEntryRequest | None:
        """Check every field through the model; update messages, Submit, preview and code.

        Returns the request when everything is valid. A missing required value shows a quiet
        "required" hint; a wrong value shows the model's message in the theme's error colour.
        """
        errors: dict[str, str] = {}
        for name, value in self.values().items():
            try:
                CHECKERS[name](value)
            except ValidationError as err:
                errors[name] = err.message
                self.messages[name].value = message("required", "muted") if err.missing else \
                    message(err.message, "error")
            else:
                self.messages[name].value = ""
        self.errors = errors
        self.request = None if errors else RouteEntryRequest.from_params(self.values())
        self._sync_submit()
        self.refresh()
        return self.request

    def _sync_submit(self) -> None:
        self.submit.disabled = bool(self.errors) or self._in_flight

    def _on_value(self, _change: dict) -> None:
        self.validate()
        self.clear_result()

    def clear_result(self) -> None:
        """Drop the last result card and status (they described other inputs or another connection);
        not while a request is in flight: its answer, and the ClientToken it puts back, are coming."""
        if not self._in_flight:
            self.result.value = self.status.value = ""

    # --- connection-dependent parts -----------------------------------------------------

    def client(self):
        """The client to use now (raises the connection's error when there is none)."""
        source = self._client_source
        if source is None:
            raise ConfigurationError("No connection: pass client= (a VpcClient) or use vw.app().")
        if hasattr(source, "create_vpn_route_entry"):
            return source
        return source() if callable(source) else source.client

    def refresh(self) -> None:
        """Re-render the preview and code export (for example after the connection changed)."""
        self._render_target()
        self._render_preview()
        self._render_code()

    def _params_for_display(self) -> dict[str, str]:
        return self.request.to_params() if self.request is not None else {}

    def _endpoint(self) -> str | None:
        try:
            return self.client().endpoint
        except Exception:  # no connection yet: export for the default public endpoint
            return None

    def _render_preview(self) -> None:
        if self.request is None:
            bad = ", ".join(sorted(self.errors))
            self.preview.value = message(f"The preview appears when every field is valid (to fix: {bad}).")
            self.preview_copy.layout.display = "none"
            return
        params = self._params_for_display()
        shown = dict(params)
        shown.setdefault("ClientToken", "(a new UUID, generated when sent and reused on retries)")
        try:
            signed = self.client().preview(OPERATION, params)
        except Exception as err:  # no credentials yet: show the parameters, say why no signature
            wire, text = message(f"Signed request not available: {err}", "warn"), ""
        else:
            headers = "\n".join(f"{k}: {v}" for k, v in signed["headers"].items())
            text = f"{signed['method']} {signed['url']}\n{headers}"
            wire = pre(text)
        self.preview_copy.text = text
        self.preview_copy.layout.display = "" if text else "none"
        self.preview.value = (f"{message('Parameters', 'text')}{table(shown.items())}"
                              f"{message('Signed request (AccessKeyId masked; signature and token hidden)', 'text')}"
                              f"{wire}")

    def _sandbox_mode(self) -> bool:
        return getattr(self._client_source, "mode", None) == "sandbox"

    def _render_target(self) -> None:
        """Say where Submit sends (sandbox, or the account: key id masked, region, endpoint)."""
        describe = getattr(self._client_source, "describe_target", None)
        if describe is None:
            self.target.value = ""
            return
        try:
            text, role = describe(), "muted" if self._sandbox_mode() else "warn"
        except Exception as err:  # noqa: BLE001 - no credentials yet: say so, Submit shows the details
            first = str(err).splitlines()[0].removesuffix("Looked in:").strip() if str(err) else type(err).__name__
            text, role = f"Requests cannot be sent yet: {first} Submit shows what to do.", "error"
        self.target.value = message(text, role)

    def export_code(self, kind: str | None = None) -> str:
        """The current request as code: ``kind`` is a key of EXPORTERS (default: the selected one).

        In sandbox mode the vpnroute_widgets snippet uses the app's own sandbox (found by its
        endpoint), so it runs as it is in the same notebook.
        """
        exporter = EXPORTERS[kind or self.code_choice.value]
        if exporter is vpnroute_python and self._sandbox_mode():
            return vpnroute_python(self._params_for_display(), self._endpoint(), sandbox=True)
        return exporter(self._params_for_display(), self._endpoint())

    def _render_code(self) -> None:
        if self.request is None:
            self.code.set_code("", message("Code export appears when every field is valid."))
        else:
            self.code.set_code(self.export_code())

    def set_quick_picks(self, picks: dict[str, Any] | None) -> None:
        """Offer a connection's region, gateways and next hops as choices (``ConnectionPanel.quick_picks``)."""
        self.quick_picks = picks or {}
        gateways = self.quick_picks.get("gateways") or []
        self.fields["VpnGatewayId"].options = tuple(g["vpn_gateway_id"] for g in gateways)
        region = self.quick_picks.get("region_id")
        if region and not self.fields["RegionId"].value:
            self.fields["RegionId"].value = region
        self._on_gateway()
        self.fill_demo.layout.display = "" if gateways else "none"
        self.refresh()
        self.clear_result()

    def _on_gateway(self, _change: dict | None = None) -> None:
        """NextHop choices follow the chosen gateway (all known next hops when it is not a pick)."""
        gateways = self.quick_picks.get("gateways") or []
        chosen = self.fields["VpnGatewayId"].value
        hops = [h for g in gateways if g["vpn_gateway_id"] == chosen for h in g.get("next_hops", ())]
        if not hops:
            hops = [h for g in gateways for h in g.get("next_hops", ())]
        self.fields["NextHop"].options = tuple(dict.fromkeys(hops))

    def _on_generate(self, _button=None) -> None:
        self.fields["ClientToken"].value = str(uuid.uuid4())

    # --- submitting ---------------------------------------------------------------------

    @property
    def submit_task(self) -> asyncio.Task | None:
        """The asyncio task of the latest submission (``await`` it in a notebook cell)."""
        return self._runner.task

    @property
    def busy(self) -> bool:
        """True from a submit until its answer is shown."""
        return self._in_flight

    def wait(self, timeout: float = 30.0) -> RouteEntry | BaseException | None:
        """Block until the submission in flight is answered (scripts and tests); returns ``last_result``."""
        self._demo_runner.wait(timeout)
        self._runner.wait(timeout)
        return self.last_result

    def _on_submit(self, _button=None) -> None:
        """Check again (``click()`` runs even on a disabled button), then send in the background."""
        if self._in_flight:
            self.status.value = message("A request is already in flight: wait for its answer.", "warn")
            return
        request = self.validate()
        if request is None:
            self._refuse(ValidationError(*next(iter(self.errors.items()))))
            return
        try:
            client = self.client()
        except VpnRouteError as err:
            self._refuse(err)
            return
        if request.client_token is None:
            request = request.with_client_token(str(uuid.uuid4()))
        self.result.value = ""
        self._in_flight = True
        self._sync_submit()
        self.status.value = message("Sending…", "info")
        self._runner.start(self._send_request(client, request))

    def _refuse(self, err: VpnRouteError) -> None:
        """Show and log a submit that was refused before anything was sent."""
        self.last_result = err
        self.result.value = error_card(err)
        self.status.value = message("Nothing was sent.", "error")
        if self.response_log is None:
            return
        if isinstance(err, ValidationError) and hasattr(self.response_log, "append_validation_error"):
            self.response_log.append_validation_error(err, self.values(), operation=OPERATION)
        else:
            params = {k: str(v) for k, v in self.values().items() if v not in (None, "")}
            self.response_log.append(record_from_request(OPERATION, params, outcome="error",
                                                error_code=getattr(err, "code", type(err).__name__),
                                                error_message=str(err)))

    async def _send_request(self, client, request: RouteEntryRequest) -> None:
        """Run the blocking call in an executor; tick the elapsed time; show the answer on this loop."""
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        client = self._logging_client(client)
        future = loop.run_in_executor(None, client.create_vpn_route_entry, request)
        try:
            while not future.done():
                self.status.value = message(f"Sending… {time.monotonic() - started:.1f} s", "info")
                await asyncio.wait([future], timeout=TICK_S)
            self._show_answer(future, request, time.monotonic() - started)
        finally:
            self._in_flight = False
            self._sync_submit()

    def _logging_client(self, client):
        """The client, logging into this form's log when it has none of its own."""
        if self.response_log is not None and getattr(client, "log", None) is None and hasattr(client, "clone"):
            return client.clone(log=self.response_log)
        return client

    def _show_answer(self, future: asyncio.Future, request: RouteEntryRequest, elapsed: float) -> None:
        err = future.exception()
        if err is None:
            entry = future.result()
            self.last_result = entry
            self.result.value = entry_card(entry, request.client_token, elapsed)
            self.status.value = message(f"Created in {elapsed:.2f} s.", "ok")
            return
        self.last_result = err
        if getattr(err, "unknown_outcome", False):
            self.fields["ClientToken"].value = request.client_token
        if isinstance(err, VpnRouteError):
            self.result.value = error_card(err, request.client_token)
        else:  # a bug, not an API answer: still shown, never raised into the kernel's loop
            self.result.value = card(f"Unexpected {type(err).__name__}", [("Message", str(err))], "error")
        self.status.value = message(f"Failed after {elapsed:.2f} s.", "error")

    def close(self) -> None:
        """Close the widgets and the private event loop (if a script used one)."""
        for runner in (getattr(self, "_runner", None), getattr(self, "_demo_runner", None)):
            if runner is not None:
                runner.close()
        super().close()
