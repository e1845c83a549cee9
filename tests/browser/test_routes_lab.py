"""The Routes tab in JupyterLab: refresh, select a row, switch active/standby after a confirmation, the picture.

* the tab reads the gateway when first shown; Refresh reads it again and says so; every row is one line
  (20 fit a 1000 px screen);
* clicking a standby row of a pair selects it; Switch shows the calls and "Confirm: switch active/standby
  of 1 destination on vpn-..."; nothing is sent before that click (the log shows no write); after it,
  the row is active and the status line says "Switched 1 of 1 destination";
* the picture (an SVG) shows the gateway, its connections and solid/dashed links;
* the dark theme keeps the status line, the table, the confirmation and the picture readable;
* an 800 px window reaches every column and the whole picture by scrolling inside the tab.

The notebook is written here: the app on a sandbox seeded with 12 routes per gateway (pairs, unpublished
routes and BGP routes), so there is something to switch.
"""

from __future__ import annotations

import json
import re

import pytest
from labkit import ARTIFACTS, contrast

pytestmark = pytest.mark.browser

NOTEBOOK = "routes_app.ipynb"
READABLE = 4.5  # WCAG AA for normal text
SOURCE = """import vpnroute_widgets as vw

sb = vw.Sandbox(routes_per_gateway=12, configuring_s=0.05).start()
app = vw.app(connection=vw.ConnectionPanel(sandbox=sb))
app.selected_index = 3  # the Routes tab
app"""

# contrast of an SVG <text> (its fill, not its color) against the first opaque background behind it
SVG_CONTRAST_JS = """(el) => {
  const parse = (s) => { const m = (s.match(/[\\d.]+/g) || []).map(Number); const k = s.startsWith('color(') ? 255 : 1;
                         return {r: (m[0] || 0) * k, g: (m[1] || 0) * k, b: (m[2] || 0) * k,
                                 a: m.length > 3 ? m[3] : 1}; };
  let bg = null;
  for (let e = el.closest('div'); e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor); if (c.a > 0.5) { bg = c; break; }
  }
  bg = bg || {r: 255, g: 255, b: 255, a: 1};
  const fg = parse(getComputedStyle(el).fill);
  const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const lum = (c) => 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
  const [l1, l2] = [lum(fg), lum(bg)];
  return {ratio: (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05), fg: getComputedStyle(el).fill,
          text: el.textContent.slice(0, 60)};
}"""


