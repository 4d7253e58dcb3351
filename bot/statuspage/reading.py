"""What the public pages show, read from the database: every component's state now,
the open incidents with their public updates, the last resolved ones, a 90-day bar per
component from the impact windows, one incident's story, the feed's entries, and the
same data in the shape of Atlassian Statuspage's ``summary.json``.

Nothing here reads the internal incident: only what was published."""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.statuspage.components import StatusPage
from bot.statuspage.states import ComponentState, PublicStatus, worst
from bot.store.models import ComponentImpact, PublicIncident, PublicUpdate

DAYS = 90
HISTORY = 10  # resolved incidents listed under "Past incidents"
FEED = 50  # updates in the Atom feed


@dataclass(frozen=True)
class Day:
    day: date
    state: ComponentState  # the worst the component was in that day


@dataclass(frozen=True)
class ComponentNow:
    key: str
    name: str
    description: str
    state: ComponentState
    days: list[Day]
    uptime: float  # percent of the 90 days without a partial or major outage


@dataclass(frozen=True)
class Update:
    id: int
    status: PublicStatus
    body: str
    components: dict[str, ComponentState]
    published_at: datetime


@dataclass(frozen=True)
class Story:
    public_id: str
    title: str
    status: PublicStatus
    impact: str
    components: dict[str, ComponentState]
    started_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    updates: list[Update] = field(default_factory=list)  # newest first


@dataclass(frozen=True)
class Snapshot:
    page: StatusPage
    components: list[ComponentNow]
    open: list[Story]
    past: list[Story]
    updated_at: datetime | None

    @property
    def indicator(self) -> str:
        """Statuspage's overall indicator: none, minor, major or critical."""
        state = worst([c.state for c in self.components])
        return {0: "none", 1: "minor", 2: "major", 3: "critical"}[state.rank]

    @property
    def description(self) -> str:
        state = worst([c.state for c in self.components])
        return {
            0: "All Systems Operational",
            1: "Minor Service Outage",
            2: "Partial System Outage",
            3: "Major System Outage",
        }[state.rank]


def version(session: Session, page: StatusPage, today: date) -> str:
    """What every page's content depends on: the last publication, the day (the bars move
    at midnight UTC) and the components file. One indexed read."""
    last = session.scalar(select(func.max(PublicUpdate.id))) or 0
    digest = hashlib.sha256(repr(page).encode()).hexdigest()[:12]
    return f"{last}-{today.isoformat()}-{digest}"


def _update(row: PublicUpdate) -> Update:
    return Update(
        id=row.id,
        status=PublicStatus(row.status),
        body=row.body,
        components={k: ComponentState(v) for k, v in (row.components or {}).items()},
        published_at=row.published_at,
    )


def _stories(session: Session, rows: list[PublicIncident], updates: bool) -> list[Story]:
    by_story: dict[int, list[Update]] = defaultdict(list)
    if updates and rows:
        for row in session.scalars(
            select(PublicUpdate)
            .where(PublicUpdate.public_incident_id.in_([r.id for r in rows]))
            .order_by(PublicUpdate.published_at.desc(), PublicUpdate.id.desc())
        ):
            by_story[row.public_incident_id].append(_update(row))
    return [
        Story(
            public_id=r.public_id,
            title=r.title,
            status=PublicStatus(r.status),
            impact=r.impact,
            components={k: ComponentState(v) for k, v in (r.components or {}).items()},
            started_at=r.started_at,
            updated_at=r.updated_at,
            resolved_at=r.resolved_at,
            updates=by_story.get(r.id, []),
        )
        for r in rows
    ]


