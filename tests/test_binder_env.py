"""Binder's environment, rebuilt without Docker: a fresh venv from ``binder/requirements.txt`` runs the notebooks.

repo2docker installs ``binder/requirements.txt`` (``.`` being the repository itself) into the Python named by
``binder/runtime.txt``. Here a fresh venv is made with this machine's Python, the same requirements are
installed into it by ``pip`` as pip is configured on this machine (nothing is cached outside the temporary
directory), and notebooks 01-04 are executed in it with the same harness and secret checks as
``test_notebooks.py``. It takes a couple of minutes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_notebooks import EXECUTED, assert_no_secret, copy_notebooks, run_notebook

REPO = Path(__file__).resolve().parents[1]
BINDER = REPO / "binder"
NEEDED = {"ipykernel", "ipywidgets", "jupyterlab", "voila", "pandas", "requests", "xmltodict"}
INSTALL_TIMEOUT = 1500


def requirement_lines() -> list[str]:
    lines = [ln.split("#", 1)[0].strip() for ln in (BINDER / "requirements.txt").read_text().splitlines()]
    return [ln for ln in lines if ln]


def test_binder_files_are_pinned() -> None:
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.12"
    assert not (BINDER / "environment.yml").exists(), "with environment.yml, requirements.txt is ignored"
    lines = requirement_lines()
    assert "." in lines, "the repository itself must be installed"
    pins = dict(ln.split("==") for ln in lines if ln != ".")
    assert all(re.fullmatch(r"\d+(\.\d+)*", v) for v in pins.values()), f"exact pins only: {pins}"
    assert NEEDED <= {name.lower().replace("-", "_") for name in pins}, NEEDED - set(pins)


def _fresh_repo_copy(target: Path) -> Path:
    """The repository as a clone would have it (no venv, caches, build output or test artifacts)."""
    ignore = shutil.ignore_patterns(".venv", ".git", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache",
                                    ".hypothesis", "build", "artifacts", ".ipynb_checkpoints", "reports")
    shutil.copytree(REPO, target, ignore=ignore)
    return target


@pytest.fixture(scope="module")
def binder_python(tmp_path_factory) -> str:
    """A fresh venv with binder/requirements.txt installed, as repo2docker would from the repo root."""
    base = tmp_path_factory.mktemp("binder")
    repo = _fresh_repo_copy(base / "repo")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)  # noqa: S603
    python = str(venv / "bin" / "python")
    env = {"PIP_NO_CACHE_DIR": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1",
           "HOME": str(base / "home"), "TMPDIR": str(base / "tmp")}
    (base / "home").mkdir()
    (base / "tmp").mkdir()
    proc = subprocess.run(  # noqa: S603 - fixed argv
        [python, "-m", "pip", "install", "--quiet", "-r", "binder/requirements.txt"],
        cwd=repo, env={**_inherited_env(), **env}, capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
    )
    assert proc.returncode == 0, f"pip install -r binder/requirements.txt failed:\n{proc.stderr[-6000:]}"
    return python


def _inherited_env() -> dict[str, str]:
    """This machine's environment (pip's index configuration included) minus this venv's traces."""
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(sys.prefix))
    return env


def test_binder_venv_has_the_pinned_versions(binder_python: str) -> None:
    freeze = subprocess.run([binder_python, "-m", "pip", "freeze"], capture_output=True, text=True,  # noqa: S603
                            check=True, timeout=120).stdout
    installed = {ln.split("==")[0].lower().replace("-", "_"): ln.split("==")[1]
                 for ln in freeze.splitlines() if "==" in ln}
    for line in requirement_lines():
        if line != ".":
            name, version = line.split("==")
            assert installed.get(name.lower().replace("-", "_")) == version, line
    where = subprocess.run([binder_python, "-c", "import vpnroute_widgets; print(vpnroute_widgets.__file__)"],  # noqa: S603
                           capture_output=True, text=True, check=True, timeout=120, cwd="/").stdout.strip()
    assert where.startswith(str(Path(binder_python).parent.parent)), f"not installed into the venv: {where}"


@pytest.mark.notebooks
@pytest.mark.parametrize("name", EXECUTED)
def test_notebook_runs_in_binder_venv(binder_python: str, name: str, tmp_path: Path) -> None:
    workdir = copy_notebooks(tmp_path / "notebooks")
    executed, probe, _ = run_notebook(binder_python, workdir, name, tmp_path / "run")
    assert Path(probe["prefix"]).resolve() == Path(binder_python).parent.parent.resolve()
    assert_no_secret(name, executed, probe, workdir)
