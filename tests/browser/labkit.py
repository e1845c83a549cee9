"""Plain helpers for the browser tests: servers we start on 127.0.0.1 and a JupyterLab driver.

Kept out of conftest.py so test modules can import them by a unique module name.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
SERVER_START_TIMEOUT = 180  # seconds; a shared 2-core machine can be slow to import JupyterLab
KERNEL_IDLE_TEXT = "Python 3 (ipykernel) | Idle"
# Waits on visible state: generous, because kernels and widget managers are slow on 2 busy cores.
UI_TIMEOUT_MS = 90_000
ALLOWED_HOSTS = {"127.0.0.1"}
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# --------------------------------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _http(url: str, *, token: str, method: str = "GET", timeout: float = 5.0) -> int:
    req = urllib.request.Request(url, method=method, headers={"Authorization": f"token {token}"})
    if method == "POST":
        req.data = b""
    try:
        with _NO_PROXY.open(req, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


@dataclass
class Server:
    """A JupyterLab or Voila process we started, serving ``root`` on 127.0.0.1:``port``."""

    kind: str
    root: Path
    port: int
    token: str
    log_path: Path
    proc: subprocess.Popen | None = None
    extra: dict = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base}/{path.lstrip('/')}{sep}token={self.token}"

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def wait_ready(self, probe: str) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.proc.returncode}:\n{self.log_text()[-4000:]}")
            try:
                if _http(f"{self.base}{probe}", token=self.token) == 200:
                    return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.25)
        raise RuntimeError(f"{self.kind} not ready after {SERVER_START_TIMEOUT}s:\n{self.log_text()[-4000:]}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        if self.kind == "lab":
            try:
                _http(f"{self.base}/api/shutdown", token=self.token, method="POST")
                self.proc.wait(timeout=20)
                return
            except (OSError, urllib.error.URLError, subprocess.TimeoutExpired):
                pass
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.proc.pid, sig)  # the session we created with start_new_session: our own kernels
            except ProcessLookupError:
                return
            try:
                self.proc.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue


def jupyter_env_for(base: Path) -> dict[str, str]:
    """An environment whose every Jupyter/IPython location is under ``base`` (per the recipe)."""
    dirs = {
        "HOME": "home",
        "JUPYTER_CONFIG_DIR": "jupyter/config",
        "JUPYTER_DATA_DIR": "jupyter/data",
        "JUPYTER_PATH": "jupyter/path",
        "JUPYTER_RUNTIME_DIR": "jupyter/runtime",
        "IPYTHONDIR": "ipython",
        "JUPYTERLAB_SETTINGS_DIR": "lab/user-settings",
        "JUPYTERLAB_WORKSPACES_DIR": "lab/workspaces",
        "TMPDIR": "tmp",
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
    for name, rel in dirs.items():
        path = base / rel
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    settings = base / "lab/user-settings/@jupyterlab"
    _write_json(settings / "apputils-extension/notification.jupyterlab-settings",
                {"fetchNews": "false", "checkForUpdates": False})
    _write_json(settings / "notebook-extension/tracker.jupyterlab-settings", {"autoStartDefaultKernel": True})
    _offline_voila_template(base / "jupyter/path")
    # Voila's server extension (``/voila/render/``, what Binder's Voila link uses) defaults MathJax to a public
    # CDN; the string "null" for both settings makes its page use the MathJax bundled with it instead.
    _write_json(base / "jupyter/config/jupyter_server_config.json",
                {"ServerApp": {"tornado_settings": {"mathjax_url": "null", "mathjax_config": "null"}}})
    # The kernel must run this interpreter (the project's venv): put its bin first on PATH.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        env.pop(proxy, None)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


_CDN_LINK = re.compile(r"^\s*<link[^>]+href=\"https?://[^\"]+\"[^>]*>\s*$\n?", re.MULTILINE)


def _offline_voila_template(data_dir: Path) -> None:
    """Shadow Voila's stock ``lab`` page template with a copy minus its external ``<link>`` tags.

    Voila 0.5's ``lab/index.html.j2`` loads Font Awesome CSS from a public CDN; nothing else differs.
    The copy sits in a temporary JUPYTER_PATH, which Voila searches before sys.prefix, so the
    browser tests can demand that no request at all leaves 127.0.0.1.
    """
    stock = Path(sys.prefix) / "share/jupyter/voila/templates/lab/index.html.j2"
    if not stock.exists():
        return
    target = data_dir / "voila/templates/lab/index.html.j2"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(_CDN_LINK.sub("", stock.read_text()))


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def start_server(server: Server, argv: list[str], env: dict[str, str], probe: str,
                 cwd: Path | None = None) -> Server:
    """Start ``argv`` in its own session (so stop() can end its kernels too) and wait until ``probe`` is 200."""
    log = server.log_path.open("wb")
    try:
        server.proc = subprocess.Popen(  # noqa: S603 - fixed argv built above
            argv, cwd=cwd or server.root, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        log.close()
    try:
        server.wait_ready(probe)
    except BaseException:
        server.stop()
        raise
    return server


@contextlib.contextmanager
def voila_page(notebooks: Path, name: str, tmp: Path, *, width: int = 1100, height: int = 1400) -> Iterator:
    """A headless Chromium page on Voila rendering ``notebooks/name``, nothing leaving 127.0.0.1.

    For the scripts that take the README's screenshots from the real app (``docs/make_screenshot*.py``).
    """
    from playwright.sync_api import sync_playwright

    port, token = free_port(), secrets.token_hex(16)
    server = Server("voila", notebooks, port, token, tmp / "voila.log")
    start_server(server, voila_argv(name, port, token), jupyter_env_for(tmp / "home"), "/voila/static/voila.js")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
            page.route("**/*", lambda route: route.continue_() if urlsplit(route.request.url).hostname
                       in ALLOWED_HOSTS else route.abort())
            page.set_default_timeout(UI_TIMEOUT_MS)
            page.goto(server.url(""))
            yield page
            browser.close()
    finally:
        server.stop()


def lab_argv(root: Path, port: int, token: str) -> list[str]:
    return [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]


def voila_argv(notebook: str, port: int, token: str) -> list[str]:
    return [
        sys.executable, "-m", "voila", notebook, "--no-browser", "--Voila.ip=127.0.0.1", f"--port={port}",
        "--Voila.port_retries=0", f"--token={token}",
    ]



# --------------------------------------------------------------------------------------------------- JupyterLab


class LabDriver:
    """What a person does in JupyterLab, as explicit waits on visible state."""

    def __init__(self, page, server: Server) -> None:
        self.page = page
        self.server = server

    def open(self, name: str) -> None:
        """Open ``name`` (``?reset`` forgets old tabs) and wait for the kernel to be idle."""
        self.page.goto(self.server.url(f"lab/tree/{name}?reset"))
        self.page.locator(".jp-Notebook").first.wait_for(state="visible")
        self.wait_idle()

    def wait_idle(self, timeout: float = UI_TIMEOUT_MS) -> None:
        """The status bar's ``Python 3 (ipykernel) | Idle`` (the toolbar indicator says idle too early)."""
        self.page.locator(".jp-StatusBar-Widget", has_text=KERNEL_IDLE_TEXT).first.wait_for(
            state="visible", timeout=timeout
        )

    def menu(self, top: str, *path: str | re.Pattern) -> None:
        """Click ``top`` in the menu bar, then each item of ``path`` (submenus included) by its label."""
        self.page.get_by_role("menuitem", name=top, exact=True).click()
        for item in path:
            label = item if isinstance(item, re.Pattern) else re.compile(rf"^{re.escape(item)}")
            # Lumino gives commands role=menuitem but submenu entries no role: match the label instead.
            entry = self.page.locator(".lm-Menu .lm-Menu-item").filter(
                has=self.page.locator(".lm-Menu-itemLabel", has_text=label)
            ).last
            entry.click()

    def run_all(self) -> None:
        """Run > Run All Cells through the menu (JupyterLab 4 has no default shortcut for it)."""
        self.menu("Run", "Run All Cells")

    @property
    def outputs(self):
        """The rendered outputs: scope widget lookups here (cell sources contain the same words)."""
        return self.page.locator(".jp-OutputArea-output")




