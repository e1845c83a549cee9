"""Take docs/app.png and docs/batch.png: the app (notebooks/app.ipynb) in Voila, after creating a sandbox
route, then its Batch tab after applying notebooks/data/routes.csv (rows coloured by outcome).

    .venv/bin/python docs/make_screenshot.py

Uses the browser-test helpers (tests/browser/labkit.py): Voila on 127.0.0.1 against a temporary copy of the
notebooks, Debian's /usr/bin/chromium through Playwright, and no request leaving 127.0.0.1.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "browser"))

import labkit  # noqa: E402


def batch_screenshot(page, body) -> Path:
    """Batch tab: upload routes.csv through the file chooser, apply it, wait for the words, screenshot."""
    body.get_by_role("tab", name="Batch").click()
    panel = body.locator(".vw-batch-panel")
    with page.expect_file_chooser() as chooser:
        panel.locator(".widget-upload").first.click()
    chooser.value.set_files(str(labkit.NOTEBOOKS / "data" / "routes.csv"))
    panel.locator(".vw-table tbody tr").first.wait_for()
    apply = panel.locator("button.widget-button", has_text="Apply").first
    page.wait_for_function("(b) => !b.disabled", arg=apply.element_handle())
    apply.click()
    panel.locator(".vw-batch-status", has_text="Apply finished").wait_for()
    target = HERE / "batch.png"
    page.locator(".widget-tab").first.screenshot(path=str(target))
    return target


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        notebooks = tmp / "notebooks"
        shutil.copytree(labkit.NOTEBOOKS, notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "reports"))
        with labkit.voila_page(notebooks, "app.ipynb", tmp, height=1500) as page:
            body = page.locator("body")
            body.locator("button.widget-button", has_text="Use demo values").click()
            labkit.type_into(labkit.labelled_input(body, "RouteDest"), "10.1.0.0/24")
            labkit.type_into(labkit.labelled_input(body, "Description"), "branch office")
            button = body.locator("button.widget-button", has_text="Create route")
            page.wait_for_function("(b) => !b.disabled", arg=button.element_handle())
            button.click()
            body.locator(".widget-html", has_text="Route created").first.wait_for()
            page.locator(".widget-tab").first.screenshot(path=str(HERE / "app.png"))
            batch = batch_screenshot(page, body)
    print(f"wrote {HERE / 'app.png'} and {batch}")


if __name__ == "__main__":
    main()
