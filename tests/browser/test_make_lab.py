"""`make lab` on a fresh clone opens the quickstart in JupyterLab, against the sandbox, with no other step."""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

import pytest
from labkit import KERNEL_IDLE_TEXT, REPO, Server, free_port, start_server

pytestmark = pytest.mark.browser


@pytest.fixture
def fresh_clone(tmp_path: Path) -> Path:
    """The working tree as a clone has it, sharing this checkout's .venv.

    ``make lab`` is run with ``STAMP=`` so the shared venv is used as it is: building the venv (the
    stamp rule) is what ``make test`` itself does on CI's fresh clone, before this test can run.
    """
    ignore = shutil.ignore_patterns(".venv", ".git", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache",
                                    ".hypothesis", "build", "artifacts", ".ipynb_checkpoints", "reports")
    clone = tmp_path / "clone"
    shutil.copytree(REPO, clone, ignore=ignore)
    (clone / ".venv").symlink_to(REPO / ".venv")
    return clone


def test_make_lab_opens_the_quickstart(page, fresh_clone: Path, jupyter_env, tmp_path: Path):
    port, token = free_port(), secrets.token_hex(16)
    server = Server("lab", fresh_clone / "notebooks", port, token, tmp_path / "make-lab.log")
    argv = ["make", "--no-print-directory", "lab", "STAMP=", f"LAB_PORT={port}",
            f"LAB_ARGS=--no-browser --IdentityProvider.token={token} --ServerApp.port_retries=0"]
    env = {**jupyter_env, "MAKEFLAGS": "", "PATH": os.environ["PATH"]}
    start_server(server, argv, env, "/api/status", cwd=fresh_clone)
    try:
        page.goto(server.url(""))  # the root: the server's default_url decides what opens
        page.wait_for_url("**/lab/tree/01_quickstart.ipynb*")
        page.locator(".jp-StatusBar-Widget", has_text=KERNEL_IDLE_TEXT).first.wait_for()
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells").first.click()
        outputs = page.locator(".jp-OutputArea-output")
        outputs.get_by_role("tab", name="Route", exact=True).wait_for()
        # "Use demo values" appears only once the app's sandbox runs and offers its demo gateways.
        outputs.locator("button.widget-button", has_text="Use demo values").wait_for()
    finally:
        server.stop()
    assert server.proc.returncode is not None
