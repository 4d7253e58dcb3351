"""PNG charts for documents and Slack (matplotlib, drawn off-screen)."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

FOUR_FIFTHS = 0.8  # the fairness chart's line: four fifths of the highest selection rate

# pyplot keeps global state; one chart at a time per process.
_lock = threading.Lock()


@contextmanager
def canvas(width: float, height: float, columns: int = 1) -> Iterator[tuple[Any, Any]]:
    """A figure and its axes (``columns`` side by side) to draw on, off-screen, one at a
    time per process; closed afterwards whatever happens."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with _lock:
        fig, axes = plt.subplots(1, columns, figsize=(width, height), dpi=100)
        try:
            yield fig, axes
        finally:
            plt.close(fig)


def png(fig: Any) -> bytes:
    """The figure, laid out, as PNG bytes."""
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


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
    (
        "Notes, pins, findings",
        ("note", "pinned_message", "drift_found", "fairness_found", "triage_note"),
        "#2f9e44",
    ),
)


def timeline_png(
    key_times: Sequence[Mapping[str, Any]],
    events: Sequence[Mapping[str, Any]],
    now: datetime,
    title: str,
) -> bytes:
    """The incident's phases on a time axis, its key times marked, its events below."""
    import matplotlib.dates as mdates

    at = {k["name"]: k["at"] for k in key_times}
    start = at.get("detected") or at["declared"]
    end = at.get("resolved") or now
    with canvas(10, 3.6) as (fig, ax):
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
        pad = timedelta(seconds=max((end - start).total_seconds() * 0.05, 30))
        low, high = start - pad, end + pad
        off: list[str] = []  # key times before or after the drawn span: said in the caption
        for step, (moment, labels) in enumerate(_marks(key_times)):
            if not low <= moment <= high:
                off += [f"{label} {_day(moment)} {moment:%H:%M}" for label in labels]
                continue
            x = mdates.date2num(moment)
            ax.axvline(x, color="#555", lw=0.8, ls=":")
            # Written away from the nearer edge, so no label runs out of the chart.
            late = (moment - low) > (high - low) * 0.6
            ax.text(
                x,
                len(ROWS) + 0.4 + 0.35 * (step % 2),  # alternate heights: no overlaps
                ", ".join(labels) + " " if late else " " + ", ".join(labels),
                fontsize=7,
                ha="right" if late else "left",
                va="bottom",
            )
        ax.set_yticks(range(len(ROWS) + 1), [r[0] for r in ROWS] + ["Phases"], fontsize=8)
        ax.set_ylim(-0.7, len(ROWS) + 1.6)
        ax.set_xlim(mdates.date2num(low), mdates.date2num(high))
        ticks, labels, caption = time_axis(low, high)
        ax.set_xticks([mdates.date2num(t) for t in ticks], labels)
        ax.tick_params(axis="x", labelsize=8)
        ax.set_title(title, fontsize=10, loc="left")
        if off:
            caption += " · off the chart: " + "; ".join(off)
        ax.set_xlabel(caption, fontsize=8)
        ax.legend(loc="lower right", fontsize=7, frameon=False, ncols=3)
        return png(fig)


