"""Containment from the channel: the model's registry card, rollback with undo, the team's levers.

Registry and lever calls are HTTP to the operator's own systems: made outside any
database transaction, and recorded only after they answered (a rollback only once
the alias reads back as moved). A refusal or failure is said as it is and nothing
is recorded as done.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.containment import levers
from bot.containment.levers import Lever
from bot.containment.mlflow import History, Registry, RegistryError
from bot.incidents import queries, timeline
from bot.incidents.errors import InvalidInput
from bot.incidents.roles import Role
from bot.slack import effects, notify
from bot.slack.background import Reply
from bot.slack.flows import triage as triage_flow
from bot.slack.flows.common import NOT_AN_INCIDENT, apply
from bot.slack.text import MrkdwnRefusal, escape, refusal
from bot.slack.views import containment_cards as cb
from bot.slack.views.kit import render
from bot.store.models import Incident

if TYPE_CHECKING:
    from bot.slack.services import Services

log = logging.getLogger(__name__)

ROLLERS = (Role.ML_LEAD,)  # who may roll back, besides the Commander and responders
NO_REGISTRY = (
    "No model registry is set up for this bot (INCIDENTBOT_MLFLOW_URL), so it cannot read or "
    "roll back models."
)
WHICH_MODEL = (
    "Which model? Name it as the registry does: `/incident model fraud-scorer`, or "
    "`/incident rollback fraud-scorer [version]`."
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
        effects.enqueue(session, incident.id, "model_card", model=model, by=actor)

    apply(services, channel, change, reply)


def model_of(incident: Incident) -> str | None:
    return incident.registered_model or incident.service


@effects.performs("model_card", "post the model's registry card")
def post_card(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    """The effect: read the model from the registry, post its card, record what it said."""
    registry = services.registry
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        if incident is None or incident.channel_id is None or registry is None:
            return
        channel = incident.channel_id
        signal = incident.detected_at or incident.declared_at
    model = str(payload["model"])
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
            "model_card",
            f"Model registry: {model} serves "
            + (f"v{history.serving}" if history.serving else "no version")
            + f" ({history.alias})",
            actor=payload.get("by"),
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
        reply(text="That button is damaged; nothing was changed.")
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
        incident = _checked(services, channel, actor, "roll back a model for {ref}", ROLLERS)
        model = model or model_of(incident)
        reference = incident.reference
        if incident.drill:  # rehearsed: the registry is neither read nor moved
            _open_form(
                services,
                trigger_id,
                cb.rollback_modal(
                    model or "the model", services.settings.mlflow_alias, 0, 0, channel, reference
                ),
                reply,
            )
            return
        registry = _registry(services)
        if not model:
            raise InvalidInput(WHICH_MODEL)
        current = registry.serving(model)
        versions = registry.versions(model)
        if current is None:
            raise InvalidInput(
                f"{model}'s alias {registry.alias} points to no version, so there is nothing "
                "to roll back from."
            )
        target = (
            version if version is not None else next((v for v in versions if v < current), None)
        )
        if target is None:
            raise InvalidInput(f"{model} has no version older than v{current} to roll back to.")
        if target not in versions:
            raise InvalidInput(f"{model} has no version {target} in the registry.")
        if target == current:
            raise InvalidInput(f"{registry.alias} already serves v{current} of {model}.")
    except (InvalidInput, RegistryError) as problem:
        reply(
            text=refusal(problem) if isinstance(problem, InvalidInput) else _registry_said(problem)
        )
        return
    view = cb.rollback_modal(model, registry.alias, current, target, channel, reference)
    _open_form(services, trigger_id, view, reply)


def _open_form(services: Services, trigger_id: str, view: Any, reply: Reply) -> None:
    try:
        services.client.views_open(trigger_id=trigger_id, view=view.to_dict())
    except SlackApiError as exc:
        log.warning("could not open a containment form: %s", exc.response.get("error"))
        reply(text="Slack would not open the form in time; try again.")


def _checked(
    services: Services, channel: str, actor: str, doing: str, roles: tuple[Role, ...]
) -> Incident:
    """The channel's incident, once ``actor`` may do ``doing`` (``{ref}`` names the incident)
    to it; raises InvalidInput otherwise. Slack is asked about the responders group first,
    outside the transaction."""
    who = services.actor(actor)
    with services.db.begin() as session:
        incident = queries.by_channel(session, channel)
        if incident is None:
            raise InvalidInput(NOT_AN_INCIDENT)
        services.policy.check_roles(
            doing.replace("{ref}", incident.reference), incident, who, roles
        )
        session.expunge(incident)
    return incident


def _registry_said(problem: Exception) -> str:
    return f"Nothing was changed: {escape(str(problem))}."


def rollback(
    services: Services,
    channel: str,
    model: str,
    current: int,
    target: int,
    reason: str,
    actor: str,
    reply: Reply,
    *,
    undo: bool = False,
) -> None:
    """Move the alias ``current`` → ``target`` if ``actor`` may and it still serves ``current``;
    record it once the registry reads back ``target``."""
    doing = "undo a rollback for {ref}" if undo else "roll back a model for {ref}"
    try:
        incident = _checked(services, channel, actor, doing, ROLLERS)
    except InvalidInput as problem:
        reply(text=refusal(problem))
        return
    if incident.drill:
        _rehearse(services, channel, actor, f"roll back {model}", reason, reply)
        return
    registry = services.registry
    if registry is None:
        reply(text=NO_REGISTRY)
        return
    try:
        now = registry.serving(model)
        if now != current:
            raise InvalidInput(
                f"{registry.alias} of {model} serves "
                + (f"v{now}" if now is not None else "no version")
                + f" now, not v{current}: someone moved it meanwhile. Nothing was changed."
            )
        registry.move_alias(model, target)
    except InvalidInput as problem:
        reply(text=refusal(problem))
        return
    except RegistryError as problem:
        notify.post(
            services.client,
            channel,
            f":warning: <@{actor}> asked to move {escape(registry.alias)} of *{escape(model)}* "
            f"from v{current} to v{target}; the registry did not: {escape(str(problem))}. "
            "Nothing was recorded as done.",
        )
        return
    alias = registry.alias

    def record(session: Session, incident: Incident) -> None:
        timeline.record(
            session,
            incident,
            "model_rollback_undone" if undo else "model_rolled_back",
            (f"Rollback undone: {model} {alias} v{current} → v{target}")
            if undo
            else f"Rolled back {model}: {alias} v{current} → v{target}",
            actor=actor,
            model=model,
            alias=alias,
            previous=current,
            version=target,
            reason=reason,
        )
        if undo:
            effects.enqueue(
                session,
                incident.id,
                "post",
                channel=channel,
                text=f":arrow_forward: <@{actor}> undid the rollback of *{escape(model)}*: "
                f"{escape(alias)} v{current} → v{target} (read back from the registry).",
            )
        else:
            effects.enqueue(
                session,
                incident.id,
                "message",
                channel=channel,
                text=f"Rolled back {model}: {alias} v{current} → v{target}",
                blocks=render(cb.rolled_back(model, alias, current, target, actor, reason)),
            )
        effects.enqueue(session, incident.id, "summary")

    apply(services, channel, record, reply)


def _rehearse(
    services: Services, channel: str, actor: str, move: str, reason: str, reply: Reply
) -> None:
    """In a drill a containment move is recorded as made, and nothing outside is touched."""

    def record(session: Session, incident: Incident) -> None:
        timeline.record(
            session,
            incident,
            "containment_run",
            f"Rehearsed: {move}",
            actor=actor,
            title=move,
            ok=True,
            status=None,
            excerpt="rehearsed in a drill: nothing was sent",
            reason=reason,
            rehearsed=True,
        )
        effects.enqueue(
            session,
            incident.id,
            "post",
            channel=channel,
            text=f":performing_arts: [DRILL] <@{actor}> would {escape(move)} now. Rehearsed: "
            "nothing outside the drill was changed.",
        )

    apply(services, channel, record, reply)


def undo_rollback(services: Services, channel: str, value: str, actor: str, reply: Reply) -> None:
    try:
        moved = json.loads(value)
        model, current, target = str(moved["model"]), int(moved["to"]), int(moved["from"])
    except (ValueError, KeyError, TypeError):
        reply(text="That button is damaged; nothing was changed.")
        return
    rollback(services, channel, model, current, target, "undo", actor, reply, undo=True)


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
        doing = f"run {lever.title} on {{ref}}"
        reference = _checked(services, channel, actor, doing, lever.who).reference
    except InvalidInput as problem:
        reply(text=refusal(problem))
        return
    _open_form(services, trigger_id, cb.lever_modal(lever, channel, reference), reply)


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
        doing = f"{'undo' if undo else 'run'} {lever.title} on {{ref}}"
        incident = _checked(services, channel, actor, doing, lever.who)
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
    outcome = levers.run(request, facts)

    def record(session: Session, incident: Incident) -> None:
        timeline.record(
            session,
            incident,
            "containment_undone" if undo else "containment_run",
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
            "message",
            channel=channel,
            text=f"{lever.title}: " + ("done" if outcome.ok else "failed"),
            blocks=render(
                cb.lever_outcome(
                    lever, actor, outcome.ok, outcome.status, outcome.excerpt, undone=undo
                )
            ),
        )
        effects.enqueue(session, incident.id, "summary")

    apply(services, channel, record, reply)
