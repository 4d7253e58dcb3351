"""The declare form: validate on submit (errors shown beside the field), declare after the ack."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk.errors import SlackApiError

from bot.containment import rollback
from bot.incidents.declare import Declaration, validate
from bot.incidents.errors import InvalidInput
from bot.incidents.severity import Severity, parse_severity
from bot.incidents.triage_state import NOTE_MAX
from bot.slack import notify
from bot.slack.background import reply_to
from bot.slack.flows import contain
from bot.slack.flows import triage as triage_flow
from bot.slack.flows.open_incident import declare_and_open
from bot.slack.services import Services, from_context
from bot.slack.views import containment_cards as cb
from bot.slack.views.declare_form import (
    DECLARE_CALLBACK,
    DECLARE_CATEGORY,
    PRIVATE_BLOCKS,
    declare_modal,
)
from bot.slack.views.triage_card import NOTE_CALLBACK

log = logging.getLogger(__name__)


def _value(state: dict[str, Any], block: str) -> str | None:
    element: dict[str, Any] = next(iter(state.get(block, {}).values()), {})  # one input each
    if element.get("type") == "static_select":
        selected = element.get("selected_option") or {}
        return selected.get("value")
    value = element.get("value")
    return str(value) if value is not None else None


def declaration_from_view(view: dict[str, Any], user_id: str) -> Declaration:
    state = view.get("state", {}).get("values", {})
    severity = parse_severity(_value(state, "severity") or "")
    if severity is None:
        raise InvalidInput("severity: Pick a severity.")
    try:
        return validate(
            Declaration(
                title=_value(state, "title") or "",
                severity=Severity(severity),
                declared_by=user_id,
                service=_value(state, "service"),
                failure_category=_value(state, "category"),
                description=_value(state, "description"),
                private=_ticked(state),
                detection=_value(state, "detection"),
            )
        )
    except InvalidInput as problem:
        raise InvalidInput(f"{_field_of(str(problem))}: {problem}") from None


def _ticked(state: dict[str, Any]) -> bool:
    """Whether the Private box is ticked (under whichever block ID the form has now)."""
    for block in PRIVATE_BLOCKS:
        element: dict[str, Any] = next(iter(state.get(block, {}).values()), {})
        if any(o.get("value") == "private" for o in element.get("selected_options") or []):
            return True
    return False


def _field_of(message: str) -> str:
    lowered = message.lower()
    for field in ("description", "category", "service"):
        if field in lowered:
            return field
    return "title"


def _propose_private(services: Services, body: dict[str, Any], action: dict[str, Any]) -> None:
    """Redraw the declare form for the chosen category: Private ticked when it is one
    usually run in private, unticked again when the choice moves away from those."""
    view = body.get("view") or {}
    category = (action.get("selected_option") or {}).get("value")
    metadata = json.loads(view.get("private_metadata") or "{}")
    try:
        services.client.views_update(
            view_id=view.get("id"),
            hash=view.get("hash"),
            view=declare_modal(metadata, category).to_dict(),
        )
    except SlackApiError as exc:  # a newer edit won (hash_conflict), or the form closed
        log.info("the declare form was not redrawn: %s", exc.response.get("error"))


def _from_channel(
    services: Services, body: dict[str, Any], view: dict[str, Any]
) -> tuple[dict[str, Any], str, str, Any]:
    """A form opened from an incident channel: its metadata, the channel, who submitted
    it, and how to answer them there (privately)."""
    metadata = json.loads(view.get("private_metadata") or "{}")
    channel, user = str(metadata.get("channel", "")), str(body["user"]["id"])
    return metadata, channel, user, notify.teller(services.client, channel, user)


def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services = from_context(context)
    try:
        declaration = declaration_from_view(view, body["user"]["id"])
    except InvalidInput as problem:
        field, _, message = str(problem).partition(": ")
        ack(response_action="errors", errors={field: message})
        return
    ack()
    metadata = json.loads(view.get("private_metadata") or "{}")
    reply = reply_to(metadata.get("response_url"))
    services.background.submit(declare_and_open, services, declaration, reply)


def on_category(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext
) -> None:
    services = from_context(context)
    ack()  # the form is redrawn after: Slack keeps what was typed (same block IDs)
    services.background.submit_urgent(_propose_private, services, body, action)


def on_rollback(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services = from_context(context)
    reason = (_value(view.get("state", {}).get("values", {}), "reason") or "").strip()
    if not reason:
        ack(response_action="errors", errors={"reason": "Say why, for the timeline."})
        return
    ack()
    metadata, channel, user, reply = _from_channel(services, body, view)
    move = rollback.Move(
        str(metadata.get("model", "")),
        services.settings.mlflow_alias,
        int(metadata.get("from", 0)),
        int(metadata.get("to", 0)),
    )
    services.background.submit(contain.roll_back, services, channel, move, reason, user, reply)


def on_lever(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services = from_context(context)
    ack()
    reason = (_value(view.get("state", {}).get("values", {}), "reason") or "").strip()
    metadata, channel, user, reply = _from_channel(services, body, view)
    services.background.submit(
        contain.pull, services, channel, str(metadata.get("lever", "")), reason, user, reply
    )


def on_note(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services = from_context(context)
    note = (_value(view.get("state", {}).get("values", {}), "note") or "").strip()
    if not note:
        ack(response_action="errors", errors={"note": "Write something, or press Cancel."})
        return
    if len(note) > NOTE_MAX:
        ack(
            response_action="errors",
            errors={"note": f"Keep the note to {NOTE_MAX} characters (it has {len(note)})."},
        )
        return
    ack()
    metadata, channel, user, reply = _from_channel(services, body, view)

    services.background.submit(
        triage_flow.add_note,
        services,
        channel,
        str(metadata.get("question", "")),
        note,
        user,
        reply,
    )


def register(app: App) -> None:
    app.view(DECLARE_CALLBACK)(on_submit)
    app.action(DECLARE_CATEGORY)(on_category)
    app.view(cb.ROLLBACK_CALLBACK)(on_rollback)
    app.view(cb.LEVER_CALLBACK)(on_lever)
    app.view(NOTE_CALLBACK)(on_note)