def snapshot(
    session: Session, page: StatusPage, now: datetime, before: PastDays | None = None
) -> Snapshot:
    """Everything /status shows; ``before`` is the bars' days before today, if drawn."""
    open_rows = list(
        session.scalars(
            select(PublicIncident)
            .where(PublicIncident.resolved_at.is_(None))
            .order_by(PublicIncident.started_at.desc())
        )
    )
    past_rows = list(
        session.scalars(
            select(PublicIncident)
            .where(PublicIncident.resolved_at.is_not(None))
            .order_by(PublicIncident.resolved_at.desc())
            .limit(HISTORY)
        )
    )
    open_stories = _stories(session, open_rows, True)
    past = _stories(session, past_rows, False)
    now_states: dict[str, list[ComponentState]] = defaultdict(list)
    for story in open_stories:
        for key, state in story.components.items():
            now_states[key].append(state)
    bars = _bars(session, page, now, before)
    components = [
        ComponentNow(
            key=c.key,
            name=c.name,
            description=c.description,
            state=worst(now_states.get(c.key, [])),
            days=bars[c.key][0],
            uptime=bars[c.key][1],
        )
        for c in page.components
    ]
    latest = [s.updated_at for s in open_stories + past]
    return Snapshot(page, components, open_stories, past, max(latest) if latest else None)


@dataclass(frozen=True)
class PastDays:
    """The bars' days before today, which no publication changes any more (one is made
    now, never back-dated): each component's worst state per day and its outage seconds,
    from the windows clipped to the 90 days up to today's midnight. Drawn once a day."""

    today: date
    worst: dict[str, dict[date, int]]
    down: dict[str, float]


_RANK = {state.value: state.rank for state in ComponentState}
_BY_RANK = list(ComponentState)
_OUTAGE = ComponentState.PARTIAL.rank


def past_days(session: Session, now: datetime) -> PastDays:
    today = now.astimezone(UTC).date()
    since = datetime.combine(today - timedelta(days=DAYS - 1), time(), UTC)
    midnight = datetime.combine(today, time(), UTC)
    rows = session.execute(
        select(
            ComponentImpact.component,
            ComponentImpact.state,
            ComponentImpact.started_at,
            ComponentImpact.ended_at,
        ).where(
            or_(ComponentImpact.ended_at.is_(None), ComponentImpact.ended_at >= since),
            ComponentImpact.started_at < midnight,
        )
    ).all()
    worst, down = _fold(rows, since, midnight)
    return PastDays(today, worst, down)


def _fold(
    rows: Any, start: datetime, end: datetime
) -> tuple[dict[str, dict[date, int]], dict[str, float]]:
    """Each component's worst rank per day and outage seconds (overlaps counted once) for
    the windows ``rows`` clipped to ``start``..``end``."""
    worst: dict[str, dict[date, int]] = defaultdict(dict)
    outages: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    one_day = timedelta(days=1)
    for key, state_value, started, ended in rows:
        rank = _RANK.get(state_value, 0)
        low = started if started > start else start
        high = end if ended is None or ended > end else ended
        if high < low:
            continue
        days = worst[key]
        day, last = low.date(), high.date()
        if high == end and high.time() == time() and last > day:
            last -= one_day  # a window clipped at midnight does not reach into the next day
        while day <= last:
            if days.get(day, -1) < rank:
                days[day] = rank
            day += one_day
        if rank >= _OUTAGE:
            outages[key].append((low, high))
    return worst, {key: _covered(spans) for key, spans in outages.items()}


def _bars(
    session: Session, page: StatusPage, now: datetime, past: PastDays | None = None
) -> dict[str, tuple[list[Day], float]]:
    """Each component's worst state per day over the last 90 days (today last), and the
    share of that time without a partial or major outage. ``past`` (drawn today) saves
    reading the days before today again; only today's windows are read."""
    today = now.astimezone(UTC).date()
    if past is None or past.today != today:
        past = past_days(session, now)
    first = today - timedelta(days=DAYS - 1)
    since = datetime.combine(first, time(), UTC)
    midnight = datetime.combine(today, time(), UTC)
    rows = session.execute(
        select(
            ComponentImpact.component,
            ComponentImpact.state,
            ComponentImpact.started_at,
            ComponentImpact.ended_at,
        ).where(or_(ComponentImpact.ended_at.is_(None), ComponentImpact.ended_at >= midnight))
    ).all()
    worst_today, down_today = _fold(rows, midnight, now)
    span = (now - since).total_seconds() or 1.0
    out: dict[str, tuple[list[Day], float]] = {}
    for component in page.components:
        days = dict(past.worst.get(component.key, {}))
        if (rank := worst_today.get(component.key, {}).get(today)) is not None:
            days[today] = max(rank, days.get(today, 0))
        bar = [
            Day(d, _BY_RANK[days.get(d, 0)])
            for d in (first + timedelta(days=i) for i in range(DAYS))
        ]
        down = past.down.get(component.key, 0.0) + down_today.get(component.key, 0.0)
        # Rounded down: any outage at all shows as less than 100%.
        out[component.key] = (bar, math.floor(10000 * max(0.0, 1 - down / span)) / 100)
    return out


