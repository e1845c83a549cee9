"""Proves the browser recipe on this machine with a throwaway ipywidgets notebook (no project code)."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

pytestmark = pytest.mark.browser

SMOKE_SOURCE = """\
import ipywidgets as w
button = w.Button(description="Press me")
label = w.Label(value="waiting")
button.on_click(lambda _: setattr(label, "value", "pressed!"))
w.VBox([button, label])"""


@pytest.fixture
def smoke_notebook(notebook_dir):
    nb = new_notebook(cells=[new_code_cell(SMOKE_SOURCE)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(nb, notebook_dir / "smoke.ipynb")
    return "smoke.ipynb"


def test_button_in_jupyterlab(lab, smoke_notebook):
    lab.open(smoke_notebook)
    lab.run_all()
    button = lab.outputs.locator("button.widget-button", has_text="Press me")
    button.click()
    lab.outputs.locator(".widget-label", has_text="pressed!").wait_for(state="visible")


def test_button_in_voila(page, voila_server, smoke_notebook):
    server = voila_server(smoke_notebook)
    page.goto(server.url(""))
    page.locator("button.widget-button", has_text="Press me").click()
    page.locator(".widget-label", has_text="pressed!").wait_for(state="visible")
