"""The Route tab in JupyterLab (app.ipynb): demo values, the Copy button, and the cloud-mode guidance.

* "Use demo values" fills a RouteDest read as free from the gateway, and Copy puts the
  vpnroute_widgets snippet (using the app's own sandbox) on the clipboard;
* in Alibaba Cloud mode with no keys anywhere, the form says requests cannot be sent yet, and a
  submit shows what to do and each place searched, readable in the dark theme.
"""

from __future__ import annotations

import re

import pytest
from labkit import ARTIFACTS, contrast, labelled_input

pytestmark = pytest.mark.browser

APP = "app.ipynb"
READABLE = 4.5  # WCAG AA for normal text


def open_app(lab, tab: str):
    lab.open(APP)
    lab.run_all()
    app = lab.outputs.filter(has=lab.page.get_by_role("tab", name="Route", exact=True)).first
    app.get_by_role("tab", name=tab, exact=True).click()
    lab.wait_idle()
    return app


def test_demo_values_and_the_copy_button(lab):
    lab.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=lab.server.base)
    app = open_app(lab, "Route")
    app.locator("button.widget-button", has_text="Use demo values").click()
    app.get_by_text(re.compile(r"is not on vpn-\w+ yet")).first.wait_for()
    route_dest = labelled_input(app, "RouteDest").input_value()
    assert re.fullmatch(r"10\.\d+\.\d+\.0/24", route_dest), route_dest

    app.get_by_text("Code export").click()
    app.locator(".widget-toggle-button", has_text="vpnroute_widgets").click()
    code = app.locator(".vw-code-block pre", has_text="sandbox_at")
    code.wait_for()
    copy = app.locator('button.vw-copy-button[title^="Copy the exported code"]')
    copy.click()
    app.locator('button.vw-copy-button[title^="Copy the exported code"]', has_text="Copied").wait_for()
    copied = lab.page.evaluate("() => navigator.clipboard.readText()")
    assert "vw.ConnectionPanel.sandbox_at(" in copied and route_dest in copied
    assert copied.strip() == code.inner_text().strip()


def test_cloud_mode_without_keys_says_what_to_do_readably_in_the_dark(lab):
    app = open_app(lab, "Connection")
    app.locator(".widget-toggle-button", has_text="Alibaba Cloud").click()
    app.get_by_role("tab", name="Route", exact=True).click()
    target = app.locator(".vw-target", has_text="cannot be sent yet")
    target.wait_for()
    for name, value in (("RegionId", "cn-hangzhou"), ("VpnGatewayId", "vpn-bp1a3kqjiiq9legfx0000"),
                        ("NextHop", "vco-bp15oes1py4i66rmd0000"), ("RouteDest", "10.1.0.0/24")):
        field = labelled_input(app, name)
        field.fill(value)
        field.press("Enter")
    create = app.locator("button.widget-button", has_text="Create route")
    lab.page.wait_for_function("(b) => !b.disabled", arg=create.element_handle())
    create.click()
    card = app.locator(".vw-result-card", has_text="Places searched")
    card.wait_for()
    places = card.locator("ul.vw-places li")
    assert places.count() >= 3  # one list item per place searched
    inside = card.evaluate("(c) => c.scrollWidth <= c.clientWidth + 1")
    assert inside, "the card is wider than the form: its right part would be clipped"
    assert "Sandbox (local, no account)" in card.inner_text()

    lab.menu("Settings", "Theme", "JupyterLab Dark")
    lab.page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
    lab.page.locator("#jupyterlab-splash").wait_for(state="detached")
    lab.wait_idle()
    parts = {"target line": target.locator("span"), "card title": card.locator("div").nth(1),
             "what to do": card.locator("td").first, "a place searched": places.first,
             "copy button": app.locator('button.vw-copy-button[title^="Copy the exported code"]')}
    measured = {name: contrast(locator) for name, locator in parts.items() if locator.count()}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    app.screenshot(path=str(ARTIFACTS / "route-cloud-dark-theme.png"))
    assert {"target line", "card title", "what to do", "a place searched"} <= set(measured), measured
    unreadable = {name: m for name, m in measured.items() if m["ratio"] < READABLE}
    assert not unreadable, f"unreadable in the dark theme (WCAG ratio < {READABLE}): {unreadable}"


def test_inputs_fit_an_800px_window(lab):
    """The app clips sideways (no scrollbar under it), so every input must shrink to fit instead."""
    lab.page.set_viewport_size({"width": 800, "height": 1000})
    app = open_app(lab, "Route")
    labelled_input(app, "RouteDest").wait_for()
    outside = app.evaluate("""(out) => { const r = out.getBoundingClientRect();
        return Array.from(out.querySelectorAll('.vw-route-form input, .vw-route-form select'))
          .filter((e) => e.offsetParent !== null)
          .filter((e) => e.getBoundingClientRect().right > r.right + 1)
          .map((e) => e.closest('.widget-inline-hbox')?.innerText || e.outerHTML.slice(0, 80)); }""")
    assert outside == [], f"inputs cut off by the app's edge: {outside}"