# Steps between the time axis's labels, the shortest that keeps to AXIS_LABELS of them.
AXIS_STEPS = tuple(
    timedelta(minutes=m) for m in (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080)
)
AXIS_LABELS = 8
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def time_axis(start: datetime, end: datetime) -> tuple[list[datetime], list[str], str]:
    """The time axis's ticks from ``start`` to ``end``, their labels and the axis caption,
    read without guessing: UTC said once (in the caption, with the date or dates), a date
    on the labels wherever the axis crosses a day, and no label twice."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    span = end - start
    step = next((s for s in AXIS_STEPS if span / s <= AXIS_LABELS - 1), None)
    if step is None:  # weeks: whole days, as many as it takes
        step = timedelta(days=-(-span.days // (AXIS_LABELS - 1)) or 1)
    first = _EPOCH + step * -(-(start - _EPOCH) // step)  # the first whole step from start
    ticks = [first + step * n for n in range((end - first) // step + 1)]
    day = step >= timedelta(days=1)
    if start.date() == end.date():
        labels = [f"{t:%H:%M}" for t in ticks]
    elif day:
        labels = [_day(t) for t in ticks]
    elif span < timedelta(days=1):  # one midnight: a date where a day begins on the axis
        labels = [
            f"{_day(t)} {t:%H:%M}" if n == 0 or t.date() != ticks[n - 1].date() else f"{t:%H:%M}"
            for n, t in enumerate(ticks)
        ]
    else:
        labels = [f"{_day(t)} {t:%H:%M}" for t in ticks]
    if len(set(labels)) < len(labels):  # never two alike: every label in full
        labels = [f"{_day(t)} {t:%Y}" if day else f"{_day(t)} {t:%H:%M}" for t in ticks]
    if start.date() == end.date():
        caption = f"UTC, {start:%a} {_day(start)} {start:%Y}"
    elif start.year == end.year:
        caption = f"UTC, {_day(start)} to {_day(end)} {end:%Y}"
    else:
        caption = f"UTC, {_day(start)} {start:%Y} to {_day(end)} {end:%Y}"
    return ticks, labels, caption


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%b}"


def _marks(key_times: Sequence[Mapping[str, Any]]) -> list[tuple[datetime, list[str]]]:
    """Key times, those in the same minute merged under one mark."""
    marks: list[tuple[datetime, list[str]]] = []
    for key in sorted((k for k in key_times if k["at"] is not None), key=lambda k: k["at"]):
        if marks and (key["at"] - marks[-1][0]).total_seconds() < 60:
            marks[-1][1].append(key["label"])
        else:
            marks.append((key["at"], [key["label"]]))
    return marks


def drift_png(columns: Sequence[Any], title: str) -> bytes:
    """Reference against current for a few columns (``ColumnDrift`` with outcomes): histograms
    of numbers, bars of category shares."""
    shown = [c for c in columns if c.outcome is not None][:4]
    panels = max(len(shown), 1)
    with canvas(3.4 * panels, 3.2, panels) as (fig, axes):
        for ax, column in zip(list(getattr(axes, "flat", [axes])), shown, strict=False):
            _drift_panel(ax, column)
        fig.suptitle(title, fontsize=10, x=0.01, ha="left")
        return png(fig)


def _drift_panel(ax: Any, column: Any) -> None:
    outcome = column.outcome
    ref, cur = outcome.reference_share, outcome.current_share
    if outcome.bins and isinstance(outcome.bins[0], float) and len(outcome.bins) == len(ref) + 1:
        edges = outcome.bins
        ax.stairs(ref, edges, fill=True, alpha=0.45, color="#2e86de", label="reference")
        ax.stairs(cur, edges, lw=1.6, color="#d64545", label="current")
    else:
        order = sorted(range(len(ref)), key=lambda i: -(ref[i] + cur[i]))[:10]
        labels = [str(outcome.bins[i])[:12] for i in order]
        xs = range(len(order))
        ax.bar(
            [x - 0.2 for x in xs], [ref[i] for i in order], 0.4, color="#2e86de", label="reference"
        )
        ax.bar(
            [x + 0.2 for x in xs], [cur[i] for i in order], 0.4, color="#d64545", label="current"
        )
        ax.set_xticks(list(xs), labels, rotation=45, ha="right", fontsize=7)
    verdict = "drifted" if outcome.drifted else "stable"
    ax.set_title(f"{str(column.column)[:28]}: {verdict}", fontsize=9)
    ax.set_ylabel("share of rows", fontsize=7)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, frameon=False)


def drift_scores_png(columns: Sequence[Mapping[str, Any]], title: str) -> bytes:
    """A stored drift finding as bars: each tested column's score (its test's statistic or
    p-value, as recorded), drifted columns in red. Drawn from the timeline's facts, so it
    can be drawn again long after the data itself is gone."""
    shown = list(columns)[:20]
    height = 1.2 + 0.32 * max(len(shown), 1)
    with canvas(7.0, height) as (fig, ax):
        if not shown:
            ax.text(0.5, 0.5, "No column had a result", ha="center", va="center")
            ax.set_axis_off()
        else:
            names = [f"{c.get('column')} ({c.get('method')})" for c in shown][::-1]
            scores = [float(c.get("score") or 0.0) for c in shown][::-1]
            colours = ["#d64545" if c.get("drifted") else "#2e86de" for c in shown][::-1]
            ax.barh(names, scores, color=colours)
            ax.set_xlabel("test score (drifted in red)")
            ax.tick_params(axis="y", labelsize=8)
        fig.suptitle(title[:110], fontsize=10, x=0.01, ha="left")
        return png(fig)


def fairness_png(facts: Mapping[str, Any], groups_shown: int = 12) -> bytes:
    """The first breakdown's groups, reference beside current: selection rate, and with
    labels true- and false-positive rates, then the model's quality by window. Drawn from
    the findings' plain data, so a stored finding draws the same chart again."""
    breakdown = facts["breakdowns"][0]
    labelled = bool(facts.get("label"))
    panels = [("selection_rate", "Selection rate")]
    if labelled:
        panels += [
            ("true_positive_rate", "True positive rate"),
            ("false_positive_rate", "False positive rate"),
        ]
    named = sorted(
        breakdown["groups"].items(),
        key=lambda item: -abs(((item[1].get("change") or {}).get("selection_rate")) or 0.0),
    )[:groups_shown]
    names = [str(name)[:14] for name, _ in named]
    columns = len(panels) + (1 if labelled else 0)
    with canvas(3.6 * columns, 3.4, columns) as (fig, axes):
        flat = list(getattr(axes, "flat", [axes]))
        for ax, (key, label) in zip(flat, panels, strict=False):
            values = {
                window: [_figure(windows.get(window), key) for _, windows in named]
                for window in ("reference", "current")
            }
            _paired_bars(ax, names, values["reference"], values["current"])
            ax.set_title(f"{label} by {breakdown['group'][:24]}", fontsize=9)
            if key == "selection_rate" and values["current"]:
                line = FOUR_FIFTHS * max(values["current"])
                ax.axhline(line, color="#555", lw=0.8, ls="--", label="4/5 of the highest now")
                ax.legend(fontsize=7, frameon=False, loc="upper left", ncols=2)
        if labelled:
            keys = [
                k
                for k in ("accuracy", "precision", "recall", "f1", "roc_auc")
                if k in facts["overall"]["current"]
            ]
            overall = facts["overall"]
            _paired_bars(
                flat[-1],
                [k.replace("_", " ") for k in keys],
                [_figure(overall["reference"], k) for k in keys],
                [_figure(overall["current"], k) for k in keys],
            )
            flat[-1].set_title("Model quality", fontsize=9)
        fig.suptitle(str(facts["verdict"])[:140], fontsize=9, x=0.01, ha="left")
        return png(fig)


def _figure(figures: Mapping[str, Any] | None, key: str) -> float:
    """A figure to draw: 0 where the window has no such group or too few rows."""
    value = (figures or {}).get(key)
    return float(value) if isinstance(value, int | float) else 0.0


def _paired_bars(ax: Any, names: list[str], reference: list[float], current: list[float]) -> None:
    xs = range(len(names))
    ax.bar([x - 0.2 for x in xs], reference, 0.4, color="#2e86de", label="reference")
    ax.bar([x + 0.2 for x in xs], current, 0.4, color="#d64545", label="current")
    ax.set_xticks(list(xs), names, rotation=45, ha="right", fontsize=7)
    ax.set_ylim(0, 1.2)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, frameon=False, loc="upper left", ncols=2)