def write_notebook(folder) -> None:
    cell = {"cell_type": "code", "execution_count": None, "id": "routes-01", "metadata": {}, "outputs": [],
            "source": SOURCE.splitlines(keepends=True)}
    nb = {"cells": [cell], "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                                       "name": "python3"}, "language_info": {"name": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    (folder / NOTEBOOK).write_text(json.dumps(nb))


def button(scope, label: str | re.Pattern):
    text = label if isinstance(label, re.Pattern) else re.compile(rf"^\s*{re.escape(label)}\s*$")
    return scope.locator("button.widget-button", has_text=text).first


def open_routes_tab(lab, notebook_dir):
    write_notebook(notebook_dir)
    lab.open(NOTEBOOK)
    lab.run_all()
    tab = lab.outputs.locator(".vw-routes-tab").first
    tab.locator(".vw-table tbody tr").first.wait_for()
    tab.locator(".vw-routes-status", has_text=re.compile(r"\d+ routes on vpn-")).wait_for()
    lab.wait_idle()
    return lab.outputs.filter(has=lab.page.locator(".vw-routes-tab")).first, tab


def standby_row_of_a_pair(tab):
    """The table row of the first destination's standby route (the sandbox seeds the first one as a pair)."""
    first = tab.locator(".vw-table tbody tr").first.locator("td").first.inner_text().strip()
    return tab.locator(".vw-table tbody tr").filter(has_text=first).filter(has_text="standby").first, first


def test_refresh_select_and_switch_active_after_confirmation(lab, notebook_dir):
    app, tab = open_routes_tab(lab, notebook_dir)
    picture = tab.locator("svg.vw-route-svg")
    picture.wait_for()
    assert picture.locator("g.vw-conn").count() == 2 and picture.locator("path.vw-standby").count() >= 1
    assert picture.locator("g.vw-bgp").count() == 2 and picture.locator("g.vw-unpublished").count() >= 1

    button(tab, "Refresh").click()
    tab.locator(".vw-routes-status", has_text="read just now").wait_for()
    heights = tab.locator(".vw-table tbody tr").evaluate_all(
        "(rows) => rows.map((r) => r.getBoundingClientRect().height)")
    assert max(heights) * 20 < 700, f"rows up to {max(heights):.0f} px high: 20 do not fit a 1000 px screen"
    row, dest = standby_row_of_a_pair(tab)
    hop = row.locator("td").nth(1).inner_text().strip()
    row.locator("td").first.click()
    switch = button(tab, "Switch active/standby")
    lab.page.wait_for_function("(b) => !b.disabled", arg=switch.element_handle())
    switch.click()
    confirm = button(tab, re.compile(r"Confirm: switch active/standby of 1 destination on vpn-"))
    confirm.wait_for()
    assert "DeleteVpnRouteEntry" in tab.inner_text() and "CreateVpnRouteEntry" in tab.inner_text()
    lab.page.wait_for_timeout(1000)  # had a write been sent, the log would show it by now
    app.get_by_role("tab", name="Log", exact=True).click()
    log_view = app.locator(".vw-log-view")
    button(log_view, "Refresh").click()
    assert "DeleteVpnRouteEntry" not in log_view.inner_text()

    app.get_by_role("tab", name="Routes", exact=True).click()
    confirm.click()
    tab.locator(".vw-routes-status", has_text="Switched 1 of 1 destination").wait_for()
    now = tab.locator(".vw-table tbody tr").filter(has_text=dest).filter(has_text=hop).first
    assert "active" in now.inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    app.screenshot(path=str(ARTIFACTS / "routes-tab.png"))


def parts(tab) -> dict:
    return {
        "status line": tab.locator(".vw-routes-status span").first,
        "table header": tab.locator(".vw-table thead th").first,
        "CIDR cell": tab.locator(".vw-table tbody td.vw-nowrap").first,
        "confirm button": button(tab, re.compile("Confirm: withdraw")),
        "preview": tab.locator("pre").first,
    }


def readable(tab, theme: str) -> dict:
    measured = {f"{theme} {name}": contrast(loc) for name, loc in parts(tab).items() if loc.count()}
    svg = tab.locator("svg.vw-route-svg")
    for name, selector in (("picture gateway", "g.vw-gateway text"), ("picture destination", "g.vw-dest text"),
                           ("picture legend", "g.vw-legend text")):
        measured[f"{theme} {name}"] = svg.locator(selector).first.evaluate(SVG_CONTRAST_JS)
    assert len(measured) >= 7, measured
    return {name: m for name, m in measured.items() if m["ratio"] < READABLE}


def test_routes_tab_readable_in_light_and_dark_themes(lab, notebook_dir):
    app, tab = open_routes_tab(lab, notebook_dir)
    row, _dest = standby_row_of_a_pair(tab)
    row.locator("td").first.click()
    withdraw = button(tab, "Withdraw")
    lab.page.wait_for_function("(b) => !b.disabled", arg=withdraw.element_handle())
    withdraw.click()
    button(tab, re.compile("Confirm: withdraw")).wait_for()
    unreadable = readable(tab, "light")

    lab.menu("Settings", "Theme", "JupyterLab Dark")
    lab.page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
    lab.page.locator("#jupyterlab-splash").wait_for(state="detached")
    lab.wait_idle()
    unreadable |= readable(tab, "dark")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    app.screenshot(path=str(ARTIFACTS / "routes-dark-theme.png"))
    assert not unreadable, f"unreadable (WCAG ratio < {READABLE}): {unreadable}"


def desired_file() -> bytes:
    """The seeded gateway's custom routes minus the first, one re-published or withdrawn, one new (same seed)."""
    import vpnroute_widgets as vw

    with vw.Sandbox(seed=0, routes_per_gateway=12) as sb:
        client = vw.VpcClient(sb.credentials, endpoint=sb.endpoint, region_id=sb.region_id)
        frame = vw.export_routes(client, sb.region_id, [sb.vpn_gateway_id])
    frame = frame[frame["RouteEntryType"] == "custom"].iloc[1:].reset_index(drop=True)
    frame.loc[1, "PublishVpc"] = not frame.loc[1, "PublishVpc"]
    new = frame.iloc[[0]].copy()
    new["RouteDest"], new["Weight"], new["PublishVpc"] = "10.99.0.0/24", 100, True
    columns = ["RegionId", "VpnGatewayId", "RouteDest", "NextHop", "Weight", "PublishVpc", "Description"]
    import pandas as pd

    return pd.concat([frame, new])[columns].to_csv(index=False).encode()


def sync_parts(panel) -> dict:
    return {
        "mode help": panel.locator(".widget-html", has_text="Sync: the file is each named").locator("span").first,
        "status line": panel.locator(".vw-batch-status span").first,
        "delete row step": panel.locator(".vw-table tr.vw-row-delete td.vw-status").first,
        "create row CIDR": panel.locator(".vw-table tr.vw-row-create td.vw-nowrap").nth(3),
        "update row step": panel.locator(".vw-table tr.vw-row-update td.vw-status").first,
        "confirm button": button(panel, re.compile("Confirm: delete")),
    }


def test_sync_mode_asks_before_prune_deletes_and_is_readable_in_both_themes(lab, notebook_dir):
    app, _tab = open_routes_tab(lab, notebook_dir)
    app.get_by_role("tab", name="Batch", exact=True).click()
    panel = app.locator(".vw-batch-tab")
    panel.locator("button", has_text="Make the gateway match this file").first.click()
    panel.get_by_text("Prune: delete the routes").click()
    with lab.page.expect_file_chooser() as chooser:
        panel.locator(".widget-upload").first.click()
    chooser.value.set_files(files=[{"name": "desired.csv", "mimeType": "text/csv", "buffer": desired_file()}])
    panel.locator(".vw-batch-status", has_text="Sync plan").wait_for()
    panel.locator(".vw-table tr.vw-row-create").first.wait_for()
    assert panel.locator(".vw-table tr.vw-row-delete").count() == 1
    apply = button(panel, "Apply")
    lab.page.wait_for_function("(b) => !b.disabled", arg=apply.element_handle())
    apply.click()
    confirm = button(panel, re.compile(r"Confirm: delete 1 route on vpn-"))
    confirm.wait_for()
    lab.page.wait_for_timeout(1000)  # had a write been sent, the log would show it by now
    unreadable = {f"light {k}": contrast(v) for k, v in sync_parts(panel).items() if v.count()}
    assert len(unreadable) == 6, unreadable
    app.get_by_role("tab", name="Log", exact=True).click()
    log_view = app.locator(".vw-log-view")
    button(log_view, "Refresh").click()
    assert "DeleteVpnRouteEntry" not in log_view.inner_text() and "PublishVpnRouteEntry" not in log_view.inner_text()

    app.get_by_role("tab", name="Batch", exact=True).click()
    lab.menu("Settings", "Theme", "JupyterLab Dark")
    lab.page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
    lab.page.locator("#jupyterlab-splash").wait_for(state="detached")
    lab.wait_idle()
    unreadable |= {f"dark {k}": contrast(v) for k, v in sync_parts(panel).items() if v.count()}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    app.screenshot(path=str(ARTIFACTS / "batch-sync-dark-theme.png"))
    unreadable = {k: m for k, m in unreadable.items() if m["ratio"] < READABLE}
    assert not unreadable, f"unreadable (WCAG ratio < {READABLE}): {unreadable}"
    confirm.click()
    panel.locator(".vw-batch-status", has_text="Sync finished").wait_for()


# scroll the nearest sideways-scrolling box of ``el`` to its right end; is the element's right edge then inside?
REACH_RIGHT_JS = """(el) => {
  let box = el.parentElement;
  while (box && !(/(auto|scroll)/.test(getComputedStyle(box).overflowX) && box.scrollWidth > box.clientWidth)) {
    box = box.parentElement;
  }
  if (!box) return {scrolls: false, fits: el.getBoundingClientRect().right <= window.innerWidth};
  box.scrollLeft = box.scrollWidth;
  const b = box.getBoundingClientRect(), r = el.getBoundingClientRect();
  return {scrolls: true, inside: r.right <= b.right + 1};
}"""


def test_an_800px_window_reaches_every_column_and_the_whole_picture(lab, notebook_dir):
    lab.page.set_viewport_size({"width": 800, "height": 1000})
    app, tab = open_routes_tab(lab, notebook_dir)
    last_header = tab.locator(".vw-table thead th").last
    reached = last_header.evaluate(REACH_RIGHT_JS)
    assert reached.get("inside") or reached.get("fits"), reached
    picture = tab.locator("svg.vw-route-svg")
    reached = picture.evaluate(REACH_RIGHT_JS)
    assert reached.get("inside") or reached.get("fits"), reached
    clipped = app.evaluate("(el) => getComputedStyle(el).overflowX === 'hidden' || el.scrollWidth <= el.clientWidth")
    assert clipped, "the app's output scrolls sideways"
