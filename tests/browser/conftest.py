"""Real-browser fixtures: a JupyterLab or Voila server on 127.0.0.1 plus the system Chromium via Playwright.

Follows the verified recipe in shared/reference/jupyter-notes.md:
* every server gets its own temporary HOME / JUPYTER_* / IPYTHONDIR / TMPDIR and serves a temporary copy
  of ``notebooks/`` (JupyterLab autosaves what it opens);
* the server is ready when ``/api/status`` (Lab) or ``/voila/static/voila.js`` (Voila) answers 200, and it is
  always stopped (``POST /api/shutdown``, then SIGTERM / SIGKILL of the process group we started);
* one ``sync_playwright()`` per session, Debian's ``/usr/bin/chromium``;
* every request that leaves 127.0.0.1 is aborted and recorded; a test fails if any was attempted;
* a failing test leaves a full-page screenshot and the server log in ``tests/artifacts/``.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from labkit import (
    ALLOWED_HOSTS,
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    NOTEBOOKS,
    UI_TIMEOUT_MS,
    LabDriver,
    Server,
    free_port,
    jupyter_env_for,
    lab_argv,
    start_server,
    voila_argv,
)

# --------------------------------------------------------------------------------------------------- outcome


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report on the item so fixtures can tell whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def _failed(request: pytest.FixtureRequest) -> bool:
    report = getattr(request.node, "rep_call", None)
    return report is None or report.failed


def _artifact_name(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)


@pytest.fixture
def notebook_dir(tmp_path: Path) -> Path:
    """A temporary copy of ``notebooks/`` (without checkpoints or old reports) for one test."""
    target = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "reports", "__pycache__"))
    return target


@pytest.fixture
def jupyter_env(tmp_path: Path) -> dict[str, str]:
    return jupyter_env_for(tmp_path / "jupyter-home")


def _keep_log_on_failure(request: pytest.FixtureRequest, server: Server) -> None:
    if _failed(request) and server.log_path.exists():
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(server.log_path, ARTIFACTS / f"{_artifact_name(request)}.{server.kind}.log")


@pytest.fixture
def lab_server(request, notebook_dir: Path, jupyter_env: dict[str, str], tmp_path: Path) -> Iterator[Server]:
    """JupyterLab on a free 127.0.0.1 port serving the temporary notebook copy."""
    port, token = free_port(), secrets.token_hex(16)
    server = Server("lab", notebook_dir, port, token, tmp_path / "lab.log")
    start_server(server, lab_argv(notebook_dir, port, token), jupyter_env, "/api/status")
    try:
        yield server
    finally:
        server.stop()
        _keep_log_on_failure(request, server)


@pytest.fixture
def voila_server(request, notebook_dir: Path, jupyter_env: dict[str, str], tmp_path: Path):
    """A factory: ``voila_server("app.ipynb")`` starts standalone Voila on that notebook; stopped at teardown."""
    started: list[Server] = []

    def start(notebook: str) -> Server:
        port, token = free_port(), secrets.token_hex(16)
        server = Server("voila", notebook_dir, port, token, tmp_path / f"voila-{len(started)}.log")
        started.append(server)
        return start_server(server, voila_argv(notebook, port, token), jupyter_env, "/voila/static/voila.js")

    try:
        yield start
    finally:
        for server in started:
            server.stop()
            _keep_log_on_failure(request, server)


# --------------------------------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium. Absent: skipped on a developer machine, a failure in CI (CI=true)."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run must `apt-get install chromium`")
    pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium)")


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance, chromium_path: Path):
    browser = playwright_instance.chromium.launch(
        executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield browser
    finally:
        browser.close()


class OffHostGuard:
    """Aborts and records every request whose host is not 127.0.0.1."""

    def __init__(self) -> None:
        self.blocked: list[str] = []

    def __call__(self, route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about") or parts.hostname in ALLOWED_HOSTS:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")


@pytest.fixture
def page(request, browser):
    """A fresh browser context and page; no request may leave 127.0.0.1; screenshot on failure."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, service_workers="block")
    guard = OffHostGuard()
    context.route("**/*", guard)
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    page.off_host_guard = guard
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
    try:
        yield page
    finally:
        if _failed(request):
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            name = _artifact_name(request)
            try:
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            except Exception as exc:  # noqa: BLE001 - a screenshot must never hide the real failure
                print(f"screenshot failed: {exc}")
            (ARTIFACTS / f"{name}.console.txt").write_text("\n".join(console))
        context.close()
    assert guard.blocked == [], f"requests that tried to leave 127.0.0.1: {guard.blocked}"


@pytest.fixture
def lab(lab_server: Server, page) -> LabDriver:
    # lab_server first: teardown runs in reverse, so the failure screenshot is taken while the server still runs
    return LabDriver(page, lab_server)
