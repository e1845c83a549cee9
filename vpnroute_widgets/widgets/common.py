"""Helpers shared by the widget families: escaping, themed HTML, layout, async submits.

Everything that turns a string into HTML goes through :func:`esc`, and every colour is a
JupyterLab CSS variable (``var(--jp-...)``), so cards read the same in the light and dark
themes and nothing from the API, a CSV or the user can inject markup.

:class:`TaskRunner` is the one place that knows how a click becomes background work:
inside a kernel the coroutine runs as a task on the kernel's event loop (so the notebook
stays responsive); in a plain script or test, where no loop runs, it goes on a private loop
that :meth:`TaskRunner.wait` drives until the task is done.
"""

from __future__ import annotations

import asyncio
import html
import threading
from collections.abc import Coroutine, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import ipywidgets as widgets

from ..errors import CredentialsError, ValidationError, describe_error
from ..model import RouteEntry

__all__ = [
    "DESCRIPTION_WIDTH",
    "TaskRunner",
    "active_loop",
    "card",
    "credentials_card",
    "entry_card",
    "error_card",
    "esc",
    "iter_widgets",
    "labelled_style",
    "message",
    "pre",
    "readable_colour",
    "row_layout",
    "table",
    "utc_time",
]

DESCRIPTION_WIDTH = "120px"
INPUT_WIDTH = "420px"
FORM_WIDTH = "100%"

def readable_colour(variable: str) -> str:
    """A theme colour made readable as text in both themes: mixed 60/40 with the theme's font colour.

    JupyterLab's light theme warn/info/success colours are too pale for small text on white
    (WCAG 2.7-4.1); the font colour is dark in the light theme and light in the dark one, so the
    mix darkens or lightens it as each theme needs, still recognisably orange, green or blue.
    """
    return f"color-mix(in srgb,var({variable}) 60%,var(--jp-ui-font-color1))"


# Named roles -> JupyterLab theme variables. Never a literal colour: it would vanish in one theme.
COLOURS = {
    "text": "var(--jp-ui-font-color1)",
    "muted": "var(--jp-ui-font-color2)",
    "error": readable_colour("--jp-error-color1"),
    "ok": readable_colour("--jp-success-color1"),
    "warn": readable_colour("--jp-warn-color1"),
    "info": readable_colour("--jp-info-color1"),
    "border": "var(--jp-border-color2)",
    "panel": "var(--jp-layout-color2)",
}


def esc(value: Any) -> str:
    """``value`` as HTML-safe text (None becomes an empty string)."""
    return "" if value is None else html.escape(str(value), quote=True)


def labelled_style() -> dict[str, str]:
    """The style every input uses, so labels line up and none is truncated."""
    return {"description_width": DESCRIPTION_WIDTH}


def row_layout(**extra: Any) -> widgets.Layout:
    """A full-width flex row that wraps rather than overflowing a narrow notebook column."""
    return widgets.Layout(width=FORM_WIDTH, flex_flow="row wrap", align_items="center", **extra)


def message(text: str, role: str = "muted", *, small: bool = True) -> str:
    """One line of escaped text in a theme colour (``role``: error, ok, warn, muted, text, info)."""
    if not text:
        return ""
    size = "var(--jp-ui-font-size0)" if small else "var(--jp-ui-font-size1)"
    # inline-block: wrapped lines get this line-height, not the widget's 28px inline height
    return (f'<span style="color:{COLOURS[role]};font-size:{size};line-height:1.35;display:inline-block">'
            f"{esc(text)}</span>")


def pre(text: str) -> str:
    """Escaped preformatted text in the theme's code font, wrapping long lines."""
    return (f'<pre style="font-family:var(--jp-code-font-family);font-size:var(--jp-code-font-size);'
            f'color:{COLOURS["text"]};background:{COLOURS["panel"]};padding:6px;margin:2px 0;line-height:1.4;'
            f'white-space:pre-wrap;word-break:break-all">{esc(text)}</pre>')


def table(rows: Iterable[tuple[str, Any]]) -> str:
    """A two-column key/value table, escaped."""
    cells = "".join(
        f'<tr><th style="text-align:left;padding:1px 12px 1px 0;color:{COLOURS["muted"]};'
        f'font-weight:normal;vertical-align:top;white-space:nowrap">{esc(key)}</th>'
        f'<td style="padding:1px 0;color:{COLOURS["text"]};word-break:break-word">{esc(value)}</td></tr>'
        for key, value in rows
    )
    return f'<table style="border-collapse:collapse;font-size:var(--jp-ui-font-size1);line-height:1.4">{cells}</table>'


