"""The Batch tab with its two modes: "Add these routes" (a batch) and "Make the gateway match this file" (a sync).

:class:`BatchTab` is the :class:`~.batch_panel.BatchPanel` (upload, progress, cancel, report,
rollback: all shared) plus a mode switch and a Prune switch. In sync mode the file is planned
with :func:`~vpnroute_widgets.plan_sync` (the diff, one row per step, tinted by the kind of
change) and applied with :func:`~vpnroute_widgets.apply_sync`; Roll back undoes a sync step by
step (:func:`~vpnroute_widgets.rollback_batch` recognises a sync's report).

Guards, as for batches: a new or failed upload, a change of mode or of Prune, and a new
connection disarm the plan (Apply stays disabled until it is planned again); an apply spends
it. A sync whose plan deletes routes (Prune) first shows "Confirm: delete N routes on <gateways>"
with "Keep the gateway as is": nothing is sent before that click.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import pandas as pd

from ..batch import apply_sync, plan_sync
from .batch_panel import BatchPanel
from .common import COLOURS, esc, message, row_layout
from .words import gateway_list

__all__ = ["ADD", "SYNC", "BatchTab", "sync_targets"]

ADD, SYNC = "add", "sync"
_DIFF_COLUMNS = ("step", "change", "action", "vpn_gateway_id", "route_dest", "next_hop", "old_weight", "weight",
                 "old_publish_vpc", "publish_vpc", "after", "message")
# a step's kind -> the table's row tint (TableView's ROW_ROLES names): green adds, red removes, amber changes
_CHANGE = {"create": "create", "delete": "delete", "modify_weight": "modify", "publish": "update",
           "withdraw": "update", "none": "unchanged", "extra": "keep", "blocked": "conflict", "invalid": "invalid",
           "duplicate": "duplicate", "conflict": "conflict"}
_ROLE = {"create": "ok", "delete": "error", "modify_weight": "warn", "publish": "info", "withdraw": "warn",
         "none": "muted", "extra": "muted", "blocked": "error", "invalid": "error", "duplicate": "muted",
         "conflict": "warn"}


def sync_targets(plan: Any) -> tuple[int, list[str]]:
    """How many routes a sync plan deletes, and on which gateways (for its confirmation)."""
    deletes = [s for s in plan.changes() if s.action == "delete"]
    return len(deletes), sorted({str(s.vpn_gateway_id) for s in deletes})


def diff_frame(plan: Any) -> pd.DataFrame:
    """The plan's steps with a ``change`` column that names each row's tint."""
    frame = plan.to_dataframe()
    frame.insert(1, "change", [_CHANGE.get(a, "") for a in frame["action"]])
    return frame


class BatchTab(BatchPanel):
    """BatchPanel plus ``mode`` (``"add"`` or ``"sync"``) and ``prune``; ``sync_plan`` is the armed sync plan.

    Scripts and tests: ``mode.value = "sync"``; ``set_source(...)``, ``wait()``; ``apply_button.click()``
    (with Prune and deletes: then ``sync_confirm.click()``), ``wait()``; rollback as in BatchPanel.
    """

    def __init__(self, connection: Any, log: Any = None, **kwargs: Any):
        self.sync_plan: Any = None
        super().__init__(connection, log, **kwargs)
        self.add_class("vw-batch-tab")

    # --- building ---

    def _build(self) -> None:
        super()._build()
        self.mode = widgets.ToggleButtons(options=[("Add these routes", ADD), ("Make the gateway match this file",
                                                                               SYNC)],
                                          value=ADD, description="Mode",
                                          style={"description_width": "120px", "button_width": "auto"},
                                          tooltips=["Create the file's routes (a batch)",
                                                    "Create, change and (with Prune) delete routes so each gateway "
                                                    "the file names holds exactly its routes"])
        self.prune = widgets.Checkbox(value=False, description="Prune: delete the routes the file does not list",
                                      indent=False, layout=widgets.Layout(width="auto", display="none"))
        self.sync_confirm = widgets.Button(description="Confirm", icon="trash", button_style="danger",
                                           layout=widgets.Layout(width="auto"),
                                           tooltip="Send the sync, deletes included")
        # not "Cancel" nor "Keep the routes": the panel has those buttons already (one label, one button)
        self.sync_keep = widgets.Button(description="Keep the gateway as is", icon="times",
                                        layout=widgets.Layout(width="auto"),
                                        tooltip="Cancel the sync: nothing is sent")
        self.sync_confirm_box = widgets.HBox([self.sync_confirm, self.sync_keep],
                                             layout=widgets.Layout(display="none"))
        self.mode_help = widgets.HTML()

    def _layout(self) -> list[widgets.Widget]:
        modes = widgets.HBox([self.mode, self.prune], layout=row_layout())
        rows = super()._layout()  # defaults, actions, status, ...: the sync's confirmation goes under the actions
        return [modes, self.mode_help, *rows[:2], self.sync_confirm_box, *rows[2:]]

    def _wire(self) -> None:
        super()._wire()
        self.mode.observe(lambda _c: self._on_mode(), names="value")
        self.prune.observe(lambda _c: self._on_mode(), names="value")
        self.sync_confirm.on_click(lambda _b: self._on_sync_confirm())
        self.sync_keep.on_click(lambda _b: self._disarm_sync("Sync cancelled: nothing was sent."))

    @property
    def syncing(self) -> bool:
        return self.mode.value == SYNC

    # --- plan ---

    def _on_mode(self) -> None:
        """Another mode or Prune: the plan was made for the old one, so it is disarmed (and re-planned)."""
        self.prune.layout.display = "" if self.syncing else "none"
        self.mode_help.value = message(
            "Sync: the file is each named gateway's whole custom route table. Routes it does not list are shown "
            "as extra, or deleted with Prune (asked first). BGP routes are never changed." if self.syncing else "")
        self.sync_plan = self.batch = None
        self._disarm_sync()
        if self._source is not None and not self._runner.busy:
            self._start_plan()
        self._show_table()

    def _start_plan(self) -> None:
        if not self._runner.busy:
            self.sync_plan = None  # a failed plan must leave nothing armed
        super()._start_plan()

    def set_source(self, source: Any) -> None:
        if not self._runner.busy:
            self.sync_plan = None
        super().set_source(source)

    def _on_connection(self, *args: Any) -> None:
        if self.sync_plan is not None and not self._runner.busy:
            self.sync_plan = None
            self.status.value = message("The connection changed: plan again before applying.", "warn")
        super()._on_connection(*args)

    def _plan_now(self) -> None:
        if not self.syncing:
            super()._plan_now()
            return
        plan = plan_sync(self._source, self.connection.client, prune=self.prune.value, defaults=self._defaults())
        self.sync_plan, self.result = plan, None
        self.download.value = self.summary.value = ""
        changes = len(plan.changes())
        deletes, gateways = sync_targets(plan)
        self.status_filter.options = ["all", *plan.counts()]
        gone = f", {deletes} of them deletes on {gateway_list(gateways)}" if deletes else ""
        self.status.value = message(f"Sync plan {plan.batch_id}: {len(plan)} steps, {changes} to send{gone}."
                                    + (" Notes: " + "; ".join(plan.notes) if plan.notes else ""),
                                    "ok" if changes else "warn")

    def _armed(self) -> bool:
        if self.syncing:
            return self.sync_plan is not None and bool(self.sync_plan.changes())
        return super()._armed()

    # --- apply ---

    def _on_apply(self) -> None:
        if not self.syncing:
            super()._on_apply()
            return
        if self._runner.busy:
            self.status.value = message("Busy: wait for the current step to finish (or Cancel).", "warn")
            return
        if not self._armed():
            self.status.value = message("Nothing to sync: plan a file that changes something first.", "warn")
            return
        deletes, gateways = sync_targets(self.sync_plan)
        if deletes:
            noun = "route" if deletes == 1 else "routes"
            self.sync_confirm.description = f"Confirm: delete {deletes} {noun} on {gateway_list(gateways)}"
            self.sync_confirm_box.layout.display = ""
            self.apply_button.disabled = True
            self.status.value = message(f"This sync deletes {deletes} {noun} on {gateway_list(gateways)} "
                                        f"(and sends {len(self.sync_plan.changes()) - deletes} other changes). "
                                        "Confirm to send, or Keep the gateway as is.", "warn")
            return
        self._send_sync()

    def _on_sync_confirm(self) -> None:
        if self.sync_confirm_box.layout.display == "none" or not self._armed() or self._runner.busy:
            self.status.value = message("Click Apply first: it names what the sync deletes.", "warn")
            return
        self._send_sync()

    def _disarm_sync(self, text: str = "") -> None:
        self.sync_confirm_box.layout.display = "none"
        self.sync_confirm.description = "Confirm"
        if text:
            self.status.value = message(text, "muted")
        self._sync()

    def _send_sync(self) -> None:
        plan, self.sync_plan = self.sync_plan, None  # an apply spends its plan
        self._disarm_sync()
        self._launch(lambda: self._run(apply_sync, plan), "Syncing…")

    def _run(self, operation: Any, source: Any) -> None:
        super()._run(operation, source)
        if self.result is not None and self.result.operation == "sync":
            counts = self.result.to_dataframe().groupby(["action", "outcome"]).size()
            words = ", ".join(f"{action} {outcome} {n}" for (action, outcome), n in counts.items()
                              if action != "none")
            state = "stopped by Cancel" if self.result.cancelled else "finished"
            report = getattr(self, "report_path", None)  # the panel saves each run's report (when it does)
            saved = f" Report saved to {report}." if report else ""
            self.status.value = message(f"Sync {state}: {words or 'nothing to change'} "
                                        f"({self.result.calls} calls, {self.result.elapsed_s:.1f} s). "
                                        f"Roll back undoes each change.{saved}", "ok" if self.result.ok else "error")

    # --- rollback of a sync: name what it undoes ---

    def _ask_rollback(self) -> None:
        if self.result is None or self.result.operation != "sync":
            super()._ask_rollback()
            return
        if not self._rollback_ready():
            return
        frame = self.result.to_dataframe()
        done = frame[(frame["outcome"] == "ok") & frame["action"].isin(["create", "delete", "modify_weight",
                                                                        "publish", "withdraw"])]
        if done.empty:
            self.status.value = message("Nothing to roll back: this sync changed no route.", "warn")
            return
        gateways = sorted({str(g) for g in done["vpn_gateway_id"]})
        deletes = int((done["action"] == "create").sum())
        self._rollback_count = len(done)
        self.confirm_button.description = (f"Confirm: undo {len(done)} changes on {gateway_list(gateways)} "
                                           f"(delete {deletes} routes)")
        self.confirm_box.layout.display = ""
        self.rollback_button.disabled = True
        self.status.value = message(f"Roll back would undo {len(done)} changes on {gateway_list(gateways)}, "
                                    f"deleting the {deletes} routes the sync created. Confirm, or Keep the routes.",
                                    "warn")

    # --- the table ---

    def _frame(self) -> tuple[pd.DataFrame, tuple[str, ...], str]:
        if self.result is None and self.sync_plan is not None:
            return diff_frame(self.sync_plan), _DIFF_COLUMNS, "change"
        return super()._frame()

    def _show_table(self) -> None:
        if self.result is None and self.sync_plan is not None and self.status_filter.value not in (None, "all"):
            frame = diff_frame(self.sync_plan)
            frame = frame[frame["action"] == self.status_filter.value]
            self.table.show(frame, columns=_DIFF_COLUMNS, status_column="change")
        else:
            super()._show_table()
        if self.result is None and self.sync_plan is not None:
            self.counts.value = " · ".join(f'<span style="color:{COLOURS[_ROLE.get(a, "text")]}">{esc(a)} {n}</span>'
                                           for a, n in self.sync_plan.counts().items())

