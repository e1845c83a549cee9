"""The result cards: one error description everywhere, and a created route's unreadable fields said aloud."""

from __future__ import annotations

import vpnroute_widgets as vw
from vpnroute_widgets.errors import describe_error
from vpnroute_widgets.model import RouteEntry
from vpnroute_widgets.widgets.common import entry_card, error_card


def test_the_error_card_says_what_describe_error_says():
    err = vw.ApiError("VpnGateway.Configuring", "busy <b>now</b>", http_status=400, request_id="R-1")
    html = error_card(err, client_token="tok-1")
    described = describe_error(err)
    assert described.meaning and described.meaning in html and described.remedy in html
    assert "yes, with the same ClientToken" in html and "R-1" in html and "tok-1" in html
    assert "<b>now</b>" not in html  # server text is escaped


def test_a_lost_answer_is_safe_to_retry_and_a_refusal_is_not():
    assert "yes, with the same ClientToken" in error_card(vw.TransportError("dropped", unknown_outcome=True))
    assert "no, fix the cause first" in error_card(vw.ApiError("Forbidden", "no", http_status=403))


def test_a_created_route_with_an_unreadable_field_says_so_on_its_card():
    entry = RouteEntry.from_api({"RequestId": "R", "RouteDest": "10.0.0.0/24", "Weight": "heavy"})
    html = entry_card(entry)
    assert "Route created" in html and "partly unreadable" in html and "Weight" in html
    assert "partly unreadable" not in entry_card(RouteEntry.from_api({"RequestId": "R", "Weight": "100"}))