def _covered(spans: list[tuple[datetime, datetime]]) -> float:
    """Seconds covered by the union of ``spans`` (two incidents at once count once)."""
    total = 0.0
    end: datetime | None = None
    start: datetime | None = None
    for s, e in sorted(spans):
        if end is None or s > end:
            if end is not None and start is not None:
                total += (end - start).total_seconds()
            start, end = s, e
        elif e > end:
            end = e
    if end is not None and start is not None:
        total += (end - start).total_seconds()
    return total


def story(session: Session, public_id: str) -> Story | None:
    row = session.scalar(select(PublicIncident).where(PublicIncident.public_id == public_id))
    return _stories(session, [row], True)[0] if row else None


@dataclass(frozen=True)
class Entry:
    public_id: str
    title: str
    update: Update


def feed(session: Session) -> list[Entry]:
    """The latest public updates, newest first."""
    rows = session.execute(
        select(PublicUpdate, PublicIncident.public_id, PublicIncident.title)
        .join(PublicIncident, PublicIncident.id == PublicUpdate.public_incident_id)
        .order_by(PublicUpdate.id.desc())
        .limit(FEED)
    ).all()
    return [Entry(public_id, title, _update(row)) for row, public_id, title in rows]


def _when(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def summary(snapshot: Snapshot, page_id: str) -> dict[str, Any]:
    """``/status.json``: Atlassian Statuspage's summary (page, components, unresolved
    incidents with their updates, scheduled maintenances, status)."""
    names = {c.key: c.name for c in snapshot.page.components}
    updated = _when(snapshot.updated_at)
    components = [
        {
            "id": c.key,
            "name": c.name,
            "status": c.state.value,
            "created_at": None,
            "updated_at": updated,
            "position": i,
            "description": c.description or None,
            "showcase": True,
            "start_date": None,
            "group_id": None,
            "page_id": page_id,
            "group": False,
            "only_show_if_degraded": False,
        }
        for i, c in enumerate(snapshot.components, 1)
    ]
    incidents = []
    for s in snapshot.open:
        incidents.append(
            {
                "id": s.public_id,
                "name": s.title,
                "status": s.status.value,
                "created_at": _when(s.started_at),
                "updated_at": _when(s.updated_at),
                "monitoring_at": None,
                "resolved_at": _when(s.resolved_at),
                "impact": s.impact,
                "shortlink": f"{snapshot.page.url or ''}/status/incidents/{s.public_id}",
                "started_at": _when(s.started_at),
                "page_id": page_id,
                "incident_updates": [
                    {
                        "id": f"{s.public_id}-{u.id}",
                        "status": u.status.value,
                        "body": u.body,
                        "incident_id": s.public_id,
                        "created_at": _when(u.published_at),
                        "updated_at": _when(u.published_at),
                        "display_at": _when(u.published_at),
                        "affected_components": [
                            {"code": k, "name": names.get(k, k), "new_status": v.value}
                            for k, v in u.components.items()
                        ],
                        "deliver_notifications": True,
                    }
                    for u in s.updates
                ],
                "components": [c for c in components if c["id"] in s.components],
            }
        )
    return {
        "page": {
            "id": page_id,
            "name": snapshot.page.name,
            "url": snapshot.page.url or "",
            "time_zone": "Etc/UTC",
            "updated_at": updated,
        },
        "components": components,
        "incidents": incidents,
        "scheduled_maintenances": [],
        "status": {"indicator": snapshot.indicator, "description": snapshot.description},
    }
