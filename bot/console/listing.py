"""``/incidents``: the filters a person set, read from the query string, and one page of
the incidents they match, newest first.

A private incident the viewer may not read (``permissions.reads``) is listed as Slack's
broadcast showed it: its number, severity, status and when it was declared, no title, no
people, no model. Filters on what such a row hides (model, category, words) therefore
never match it, so a search cannot tell what a private incident is about.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, true
from sqlalchemy.orm import Session

from bot.incidents import detection as found_by
from bot.incidents import key_times, queries
from bot.incidents.categories import FAILURE_CATEGORIES, category_label
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.incidents.permissions import Reader, reads
from bot.incidents.roles import Role
from bot.incidents.severity import Severity
from bot.review.period import FIRST_YEAR, LAST_YEAR, parse_date
from bot.store import search
from bot.store.models import Incident, TimelineEvent

PAGE_SIZE = 50
STATUSES = {"open": "Open", "resolved": "Resolved"}
FOUND = {
    "alert": "An alert",
    "person": "A person",
    "external": "An external report",
    found_by.UNSAID: "Nobody has said",
}
DRILLS = {"": "Drills and real incidents", "no": "Real incidents only", "only": "Drills only"}
SEVERITIES = [s.value for s in Severity]
LONGEST_QUERY = 200
# What a person may set, each at most once; anything else in the address is ignored.
FIELDS = ("status", "severity", "model", "category", "found", "drills", "from", "to", "q", "page")


@dataclass(frozen=True)
class Filters:
    status: str = ""
    severity: str = ""
    model: str = ""
    category: str = ""
    found: str = ""
    drills: str = ""
    since: str = ""
    until: str = ""
    q: str = ""
    page: int = 1
    period: tuple[datetime, datetime] | None = None
    words: tuple[str, ...] = ()

    def hides_private(self) -> bool:
        """Whether a filter reads what an unreadable private incident's row withholds."""
        return bool(self.model or self.category or self.words or self.found)

    def query(self, **changed: Any) -> dict[str, str]:
        """The filters as query parameters (``changed`` replacing some), empty ones left out."""
        values = {
            "status": self.status,
            "severity": self.severity,
            "model": self.model,
            "category": self.category,
            "found": self.found,
            "drills": self.drills,
            "from": self.since,
            "to": self.until,
            "q": self.q,
            "page": str(self.page) if self.page > 1 else "",
        }
        values.update({k: str(v) for k, v in changed.items()})
        return {k: v for k, v in values.items() if v and not (k == "page" and v == "1")}

    @property
    def any(self) -> bool:
        return bool(self.query(page=1))


def parse(params: Mapping[str, str] | Any) -> Filters:
    """The filters in the query string, or InvalidInput naming the one that is wrong."""
    seen = {
        name: params.getlist(name) if hasattr(params, "getlist") else [params[name]]
        for name in FIELDS
        if name in params
    }
    for name, given in seen.items():
        if len(given) > 1:
            raise InvalidInput(f"Give “{name}” once, not {len(given)} times.")
    got = {name: given[0].strip() for name, given in seen.items()}
    status, severity = got.get("status", ""), got.get("severity", "").lower()
    if status and status not in STATUSES:
        raise InvalidInput(f"Status “{status[:40]}” is not one the list knows: open or resolved.")
    if severity and severity not in SEVERITIES:
        raise InvalidInput(f"Severity “{severity[:40]}” is not one of {', '.join(SEVERITIES)}.")
    category = got.get("category", "")
    if category and category not in FAILURE_CATEGORIES:
        raise InvalidInput(f"There is no failure category “{category[:40]}”.")
    found = got.get("found", "")
    if found and found not in FOUND:
        raise InvalidInput(
            f"“{found[:40]}” is not how an incident is found: alert, person, external or "
            f"{found_by.UNSAID}."
        )
    drills = got.get("drills", "")
    if drills not in DRILLS:
        raise InvalidInput(f"Drills “{drills[:40]}” should be “no” or “only” (or left empty).")
    since, until = got.get("from", ""), got.get("to", "")
    period = None
    if since or until:
        first = parse_date(since, "first") if since else date(FIRST_YEAR, 1, 1)
        last = parse_date(until, "last") if until else date(LAST_YEAR, 12, 31)
        if last < first:
            raise InvalidInput(f"The range ends ({last}) before it starts ({first}).")
        period = (
            datetime(first.year, first.month, first.day, tzinfo=UTC),
            datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1),
        )
    q = got.get("q", "")
    if len(q) > LONGEST_QUERY:
        raise InvalidInput(f"A search is at most {LONGEST_QUERY} characters.")
    words = tuple(search.words(q))
    if q and not words:
        raise InvalidInput("Search for words: letters or digits, e.g. “precision fraud”.")
    page_text = got.get("page", "1") or "1"
    if not page_text.isdigit() or int(page_text) < 1 or len(page_text) > 6:
        raise InvalidInput(f"Page “{page_text[:20]}” is not a page number (1, 2, …).")
    model = got.get("model", "")[:200]
    return Filters(
        status,
        severity,
        model,
        category,
        found,
        drills,
        since,
        until,
        q,
        int(page_text),
        period,
        words,
    )


