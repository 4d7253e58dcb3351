"""Clicks: the summary's role and severity selects, triage buttons, proposals, runbooks.

Every listener acknowledges, then hands the work to the background pool.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import Ack, App, BoltContext

from bot.incidents.roles import Role
from bot.incidents.severity import Severity, parse_severity
from bot.incidents.triage_questions import BY_KEY, Runbook
from bot.slack import notify
from bot.slack.background import Reply, reply_to
from bot.slack.flows import contain
from bot.slack.flows import drills as drills_flow
from bot.slack.flows import roles as roles_flow
from bot.slack.flows import severity as severity_flow
from bot.slack.flows import triage as triage_flow
from bot.slack.services import Services, from_context
from bot.slack.views import containment_cards as cb
from bot.slack.views import drill_controls, handover_request
from bot.slack.views import triage_card as tb
from bot.slack.views.summary import CONTAIN_SELECT, ROLE_SELECT_PREFIX, SEVERITY_SELECT

log = logging.getLogger(__name__)

Work = Callable[[Services, dict[str, Any], dict[str, Any], Reply], None]
Opener = Callable[[Services, dict[str, Any], dict[str, Any]], None]
_T = TypeVar("_T")


def on_click(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    """A click whose work can wait: acknowledge, then do it in the background."""
    ack()
    services = from_context(context)
    reply = reply_to(body.get("response_url"))
    services.background.submit(
        _work_for(action["action_id"], _CLICKS), services, body, action, reply
    )


def on_form_button(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext
) -> None:
    """A click that opens a form: it must open within 3 s of the click, so the urgent pool."""
    ack()
    services = from_context(context)
    opens = _work_for(action["action_id"], _FORM_BUTTONS)
    services.background.submit_urgent(opens, services, body, action)


def _work_for(action_id: str, table: list[tuple[re.Pattern[str], _T]]) -> _T:
    for matcher, work in table:
        if matcher.match(action_id):
            return work
    raise LookupError(f"no work for the click {action_id!r}")


def register(app: App) -> None:
    for matcher, _ in _CLICKS:
        app.action(matcher)(on_click)
    for matcher, _ in _FORM_BUTTONS:
        app.action(matcher)(on_form_button)


def _channel(body: dict[str, Any]) -> str:
    return str((body.get("channel") or {}).get("id", ""))


def _actor(body: dict[str, Any]) -> str:
    return str(body["user"]["id"])


def _card_ts(body: dict[str, Any]) -> str | None:
    ts = (body.get("container") or {}).get("message_ts")
    return str(ts) if ts else None


def _pick_role(
    services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply
) -> None:
    role = Role(action["action_id"].removeprefix(ROLE_SELECT_PREFIX))
    user_id = action.get("selected_user")
    if user_id:
        roles_flow.assign(services, _channel(body), role, user_id, _actor(body), reply)


def _handover(
    services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply
) -> None:
    try:
        request_id = int(action.get("value", ""))
    except ValueError:
        reply(text="That button is damaged; nothing was changed.")
        return
    agree = action["action_id"] == handover_request.AGREE
    roles_flow.answer_request(services, _channel(body), request_id, agree, _actor(body), reply)


def _drill_control(
    services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply
) -> None:
    what = {drill_controls.PAUSE: "pause", drill_controls.NEXT: "next", drill_controls.END: "end"}
    drills_flow.control(services, _channel(body), what[action["action_id"]], _actor(body), reply)


def _model_changed(
    services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply
) -> None:
    contain.confirm_change(
        services, _channel(body), str(action.get("value", "")), _actor(body), reply
    )


def _undo_rollback(
    services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply
) -> None:
    contain.undo_rollback(
        services, _channel(body), str(action.get("value", "")), _actor(body), reply
    )


def _undo_lever(
    services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply
) -> None:
    contain.pull(
        services,
        _channel(body),
        str(action.get("value", "")),
        "undo",
        _actor(body),
        reply,
        undo=True,
    )


def _open_containment_form(
    services: Services, body: dict[str, Any], action: dict[str, Any]
) -> None:
    reply = reply_to(body.get("response_url"))
    trigger = str(body.get("trigger_id", ""))
    if action["action_id"] == cb.ROLLBACK_OPEN:
        model = str(action.get("value", "")) or None
        contain.open_rollback(services, trigger, _channel(body), _actor(body), model, None, reply)
    else:
        lever = str((action.get("selected_option") or {}).get("value", ""))
        contain.open_lever(services, trigger, _channel(body), lever, _actor(body), reply)


def _pick_severity(
    services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply
) -> None:
    chosen = parse_severity((action.get("selected_option") or {}).get("value", ""))
    if chosen is not None:
        severity_flow.change(services, _channel(body), Severity(chosen), _actor(body), reply)


def _answer(services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply) -> None:
    question, _, value = action["action_id"].removeprefix(tb.ANSWER_PREFIX).partition(":")
    triage_flow.answer(
        services,
        _channel(body),
        _card_ts(body),
        question,
        value,
        _actor(body),
        reply,
        body.get("response_url"),
    )


def _accept(services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply) -> None:
    triage_flow.accept(services, _channel(body), action.get("value"), _actor(body), reply)


def _decline(
    services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply
) -> None:
    triage_flow.decline(services, _channel(body), _actor(body), reply)


def _open_runbook(
    services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply
) -> None:
    runbook = Runbook(action["action_id"].removeprefix(tb.OPEN_RUNBOOK_PREFIX))
    triage_flow.request_runbook(services, _channel(body), runbook, reply)


def _tick(services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply) -> None:
    name, _, index = action["action_id"].removeprefix(tb.RUNBOOK_PREFIX).rpartition(":")
    done = bool(action.get("selected_options"))
    triage_flow.tick(services, _channel(body), Runbook(name), int(index), done, _actor(body), reply)


def _open_note_form(services: Services, body: dict[str, Any], action: dict[str, Any]) -> None:
    question = BY_KEY.get(action["action_id"].removeprefix(tb.NOTE_PREFIX))
    if question is None:
        return
    view = tb.note_modal(
        int(action["value"]), question.key, question.note_prompt or question.text, _channel(body)
    )
    notify.open_modal(
        services.client,
        body["trigger_id"],
        view,
        reply_to(body.get("response_url")),
        form="the note form",
        again="click *Add a note* again",
    )


def _exactly(action_id: str) -> re.Pattern[str]:
    return re.compile(f"^{re.escape(action_id)}$")


def _starting(prefix: str) -> re.Pattern[str]:
    return re.compile(f"^{re.escape(prefix)}")


# Which click does what; the first pattern that matches an action ID wins.
_CLICKS: list[tuple[re.Pattern[str], Work]] = [
    (_starting(ROLE_SELECT_PREFIX), _pick_role),
    (_exactly(SEVERITY_SELECT), _pick_severity),
    (_starting(tb.ANSWER_PREFIX), _answer),
    (_exactly(tb.ACCEPT), _accept),
    (_exactly(tb.DECLINE), _decline),
    (_starting(tb.OPEN_RUNBOOK_PREFIX), _open_runbook),
    (_starting(tb.RUNBOOK_PREFIX), _tick),
    (_exactly(handover_request.AGREE), _handover),
    (_exactly(handover_request.KEEP), _handover),
    (_exactly(cb.MODEL_CHANGED), _model_changed),
    (_exactly(drill_controls.PAUSE), _drill_control),
    (_exactly(drill_controls.NEXT), _drill_control),
    (_exactly(drill_controls.END), _drill_control),
    (_exactly(cb.ROLLBACK_UNDO), _undo_rollback),
    (_exactly(cb.LEVER_UNDO), _undo_lever),
]
_FORM_BUTTONS: list[tuple[re.Pattern[str], Opener]] = [
    (_exactly(cb.ROLLBACK_OPEN), _open_containment_form),
    (_exactly(CONTAIN_SELECT), _open_containment_form),
    (_starting(tb.NOTE_PREFIX), _open_note_form),
]
