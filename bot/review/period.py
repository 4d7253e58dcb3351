"""The stretch of time a review covers, and the one before it to compare with."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot.incidents.errors import InvalidInput

_QUARTER = re.compile(r"^(\d{4})[-_ ]?q([1-4])$", re.IGNORECASE)
_YEAR_FIRST = re.compile(r"^q([1-4])[-_ ]?(\d{4})$", re.IGNORECASE)
LONGEST = timedelta(days=3 * 366)  # a review longer than this is refused, not computed
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a date or a quarter may name


@dataclass(frozen=True)
class Period:
    """Incidents declared from ``start`` (inclusive) to ``end`` (exclusive), UTC."""

    start: datetime
    end: datetime
    label: str

    def previous(self) -> Period:
        """The period just before: the previous quarter, or as many days before."""
        if match := _QUARTER.match(self.label):
            year, quarter = int(match.group(1)), int(match.group(2))
            year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
            return quarter_period(year, quarter)
        length = self.end - self.start
        start = self.start - length
        last = self.start - timedelta(days=1)
        return Period(start, self.start, f"{start:%Y-%m-%d} to {last:%Y-%m-%d}")

    def options(self) -> str:
        """The period as ``incidentbot report`` options."""
        if _QUARTER.match(self.label):
            return f"--quarter {self.label}"
        return f"--from {self.start:%Y-%m-%d} --to {self.end - timedelta(days=1):%Y-%m-%d}"


def quarter_period(year: int, quarter: int) -> Period:
    start = datetime(year, 3 * quarter - 2, 1, tzinfo=UTC)
    end = (
        datetime(year + 1, 1, 1, tzinfo=UTC)
        if quarter == 4
        else datetime(year, 3 * quarter + 1, 1, tzinfo=UTC)
    )
    return Period(start, end, f"{year}Q{quarter}")


def parse_quarter(text: str) -> Period:
    """``2026Q4`` (also ``2026-q4``, ``Q4 2026``) as a period; refuses anything else."""
    word = text.strip()
    match = _QUARTER.match(word)
    if match:
        year, quarter = int(match.group(1)), int(match.group(2))
    elif match := _YEAR_FIRST.match(word):
        year, quarter = int(match.group(2)), int(match.group(1))
    else:
        raise InvalidInput(f"“{word[:40]}” is not a quarter; write it like 2026Q4.")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(
            f"{year}Q{quarter} is outside the years a review covers ({FIRST_YEAR} to {LAST_YEAR})."
        )
    return quarter_period(year, quarter)


def current_quarter(today: date) -> Period:
    return quarter_period(today.year, (today.month - 1) // 3 + 1)


def parse_date(text: str, what: str) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"The {what} day “{text.strip()[:40]}” is not a date; write it like 2026-10-01."
        ) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidInput(
            f"The {what} day {day} is outside the years the bot knows ({FIRST_YEAR} to "
            f"{LAST_YEAR})."
        )
    return day


def choose(
    *,
    quarter: str | None = None,
    since: str | None = None,
    until: str | None = None,
    today: date,
) -> Period:
    """The period a person asked for: a quarter, a range of dates (both inclusive), or by
    default the quarter in progress."""
    if quarter and (since or until):
        raise InvalidInput("Give a quarter or a range of dates, not both.")
    if quarter:
        return parse_quarter(quarter)
    if since or until:
        if not (since and until):
            raise InvalidInput("A range of dates needs both its first and its last day.")
        first, last = parse_date(since, "first"), parse_date(until, "last")
        if last < first:
            raise InvalidInput(f"The range ends ({last}) before it starts ({first}).")
        start = datetime(first.year, first.month, first.day, tzinfo=UTC)
        end = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)
        if end - start > LONGEST:
            raise InvalidInput("A review covers at most three years; pick a shorter range.")
        return Period(start, end, f"{first} to {last}")
    return current_quarter(today)
