"""log.plots: outcomes by gateway, latency histogram, batch timeline (Agg backend; asserts on artists)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import matplotlib
import pytest

matplotlib.use("Agg")

import vpnroute_widgets as vw  # noqa: E402
from vpnroute_widgets.log import plots  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def record(i: int, gateway: str, outcome: str, latency: float, end_s: float) -> dict:
    rec = {"operation": "CreateVpnRouteEntry", "region_id": "cn-hangzhou", "vpn_gateway_id": gateway,
           "route_dest": f"10.0.{i}.0/24", "next_hop": "vco-abcd1234", "weight": 0, "outcome": outcome,
           "latency_ms": latency, "timestamp": T0 + timedelta(seconds=end_s), "request_id": f"REQ-{i}"}
    if outcome == "error":
        rec["error_code"] = "Forbidden"
    return rec


@pytest.fixture
def log():
    records = [record(i, "vpn-a", "ok", 100.0 + i, 1.0 + i) for i in range(6)]
    records += [record(10 + i, "vpn-b", "error", 400.0, 2.0 + i) for i in range(2)]
    records += [record(20, "vpn-b", "exists", 50.0, 3.5)]
    return vw.ResponseLog(records)


def test_importing_the_log_package_does_not_import_matplotlib():
    code = ("import sys, vpnroute_widgets.log, vpnroute_widgets.log.plots, vpnroute_widgets as vw; "
            "vw.plot_outcomes; assert 'matplotlib' not in sys.modules, 'matplotlib imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_public_names():
    assert vw.plot_outcomes is plots.outcomes_by_gateway
    assert vw.plot_latency is plots.latency_histogram
    assert vw.plot_timeline is plots.batch_timeline


def test_outcomes_by_gateway_stacks_one_segment_per_outcome(log):
    fig = vw.plot_outcomes(log)
    ax = fig.axes[0]
    heights = {(c.get_label(), int(r.get_x() + r.get_width() / 2)): r.get_height()
               for c in ax.containers for r in c}
    assert heights[("ok", 0)] == 6 and heights[("error", 1)] == 2 and heights[("exists", 1)] == 1
    assert [t.get_text() for t in ax.get_xticklabels()] == ["vpn-a", "vpn-b"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["ok", "exists", "error"]
    errors_on_b = next(r for c in ax.containers if c.get_label() == "error" for r in c if r.get_x() > 0.5)
    assert errors_on_b.get_y() == 1  # stacked on top of the one "exists"


def test_latency_histogram_marks_median_and_p95(log):
    fig = vw.plot_latency(log.to_dataframe())
    ax = fig.axes[0]
    assert sum(p.get_height() for p in ax.patches) == 9
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["median 103 ms", "p95 400 ms"]  # 50, 100..105, 400, 400
    assert ax.get_xlabel() == "latency (ms)"


def test_timeline_has_one_lane_per_gateway_and_a_bar_per_call(log):
    fig = vw.plot_timeline(log)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["vpn-a", "vpn-b"]
    bars = {c.get_label(): c.get_paths() for c in ax.collections}
    assert len(bars["ok"]) == 6 and len(bars["error"]) == 2 and len(bars["exists"]) == 1
    first = bars["ok"][0].get_extents()
    assert first.x0 == pytest.approx(0.0) and first.width == pytest.approx(0.1)  # 100 ms from the first start
    assert "start to answer" in ax.get_xlabel()


def test_plots_read_a_csv_report(log, tmp_path):
    path = tmp_path / "report.csv"
    log.to_csv(path)
    for plot in (vw.plot_outcomes, vw.plot_latency, vw.plot_timeline):
        fig = plot(str(path))
        fig.savefig(tmp_path / f"{plot.__name__}.png")
        assert (tmp_path / f"{plot.__name__}.png").stat().st_size > 1000


def test_empty_log_gives_a_figure_that_says_so():
    for plot in (vw.plot_outcomes, vw.plot_latency, vw.plot_timeline):
        ax = plot(vw.ResponseLog()).axes[0]
        assert any("no " in t.get_text() for t in ax.texts)


def test_other_sources_are_refused():
    with pytest.raises(TypeError, match="ResponseLog"):
        vw.plot_outcomes(42)


@pytest.mark.notebooks
def test_reports_notebook_saves_the_plots_and_shows_them_as_images(tmp_path):
    """04_reports.ipynb runs in a real kernel, writes three PNGs beside its CSV reports and shows them."""
    import shutil
    from pathlib import Path

    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    source = Path(__file__).resolve().parents[1] / "notebooks"
    work = tmp_path / "notebooks"
    shutil.copytree(source, work, ignore=shutil.ignore_patterns("reports", ".ipynb_checkpoints"))
    nb = nbformat.read(work / "04_reports.ipynb", as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(work)}}
                            ).execute()
    for name in ("outcomes_by_gateway", "latency", "batch_timeline"):
        assert (work / "reports" / f"{name}.png").stat().st_size > 5000, name
    assert (work / "reports" / "batch_report.csv").exists()
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 3
    remedies = next(c for c in nb.cells if "remedies in full" in c.source)
    html = "".join(o.get("data", {}).get("text/html", "") for o in remedies.outputs)
    assert "..." not in html and "…" not in html and "remedy" in html


def test_timeline_draws_no_bar_for_rows_never_sent(log):
    log.append({**record(30, "vpn-a", "skipped", 0.0, 9.0), "latency_ms": None})
    bars = {c.get_label(): c.get_paths() for c in vw.plot_timeline(log).axes[0].collections}
    assert "skipped" not in bars and len(bars["ok"]) == 6
