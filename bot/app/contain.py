"""Containment from the channel: the model's registry card, rollback with undo, the team's levers.

Registry and lever calls are HTTP to the operator's own systems: made outside any
database transaction, and recorded only after they answered (a rollback only once
the alias reads back as moved). A refusal or failure is said as it is and nothing
is recorded as done.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from bot.app import effects, reporting
from bot.app import triage as triage_flow
from bot.app.common import NOT_AN_INCIDENT, apply
from bot.app.effect_kinds import Message, ModelCard, Post, RedrawSummary
from bot.containment import levers, rollback
from bot.containment.levers import Lever
from bot.containment.mlflow import History, Registry, RegistryError
from bot.incidents import queries, timeline
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.incidents.permissions import Actor
from bot.slack.blocks import containment_cards as cb
from bot.slack.blocks.kit import render
from bot.slack.blocks.text import MrkdwnRefusal, escape, refusal
from bot.slack.webapi import notify
from bot.slack.webapi.replies import Reply
from bot.store.models import Incident

if TYPE_CHECKING:
    from bot.app.services import Services

log = logging.getLogger(__name__)

NO_REGISTRY = (
    "No model registry is set up for this bot (INCIDENTBOT_MLFLOW_URL), so it cannot read or "
    "roll back models."
)


UNREADABLE_BUTTON = (
    "That button's data could not be read (it may come from an older version of the bot); "
    "nothing was changed."
)


def _registry(services: Services) -> Registry:
    registry = services.registry
    if registry is None:
        raise InvalidInput(NO_REGISTRY)
    return registry


# -- the model card ------------------------------------------------------------------
def name_model(services: Services, channel: str, model: str, actor: str, reply: Reply) -> None:
    """``/incident model <name>``: remember it and post its card."""
    _registry(services)
    model = model.strip()
    if not model or len(model) > 200 or any(c in model for c in "\n\t"):
        raise InvalidInput("Give the model's registered name, e.g. `/incident model fraud-scorer`.")

    def change(session: Session, incident: Incident) -> None:
        incident.registered_model = model
        effects.enqueue(session, incident.id, ModelCard(model=model, by=actor))

    apply(services, channel, change, reply)


def post_card(services: Services, incident_id: int, effect: ModelCard) -> None:
    """The effect: read the model from the registry, post its card, record what it said."""
    registry = services.registry
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        if incident is None or incident.channel_id is None or registry is None:
            return
        channel = incident.channel_id
        signal = incident.detected_at or incident.declared_at
    model = str(effect.model)
    try:
        history = registry.history(model)
    except RegistryError as problem:
        notify.post(
            services.client,
            channel,
            f":warning: Could not read *{escape(model)}* from the model registry: "
            f"{escape(str(problem))}. Nothing about the model is assumed; "
            "`/incident model <name>` tries another name.",
        )
        return
    shown = render(cb.model_card(history, signal))
    notify.post(services.client, channel, f"{model} in the model registry", blocks=shown)
    finding = cb.change_finding(history, signal)
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        timeline.record(
            session,
            incident,
            EventKind.MODEL_CARD,
            f"Model registry: {model} serves "
            + (f"v{history.serving}" if history.serving else "no version")
            + f" ({history.alias})",
            actor=effect.by,
            **_history_data(history),
            finding=finding[1] if finding else None,
        )


def _history_data(history: History) -> dict[str, Any]:
    return {
        "model": history.model,
        "alias": history.alias,
        "serving": history.serving,
        "versions": [
            {
                "version": v.number,
                "created": v.created.isoformat(),
                "run_id": v.run_id,
                "metrics": dict(v.metrics),
            }
            for v in history.versions
        ],
    }


def confirm_change(services: Services, channel: str, value: str, actor: str, reply: Reply) -> None:
    """The card's proposal, confirmed: answers the triage question about model changes."""
    answer, _, _model = value.partition(":")
    if answer not in ("yes", "no"):
        reply(text=UNREADABLE_BUTTON)
        return
    triage_flow.answer(services, channel, None, "model_changed", answer, actor, reply)


