"""ConnectionPanel: where requests go (the embedded sandbox or Alibaba Cloud) and as whom.

Sandbox mode (the default) starts a local :class:`~vpnroute_widgets.sandbox.Sandbox` the first
time a client is asked for, and offers its demo gateways and IPsec connections as quick picks.
Alibaba Cloud mode resolves credentials the way the aliyun CLI does
(:meth:`~vpnroute_widgets.credentials.Credentials.resolve`, with a profile picker), or takes a
typed key. Nothing here sends a request: switching modes or connecting only builds a client.

No widget trait ever holds a secret. A secret typed into the Password field is moved into a
private attribute and the field is cleared in the same observer call; the typed AccessKeyId is
handled the same way, so only its masked form is ever shown.
"""

from __future__ import annotations

import inspect
import os
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as widgets

from ..client import VpcClient
from ..credentials import Credentials, list_profiles, mask_key_id
from ..errors import ConfigurationError, CredentialsError, VpnRouteError
from ..model import check_region_id
from .common import INPUT_WIDTH, labelled_style, message, row_layout
from .form import REGIONS

__all__ = ["ConnectionPanel", "on_binder"]

SANDBOX, CLOUD = "sandbox", "cloud"
DEFAULT_CHAIN = "(default chain: environment, then config files)"
BINDER_WARNING = ("This session runs on Binder, which is public: do not use real Alibaba Cloud keys here. "
                  "Use the sandbox, or run the notebooks on your own machine.")


def on_binder(environ: Mapping[str, str] | None = None) -> bool:
    """True when the kernel runs on mybinder.org (or another BinderHub), judged by its environment."""
    env = os.environ if environ is None else environ
    if env.get("BINDER_SERVICE_HOST") or env.get("BINDER_REQUEST") or env.get("BINDER_LAUNCH_HOST"):
        return True
    return "binder" in env.get("JUPYTERHUB_SERVICE_PREFIX", "").lower()


def _default_sandbox():
    from ..sandbox import Sandbox

    return Sandbox()


