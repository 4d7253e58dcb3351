"""PNG charts for documents and Slack (matplotlib, drawn off-screen)."""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

# pyplot keeps global state; one chart at a time per process.
_lock = threading.Lock()

PHASES = (
    ("detected", "declared", "Before declaring", "#f2a541"),
    ("declared", "mitigated", "Responding", "#d64545"),
    ("mitigated", "resolved", "Recovering", "#f2d541"),
)
# Rows of the event strip: which kinds of events go on which row.
ROWS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("Alerts", ("alert_fired", "alert_joined", "alert_refired", "alert_resolved"), "#8a5cf6"),
    ("Severity, roles", ("severity_changed", "role_assigned", "role_handed_over"), "#d64545"),
    ("Updates", ("status_update", "update_nudged"), "#2e86de"),
    ("Notes, pins, drift", ("note", "pinned_message", "drift_found", "triage_note"), "#2f9e44"),
)


def timeline_png(
    key_times: Sequence[Mapping[str, Any]],
    events: Sequence[Mapping[str, Any]],
    now: datetime,
    title: str,
) -> bytes:
    """The incident's phases on a time axis, its key times marked, its events below."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    at = {k["name"]: k["at"] for k in key_times}
    start = at.get("detected") or at["declared"]
    end = at.get("resolved") or now
    with _lock:
        fig, ax = plt.subplots(figsize=(10, 3.6), dpi=100)
        try:
            for begin, until, label, colour in PHASES:
                left = at.get(begin)
                right = at.get(until) or (now if begin != "mitigated" else None)
                if left is None or right is None or right <= left:
                    continue
                ax.barh(
                    len(ROWS),
                    mdates.date2num(right) - mdates.date2num(left),
                    left=mdates.date2num(left),
                    height=0.6,
                    color=colour,
                    label=label,
                )
            for row, (_, kinds, colour) in enumerate(ROWS):
                xs = [mdates.date2num(e["at"]) for e in events if e["kind"] in kinds]
                if xs:
                    ax.scatter(xs, [row] * len(xs), s=18, color=colour, marker="|")
            for step, (moment, labels) in enumerate(_marks(key_times)):
                x = mdates.date2num(moment)
                ax.axvline(x, color="#555", lw=0.8, ls=":")
                ax.text(
                    x,
                    len(ROWS) + 0.4 + 0.35 * (step % 2),  # alternate heights: no overlaps
                    " " + ", ".join(labels),
                    fontsize=7,
                    ha="left",
                    va="bottom",
                )
            ax.set_yticks(range(len(ROWS) + 1), [r[0] for r in ROWS] + ["Phases"], fontsize=8)
            ax.set_ylim(-0.7, len(ROWS) + 1.6)
            pad = max((end - start).total_seconds() * 0.05, 30) / 86400
            ax.set_xlim(mdates.date2num(start) - pad, mdates.date2num(end) + pad)
            locator = mdates.AutoDateLocator(tz=start.tzinfo)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=start.tzinfo))
            ax.tick_params(axis="x", labelsize=8)
            ax.set_title(title, fontsize=10, loc="left")
            ax.set_xlabel("UTC", fontsize=8)
            ax.legend(loc="lower right", fontsize=7, frameon=False, ncols=3)
            fig.tight_layout()
            out = io.BytesIO()
            fig.savefig(out, format="png")
            return out.getvalue()
        finally:
            plt.close(fig)


def _marks(key_times: Sequence[Mapping[str, Any]]) -> list[tuple[datetime, list[str]]]:
    """Key times, those in the same minute merged under one mark."""
    marks: list[tuple[datetime, list[str]]] = []
    for key in sorted((k for k in key_times if k["at"] is not None), key=lambda k: k["at"]):
        if marks and (key["at"] - marks[-1][0]).total_seconds() < 60:
            marks[-1][1].append(key["label"])
        else:
            marks.append((key["at"], [key["label"]]))
    return marks