# -- rollback ------------------------------------------------------------------------
def open_rollback(
    services: Services,
    trigger_id: str,
    channel: str,
    actor: str,
    model: str | None,
    version: int | None,
    reply: Reply,
) -> None:
    """The confirmation form naming the move; the registry is read for it first."""
    try:
        incident = _checked(services, channel, actor, _may_roll_back(services, False))
        model = model or rollback.model_of(incident)
        reference = incident.reference
        if incident.drill:  # rehearsed: the registry is neither read nor moved
            view = cb.rollback_modal(
                model or "the model",
                services.settings.mlflow_alias,
                0,
                0,
                channel,
                reference,
                responders=bool(services.policy.responders),
            )
            notify.open_modal(services.client, trigger_id, view, reply, again="try again")
            return
        move = rollback.plan(_registry(services), model, version)
    except (InvalidInput, RegistryError) as problem:
        reply(
            text=refusal(problem) if isinstance(problem, InvalidInput) else _registry_said(problem)
        )
        return
    view = cb.rollback_modal(
        move.model,
        move.alias,
        move.current,
        move.target,
        channel,
        reference,
        responders=bool(services.policy.responders),
    )
    notify.open_modal(services.client, trigger_id, view, reply, again="try again")


_Check = Callable[[Incident, Actor], None]


def _may_roll_back(services: Services, undo: bool) -> _Check:
    return lambda incident, who: services.policy.check(rollback.act(undo), incident, who)


def _may_pull(services: Services, lever: Lever, undo: bool) -> _Check:
    def check(incident: Incident, who: Actor) -> None:
        services.policy.check_lever(lever.title, lever.who, incident, who, undo=undo)

    return check


def _checked(services: Services, channel: str, actor: str, check: _Check) -> Incident:
    """The channel's incident, once ``check`` (a policy question) lets ``actor`` act on it;
    raises InvalidInput otherwise. Slack is asked about the responders group first,
    outside the transaction."""
    who = services.actor(actor)
    with services.db.begin() as session:
        incident = queries.by_channel(session, channel)
        if incident is None:
            raise InvalidInput(NOT_AN_INCIDENT)
        check(incident, who)
        session.expunge(incident)
    return incident


def _registry_said(problem: Exception) -> str:
    return f"Nothing was changed: {escape(str(problem))}."


def roll_back(
    services: Services,
    channel: str,
    move: rollback.Move,
    reason: str,
    actor: str,
    reply: Reply,
    *,
    undo: bool = False,
) -> None:
    """Make ``move`` if ``actor`` may and the alias still serves its ``current`` version;
    record it once the registry reads back the target."""
    try:
        incident = _checked(services, channel, actor, _may_roll_back(services, undo))
    except InvalidInput as problem:
        reply(text=refusal(problem))
        return
    if incident.drill:
        _rehearse(services, channel, actor, f"roll back {move.model}", reason, reply)
        return
    registry = services.registry
    if registry is None:
        reply(text=NO_REGISTRY)
        return
    verb = "undoing the rollback of" if undo else "rolling back"
    reporting.evidence_first(  # Article 73(6): what the change alters is kept first
        services,
        channel,
        incident.id,
        actor,
        f"{verb} {move.model} from v{move.current} to v{move.target}",
        lambda: _history_data(registry.history(move.model)),
    )
    try:
        rollback.make(registry, move)
    except InvalidInput as problem:
        reply(text=refusal(problem))
        return
    except RegistryError as problem:
        notify.post(
            services.client,
            channel,
            f":warning: <@{actor}> asked to move {escape(move.alias)} of *{escape(move.model)}* "
            f"from v{move.current} to v{move.target}; the registry did not: "
            f"{escape(str(problem))}. Nothing was recorded as done.",
        )
        return
    who = services.actor(actor)

    def record(session: Session, incident: Incident) -> None:
        rollback.record(
            session, incident, move, who=who, policy=services.policy, reason=reason, undo=undo
        )
        model, alias, current, target = move.model, move.alias, move.current, move.target
        if undo:
            effects.enqueue(
                session,
                incident.id,
                Post(
                    channel=channel,
                    text=f":arrow_forward: <@{actor}> undid the rollback of *{escape(model)}*: "
                    f"{escape(alias)} v{current} → v{target} (read back from the registry).",
                ),
            )
        else:
            effects.enqueue(
                session,
                incident.id,
                Message(
                    channel=channel,
                    text=f"Rolled back {model}: {alias} v{current} → v{target}",
                    blocks=render(cb.rolled_back(model, alias, current, target, actor, reason)),
                ),
            )
        effects.enqueue(session, incident.id, RedrawSummary())

    apply(services, channel, record, reply)


