"""The whole tool as one widget: Connection, Route, Batch, Routes and Log tabs sharing one client and one log.

``vw.app()`` in a notebook cell is all it takes: sandbox mode is the default, so the first
route can be created with no account and no setup.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from .common import message
from .connection import ConnectionPanel
from .form import RouteEntryForm
from .logview import LogView
from .pickers import AccountPickers
from .routes import RouteTable
from .sync_mode import BatchTab

__all__ = ["App", "app"]

TITLES = ("Connection", "Route", "Batch", "Routes", "Log")
# The app never makes its output area scroll sideways (a 4 px scrollbar showed under every app):
# its own box clips horizontally and fits the output's width; wide tables scroll inside their box.
APP_CSS = (".jp-OutputArea-output:has(> .vw-app),.jp-OutputArea-output:has(> * > .vw-app){overflow-x:hidden}"
           ".vw-app{box-sizing:border-box;max-width:100%;overflow-x:hidden}"
           ".vw-app .vw-table-view{max-width:100%;box-sizing:border-box}")


class App(widgets.Tab):
    """Tabs for Connection, Route, Batch, Routes and Log, wired to one ConnectionPanel and one ResponseLog.

    Public parts: ``connection``, ``form`` (with ``pickers`` in Alibaba Cloud mode), ``batch``, ``routes``,
    ``log_view`` and ``response_log`` (the shared ResponseLog; ``log`` is ipywidgets' own logger).
    ``close()`` also stops the sandbox the connection started. The Routes tab reads its gateway the
    first time it is shown.
    """

    def __init__(self, log: Any = None, *, connection: ConnectionPanel | None = None, **kwargs: Any):
        if log is None:
            from ..log import ResponseLog

            log = ResponseLog()
        self.response_log = log
        self.connection = connection or ConnectionPanel(log=log)
        self.form = RouteEntryForm(client=self.connection, log=log)
        self.pickers = AccountPickers(self.connection, self.form)
        self.form.children = (self.pickers, *self.form.children)
        self.batch = BatchTab(self.connection, log)  # "Add these routes" or "Make the gateway match this file"
        self.routes = RouteTable(self.connection, log)
        self.log_view = LogView(log)
        # a <style> applies wherever it sits in the page, so it rides along in the first tab
        self.style_sheet = widgets.HTML(f"<style>{APP_CSS}</style>", layout=widgets.Layout(height="0px"))
        self.connection.children = (*self.connection.children, self.style_sheet)
        super().__init__(children=[self.connection, self.form, self.batch, self.routes, self.log_view], titles=TITLES,
                         selected_index=1, layout=widgets.Layout(width="100%", overflow="hidden visible"),
                         **kwargs)
        self.add_class("vw-app")  # a stable hook for browser tests and user CSS
        self.connection.on_change(self._on_connection)
        self._on_connection()
        self.observe(self._on_tab, names="selected_index")

    def _on_tab(self, _change: dict) -> None:
        """The Routes tab reads its gateway when first shown (and after a connection change)."""
        if self.selected_index == TITLES.index("Routes") and not self.routes.loaded:
            self.routes.refresh()

    def _on_connection(self) -> None:
        """The client changed: offer the new quick picks, re-sign the preview, drop the old result card."""
        try:
            picks = self.connection.quick_picks
        except Exception as err:  # a sandbox that cannot start: say so in the form, do not break the app
            self.form.status.value = message(f"Connection not ready: {err}", "error")
            picks = {}
        self.form.set_quick_picks(picks)

    def close(self) -> None:
        for child in (self.pickers, self.form, self.batch, self.routes, self.log_view, self.connection):
            child.close()
        super().close()


def app(log: Any = None, **kwargs: Any) -> App:
    """The whole tool as one widget (sandbox mode by default): ``vw.app()``."""
    return App(log, **kwargs)