# --------------------------------------------------------------------------------------------------- widgets

# WCAG contrast ratio of an element's text against the first opaque background behind it; a translucent
# text colour (JupyterLab's muted font colours are) is blended over that background first.
CONTRAST_JS = """(el) => {
  // rgb()/rgba() give 0-255 channels; color(srgb r g b / a) (what color-mix() computes to) gives 0-1
  const parse = (s) => { const m = (s.match(/[\\d.]+/g) || []).map(Number);
                         const k = s.startsWith('color(') ? 255 : 1;
                         return {r: (m[0] || 0) * k, g: (m[1] || 0) * k, b: (m[2] || 0) * k,
                                 a: m.length > 3 ? m[3] : 1}; };
  let bg = null;
  for (let e = el; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c.a > 0.5) { bg = c; break; }
  }
  bg = bg || {r: 255, g: 255, b: 255, a: 1};
  const fg0 = parse(getComputedStyle(el).color);
  const fg = {r: fg0.r * fg0.a + bg.r * (1 - fg0.a), g: fg0.g * fg0.a + bg.g * (1 - fg0.a),
              b: fg0.b * fg0.a + bg.b * (1 - fg0.a)};
  const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const lum = (c) => 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
  const [l1, l2] = [lum(fg), lum(bg)];
  return {ratio: (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05),
          fg: getComputedStyle(el).color, bg: `rgb(${bg.r}, ${bg.g}, ${bg.b})`, text: el.innerText.slice(0, 60)};
}"""


def contrast(locator) -> dict:
    """``{"ratio", "fg", "bg", "text"}`` for the first element of ``locator`` (see CONTRAST_JS)."""
    return locator.first.evaluate(CONTRAST_JS)


def _label(scope, label: str):
    return scope.page.locator(f'label.widget-label:text-is("{label}")')


def labelled_input(scope, label: str):
    """The <input> of the ipywidget whose description (a <label>) is exactly ``label``."""
    return scope.locator(".widget-inline-hbox").filter(has=_label(scope, label)).locator("input").first


def field_row(scope, label: str):
    """The innermost HBox holding the field labelled ``label`` (and, in the route form, its message)."""
    return scope.locator(".widget-hbox").filter(has=_label(scope, label)).last


def type_into(field, text: str) -> None:
    """Clear a text input and type ``text`` key by key, as a person does."""
    field.click()
    field.press("Control+a")
    field.press("Backspace")
    field.press_sequentially(text, delay=15)


def datalist_options(field) -> list[str]:
    """The suggestions an ipywidgets Combobox offers (its <datalist>)."""
    return field.evaluate("(el) => el.list ? Array.from(el.list.options).map(o => o.value) : []")
