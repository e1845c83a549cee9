"""The example notebooks run top to bottom in a real kernel, and their saved JSON holds no secret.

Each notebook is executed by nbclient in a subprocess (``run_notebook``), in a temporary copy of
``notebooks/``, with a kernelspec written to a temporary JUPYTER_PATH whose argv is the interpreter
under test (this venv here, a fresh Binder venv in ``test_binder_env.py``). Widget state is stored
(``store_widget_state=True``), as a person saving the notebook would, and then searched for:

* every secret held by any ``vw.Credentials`` or ``vw.Sandbox`` alive in the kernel at the end (the
  sandbox's demo, sub-user and no-permission AccessKeySecrets), collected by a probe cell appended to
  the in-memory copy only;
* a sentinel AccessKey pair put in the kernel's environment, as a user with real keys exported would have.

The kernel's HTTP proxy points at a closed 127.0.0.1 port (NO_PROXY=127.0.0.1), so any attempt by the
notebooks to reach the internet fails instead of leaving the machine.

The committed ``.ipynb`` files are the notebooks' source (edited in JupyterLab, linted by ruff through
``make lint``): they must stay output-free (no outputs, execution counts or widget state), and
``data/routes.csv`` must keep the rows the batch notebook describes.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
EXECUTED = ["01_quickstart.ipynb", "02_batch_from_csv.ipynb", "03_errors_and_retries.ipynb", "04_reports.ipynb",
            "06_route_lifecycle.ipynb", "07_sync_and_drift.ipynb", "app.ipynb"]
ALL_NOTEBOOKS = [*EXECUTED[:6], "05_real_account.ipynb", "app.ipynb"]
WITH_WIDGETS = {"01_quickstart.ipynb", "02_batch_from_csv.ipynb", "app.ipynb"}
SENTINEL_KEY_ID = "LTAI" "5tSENTINELKEYID0000"
SENTINEL_SECRET = "sentinel-SECRET-must-never-be-saved-7f3a9c"  # noqa: S105 - a marker, not a credential
SENTINEL_TOKEN = "sentinel-STS-token-must-never-be-saved-4b1d"  # noqa: S105
KERNEL_NAME = "vpnroute-under-test"
CELL_TIMEOUT = 300  # seconds per cell: a shared 2-core machine; the slowest cell applies a 50-row batch

# Appended to the in-memory copy: writes every live secret to a file named by the environment (never to
# an output), and the kernel's interpreter prefix, so the test can prove which Python ran the notebook.
PROBE = """\
import gc as _gc, json as _json, os as _os, sys as _sys
import vpnroute_widgets as _vw
_found = set()
for _o in _gc.get_objects():
    if isinstance(_o, _vw.Credentials):
        _found.update(s for s in (_o.access_key_secret, _o.security_token) if s)
    elif isinstance(_o, _vw.Sandbox):
        _found.update(k.access_key_secret for k in _o.world.keys.values())
with open(_os.environ["VPNROUTE_PROBE_FILE"], "w") as _f:
    _json.dump({"secrets": sorted(_found), "prefix": _sys.prefix}, _f)
del _gc, _json, _os, _sys, _vw, _found, _o, _f"""

RUNNER = """\
import sys, nbformat
from nbclient import NotebookClient
src, dst, workdir, kernel, timeout, probe = sys.argv[1:7]
nb = nbformat.read(src, as_version=4)
nb.cells.append(nbformat.v4.new_code_cell(open(probe).read()))
NotebookClient(nb, timeout=int(timeout), kernel_name=kernel, store_widget_state=True,
               resources={"metadata": {"path": workdir}}).execute()
nbformat.write(nb, dst)
"""


def write_kernelspec(jupyter_path: Path, python: str) -> None:
    """A kernelspec whose argv is ``python``: the kernel runs exactly that interpreter."""
    spec = jupyter_path / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)", "language": "python",
        "metadata": {"debugger": False},
    }))


def kernel_env(base: Path, python: str) -> dict[str, str]:
    """Temporary HOME/Jupyter dirs, a kernelspec for ``python``, sentinel keys and a dead proxy."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTER", "IPYTHON", "ALIBABA_CLOUD", "ALICLOUD", "VPNROUTE"))
           and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
    for name, rel in {"HOME": "home", "JUPYTER_PATH": "jpath", "JUPYTER_DATA_DIR": "jdata",
                      "JUPYTER_CONFIG_DIR": "jconfig", "JUPYTER_RUNTIME_DIR": "jruntime",
                      "IPYTHONDIR": "ipython", "TMPDIR": "tmp"}.items():
        (base / rel).mkdir(parents=True, exist_ok=True)
        env[name] = str(base / rel)
    write_kernelspec(base / "jpath", python)
    env["PATH"] = f"{Path(python).parent}{os.pathsep}{env.get('PATH', '')}"
    env["ALIBABA_CLOUD_ACCESS_KEY_ID"] = SENTINEL_KEY_ID
    env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = SENTINEL_SECRET
    env["ALIBABA_CLOUD_SECURITY_TOKEN"] = SENTINEL_TOKEN
    env["HTTP_PROXY"] = env["HTTPS_PROXY"] = env["http_proxy"] = env["https_proxy"] = "http://127.0.0.1:9"
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def copy_notebooks(target: Path) -> Path:
    shutil.copytree(NOTEBOOKS, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "reports", "__pycache__"))
    return target


