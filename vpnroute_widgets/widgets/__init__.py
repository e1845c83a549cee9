"""The widgets: a route form, a connection panel, a log view, a batch panel, and one app holding them.

Every table (plan, result, log, and the routes of the Routes tab) is a :class:`TableView`.

Each family lives in its own module; none holds business logic (the model validates, the
client signs and sends, the log records).
"""

from __future__ import annotations

from .app import App, app
from .batch_panel import BatchPanel
from .connection import ConnectionPanel
from .form import RouteEntryForm
from .logview import LogView
from .table import TableView

__all__ = ["App", "BatchPanel", "ConnectionPanel", "LogView", "RouteEntryForm", "TableView", "app"]
