"""The app rendered by Voila, standalone and as Binder serves it (``/voila/render/`` on the Lab server)."""

from __future__ import annotations

import pytest
from labkit import labelled_input, type_into

pytestmark = pytest.mark.browser

APP = "app.ipynb"
NEW_ROUTE = "10.30.0.0/24"


def create_route_in(page) -> None:
    """Use the demo values, type a destination, create it, and find it in the Log tab."""
    body = page.locator("body")
    body.get_by_role("tab", name="Route", exact=True).click()
    body.locator("button.widget-button", has_text="Use demo values").click()
    type_into(labelled_input(body, "RouteDest"), NEW_ROUTE)
    button = body.locator("button.widget-button", has_text="Create route")
    page.wait_for_function("(b) => !b.disabled", arg=button.element_handle())
    button.click()
    card = body.locator(".widget-html", has_text="Route created").first
    card.wait_for()
    assert NEW_ROUTE in card.inner_text()
    body.get_by_role("tab", name="Log").click()
    body.locator(".vw-log-view .vw-table tbody tr", has_text=NEW_ROUTE).first.wait_for()


def test_create_route_in_standalone_voila(voila_server, page):
    server = voila_server(APP)
    page.goto(server.url(""))
    create_route_in(page)
    assert page.get_by_text("import vpnroute_widgets").count() == 0, "Voila shows outputs, never code"


def test_create_route_in_voila_render_as_on_binder(lab_server, page):
    page.goto(lab_server.url(f"voila/render/{APP}"))
    create_route_in(page)