class ConnectionPanel(widgets.VBox):
    """Choose sandbox or Alibaba Cloud; provides ``.client`` (a VpcClient) to the other widgets.

    ``sandbox`` may be a Sandbox you manage (it is then neither started nor stopped here);
    ``sandbox_factory`` builds one on first use otherwise. ``home`` and ``environ`` let tests
    point the profile lookup and the Binder check elsewhere. Public parts: ``mode`` and
    ``mode_choice``, ``client``, ``sandbox``, ``region_id``, ``quick_picks``, ``on_change(cb)``,
    ``connect()``, ``identity`` (HTML), the cloud inputs ``profile``, ``region``, ``endpoint``,
    ``key_id``, ``secret``, ``connect_button``, ``forget_button``, and ``reset_sandbox``.
    """

    # endpoint -> the sandbox a panel in this kernel serves: lets an exported snippet find it again
    # (weak: a stopped, dropped sandbox disappears from here too)
    _SANDBOXES: weakref.WeakValueDictionary = weakref.WeakValueDictionary()

    def __init__(self, log: Any = None, *, sandbox: Any = None, sandbox_factory: Callable[[], Any] | None = None,
                 home: str | os.PathLike | None = None, environ: Mapping[str, str] | None = None, **kwargs: Any):
        self.response_log = log
        self._sandbox = sandbox
        self._owns_sandbox = False
        self._sandbox_factory = sandbox_factory or _default_sandbox
        self._home = home
        self._client: VpcClient | None = None
        self._typed_key_id: str | None = None
        self._typed_secret: str | None = None
        self._callbacks: list[Callable] = []
        self.binder = on_binder(environ)
        self._build()
        self._wire()
        super().__init__(children=[self.mode_choice, self.binder_note, self.identity, self.sandbox_box,
                                   self.cloud_box], layout=widgets.Layout(width="100%"), **kwargs)
        self.add_class("vw-connection-panel")  # a stable hook for browser tests and user CSS
        self._show_mode()

    # --- building -----------------------------------------------------------------------

    def _build(self) -> None:
        wide = {"style": labelled_style(), "layout": widgets.Layout(width=INPUT_WIDTH, max_width="100%")}
        self.mode_choice = widgets.ToggleButtons(
            options=[("Sandbox (local, no account)", SANDBOX), ("Alibaba Cloud", CLOUD)], value=SANDBOX,
            description="Mode", style={"description_width": "120px", "button_width": "auto"})
        self.binder_note = widgets.HTML(message(BINDER_WARNING, "warn", small=False) if self.binder else "")
        self.identity = widgets.HTML()
        self.sandbox_status = widgets.HTML()
        self.reset_sandbox = widgets.Button(description="Reset sandbox", icon="undo",
                                            tooltip="Forget every route and fault of the local sandbox")
        self.sandbox_box = widgets.VBox([self.sandbox_status, self.reset_sandbox])
        self.profile = widgets.Dropdown(options=self._profile_options(), description="Profile", **wide)
        self.region = widgets.Combobox(options=REGIONS, value="cn-hangzhou", ensure_option=False,
                                       description="Region", continuous_update=False, **wide)
        self.endpoint = widgets.Text(description="Endpoint", continuous_update=False,
                                     placeholder="optional: https://vpc.<region>.aliyuncs.com", **wide)
        self.key_id = widgets.Text(description="AccessKeyId", continuous_update=False,
                                   placeholder="optional: type a key instead of a profile", **wide)
        self.secret = widgets.Password(description="AccessKeySecret", continuous_update=False,
                                       placeholder="kept in memory only, never shown", **wide)
        self.connect_button = widgets.Button(description="Connect", icon="plug", button_style="primary",
                                             tooltip="Build a client (no request is sent)")
        self.forget_button = widgets.Button(description="Forget typed key", icon="eraser")
        self.cloud_status = widgets.HTML()
        buttons = widgets.HBox([self.connect_button, self.forget_button], layout=row_layout(margin="4px 0"))
        hint = message("Credentials come from ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET, ~/.aliyun/config.json or "
                       "~/.alibabacloud/credentials.ini; a typed key is used for this session only.")
        self.cloud_box = widgets.VBox([self.profile, self.region, self.endpoint, widgets.HTML(hint), self.key_id,
                                       self.secret, buttons, self.cloud_status])

    def _wire(self) -> None:
        self.mode_choice.observe(lambda _c: self._show_mode(), names="value")
        for control in (self.profile, self.region, self.endpoint):
            control.observe(lambda _c: self._invalidate(), names="value")
        self.key_id.observe(self._on_key_id, names="value")
        self.secret.observe(self._on_secret, names="value")
        self.connect_button.on_click(lambda _b: self._on_connect())
        self.forget_button.on_click(lambda _b: self.forget_typed_key())
        self.reset_sandbox.on_click(lambda _b: self._on_reset())

    def _profile_options(self) -> list[tuple[str, str]]:
        return [(DEFAULT_CHAIN, "")] + [(name, name) for name in list_profiles(self._home)]

    # --- secrets out of traits, at once -------------------------------------------------

    def _on_secret(self, change: dict) -> None:
        """Move a typed secret out of the Password trait and clear the field in the same call."""
        if change["new"]:
            self._typed_secret = change["new"].strip()
            self.secret.value = ""
            self.secret.placeholder = "secret received (kept in memory only)"
            self._invalidate()

    def _on_key_id(self, change: dict) -> None:
        if change["new"]:
            self._typed_key_id = change["new"].strip()
            self.key_id.value = ""
            self.key_id.placeholder = f"{mask_key_id(self._typed_key_id)} received"
            self._invalidate()

    def forget_typed_key(self) -> None:
        """Drop the typed key pair; credentials come from the profile chain again."""
        self._typed_key_id = self._typed_secret = None
        self.key_id.placeholder = "optional: type a key instead of a profile"
        self.secret.placeholder = "kept in memory only, never shown"
        self._invalidate()

    # --- mode and client ----------------------------------------------------------------

    @property
    def mode(self) -> str:
        """``"sandbox"`` or ``"cloud"``."""
        return self.mode_choice.value

    @property
    def sandbox(self):
        """The sandbox in use (None until sandbox mode first needs one)."""
        return self._sandbox

    def _ensure_sandbox(self):
        if self._sandbox is None:
            self._sandbox = self._sandbox_factory()
            self._owns_sandbox = True
            self._sandbox.start()
        return self._sandbox

    @property
    def client(self) -> VpcClient:
        """The client for the current mode; built on first access (sandbox mode starts the sandbox)."""
        if self._client is None:
            if self.mode == SANDBOX:
                sb = self._ensure_sandbox()
                ConnectionPanel._SANDBOXES[sb.endpoint] = sb
                self._client = VpcClient(sb.credentials, endpoint=sb.endpoint, region_id=sb.region_id,
                                         log=self.response_log)
            else:
                self._client = VpcClient(self._credentials(), region_id=check_region_id(self.region.value),
                                         endpoint=self.endpoint.value.strip() or None, log=self.response_log)
            self._show_identity()
        return self._client

    def _credentials(self) -> Credentials:
        if self._typed_key_id and self._typed_secret:
            return Credentials(self._typed_key_id, self._typed_secret, source="typed in this session")
        if self._typed_key_id or self._typed_secret:
            raise CredentialsError("Type both AccessKeyId and AccessKeySecret, or forget the typed key.")
        return Credentials.resolve(self.profile.value or None, home=self._home)

    @classmethod
    def sandbox_at(cls, endpoint: str):
        """The running sandbox a ConnectionPanel in this kernel serves at ``endpoint``.

        The code export's vpnroute_widgets snippet uses it in sandbox mode, so the snippet runs
        as it is in the same notebook with the sandbox's own (demo) credentials.
        """
        sandbox = cls._SANDBOXES.get(endpoint)
        if sandbox is None or not sandbox.running:
            raise ConfigurationError(f"No running sandbox at {endpoint} in this kernel: run the cell with "
                                     "vw.app() first, or start your own with `sb = vw.Sandbox().start()`.")
        return sandbox

    def describe_target(self) -> str:
        """Where requests go, in words (key id masked): raises what the credentials lookup raises."""
        client = self.client
        if self.mode == SANDBOX:
            return f"Requests go to the local sandbox at {client.endpoint} (demo account, nothing real)."
        creds = client.credentials
        where = client.endpoint or f"https://vpc.{client.region_id}.aliyuncs.com"
        return (f"Requests go to Alibaba Cloud (real resources) as {creds.masked_key_id} ({creds.source}), "
                f"region {client.region_id}, endpoint {where}.")

    def connect(self) -> VpcClient:
        """Build the client now (no request is sent); raises what the credentials lookup raised."""
        self._client = None
        client = self.client
        self._notify()
        return client

    @property
    def region_id(self) -> str:
        """The region requests go to: the sandbox's, or the chosen one."""
        return self._ensure_sandbox().region_id if self.mode == SANDBOX else self.region.value.strip()

    @property
    def quick_picks(self) -> dict[str, Any]:
        """``{"region_id", "gateways": [{"vpn_gateway_id", "next_hops"}]}``: demo ids in sandbox mode."""
        if self.mode != SANDBOX:
            return {"region_id": self.region_id, "gateways": []}
        sb = self._ensure_sandbox()
        gateways = [{"vpn_gateway_id": g["vpn_gateway_id"], "next_hops": list(g["next_hops"])}
                    for g in sb.gateways if g.get("region_id", sb.region_id) == sb.region_id]
        return {"region_id": sb.region_id, "gateways": gateways}

    def on_change(self, callback: Callable) -> None:
        """Call ``callback(panel)`` (or ``callback()``) whenever the client changes."""
        self._callbacks.append(callback)

    def _notify(self) -> None:
        for callback in list(self._callbacks):
            try:
                takes_arg = bool(inspect.signature(callback).parameters)
            except (TypeError, ValueError):
                takes_arg = True
            callback(self) if takes_arg else callback()

    def _invalidate(self) -> None:
        """A setting changed: drop the client (rebuilt on next use) and tell listeners."""
        self._client = None
        self._show_identity()
        self._notify()

    # --- display ------------------------------------------------------------------------

    def _show_mode(self) -> None:
        sandbox = self.mode == SANDBOX
        self.sandbox_box.layout.display = "" if sandbox else "none"
        self.cloud_box.layout.display = "none" if sandbox else ""
        self._invalidate()

    def _show_identity(self) -> None:
        """Who requests go out as (key id masked) and where; never any secret."""
        if self._client is None:
            text = ("Sandbox: starts on first use (local, no account needed)." if self.mode == SANDBOX else
                    "Alibaba Cloud: credentials are looked up when you connect or first submit.")
            self.identity.value = message(text, "muted", small=False)
            self.sandbox_status.value = ""
            return
        creds, where = self._client.credentials, self._client.endpoint or "https://vpc.<region>.aliyuncs.com"
        role = "ok" if self.mode == SANDBOX else "warn"
        who = "Sandbox" if self.mode == SANDBOX else "Alibaba Cloud (real resources)"
        self.identity.value = message(f"{who} as {creds.masked_key_id} ({creds.source}), region "
                                      f"{self._client.region_id}, endpoint {where}", role, small=False)
        if self.mode == SANDBOX and self._sandbox is not None:
            ids = ", ".join(g["vpn_gateway_id"] for g in self._sandbox.gateways)
            self.sandbox_status.value = message(f"Running at {self._sandbox.endpoint}; demo gateways: {ids}")

    def _on_connect(self) -> None:
        try:
            self.connect()
        except VpnRouteError as err:
            self.cloud_status.value = message(str(err), "error")
        else:
            self.cloud_status.value = message("Ready. Nothing has been sent.", "ok")

    def _on_reset(self) -> None:
        if self._sandbox is not None:
            self._sandbox.reset()
        self._notify()
        self.sandbox_status.value = message("Sandbox reset: no routes, no faults.")

    def close(self) -> None:
        """Stop the sandbox this panel started (never one passed in), then close the widgets."""
        if self._owns_sandbox and self._sandbox is not None:
            self._sandbox.stop()
            self._sandbox = None
        super().close()

    def __repr__(self) -> str:
        return f"<ConnectionPanel mode={self.mode!r} connected={self._client is not None}>"

