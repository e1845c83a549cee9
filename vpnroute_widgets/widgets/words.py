"""Status lines in words: what a batch step did, and what a destructive step is about to do.

The panels say "applied 40, already there 3, errors 2, cancelled 5", never "Done" alone, and a
confirmation names the count and the gateways ("delete 46 routes on vpn-a, vpn-b"). These are
plain functions of a result or a frame, so the wording is tested without widgets.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["gateway_list", "outcome_words", "rollback_targets", "step_summary"]

# outcome -> the words of each operation, in the order people read them
_WORDS = {
    "apply": {"ok": "applied", "exists": "already there", "error": "errors", "cancelled": "cancelled",
              "skipped": "skipped"},
    "resume": {"ok": "applied", "exists": "already there", "error": "errors", "cancelled": "cancelled",
               "skipped": "skipped"},
    "rollback": {"ok": "rolled back", "error": "errors", "cancelled": "cancelled",
                 "skipped": "not created by this batch", "exists": "already there"},
}


def outcome_words(operation: str, counts: dict[str, int]) -> str:
    """``{"ok": 40, "error": 2}`` -> ``"applied 40, errors 2"`` (zero counts left out, but never empty)."""
    words = _WORDS.get(operation, _WORDS["apply"])
    parts = [f"{label} {counts[outcome]}" for outcome, label in words.items() if counts.get(outcome)]
    parts += [f"{outcome} {n}" for outcome, n in counts.items() if outcome not in words and n]
    return ", ".join(parts) or "no rows"


def step_summary(result: Any) -> str:
    """One sentence for the status line after an apply, resume or rollback."""
    counts = result.counts()
    total = sum(counts.values())
    head = {"apply": "Apply", "resume": "Resume", "rollback": "Roll back"}.get(result.operation, result.operation)
    state = "stopped by Cancel" if result.cancelled else "finished"
    text = (f"{head} {state}: {outcome_words(result.operation, counts)} "
            f"(of {total} rows, {result.calls} calls, {result.elapsed_s:.1f} s).")
    if result.operation == "rollback":
        return text + " Plan the CSV again to re-create routes."
    return text + " Export the report to keep it; Roll back deletes what was created."


def gateway_list(gateways: list[str], shown: int = 4) -> str:
    """``vpn-a, vpn-b`` or ``vpn-a, vpn-b, vpn-c, vpn-d and 3 more``."""
    head = ", ".join(gateways[:shown])
    return f"{head} and {len(gateways) - shown} more" if len(gateways) > shown else head


def rollback_targets(frame: pd.DataFrame) -> tuple[int, list[str]]:
    """How many routes a rollback of this apply report would delete, and on which gateways.

    Rollback deletes the rows that ended ``ok`` (the routes this batch created); the rest are
    skipped. Counted from the report itself, so the confirmation names what will be sent.
    """
    if frame.empty or "outcome" not in frame:
        return 0, []
    created = frame[frame["outcome"] == "ok"]
    gateways = sorted({str(g) for g in created.get("vpn_gateway_id", pd.Series(dtype=object)).dropna()})
    return len(created), gateways
