"""vw.app(): the whole tool in one widget; a route in the sandbox with no setup; no secret in any state."""

from __future__ import annotations

import json
import re

import ipywidgets
import pytest

import vpnroute_widgets as vw
from vpnroute_widgets.widgets.app import TITLES
from vpnroute_widgets.widgets.common import iter_widgets

INPUTS = (ipywidgets.Text, ipywidgets.Combobox, ipywidgets.Dropdown, ipywidgets.Checkbox, ipywidgets.Password,
          ipywidgets.IntText, ipywidgets.BoundedIntText, ipywidgets.ToggleButtons, ipywidgets.Textarea)
LITERAL_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b|\brgba?\(|color:\s*(?:red|green|black|white|blue|gray|grey)\b")


@pytest.fixture
def app(tmp_path, monkeypatch):
    for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALICLOUD_ACCESS_KEY",
                 "ALICLOUD_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    tool = vw.app()
    yield tool
    tool.close()


def states(root) -> str:
    return "\n".join(json.dumps(w.get_state(), default=str) for w in iter_widgets(root))


def test_one_line_shows_four_tabs_sharing_one_client_and_log(app):
    assert isinstance(app, ipywidgets.Tab) and tuple(app.titles) == TITLES and app.selected_index == 1
    assert app.children == (app.connection, app.form, app.batch, app.routes, app.log_view)
    assert app.connection.client.log is app.response_log
    assert app.form.client() is app.connection.client and app.log_view.response_log is app.response_log
    if vw.BatchPanel is None:
        assert "Batch: coming soon" in app.batch.value
    else:
        assert isinstance(app.batch, vw.BatchPanel)


def test_the_app_creates_a_route_in_the_sandbox_with_no_setup(app):
    form, sb = app.form, app.connection.sandbox
    assert sb is not None and sb.vpn_gateway_id in form.fields["VpnGatewayId"].options
    form.fill_demo.click()
    form.fields["RouteDest"].value = "10.20.0.0/24"
    form.submit.click()
    entry = form.wait()
    assert isinstance(entry, vw.RouteEntry) and "Route created" in form.result.value
    app.log_view.refresh()
    assert "10.20.0.0/24" in app.log_view.table.frame["route_dest"].tolist()
    creates = [r for r in app.response_log.records() if r["operation"] == "CreateVpnRouteEntry"]
    assert [r["outcome"] for r in creates] == ["ok"]  # the demo values' route read is logged too, as a read
    routes = [r["RouteDest"] for g in sb.state()["gateways"] for r in g["Routes"]]
    assert routes == ["10.20.0.0/24"] and sb.requests.count("CreateVpnRouteEntry") == 1


def test_switching_to_cloud_and_back_keeps_the_form_working(app):
    app.connection.mode_choice.value = "cloud"
    assert app.form.fields["VpnGatewayId"].options == ()
    app.connection.mode_choice.value = "sandbox"
    assert app.connection.sandbox.vpn_gateway_id in app.form.fields["VpnGatewayId"].options


def test_no_secret_in_any_widget_state(app, tmp_path):
    sb = app.connection.sandbox
    app.form.fill_demo.click()
    app.form.fields["RouteDest"].value = "10.21.0.0/24"
    app.form.submit.click()
    app.form.wait()
    app.connection.mode_choice.value = "cloud"
    app.connection.key_id.value = "LTAI" "5tAppTypedKey5678"
    app.connection.secret.value = "app-typed-SECRET-9z8y"
    app.connection.connect_button.click()
    app.form.fields["RegionId"].value = "cn-hangzhou"
    app.log_view.export_csv(tmp_path / "export-test.csv")  # the data-URI link is widget state too
    text = states(app)
    for secret in (sb.credentials.access_key_secret, "app-typed-SECRET-9z8y", "LTAI" "5tAppTypedKey5678"):
        assert secret not in text
    assert "LTAI****5678" in text  # the masked key id is what is shown


def test_every_input_is_labelled_and_colours_come_from_the_theme(app):
    for widget in iter_widgets(app):
        if isinstance(widget, INPUTS):
            assert widget.description, f"{type(widget).__name__} without a description label"
        if isinstance(widget, ipywidgets.HTML):
            assert not LITERAL_COLOUR.search(widget.value), widget.value[:200]


@pytest.mark.notebooks
def test_in_a_real_kernel_the_submit_runs_on_the_kernel_loop(tmp_path):
    """One cell shows the app; the click returns at once; awaiting the task gives the created route."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    cells = [
        "import time, vpnroute_widgets as vw\napp = vw.app()\napp",
        "app.form.fill_demo.click()\napp.form.fields['RouteDest'].value = '10.30.0.0/24'\n"
        "t0 = time.perf_counter(); app.form.submit.click(); click_s = time.perf_counter() - t0\n"
        "assert app.form.busy and app.form.submit.disabled",
        "await app.form.submit_task\n"
        "print(type(app.form.last_result).__name__, app.form.last_result.route_dest, click_s < 0.5)\n"
        "import asyncio\nawait asyncio.sleep(0.5)  # the log view re-renders on the kernel loop, throttled\n"
        "creates = [r for r in app.response_log.records() if r['operation'] == 'CreateVpnRouteEntry']\n"
        "print(len(creates), 'Route created' in app.form.result.value,\n"
        "      '10.30.0.0/24' in app.log_view.table.frame['route_dest'].tolist())\n"
        "app.close()",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in cells])
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    out = "".join(o.get("text", "") for o in nb.cells[2].outputs)
    assert out.split() == ["RouteEntry", "10.30.0.0/24", "True", "1", "True", "True"], out


def test_no_widget_method_shadows_an_ipywidgets_internal():
    """A form method once named `_send` replaced ipywidgets' own, so no state change could sync."""
    import ipywidgets

    from vpnroute_widgets.widgets import App, BatchPanel, ConnectionPanel, LogView, RouteEntryForm

    allowed = {"close", "__init__", "__repr__", "__doc__", "__module__", "__qualname__", "__annotations__",
               "__firstlineno__", "__static_attributes__", "__dict__", "__weakref__"}
    internals = set(dir(ipywidgets.Tab)) | set(dir(ipywidgets.VBox))
    for cls in (App, BatchPanel, ConnectionPanel, LogView, RouteEntryForm):
        own = {name for name, value in vars(cls).items() if callable(value) or isinstance(value, property)}
        shadowed = (own & internals) - allowed
        assert not shadowed, f"{cls.__name__} overrides ipywidgets internals: {sorted(shadowed)}"


def test_every_part_syncs_a_state_change(tmp_path):
    app = vw.app()
    try:
        for part in (app, app.connection, app.form, app.batch, app.log_view):
            part.add_class("user-css")  # goes through Widget.send_state
            assert "user-css" in part._dom_classes
    finally:
        app.close()


def test_no_box_carries_a_tooltip():
    """ipywidgets' Box view reads description.length when a tooltip is set; a Box has none, so it fails to render."""
    app = vw.app()
    try:
        for widget in iter_widgets(app):
            if isinstance(widget, ipywidgets.Box):
                assert not widget.tooltip, f"{type(widget).__name__} has a tooltip: its view would not render"
    finally:
        app.close()
