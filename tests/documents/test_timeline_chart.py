"""The post-mortem's chart: its time axis reads without guessing (UTC said once, a date
wherever the axis crosses a day, no label twice)."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.documents import plotting
from bot.documents.plotting import time_axis

DAY = datetime(2026, 12, 7, tzinfo=UTC)


def at(hours: float) -> datetime:
    return DAY + timedelta(hours=hours)


@pytest.mark.parametrize(
    ("start", "end", "labels", "caption"),
    [
        (  # within one day: times only, the day once in the caption
            at(9),
            at(14),
            ["09:00", "10:00", "11:00", "12:00", "13:00", "14:00"],
            "UTC, Mon 7 Dec 2026",
        ),
        (  # across midnight: the date where each day begins on the axis
            at(21),
            at(27),
            ["7 Dec 21:00", "22:00", "23:00", "8 Dec 00:00", "01:00", "02:00", "03:00"],
            "UTC, 7 Dec to 8 Dec 2026",
        ),
        (  # over days: the same hour on two days would read alike, so each has its date
            at(9),
            at(66),
            ["7 Dec 12:00", "8 Dec 00:00", "8 Dec 12:00", "9 Dec 00:00", "9 Dec 12:00"],
            "UTC, 7 Dec to 9 Dec 2026",
        ),
        (  # minutes, not seconds that repeat from one minute to the next
            at(9),
            at(9 + 70 / 3600),
            ["09:00", "09:01"],
            "UTC, Mon 7 Dec 2026",
        ),
        (  # across a year: each year said
            at(24 * 24 + 22),
            at(24 * 25 + 2),
            ["31 Dec 22:00", "23:00", "1 Jan 00:00", "01:00", "02:00"],
            "UTC, 31 Dec 2026 to 1 Jan 2027",
        ),
    ],
)
def test_the_time_axis_says_utc_once_dates_where_days_change_and_no_label_twice(
    start: datetime, end: datetime, labels: list[str], caption: str
) -> None:
    ticks, shown, said = time_axis(start, end)
    assert (shown, said) == (labels, caption)
    assert all(start <= t <= end for t in ticks)
    assert len(set(shown)) == len(shown) and not any("UTC" in label for label in shown)


def test_the_chart_draws_that_axis(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the PNG shows under its phases: the labels and caption above, nothing else (no
    offset text such as a lone date at the axis's end)."""
    drawn: dict[str, Any] = {}

    def keep(fig: Any) -> bytes:
        fig.canvas.draw()
        ax = fig.axes[0]
        low, high = ax.get_xlim()
        drawn["labels"] = [
            t.get_text() for t in ax.get_xticklabels() if low <= t.get_position()[0] <= high
        ]
        drawn["caption"] = ax.get_xlabel()
        drawn["offset"] = ax.xaxis.get_offset_text().get_text()
        return b""

    monkeypatch.setattr(plotting, "png", keep)
    key_times = [
        {"name": "detected", "label": "Detected", "at": at(21.2)},
        {"name": "declared", "label": "Declared", "at": at(21.8)},
        {"name": "mitigated", "label": "Mitigated", "at": at(24.2)},
        {"name": "resolved", "label": "Resolved", "at": at(27)},
    ]
    plotting.timeline_png(key_times, [], at(30), "INC-1: phases and events")
    assert drawn == {
        "labels": ["7 Dec 21:00", "22:00", "23:00", "8 Dec 00:00", "01:00", "02:00", "03:00"],
        "caption": "UTC, 7 Dec to 8 Dec 2026",
        "offset": "",
    }


def test_key_times_off_the_span_are_named_and_labels_stay_inside(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A provider's awareness set a day before the first signal was drawn a day left of
    the chart: the layout could not fit it and cut the rows' names; a mark near the right
    edge wrote its label out of the chart."""
    drawn: dict[str, Any] = {}

    def keep(fig: Any) -> bytes:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # matplotlib warns when the layout cannot fit
            png_bytes = plotting_png(fig)
        ax = fig.axes[0]
        drawn["caption"] = ax.get_xlabel()
        drawn["marks"] = [(t.get_text().strip(), t.get_ha()) for t in ax.texts]
        return png_bytes

    plotting_png = plotting.png
    monkeypatch.setattr(plotting, "png", keep)
    key_times = [
        {"name": "aware", "label": "Provider aware", "at": at(21.2) - timedelta(days=1)},
        {"name": "detected", "label": "First signal", "at": at(21.2)},
        {"name": "resolved", "label": "Resolved", "at": at(23)},
    ]
    assert plotting.timeline_png(key_times, [], at(23.5), "INC-1").startswith(b"\x89PNG")
    assert drawn == {
        "caption": "UTC, Mon 7 Dec 2026 · off the chart: Provider aware 6 Dec 21:12",
        "marks": [("First signal", "left"), ("Resolved", "right")],
    }
