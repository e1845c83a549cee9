"""The batch notebook in JupyterLab: Apply the planned CSV, press Cancel mid-way, see it stop quickly with
every row of the file accounted for."""

from __future__ import annotations

import csv
import re

import pytest
from labkit import NOTEBOOKS

pytestmark = pytest.mark.browser

BATCH = "02_batch_from_csv.ipynb"
STOP_WITHIN_S = 0.5

# Timestamps taken in the page itself: the click on Cancel (capture phase) and the first moment the
# summary says the run was cancelled. No Python-side polling sits between the two.
WATCH_JS = """([cancel, panel]) => {
  window.__vw = {clicked: null, stopped: null};
  cancel.addEventListener('click', () => { window.__vw.clicked = performance.now(); }, {capture: true});
  const seen = () => {
    if (window.__vw.stopped === null && / - cancelled\\./.test(panel.innerText)) {
      window.__vw.stopped = performance.now();
    }
  };
  new MutationObserver(seen).observe(panel, {subtree: true, childList: true, characterData: true});
}"""
SUMMARY = re.compile(r"^apply \w+: .* - cancelled\.$")


def csv_rows() -> int:
    with (NOTEBOOKS / "data" / "routes.csv").open(newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def test_cancel_batch_midway(lab):
    lab.open(BATCH)
    lab.run_all()
    panel = lab.outputs.filter(has=lab.page.locator("button.widget-button", has_text="Roll back")).first
    panel.get_by_text(re.compile(r"ready \d+")).first.wait_for()  # the Batch tab has planned the file
    lab.wait_idle()  # the notebook's own (separate) sandbox has finished its batch too

    apply = panel.locator("button.widget-button", has_text=re.compile(r"^\s*Apply\s*$"))
    cancel = panel.locator("button.widget-button", has_text="Cancel")
    progress = panel.locator(".widget-html", has_text=re.compile(r"\d+/\d+ · ok")).first

    apply.click()
    lab.page.wait_for_function(
        "(el) => { const m = el.innerText.match(/(\\d+)\\/(\\d+) · ok (\\d+)/);"
        "          return m && +m[3] >= 10 && +m[1] < +m[2]; }",  # mid-way: at least 10 created, not done
        arg=progress.element_handle(),
    )
    lab.page.evaluate(WATCH_JS, [cancel.element_handle(), panel.element_handle()])
    cancel.click()
    lab.page.wait_for_function("() => window.__vw.stopped !== null")
    stopped_after_ms = lab.page.evaluate("() => window.__vw.stopped - window.__vw.clicked")

    text = panel.get_by_text(SUMMARY).first.inner_text()
    counts = {k: int(v) for k, v in re.findall(r"(ok|error|exists|skipped|cancelled) (\d+)", text)}
    assert counts.get("cancelled", 0) > 0 and 10 <= counts.get("ok", 0) < 46, f"not stopped mid-way: {text}"
    assert sum(counts.values()) == csv_rows(), f"every CSV row must be in the report: {text}"
    assert stopped_after_ms < STOP_WITHIN_S * 1000, f"stopped {stopped_after_ms:.0f} ms after Cancel: {text}"