def card(title: str, rows: Iterable[tuple[str, Any]], role: str = "text", note: str = "") -> str:
    """A bordered result card: a coloured title, a key/value table, an optional muted note."""
    extra = f'<div style="margin-top:4px">{message(note)}</div>' if note else ""
    return (f'<div style="border:1px solid {COLOURS["border"]};border-left:4px solid {COLOURS[role]};'
            f'padding:6px 10px;margin:4px 0;background:var(--jp-layout-color1)">'
            f'<div style="color:{COLOURS[role]};font-weight:bold;margin-bottom:4px">{esc(title)}</div>'
            f"{table(rows)}{extra}</div>")


def iter_widgets(root: widgets.Widget) -> Iterator[widgets.Widget]:
    """Every widget reachable from ``root`` through its traits (children, layout, style, ...).

    Used by tests and audits to check the state of a whole tree, e.g. that no secret is in it.
    """
    seen: set[int] = set()
    stack = [root]
    while stack:
        widget = stack.pop()
        if id(widget) in seen:
            continue
        seen.add(id(widget))
        yield widget
        for name in widget.keys:
            value = getattr(widget, name, None)
            items = value if isinstance(value, (list, tuple)) else (value,)
            stack.extend(item for item in items if isinstance(item, widgets.Widget))


