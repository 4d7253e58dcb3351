"""Who hears of an incident beyond its own channel, decided in one place.

- A drill reaches no real stakeholder: only the drill channel, when one is set, and
  every word says DRILL.
- A private incident's broadcast says that one exists and how its severity and status
  move, never its title; its updates go only to the channels its Commander picked;
  its channel is shown in lists only to the channel's members.
- Everything else is announced in the broadcast channel, and its updates go there and
  to its stakeholder channels.
"""

from __future__ import annotations

from enum import StrEnum

from bot.store.models import Incident


class Hearing(StrEnum):
    """How much the broadcast channel hears of an incident."""

    DRILL = "drill"
    PRIVATE = "private"
    PUBLIC = "public"


def hearing(incident: Incident) -> Hearing:
    if incident.drill:
        return Hearing.DRILL
    return Hearing.PRIVATE if incident.private else Hearing.PUBLIC


def announced_in(incident: Incident, broadcast: str | None, drill: str | None) -> str | None:
    """Where the incident is announced and its severity changes told, if anywhere."""
    return drill if incident.drill else broadcast


def updates_go_to(incident: Incident, broadcast: str | None, drill: str | None) -> list[str]:
    """Where status updates go besides the incident channel: the broadcast channel (not
    a private incident's), then the stakeholder channels picked for it."""
    if incident.drill:
        return [drill] if drill else []
    targets = [broadcast] if broadcast and not incident.private else []
    for channel in incident.stakeholder_channels or []:
        if channel not in targets and channel != incident.channel_id:
            targets.append(channel)
    return targets


def listed_for(incident: Incident, member: bool) -> bool:
    """Whether a list shows ``incident`` to someone (``member``: of its channel)."""
    return not incident.private or member
