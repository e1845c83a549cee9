"""The Batch tab in JupyterLab (app.ipynb): guarded buttons and tables people can read.

* a failed upload disarms the plan: Apply is disabled in the page;
* Roll back sends nothing until its "Confirm: delete N routes on ..." button is clicked;
* a CIDR cell is one line of text (its text has a single line box), and 20 rows fit in 1000 px;
* in an 800 px wide window every column is reachable by scrolling the table, and the app's output
  does not scroll sideways;
* the dark theme keeps the table, the status line and the confirmation readable.
"""

from __future__ import annotations

import re

import pytest
from labkit import ARTIFACTS, NOTEBOOKS, contrast

pytestmark = pytest.mark.browser

APP = "app.ipynb"
ROUTES_CSV = NOTEBOOKS / "data" / "routes.csv"
READY = re.compile(r"ready (\d+)")
READABLE = 4.5  # WCAG AA for normal text

# How many line boxes the text of an element occupies (1: it did not wrap).
LINES_JS = """(el) => { const r = document.createRange(); r.selectNodeContents(el);
  const tops = new Set(Array.from(r.getClientRects()).map((b) => Math.round(b.top)));
  return {lines: tops.size, height: el.getBoundingClientRect().height,
          lineHeight: parseFloat(getComputedStyle(el).lineHeight) || 0, text: el.innerText}; }"""


def open_batch_tab(lab):
    """Open app.ipynb, Run All, switch to the Batch tab; returns the batch panel."""
    lab.open(APP)
    lab.run_all()
    app = lab.outputs.filter(has=lab.page.get_by_role("tab", name="Batch")).first
    app.get_by_role("tab", name="Batch").click()
    panel = app.locator(".vw-batch-panel")
    panel.wait_for()
    lab.wait_idle()
    return app, panel


def upload(panel, name: str, data: bytes) -> None:
    """Click Upload CSV and pick a file in the chooser it opens, as a person does."""
    with panel.page.expect_file_chooser() as chooser:
        panel.locator("button.widget-upload, .widget-upload").first.click()
    chooser.value.set_files(files=[{"name": name, "mimeType": "text/csv", "buffer": data}])


def plan_routes(panel) -> int:
    """Upload notebooks/data/routes.csv and wait for its plan; returns the ready count."""
    upload(panel, "routes.csv", ROUTES_CSV.read_bytes())
    counts = panel.get_by_text(READY).first
    counts.wait_for()
    panel.locator(".vw-table tbody tr").first.wait_for()
    return int(READY.search(counts.inner_text()).group(1))


def button(panel, label: str | re.Pattern):
    text = label if isinstance(label, re.Pattern) else re.compile(rf"^\s*{re.escape(label)}\s*$")
    return panel.locator("button.widget-button", has_text=text).first


def test_failed_upload_disables_apply(lab):
    _app, panel = open_batch_tab(lab)
    assert plan_routes(panel) == 46
    apply = button(panel, "Apply")
    lab.page.wait_for_function("(b) => !b.disabled", arg=apply.element_handle())

    upload(panel, "broken.csv", b"foo,bar\n1,2\n")
    panel.get_by_text(re.compile("required column")).first.wait_for()
    lab.page.wait_for_function("(b) => b.disabled", arg=apply.element_handle())
    apply.click(force=True)  # a click on the disabled button must not start anything
    assert not panel.get_by_text(re.compile(r"\d+/\d+ · ok")).count()
    panel.get_by_text(re.compile("No plan: upload a CSV")).wait_for()


def test_rollback_asks_first_and_deletes_nothing_before(lab):
    app, panel = open_batch_tab(lab)
    ready = plan_routes(panel)
    button(panel, "Apply").click()
    panel.locator(".vw-batch-status", has_text=f"applied {ready}").wait_for()

    button(panel, "Roll back").click()
    confirm = button(panel, re.compile(r"Confirm: delete \d+ routes on vpn-"))
    confirm.wait_for()
    assert f"delete {ready} routes" in confirm.inner_text()
    lab.page.wait_for_timeout(1000)  # had a delete been sent, the log would show it by now
    app.get_by_role("tab", name="Log").click()
    log_view = app.locator(".vw-log-view")
    log_view.locator("button.widget-button", has_text="Refresh").click()
    assert "DeleteVpnRouteEntry" not in log_view.inner_text()

    app.get_by_role("tab", name="Batch").click()
    confirm.click()
    panel.locator(".vw-batch-status", has_text=f"rolled back {ready}").wait_for()


