"""Rolling a model back: who may, which version the serving alias moves to, and what is
recorded once the registry has moved.

The registry is read and moved outside any database transaction (it is an HTTP service
of the team's own); ``record`` writes the timeline event afterwards, checking again, in
its transaction, that the person may. In a drill nothing outside moves: ``rehearse``
records the move as rehearsed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.containment.mlflow import Registry
from bot.incidents import timeline
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.incidents.permissions import Act, Actor, Policy
from bot.store.models import Incident

WHICH_MODEL = (
    "Which model? Name it as the registry does: `/incident model fraud-scorer`, or "
    "`/incident rollback fraud-scorer [version]`."
)


@dataclass(frozen=True)
class Move:
    """The serving alias of ``model`` from version ``current`` to ``target``."""

    model: str
    alias: str
    current: int
    target: int

    def undone(self) -> Move:
        return Move(self.model, self.alias, self.target, self.current)


def act(undo: bool) -> Act:
    return Act.UNDO_ROLLBACK if undo else Act.ROLLBACK


def model_of(incident: Incident) -> str | None:
    """The model an incident is about: the one named in it, else the alert's service."""
    return incident.registered_model or incident.service


def plan(registry: Registry, model: str | None, version: int | None) -> Move:
    """The move a rollback would make: to ``version``, or to the newest version older
    than the one serving. Raises InvalidInput when there is none to make (and
    RegistryError when the registry does not answer)."""
    if not model:
        raise InvalidInput(WHICH_MODEL)
    current = registry.serving(model)
    versions = registry.versions(model)
    if current is None:
        raise InvalidInput(
            f"{model}'s alias {registry.alias} points to no version, so there is nothing "
            "to roll back from."
        )
    target = version if version is not None else next((v for v in versions if v < current), None)
    if target is None:
        raise InvalidInput(f"{model} has no version older than v{current} to roll back to.")
    if target not in versions:
        raise InvalidInput(f"{model} has no version {target} in the registry.")
    if target == current:
        raise InvalidInput(f"{registry.alias} already serves v{current} of {model}.")
    return Move(model, registry.alias, current, target)


def make(registry: Registry, move: Move) -> None:
    """Move the alias, unless someone moved it since the move was confirmed (InvalidInput:
    nothing is changed then)."""
    now = registry.serving(move.model)
    if now != move.current:
        raise InvalidInput(
            f"{move.alias} of {move.model} serves "
            + (f"v{now}" if now is not None else "no version")
            + f" now, not v{move.current}: someone moved it meanwhile. Nothing was changed."
        )
    registry.move_alias(move.model, move.target)


def record(
    session: Session,
    incident: Incident,
    move: Move,
    *,
    who: Actor,
    policy: Policy,
    reason: str,
    undo: bool = False,
) -> None:
    """The timeline's record of a move the registry has made."""
    policy.check(act(undo), incident, who)
    timeline.record(
        session,
        incident,
        EventKind.MODEL_ROLLBACK_UNDONE if undo else EventKind.MODEL_ROLLED_BACK,
        (f"Rollback undone: {move.model} {move.alias} v{move.current} → v{move.target}")
        if undo
        else f"Rolled back {move.model}: {move.alias} v{move.current} → v{move.target}",
        actor=who.user,
        model=move.model,
        alias=move.alias,
        previous=move.current,
        version=move.target,
        reason=reason,
    )


def rehearse(session: Session, incident: Incident, move: str, *, by: str, reason: str) -> None:
    """In a drill, a containment move is recorded as made and nothing outside is touched."""
    if not incident.drill:
        raise InvalidInput(f"{incident.reference} is not a drill: nothing is rehearsed in it.")
    timeline.record(
        session,
        incident,
        EventKind.CONTAINMENT_RUN,
        f"Rehearsed: {move}",
        actor=by,
        title=move,
        ok=True,
        status=None,
        excerpt="rehearsed in a drill: nothing was sent",
        reason=reason,
        rehearsed=True,
    )
