"""Giving a role to a person; a hand-over when someone already holds it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.incidents import timeline
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.incidents.roles import Role
from bot.store.models import Incident, RoleAssignment, utcnow


@dataclass(frozen=True)
class RoleChange:
    role: Role
    user_id: str
    previous: str | None

    @property
    def changed(self) -> bool:
        return self.previous != self.user_id


def assign_role(
    session: Session, incident: Incident, role: Role, user_id: str, *, by: str | None
) -> RoleChange:
    if not incident.is_open:
        raise InvalidInput(f"{incident.reference} is resolved; its roles no longer change.")
    current = next((a for a in incident.roles if a.role == role.value), None)
    previous = current.user_id if current else None
    if previous == user_id:
        return RoleChange(role, user_id, previous)
    if current is None:
        incident.roles.append(
            RoleAssignment(role=role.value, user_id=user_id, assigned_by=by, assigned_at=utcnow())
        )
    else:
        current.user_id, current.assigned_by, current.assigned_at = user_id, by, utcnow()
    text = (
        f"@{user_id} took over as {role.info.title} from @{previous}"
        if previous
        else f"@{user_id} is {role.info.title}"
    )
    timeline.record(
        session,
        incident,
        EventKind.ROLE_HANDED_OVER if previous else EventKind.ROLE_ASSIGNED,
        text,
        actor=by,
        role=role.value,
        user=user_id,
        previous=previous,
    )
    return RoleChange(role, user_id, previous)
