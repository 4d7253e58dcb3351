"""The review's charts (matplotlib, off-screen): where people would rather look than read."""

from __future__ import annotations

from typing import Any

import pandas as pd

from bot.documents.plotting import canvas, png

SEVERITY_COLOURS = {"sev1": "#c92a2a", "sev2": "#e8590c", "sev3": "#f2c94c", "sev4": "#74c0fc"}
TOP_MODELS = 10  # models or services in the category chart; the rest are summed as "others"


def weekly(frame: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> bytes:
    """Incidents declared each week (weeks start on Monday), stacked by severity."""
    weeks = pd.date_range(
        (start - pd.Timedelta(days=start.weekday())).normalize(), end, freq="7D", inclusive="left"
    )
    declared = frame.declared_at.dt.tz_convert(None)
    week = (declared - pd.to_timedelta(declared.dt.weekday, unit="D")).dt.normalize()
    table = pd.crosstab(week, frame.severity).reindex(
        index=weeks.tz_convert(None), columns=list(SEVERITY_COLOURS), fill_value=0
    )
    with canvas(9, 3.4) as (fig, ax):
        bottom = pd.Series(0, index=table.index)
        for severity, colour in SEVERITY_COLOURS.items():
            ax.bar(
                table.index,
                table[severity],
                width=5.5,
                bottom=bottom,
                color=colour,
                label=severity.upper(),
            )
            bottom = bottom + table[severity]
        ax.set_title("Incidents per week, by severity", fontsize=10, loc="left")
        ax.set_ylabel("incidents", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.legend(fontsize=7, frameon=False, ncols=4, loc="upper left")
        fig.autofmt_xdate()
        return png(fig)


def resolve_times(frame: pd.DataFrame) -> bytes:
    """Time to resolve (hours, log scale) per severity, as box plots."""
    shown = [s for s in SEVERITY_COLOURS if frame[frame.severity == s].to_resolve.notna().any()]
    hours = [
        (frame[frame.severity == s].to_resolve.dropna() / 3600).clip(lower=1 / 60) for s in shown
    ]
    with canvas(7, 3.4) as (fig, ax):
        if shown:
            boxes = ax.boxplot(
                hours,
                tick_labels=[s.upper() for s in shown],
                patch_artist=True,
                showfliers=True,
                flierprops={"markersize": 3},
            )
            for patch, severity in zip(boxes["boxes"], shown, strict=True):
                patch.set_facecolor(SEVERITY_COLOURS[severity])
            ax.set_yscale("log")
        else:
            ax.text(0.5, 0.5, "No resolved incidents", ha="center", va="center")
        ax.set_title("Time to resolve, from the first signal", fontsize=10, loc="left")
        ax.set_ylabel("hours", fontsize=8)
        ax.tick_params(labelsize=8)
        return png(fig)


def categories_by_model(frame: pd.DataFrame) -> bytes:
    """For the models or services with most incidents: their incidents by failure category."""
    table = pd.crosstab(frame.model_or_service, frame.category_label)
    order = table.sum(axis=1).sort_values(ascending=False).index
    if len(order) > TOP_MODELS:
        others = table.loc[order[TOP_MODELS:]].sum().rename("others")
        table = pd.concat([table.loc[order[:TOP_MODELS]], others.to_frame().T])
    else:
        table = table.loc[order]
    table = table.iloc[::-1]  # the biggest on top
    with canvas(9, 0.9 + 0.38 * max(len(table), 3)) as (fig, ax):
        left = pd.Series(0, index=table.index)
        colours = _palette(len(table.columns))
        for column, colour in zip(table.columns, colours, strict=True):
            ax.barh(
                [_short(i) for i in table.index],
                table[column],
                left=left,
                color=colour,
                label=_short(column),
            )
            left = left + table[column]
        ax.set_title("Failure categories by model or service", fontsize=10, loc="left")
        ax.set_xlabel("incidents", fontsize=8)
        ax.tick_params(labelsize=8)
        if len(table.columns):
            ax.legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
        return png(fig)


def _short(name: Any) -> str:
    text = str(name)
    return text if len(text) <= 32 else text[:31] + "…"


def _palette(n: int) -> list[Any]:
    import matplotlib

    cmap = matplotlib.colormaps["tab20"]
    return [cmap(i % 20) for i in range(n)]


def all_charts(frame: pd.DataFrame, start: Any, end: Any) -> dict[str, bytes]:
    """Every chart of the review, by the name its file and its place in a document use."""
    return {
        "weekly": weekly(frame, pd.Timestamp(start), pd.Timestamp(end)),
        "resolve": resolve_times(frame),
        "categories": categories_by_model(frame),
    }
