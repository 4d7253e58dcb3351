"""A drill's own clock: wall time since it started, less its pauses, times its speed.

The pauses are read from the timeline (``drill_paused`` and ``drill_resumed``), so the
scheduler deciding which inject is due and the report placing each move on the drill's
clock count time the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.incidents.kinds import EventKind
from bot.store.models import Incident, TimelineEvent

_Pause = tuple[datetime, datetime | None]  # begun, ended (None: paused still)


@dataclass(frozen=True)
class DrillClock:
    started: datetime
    speed: float
    pauses: tuple[_Pause, ...] = ()

    @classmethod
    def of(cls, incident: Incident, events: Iterable[TimelineEvent], speed: float) -> DrillClock:
        """The clock of ``incident``'s drill from its timeline."""
        pauses: list[_Pause] = []
        for event in events:
            if event.kind == EventKind.DRILL_PAUSED:
                pauses.append((event.occurred_at, None))
            elif event.kind == EventKind.DRILL_RESUMED and pauses and pauses[-1][1] is None:
                pauses[-1] = (pauses[-1][0], event.occurred_at)
        return cls(incident.drill_started_at or incident.declared_at, speed, tuple(pauses))

    def at(self, moment: datetime) -> timedelta:
        """How far into the drill ``moment`` is."""
        wall = (moment - self.started).total_seconds()
        for begun, ended in self.pauses:
            if begun < moment:
                wall -= (min(ended or moment, moment) - begun).total_seconds()
        return timedelta(seconds=max(0.0, wall) * self.speed)


def speed_of(events: Iterable[TimelineEvent], default: float) -> float:
    """The speed the drill was started at (a later change of the setting does not
    change a running drill's clock)."""
    started = next((e for e in events if e.kind == EventKind.DRILL_STARTED), None)
    return float((started.data if started else {}).get("speed") or default)