def run_notebook(python: str, workdir: Path, name: str, scratch: Path) -> tuple[dict, dict, Path]:
    """Execute ``workdir/name`` with ``python``'s nbclient and kernel; -> (executed JSON, probe, kernel env)."""
    scratch.mkdir(parents=True, exist_ok=True)
    env = kernel_env(scratch / "env", python)
    probe_src, probe_out = scratch / "probe.py", scratch / "probe.json"
    probe_src.write_text(PROBE)
    env["VPNROUTE_PROBE_FILE"] = str(probe_out)
    executed = scratch / f"executed-{name}"
    proc = subprocess.run(  # noqa: S603 - fixed argv
        [python, "-c", RUNNER, str(workdir / name), str(executed), str(workdir), KERNEL_NAME, str(CELL_TIMEOUT),
         str(probe_src)],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=CELL_TIMEOUT * 4,
    )
    assert proc.returncode == 0, f"{name} failed in {python}:\n{proc.stderr[-6000:]}"
    return json.loads(executed.read_text()), json.loads(probe_out.read_text()), env


def assert_no_secret(name: str, executed: dict, probe: dict, workdir: Path) -> None:
    """No secret in the executed notebook JSON (outputs and widget state), nor in reports it wrote."""
    secrets = {SENTINEL_SECRET, SENTINEL_TOKEN, *probe["secrets"]}
    text = json.dumps(executed)
    for secret in secrets:
        assert secret not in text, f"{name}: a secret ({secret[:4]}...) is in the executed notebook"
    for path in workdir.rglob("*"):
        if path.is_file() and path.suffix in (".csv", ".json", ".txt", ".ipynb"):
            body = path.read_text(errors="replace")
            for secret in secrets:
                assert secret not in body, f"{name}: a secret ({secret[:4]}...) is in {path.relative_to(workdir)}"


@pytest.mark.notebooks
@pytest.mark.parametrize("name", EXECUTED)
def test_notebook_runs_and_saves_no_secret(name: str, tmp_path: Path) -> None:
    workdir = copy_notebooks(tmp_path / "notebooks")
    executed, probe, _ = run_notebook(sys.executable, workdir, name, tmp_path / "run")

    assert Path(probe["prefix"]).resolve() == Path(sys.prefix).resolve(), "the kernel was not this venv's Python"
    assert probe["secrets"], "the probe found no Credentials in the kernel: it would prove nothing"
    state = executed["metadata"].get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    if name in WITH_WIDGETS:
        assert state.get("state"), "no widget state was saved: the secret check would prove nothing"
    errors = [o for c in executed["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, errors
    assert_no_secret(name, executed, probe, workdir)


@pytest.mark.parametrize("name", ALL_NOTEBOOKS)
def test_committed_notebook_is_clean(name: str) -> None:
    """Committed without outputs, execution counts or widget state, and valid nbformat."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    assert "widgets" not in nb.metadata
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
        assert not cell.metadata.get("widgets")
    assert any(c.cell_type == "markdown" for c in nb.cells), "narrate for a newcomer"


def test_every_committed_notebook_is_checked() -> None:
    """The notebooks are edited by hand now: a new one must be added to the lists above to be checked."""
    assert sorted(path.name for path in NOTEBOOKS.glob("*.ipynb")) == sorted(ALL_NOTEBOOKS)


def test_routes_csv_is_the_batch_the_notebooks_describe() -> None:
    """``data/routes.csv``: fifty rows for the sandbox's two demo gateways (seed 0), four wrong on purpose.

    02_batch_from_csv.ipynb tells the reader which CSV lines are wrong and why: line 7 is not a CIDR block,
    line 19 has Weight 50, line 31 repeats line 5, line 43 has host bits set. Every other row is a good
    route: active (Weight 100) on a gateway's first IPsec connection, or a standby twin (Weight 0) on its
    second.
    """
    import vpnroute_widgets as vw
    from vpnroute_widgets.sandbox.world import build_world

    with open(NOTEBOOKS / "data" / "routes.csv", newline="") as f:
        header, *rows = list(csv.reader(f))
    assert header == ["RegionId", "VpnGatewayId", "RouteDest", "NextHop", "Weight", "PublishVpc", "Description"]
    assert len(rows) == 50
    by_line = {line: dict(zip(header, row, strict=True)) for line, row in enumerate(rows, start=2)}

    world = build_world(0)
    gateways = {g.vpn_gateway_id: g for g in world.of_kind("healthy", world.home_region)[:2]}
    mistakes = {7, 19, 31, 43}
    assert by_line[7]["RouteDest"] == "10.10.256.0/24"
    assert by_line[19]["Weight"] == "50"
    assert rows[31 - 2] == rows[5 - 2]
    assert by_line[43]["RouteDest"] == "172.16.20.1/24"
    for line, route in by_line.items():
        assert route["RegionId"] == world.home_region, line
        gateway = gateways[route["VpnGatewayId"]]
        if line not in mistakes:
            first, second = gateway.connections[:2]
            assert (route["NextHop"], route["Weight"]) in ((first, "100"), (second, "0")), line

    plan = vw.plan_batch(NOTEBOOKS / "data" / "routes.csv").plan
    not_ready = plan.loc[plan["status"] != "ready"]
    assert dict(zip(not_ready["row"], not_ready["status"], strict=True)) == {
        7: "invalid", 19: "invalid", 31: "duplicate", 43: "invalid"}
    assert (plan["status"] == "ready").sum() == 46