def _drive(loop: asyncio.AbstractEventLoop, awaitable: Coroutine) -> None:
    """Run ``loop`` until ``awaitable`` is done, in this thread when it can.

    When a suspended foreign loop is registered in this thread (Playwright's sync API does
    that), asyncio refuses to run a second loop here, so a helper thread drives ours.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        loop.run_until_complete(awaitable)
        return
    helper = threading.Thread(target=loop.run_until_complete, args=(awaitable,), name="vw-task-runner")
    helper.start()
    helper.join()


def active_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop executing this code right now (a kernel's), or None.

    A loop counts only when the caller runs inside one of its tasks: that is the case for cell
    code and for comm (click) handlers in ipykernel, and inside ``asyncio.run``. A loop that is
    merely registered as running but suspended (Playwright's sync API parks one in a greenlet)
    would never run a task created on it.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    return loop if asyncio.current_task(loop) is not None else None


class TaskRunner:
    """Starts one coroutine at a time in the background and lets scripts wait for it.

    Why: a click handler must return at once (a blocking handler freezes every other widget),
    so the work runs as an asyncio task whose blocking part sits in an executor thread. In a
    kernel the task joins the kernel's running loop; without one (tests, scripts) it is created
    on a private loop, and :meth:`wait` runs that loop until the task finishes.
    """

    def __init__(self) -> None:
        self.task: asyncio.Task | None = None
        self._private: asyncio.AbstractEventLoop | None = None

    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self, coro: Coroutine) -> asyncio.Task:
        """Schedule ``coro``; returns the task (the caller checks :attr:`busy` first)."""
        loop = active_loop()
        if loop is None:
            if self._private is None or self._private.is_closed():
                self._private = asyncio.new_event_loop()
            loop = self._private
        self.task = loop.create_task(coro)
        return self.task

    def wait(self, timeout: float = 30.0) -> Any:
        """Block until the current task is done and return its result (no-op when idle).

        Inside a running loop (a notebook cell) this cannot block: ``await`` the task instead.
        """
        task = self.task
        if task is None:
            return None
        if not task.done():
            loop = task.get_loop()
            if loop.is_running():
                raise RuntimeError("wait() cannot block inside a running event loop: `await` the task instead.")
            _drive(loop, asyncio.wait([task], timeout=timeout))
            if not task.done():
                raise TimeoutError(f"the background task did not finish within {timeout} s")
        return task.result()

    def close(self) -> None:
        """Close the private loop (and its executor threads), if one was made."""
        if self._private is not None and not self._private.is_running() and not self._private.is_closed():
            _drive(self._private, self._private.shutdown_default_executor())
            self._private.close()


def utc_time(ms: Any) -> str:
    """CreateTime (ms since the epoch) as ``YYYY-MM-DD hh:mm:ss UTC``; the raw value stays in the data."""
    if ms in (None, ""):
        return ""
    try:
        return datetime.fromtimestamp(int(ms) / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (TypeError, ValueError, OverflowError, OSError):
        return str(ms)


def entry_card(entry: RouteEntry, client_token: str | None = None, elapsed: float | None = None) -> str:
    """The result card of a created route: every field the service returned."""
    rows = [
        ("RouteDest", entry.route_dest), ("NextHop", entry.next_hop), ("Weight", entry.weight),
        ("State", entry.state), ("VpnInstanceId", entry.vpn_instance_id), ("OverlayMode", entry.overlay_mode),
        ("Description", entry.description), ("CreateTime", utc_time(entry.create_time)),
        ("RequestId", entry.request_id), ("ClientToken", client_token),
    ]
    note = f"Answered in {elapsed:.2f} s." if elapsed is not None else ""
    problems = getattr(entry, "problems", ())
    if problems:  # made, but a field of the answer could not be read: say so, never hide it
        note = f"{note} The answer was partly unreadable: {' '.join(problems)}".strip()
    return card("Route created", [(k, v) for k, v in rows if v not in (None, "")], "ok", note)


CREDENTIALS_TODO = ("In the Connection tab: switch Mode to \"Sandbox (local, no account)\" to try without an "
                    "account, or put a key pair in one of the places below (or type it in the Connection tab) "
                    "and press Connect.")


def credentials_card(err: BaseException) -> str:
    """What to do when no credentials were found: the app's way out, then each place searched on its own line."""
    text = str(err)
    places = [line.strip()[2:] for line in text.splitlines() if line.strip().startswith("- ")]
    summary = (text.splitlines()[0] if text else "").removesuffix("Looked in:").strip() or \
        "No Alibaba Cloud credentials found."
    searched = "".join(f'<li style="overflow-wrap:anywhere">{esc(place)}</li>' for place in places)
    listing = (f'<div style="color:{COLOURS["muted"]};margin-top:4px">Places searched:</div>'
               f'<ul class="vw-places" style="margin:2px 0 0 0;padding-left:20px;color:{COLOURS["text"]};'
               f'font-family:var(--jp-code-font-family);font-size:var(--jp-code-font-size)">{searched}</ul>'
               if places else "")
    return (f'<div style="border:1px solid {COLOURS["border"]};border-left:4px solid {COLOURS["error"]};'
            f'padding:6px 10px;margin:4px 0;background:var(--jp-layout-color1)">'
            f'<div style="color:{COLOURS["error"]};font-weight:bold;margin-bottom:4px">{esc(summary)}</div>'
            f"{table([('What to do', CREDENTIALS_TODO)])}{listing}"
            f'<div style="margin-top:4px">{message("Nothing was sent.")}</div></div>')


def error_card(err: BaseException, client_token: str | None = None) -> str:
    """The result card of a failure: code, status, message, meaning and remedy, request id.

    The code, meaning, remedy and retry safety come from :func:`~vpnroute_widgets.errors.describe_error`,
    the one description the client's and the batch's records use too. Missing credentials get
    :func:`credentials_card`.
    """
    if isinstance(err, CredentialsError):
        return credentials_card(err)
    described = describe_error(err)
    code, status = described.code, described.http_status
    text = getattr(err, "message", None) or str(err)
    if isinstance(err, ValidationError):
        text = f"{err.field}: {err.message}"
    rows = [
        ("Code", code), ("HTTP status", status), ("Message", text),
        ("What it means", described.meaning), ("What to do", described.remedy),
        ("Safe to retry", "yes, with the same ClientToken" if described.retryable else "no, fix the cause first"),
        ("RequestId", described.request_id), ("Recommend", getattr(err, "recommend", None)),
        ("ClientToken", client_token),
    ]
    note = ""
    if getattr(err, "unknown_outcome", False):
        note = ("The request may have reached the service. Submit again as is: the form now holds the same "
                "ClientToken, so the route cannot be created twice.")
    elif isinstance(err, ValidationError):
        note = "Nothing was sent."
    title = f"{code} (HTTP {status})" if status else str(code)
    return card(title, [(k, v) for k, v in rows if v not in (None, "")], "error", note)