@dataclass(frozen=True)
class Row:
    number: int
    reference: str
    severity: str
    status: str
    declared: datetime
    private: bool
    readable: bool
    drill: str | None = None
    title: str | None = None
    commander: str | None = None
    model: str | None = None
    category: str | None = None
    to_mitigate: timedelta | None = None


@dataclass(frozen=True)
class Listing:
    rows: list[Row]
    total: int
    page: int
    pages: int
    people: set[str] = field(default_factory=set)


class PastTheEnd(InvalidInput):
    """A page after the last one."""


def conditions(filters: Filters, reader: Reader, dialect: str) -> list[ColumnElement[bool]]:
    chosen: list[ColumnElement[bool]] = []
    if filters.status == "open":
        chosen.append(Incident.status != "resolved")
    elif filters.status == "resolved":
        chosen.append(Incident.status == "resolved")
    if filters.severity:
        chosen.append(Incident.severity == filters.severity)
    if filters.drills == "no":
        chosen.append(Incident.drill.is_(None))
    elif filters.drills == "only":
        chosen.append(Incident.drill.is_not(None))
    if filters.period:
        chosen += [
            Incident.declared_at >= filters.period[0],
            Incident.declared_at < filters.period[1],
        ]
    if filters.model:
        chosen.append(func.coalesce(Incident.registered_model, Incident.service) == filters.model)
    if filters.category:
        chosen.append(Incident.failure_category == filters.category)
    if filters.found:
        chosen.append(found_by.how_column() == filters.found)  # as post-mortems say
    if filters.words:
        chosen.append(search.matching(dialect, list(filters.words)))
    if filters.hides_private():
        chosen.append(queries.readable(reader))
    return chosen


def read(session: Session, filters: Filters, reader: Reader) -> Listing:
    """One page of what ``filters`` match; raises PastTheEnd for a page after the last."""
    dialect = session.get_bind().dialect.name
    where = and_(true(), *conditions(filters, reader, dialect))
    total = session.scalar(select(func.count()).select_from(Incident).where(where)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    if filters.page > pages:
        raise PastTheEnd(
            f"There is no page {filters.page}: what you asked for fills {pages} "
            f"page{'s' if pages != 1 else ''}."
        )
    incidents = list(
        session.scalars(
            select(Incident)
            .where(where)
            .order_by(Incident.declared_at.desc(), Incident.id.desc())
            .offset((filters.page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    corrected = _corrections(session, [i.id for i in incidents])
    rows = [_row(i, reader, corrected.get(i.id, {})) for i in incidents]
    people = {r.commander for r in rows if r.commander}
    return Listing(rows, total, filters.page, pages, people)


def _corrections(session: Session, ids: Sequence[int]) -> dict[int, dict[str, datetime]]:
    """The latest correction of each key time of these incidents (the latest wins)."""
    if not ids:
        return {}
    found: dict[int, dict[str, datetime]] = {}
    events = session.execute(
        select(TimelineEvent.incident_id, TimelineEvent.data)
        .where(
            TimelineEvent.kind == EventKind.KEY_TIME_CORRECTED, TimelineEvent.incident_id.in_(ids)
        )
        .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
    )
    for incident_id, data in events:
        which, at = (data or {}).get("which"), (data or {}).get("at")
        if which and at:
            moment = datetime.fromisoformat(str(at))
            found.setdefault(incident_id, {})[str(which)] = moment.replace(
                tzinfo=moment.tzinfo or UTC
            )
    return found


def to_mitigate(incident: Incident, corrected: Mapping[str, datetime]) -> timedelta | None:
    """From the first signal to mitigation, as the review measures it."""
    start = corrected.get(key_times.KeyTime.DETECTED.value) or (
        incident.detected_at or incident.first_alert_at or incident.declared_at
    )
    end = corrected.get(key_times.KeyTime.MITIGATED.value) or (
        incident.mitigated_at or incident.resolved_at
    )
    if start is None or end is None:
        return None
    return max(_aware(end) - _aware(start), timedelta(0))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _row(incident: Incident, reader: Reader, corrected: Mapping[str, datetime]) -> Row:
    shown = reads(incident, reader)
    base: dict[str, Any] = {
        "number": incident.id,
        "reference": incident.reference,
        "severity": incident.severity,
        "status": incident.status,
        "declared": _aware(incident.declared_at),
        "private": incident.private,
        "readable": shown,
        "drill": incident.drill,
    }
    if not shown:
        return Row(**base)
    return Row(
        **base,
        title=incident.title,
        # The role's holder, as the channel's topic says it: until someone takes the role
        # the declarer steers (permissions.commander), but nobody is called Commander.
        commander=incident.holder(Role.COMMANDER),
        model=incident.registered_model or incident.service,
        category=category_label(incident.failure_category),
        to_mitigate=to_mitigate(incident, corrected),
    )


def models(session: Session) -> list[str]:
    """The models and services named by incidents that are not private (the filter's list)."""
    named = func.coalesce(Incident.registered_model, Incident.service)
    found = session.scalars(
        select(named).where(Incident.private.is_(False), named.is_not(None)).distinct().limit(500)
    )
    return sorted(str(m) for m in found)
