"""Plots of a log or a report: outcomes by gateway, the latency distribution, a batch timeline.

    import vpnroute_widgets as vw
    vw.plot_outcomes(log)            # stacked bars: calls per gateway, split by outcome
    vw.plot_latency(log)             # histogram of latency_ms, median and p95 marked
    vw.plot_timeline(log)            # one lane per gateway, one bar per call from its start to its end
    fig.savefig("report.png")        # each returns a matplotlib Figure

Each function takes a :class:`~vpnroute_widgets.log.ResponseLog`, a DataFrame of its columns
or the path of a CSV report. matplotlib is imported inside the functions, never at module
import, so ``import vpnroute_widgets.log`` stays light; a Figure is made with
``matplotlib.figure.Figure`` (not pyplot), so nothing is shown twice and no global state grows.
Colours are matplotlib's default cycle, one fixed colour per outcome across all three plots.
"""

from __future__ import annotations

from os import PathLike
from typing import Any

import pandas as pd

__all__ = ["OUTCOME_COLOURS", "batch_timeline", "latency_histogram", "outcomes_by_gateway", "plot_latency",
           "plot_outcomes", "plot_timeline"]

# One colour per outcome in every plot (tab10 colours: readable on white and in print).
OUTCOME_COLOURS = {"ok": "tab:green", "exists": "tab:blue", "error": "tab:red", "cancelled": "tab:orange",
                   "skipped": "tab:gray"}
NO_GATEWAY = "(no gateway)"


def _frame(source: Any) -> pd.DataFrame:
    """A DataFrame of log columns from a ResponseLog, a DataFrame or a CSV report path."""
    if isinstance(source, pd.DataFrame):
        return source
    if isinstance(source, (str, PathLike)):
        from .response_log import ResponseLog

        return ResponseLog.from_csv(source).to_dataframe()
    if hasattr(source, "to_dataframe"):
        return source.to_dataframe()
    raise TypeError(f"expected a ResponseLog, a DataFrame or a CSV report path, not {type(source).__name__}")


def _figure(width: float = 7.0, height: float = 3.6):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def _whole_counts(ax) -> None:
    """Counts of calls are whole numbers: no 0.5 ticks."""
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _gateways(frame: pd.DataFrame) -> pd.Series:
    column = frame["vpn_gateway_id"] if "vpn_gateway_id" in frame else pd.Series(pd.NA, index=frame.index)
    return column.astype(object).where(column.notna(), NO_GATEWAY).astype(str)


def _outcome_order(outcomes) -> list[str]:
    known = [o for o in OUTCOME_COLOURS if o in set(outcomes)]
    return known + sorted(set(outcomes) - set(known))


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def outcomes_by_gateway(source: Any, *, title: str = "Calls per gateway by outcome"):
    """Stacked bars: one bar per gateway, one segment per outcome (its count); legend per outcome."""
    frame = _frame(source)
    fig, ax = _figure()
    ax.set_title(title)
    if frame.empty:
        _empty(ax, "no records")
        return fig
    table = pd.crosstab(_gateways(frame), frame["outcome"].astype(str))
    table = table[_outcome_order(table.columns)]
    bottom = pd.Series(0, index=table.index)
    for outcome in table.columns:
        ax.bar(table.index, table[outcome], bottom=bottom, label=outcome,
               color=OUTCOME_COLOURS.get(outcome, "tab:purple"))
        bottom = bottom + table[outcome]
    ax.set_xlabel("VPN gateway")
    ax.set_ylabel("calls")
    _whole_counts(ax)
    ax.legend(title="outcome")
    ax.tick_params(axis="x", labelrotation=20)
    return fig


def _latencies(frame: pd.DataFrame) -> pd.Series:
    if "latency_ms" not in frame:
        return pd.Series(dtype=float)
    return pd.to_numeric(frame["latency_ms"], errors="coerce").dropna().astype(float)


def latency_histogram(source: Any, *, bins: int = 40, title: str = "Latency of calls"):
    """Histogram of ``latency_ms``; dashed lines at the median and the 95th percentile (labelled)."""
    values = _latencies(_frame(source))
    fig, ax = _figure()
    ax.set_title(title)
    if values.empty:
        _empty(ax, "no latencies recorded")
        return fig
    ax.hist(values, bins=bins, color="tab:blue", alpha=0.8)
    median, p95 = values.median(), values.quantile(0.95)
    ax.axvline(median, color="tab:green", linestyle="--", label=f"median {median:.0f} ms")
    ax.axvline(p95, color="tab:red", linestyle="--", label=f"p95 {p95:.0f} ms")
    ax.set_xlabel("latency (ms)")
    ax.set_ylabel("calls")
    _whole_counts(ax)
    ax.legend()
    return fig


def _spans(frame: pd.DataFrame) -> pd.DataFrame:
    """Start and end (seconds from the first start) of each call: it ends at its record's timestamp."""
    when = pd.to_datetime(frame["timestamp"], utc=True, errors="coerce") if "timestamp" in frame else None
    latency = pd.to_numeric(frame.get("latency_ms"), errors="coerce") if "latency_ms" in frame else None
    if when is None or latency is None:
        return pd.DataFrame(columns=["gateway", "outcome", "start", "length"])
    # rows without a latency were never sent (skipped by the plan, or settled by an earlier run)
    spans = pd.DataFrame({"gateway": _gateways(frame), "outcome": frame["outcome"].astype(str),
                          "end": when, "length": latency / 1000.0}).dropna(subset=["end", "length"])
    spans["start"] = spans["end"] - pd.to_timedelta(spans["length"], unit="s")
    origin = spans["start"].min()
    spans["start"] = (spans["start"] - origin).dt.total_seconds()
    return spans


def batch_timeline(source: Any, *, title: str = "Batch timeline: one lane per gateway"):
    """One lane per gateway; each call is a bar from its start to its end, coloured by outcome.

    A call ends when its record was written (``timestamp``) and started ``latency_ms`` before,
    so the gaps between bars show the scheduler's pacing (the rate limit per gateway) and
    overlapping lanes show gateways worked on in parallel. Rows never sent (no ``latency_ms``)
    have no bar. Pass the log the run wrote to (``apply_batch(..., log=log)``, the app's log):
    its records are stamped as each call ends.
    """
    spans = _spans(_frame(source))
    fig, ax = _figure(height=max(2.4, 1.0 + 0.5 * spans["gateway"].nunique()))
    ax.set_title(title)
    if spans.empty:
        _empty(ax, "no timed calls (timestamp and latency_ms)")
        return fig
    lanes = sorted(spans["gateway"].unique())
    for outcome in _outcome_order(spans["outcome"]):
        rows = spans[spans["outcome"] == outcome]
        for lane, group in rows.groupby("gateway"):
            bars = list(zip(group["start"], group["length"].clip(lower=1e-3), strict=True))
            ax.broken_barh(bars, (lanes.index(lane) - 0.35, 0.7), color=OUTCOME_COLOURS.get(outcome, "tab:purple"),
                           label=outcome)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(unique.values(), unique.keys(), title="outcome", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_yticks(range(len(lanes)), lanes)
    ax.set_ylim(-0.6, len(lanes) - 0.4)
    ax.set_xlabel("seconds since the first call started (each bar: one call, start to answer)")
    return fig


# The public short names: vw.plot_outcomes, vw.plot_latency, vw.plot_timeline.
plot_outcomes = outcomes_by_gateway
plot_latency = latency_histogram
plot_timeline = batch_timeline
