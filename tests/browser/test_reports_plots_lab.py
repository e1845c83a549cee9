"""04_reports.ipynb in JupyterLab: Run All draws the three plots as images, and remedies are shown in full."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

REPORTS = "04_reports.ipynb"


def test_reports_notebook_shows_its_plots(lab):
    lab.open(REPORTS)
    lab.run_all()
    images = lab.outputs.locator("img")
    lab.page.wait_for_function("() => document.querySelectorAll('.jp-OutputArea-output img').length >= 3")
    lab.wait_idle()
    sizes = [images.nth(i).evaluate("(img) => [img.naturalWidth, img.naturalHeight]") for i in range(images.count())]
    assert len(sizes) == 3 and all(w >= 500 and h >= 200 for w, h in sizes), sizes
    remedies = lab.outputs.filter(has_text="remedy").filter(has=lab.page.locator("table")).first
    assert "..." not in remedies.inner_text() and "…" not in remedies.inner_text()
    assert not lab.outputs.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']").count()
