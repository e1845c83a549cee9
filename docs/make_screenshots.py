"""Take docs/routes.png (the Routes tab with its picture), docs/batch-sync.png (the Batch tab's sync mode,
its diff planned) and docs/timeline.png (vw.plot_timeline of a batch applied to the sandbox).

    .venv/bin/python docs/make_screenshots.py

The screenshots come from the real app in Voila (a temporary notebook: the app on a sandbox seeded with
12 routes per gateway), through Debian's /usr/bin/chromium and Playwright, with no request leaving
127.0.0.1 (the browser-test helpers in tests/browser/labkit.py). docs/make_screenshot.py takes app.png
and batch.png the same way.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "browser"))

import labkit  # noqa: E402

import vpnroute_widgets as vw  # noqa: E402

SANDBOX = {"seed": 0, "routes_per_gateway": 12, "configuring_s": 0.05}
SOURCE = f"""import vpnroute_widgets as vw

sb = vw.Sandbox(**{SANDBOX!r}).start()
app = vw.app(connection=vw.ConnectionPanel(sandbox=sb))
app.selected_index = 3
app"""


def write_notebook(folder: Path) -> str:
    cell = {"cell_type": "code", "execution_count": None, "id": "shots-01", "metadata": {}, "outputs": [],
            "source": SOURCE.splitlines(keepends=True)}
    nb = {"cells": [cell], "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                                       "name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}
    (folder / "shots.ipynb").write_text(json.dumps(nb))
    return "shots.ipynb"


def sync_file() -> bytes:
    """The seeded gateway's custom routes, edited: one dropped, one withdrawn, one added (same ids: same seed)."""
    with vw.Sandbox(**SANDBOX) as sb:
        client = vw.VpcClient(sb.credentials, endpoint=sb.endpoint, region_id=sb.region_id)
        frame = vw.export_routes(client, sb.region_id, [sb.vpn_gateway_id])
    frame = frame[frame["RouteEntryType"] == "custom"].iloc[1:].reset_index(drop=True)
    frame.loc[1, "PublishVpc"] = not frame.loc[1, "PublishVpc"]
    new = frame.iloc[[0]].copy()
    new["RouteDest"], new["Weight"], new["PublishVpc"], new["Description"] = "10.99.0.0/24", 100, True, "new branch"
    import pandas as pd

    columns = ["RegionId", "VpnGatewayId", "RouteDest", "NextHop", "Weight", "PublishVpc", "Description"]
    return pd.concat([frame, new])[columns].to_csv(index=False).encode()


def timeline_png() -> Path:
    """A batch of 40 routes over two gateways, applied to a rate-limited sandbox; its timeline as PNG."""
    with vw.Sandbox(seed=0, configuring_s=0.05, rate=8) as sb:
        client = vw.VpcClient(sb.credentials, endpoint=sb.endpoint, region_id=sb.region_id)
        rows = [f"{sb.region_id},{g['vpn_gateway_id']},10.{n}.{i}.0/24,{g['next_hops'][0]},100,true"
                for n, g in enumerate(sb.gateways[:2]) for i in range(20)]
        data = ("RegionId,VpnGatewayId,RouteDest,NextHop,Weight,PublishVpc\n" + "\n".join(rows) + "\n").encode()
        log = vw.ResponseLog()
        vw.apply_batch(vw.plan_batch(data, client), client, log=log)
    figure = vw.plot_timeline(log)
    target = HERE / "timeline.png"
    figure.savefig(target, dpi=110, bbox_inches="tight")
    return target


def shoot(page, body) -> list[Path]:
    tab = body.locator(".vw-routes-tab")
    tab.locator("svg.vw-route-svg").wait_for()
    row = tab.locator(".vw-table tbody tr").filter(has_text="standby").first
    row.locator("td").first.click()
    button = tab.locator("button.widget-button", has_text="Switch active/standby").first
    page.wait_for_function("(b) => !b.disabled", arg=button.element_handle())
    button.click()
    tab.locator("button.widget-button", has_text="Confirm: switch").wait_for()
    routes = HERE / "routes.png"
    page.locator(".widget-tab").first.screenshot(path=str(routes))

    body.get_by_role("tab", name="Batch", exact=True).click()
    panel = body.locator(".vw-batch-panel")
    panel.get_by_role("radio", name="Make the gateway match this file").or_(
        panel.locator("button", has_text="Make the gateway match this file")).first.click()
    panel.get_by_text("Prune: delete the routes").click()
    with page.expect_file_chooser() as chooser:
        panel.locator(".widget-upload").first.click()
    chooser.value.set_files(files=[{"name": "desired.csv", "mimeType": "text/csv", "buffer": sync_file()}])
    panel.locator(".vw-batch-status", has_text="Sync plan").wait_for()
    panel.locator(".vw-table tbody tr").first.wait_for()
    apply = panel.locator("button.widget-button", has_text="Apply").first
    page.wait_for_function("(b) => !b.disabled", arg=apply.element_handle())
    apply.click()
    panel.locator("button.widget-button", has_text="Confirm: delete").wait_for()
    batch = HERE / "batch-sync.png"
    page.locator(".widget-tab").first.screenshot(path=str(batch))
    return [routes, batch]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        notebooks = tmp / "notebooks"
        notebooks.mkdir()
        with labkit.voila_page(notebooks, write_notebook(notebooks), tmp) as page:
            shots = shoot(page, page.locator("body"))
    shots.append(timeline_png())
    print("wrote " + ", ".join(str(s) for s in shots))


if __name__ == "__main__":
    main()