def _rehearse(
    services: Services, channel: str, actor: str, move: str, reason: str, reply: Reply
) -> None:
    def record(session: Session, incident: Incident) -> None:
        rollback.rehearse(session, incident, move, by=actor, reason=reason)
        effects.enqueue(
            session,
            incident.id,
            Post(
                channel=channel,
                text=f":performing_arts: [DRILL] <@{actor}> would {escape(move)} now. Rehearsed: "
                "nothing outside the drill was changed.",
            ),
        )

    apply(services, channel, record, reply)


def undo_rollback(services: Services, channel: str, value: str, actor: str, reply: Reply) -> None:
    try:
        moved = json.loads(value)
        model, current, target = str(moved["model"]), int(moved["to"]), int(moved["from"])
    except (ValueError, KeyError, TypeError):
        reply(text=UNREADABLE_BUTTON)
        return
    alias = services.settings.mlflow_alias
    move = rollback.Move(model, alias, current, target)
    roll_back(services, channel, move, "undo", actor, reply, undo=True)


# -- the team's levers -----------------------------------------------------------------
def lever_named(services: Services, name: str) -> Lever:
    lever = next((lv for lv in services.settings.levers if lv.name == name), None)
    if lever is None:
        raise MrkdwnRefusal(
            f"There is no lever called `{escape(name)}`. "
            + cb.levers_text(services.settings.levers)
        )
    return lever


def open_lever(
    services: Services, trigger_id: str, channel: str, name: str, actor: str, reply: Reply
) -> None:
    try:
        lever = lever_named(services, name)
        reference = _checked(services, channel, actor, _may_pull(services, lever, False)).reference
    except InvalidInput as problem:
        reply(text=refusal(problem))
        return
    notify.open_modal(
        services.client,
        trigger_id,
        cb.lever_modal(lever, channel, reference, responders=bool(services.policy.responders)),
        reply,
        again="try again",
    )


def pull(
    services: Services,
    channel: str,
    name: str,
    reason: str,
    actor: str,
    reply: Reply,
    *,
    undo: bool = False,
) -> None:
    """Run a lever (or its undo) if ``actor`` may; record what the team's system answered."""
    try:
        lever = lever_named(services, name)
        incident = _checked(services, channel, actor, _may_pull(services, lever, undo))
        if incident.drill:
            verb = "undo" if undo else "run"
            _rehearse(services, channel, actor, f"{verb} {lever.title}", reason, reply)
            return
        facts = {
            "reference": incident.reference,
            "title": incident.title,
            "severity": incident.severity.upper(),
            "service": incident.service or "",
            "actor": actor,
            "reason": reason,
        }
        request = lever.undo if undo else lever.request
        if request is None:
            raise InvalidInput(f"{lever.title} has no undo in the containment file.")
    except InvalidInput as problem:
        reply(text=refusal(problem))
        return
    registry, model = services.registry, incident.registered_model
    reporting.evidence_first(  # Article 73(6): what the lever alters is kept first
        services,
        channel,
        incident.id,
        actor,
        f"{'undoing' if undo else 'running'} {lever.title}",
        (lambda: _history_data(registry.history(model))) if registry and model else None,
    )
    outcome = levers.run(request, facts)

    def record(session: Session, incident: Incident) -> None:
        timeline.record(
            session,
            incident,
            EventKind.CONTAINMENT_UNDONE if undo else EventKind.CONTAINMENT_RUN,
            f"{'Undid' if undo else 'Ran'} {lever.title}: "
            + (f"HTTP {outcome.status}" if outcome.status is not None else outcome.excerpt),
            actor=actor,
            lever=lever.name,
            title=lever.title,
            ok=outcome.ok,
            status=outcome.status,
            excerpt=outcome.excerpt,
            reason=reason,
        )
        effects.enqueue(
            session,
            incident.id,
            Message(
                channel=channel,
                text=f"{lever.title}: " + ("done" if outcome.ok else "failed"),
                blocks=render(
                    cb.lever_outcome(
                        lever, actor, outcome.ok, outcome.status, outcome.excerpt, undone=undo
                    )
                ),
            ),
        )
        effects.enqueue(session, incident.id, RedrawSummary())

    apply(services, channel, record, reply)
