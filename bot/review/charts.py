"""The review's charts (matplotlib, off-screen): where people would rather look than read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd

from bot.documents.plotting import canvas, png
from bot.incidents.key_times import spoken
from bot.text import rendering

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
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(_whole_numbers())  # whole incidents
        ax.tick_params(labelsize=8)
        ax.legend(fontsize=7, frameon=False, ncols=4, loc="upper left")
        fig.autofmt_xdate()
        return png(fig)


BOX_AT_LEAST = 5  # incidents of a severity for a box plot; fewer are drawn one dot each
LOG_SPREAD = 10  # the longest over the shortest time from which the axis is logarithmic


def resolve_times(frame: pd.DataFrame) -> bytes:
    """Time to resolve (hours) per severity: box plots, or one dot per incident where a
    severity has too few for a box (a box of one incident is a flat line). The axis is
    logarithmic only when the times span a factor of ten; else it is linear from zero
    (a log axis around one value has no ticks to read it by)."""
    shown = [s for s in SEVERITY_COLOURS if frame[frame.severity == s].to_resolve.notna().any()]
    hours = [
        (frame[frame.severity == s].to_resolve.dropna() / 3600).clip(lower=1 / 60) for s in shown
    ]
    unit = "hours"
    if hours and max(h.max() for h in hours) < 1:  # all within the hour: read in minutes
        hours, unit = [h * 60 for h in hours], "minutes"
    with canvas(7, 3.4) as (fig, ax):
        if shown:
            every = pd.concat(hours)
            log = len(every) >= 2 and every.max() / every.min() >= LOG_SPREAD
            positions = list(range(1, len(shown) + 1))
            boxed = [i for i, h in enumerate(hours) if len(h) >= BOX_AT_LEAST]
            if boxed:
                boxes = ax.boxplot(
                    [hours[i] for i in boxed],
                    positions=[positions[i] for i in boxed],
                    patch_artist=True,
                    showfliers=True,
                    flierprops={"markersize": 3},
                    widths=0.5,
                )
                for patch, i in zip(boxes["boxes"], boxed, strict=True):
                    patch.set_facecolor(SEVERITY_COLOURS[shown[i]])
            for i, (severity, h) in enumerate(zip(shown, hours, strict=True)):
                if i in boxed:
                    continue
                ax.scatter(
                    [positions[i]] * len(h),
                    h,
                    s=48,
                    color=SEVERITY_COLOURS[severity],
                    edgecolors="#333333",
                    zorder=3,
                )
                if len(h) <= 3:
                    for value in h:
                        ax.annotate(
                            _hours(value if unit == "hours" else value / 60),
                            (positions[i], value),
                            xytext=(9, 0),
                            textcoords="offset points",
                            va="center",
                            fontsize=8,
                        )
            counts = [len(h) for h in hours]
            ax.set_xticks(
                positions,
                [
                    f"{s.upper()}\n{n} incident{'s' if n != 1 else ''}"
                    for s, n in zip(shown, counts, strict=True)
                ],
            )
            ax.set_xlim(0.4, len(shown) + 0.6)
            if log:
                ax.set_yscale("log")
            else:
                ax.set_ylim(0, float(every.max()) * 1.25)
        else:
            ax.text(0.5, 0.5, "No resolved incidents", ha="center", va="center")
        ax.set_title("Time to resolve, from the first signal", fontsize=10, loc="left")
        ax.set_ylabel(unit + (" (log scale)" if shown and log else ""), fontsize=8)
        ax.tick_params(labelsize=8)
        return png(fig)


def _hours(value: float) -> str:
    """A time in hours as the review's tables say it (``3 min``, ``2 h 5 min``): the same
    figure must not read 3 min in the table and 4 min on its chart."""
    return spoken(timedelta(hours=value))


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
        ax.xaxis.set_major_locator(_whole_numbers())
        ax.tick_params(labelsize=8)
        if len(table.columns):
            ax.legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
        return png(fig)


def _short(name: Any) -> str:
    return rendering.cut(rendering.plain(name), 32)


def _whole_numbers() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


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