def test_cidr_cells_stay_on_one_line_and_twenty_rows_fit(lab):
    _app, panel = open_batch_tab(lab)
    plan_routes(panel)
    cell = panel.locator(".vw-table tbody td.vw-nowrap", has_text=re.compile(r"^10\.\d+\.\d+\.0/24$")).first
    measured = cell.evaluate(LINES_JS)
    assert measured["lines"] == 1, measured
    gateway = panel.locator(".vw-table tbody td", has_text=re.compile(r"^vpn-")).first.evaluate(LINES_JS)
    assert gateway["lines"] == 1, gateway
    row_height = panel.locator(".vw-table tbody tr").first.evaluate("(el) => el.getBoundingClientRect().height")
    assert 20 * row_height < 700, f"rows are {row_height:.0f} px high: 20 do not fit a 1000 px screen"


# The element that scrolls the table sideways (DataTables' own cell or the TableView box), scrolled to
# its right end; then: is the last header cell inside its visible rectangle?
SCROLL_TO_END_JS = """(table) => {
  let box = table.parentElement;
  while (box && !(/(auto|scroll)/.test(getComputedStyle(box).overflowX) && box.scrollWidth > box.clientWidth)) {
    box = box.parentElement;
  }
  if (!box) return {scrolls: false};
  box.scrollLeft = box.scrollWidth;
  const b = box.getBoundingClientRect();
  const th = table.querySelector('thead th:last-child').getBoundingClientRect();
  return {scrolls: true, inside: th.right <= b.right + 1 && th.left >= b.left - 1,
          box: box.className, text: table.querySelector('thead th:last-child').innerText};
}"""


def test_every_column_reachable_in_an_800px_window(lab):
    lab.page.set_viewport_size({"width": 800, "height": 1000})
    app, panel = open_batch_tab(lab)
    plan_routes(panel)
    table = panel.locator("table.vw-table").first
    assert table.evaluate("(t) => t.getBoundingClientRect().width") > app.evaluate("(o) => o.clientWidth")
    reached = table.evaluate(SCROLL_TO_END_JS)
    assert reached["scrolls"] and reached["inside"], f"the last column cannot be scrolled into view: {reached}"
    # no horizontal scrollbar under the app's output (it clips; the table scrolls inside its own box)
    clipped = app.evaluate("(el) => getComputedStyle(el).overflowX === 'hidden' || el.scrollWidth <= el.clientWidth")
    assert clipped, "the app's output scrolls sideways"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    app.screenshot(path=str(ARTIFACTS / "batch-800px.png"))


def table_parts(panel) -> dict:
    return {
        "header": panel.locator(".vw-table thead th").first,
        "ok row CIDR": panel.locator(".vw-table tr.vw-row-ok td.vw-nowrap").nth(2),
        "ok row outcome": panel.locator(".vw-table tr.vw-row-ok td.vw-status").first,
        "skipped row outcome": panel.locator(".vw-table tr.vw-row-skipped td.vw-status").first,
        "skipped row CIDR": panel.locator(".vw-table tr.vw-row-skipped td").nth(2),
        "status line": panel.locator(".vw-batch-status span").first,
        "confirm button": button(panel, re.compile("Confirm: delete")),
        "table search": panel.locator(".dt-search input").first,
    }


def readable(panel, theme: str) -> dict:
    measured = {f"{theme} {name}": contrast(loc) for name, loc in table_parts(panel).items() if loc.count()}
    assert len(measured) >= 6, measured
    return {name: m for name, m in measured.items() if m["ratio"] < READABLE}


def test_table_and_confirmation_readable_in_light_and_dark_themes(lab):
    app, panel = open_batch_tab(lab)
    ready = plan_routes(panel)
    button(panel, "Apply").click()
    panel.locator(".vw-batch-status", has_text=f"applied {ready}").wait_for()
    button(panel, "Roll back").click()
    button(panel, re.compile("Confirm: delete")).wait_for()
    unreadable = readable(panel, "light")

    lab.menu("Settings", "Theme", "JupyterLab Dark")
    lab.page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
    lab.page.locator("#jupyterlab-splash").wait_for(state="detached")
    lab.wait_idle()
    unreadable |= readable(panel, "dark")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    app.screenshot(path=str(ARTIFACTS / "batch-dark-theme.png"))
    assert not unreadable, f"unreadable (WCAG ratio < {READABLE}): {unreadable}"
