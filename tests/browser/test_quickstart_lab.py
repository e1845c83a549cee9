"""The quickstart in JupyterLab, driven as a person does: run all, type into the form, submit, read the log.

Also: the dark theme keeps the form readable (computed colours, not a hard-coded palette).
"""

from __future__ import annotations

import re

import pytest
from labkit import ARTIFACTS, contrast, datalist_options, field_row, labelled_input, type_into

pytestmark = pytest.mark.browser

QUICKSTART = "01_quickstart.ipynb"
NEW_ROUTE = "10.20.0.0/24"
HOST_BITS = "10.20.0.1/24"
READABLE = 4.5  # WCAG AA for normal text


def open_app(lab):
    """Open the quickstart, Run All, and return the output that holds the app (its tab bar)."""
    lab.open(QUICKSTART)
    lab.run_all()
    app = lab.outputs.filter(has=lab.page.get_by_role("tab", name="Route", exact=True)).first
    app.get_by_role("tab", name="Route", exact=True).wait_for()
    # The code cells after the app create 10.0.0.0/24 and describe the gateway: wait until they ran.
    lab.outputs.filter(has_text="quickstart").first.wait_for()
    lab.wait_idle()
    return app


def fill_route_form(app, route_dest: str) -> None:
    """Type every required field; gateway and next hop are the demo ids the form suggests."""
    region = labelled_input(app, "RegionId")
    type_into(region, region.input_value() or "cn-hangzhou")
    gateway = labelled_input(app, "VpnGatewayId")
    gateways = datalist_options(gateway)
    assert gateways, "the sandbox's demo gateways should be offered"
    type_into(gateway, gateways[0])
    next_hop = labelled_input(app, "NextHop")
    hops = datalist_options(next_hop)
    assert hops, "the demo gateway's next hops should be offered"
    type_into(next_hop, hops[0])
    type_into(labelled_input(app, "RouteDest"), route_dest)
    type_into(labelled_input(app, "Description"), "typed in the browser")


def create_button(app):
    return app.locator("button.widget-button", has_text="Create route")


def test_quickstart_create_route_by_typing(lab):
    app = open_app(lab)

    fill_route_form(app, HOST_BITS)
    dest_row = field_row(app, "RouteDest")
    dest_row.get_by_text(re.compile("host bits", re.I)).wait_for()
    assert create_button(app).is_disabled()

    type_into(labelled_input(app, "RouteDest"), NEW_ROUTE)
    dest_row.get_by_text(re.compile("host bits", re.I)).wait_for(state="detached")
    button = create_button(app)
    lab.page.wait_for_function("(b) => !b.disabled", arg=button.element_handle())
    button.click()

    card = app.locator(".widget-html", has_text="Route created").first
    card.wait_for()
    assert NEW_ROUTE in card.inner_text()

    app.get_by_role("tab", name="Log").click()
    row = app.locator(".vw-log-view .vw-table tbody tr", has_text=NEW_ROUTE).first
    row.wait_for()
    assert "CreateVpnRouteEntry" in row.inner_text() and "ok" in row.inner_text()


def test_dark_theme_keeps_the_form_readable(lab):
    app = open_app(lab)
    fill_route_form(app, HOST_BITS)  # shows an error message as well as labels and inputs
    app.get_by_text(re.compile("host bits", re.I)).first.wait_for()

    lab.menu("Settings", "Theme", "JupyterLab Dark")
    lab.page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
    lab.page.locator("#jupyterlab-splash").wait_for(state="detached")  # the theme switch shows a splash
    lab.wait_idle()

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    form_parts = {
        "label": app.locator('label.widget-label:text-is("RouteDest")'),
        "typed text": labelled_input(app, "RouteDest"),
        "error message": app.locator(".widget-html span", has_text="has host bits set"),
        "help text": app.locator(".widget-html span", has_text=re.compile("^The destination CIDR block")),
        "tab title": app.get_by_role("tab", name="Route", exact=True),
    }
    measured = {name: contrast(locator) for name, locator in form_parts.items()}
    app.screenshot(path=str(ARTIFACTS / "quickstart-dark-theme-invalid.png"))

    type_into(labelled_input(app, "RouteDest"), NEW_ROUTE)
    button = create_button(app)
    lab.page.wait_for_function("(b) => !b.disabled", arg=button.element_handle())
    button.click()
    card = app.locator(".widget-html", has_text="Route created").first
    card.wait_for()
    result_parts = {"result card title": card.get_by_text("Route created", exact=True),
                    "result card value": card.get_by_text(NEW_ROUTE, exact=True),
                    "button text": button}
    measured |= {name: contrast(locator) for name, locator in result_parts.items()}
    app.screenshot(path=str(ARTIFACTS / "quickstart-dark-theme-created.png"))

    unreadable = {name: m for name, m in measured.items() if m["ratio"] < READABLE}
    assert not unreadable, f"unreadable in the dark theme (WCAG ratio < {READABLE}): {unreadable}"
