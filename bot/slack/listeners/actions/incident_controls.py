"""Clicks: the summary's role and severity selects, triage buttons, proposals, runbooks.

Every listener acknowledges, then hands the work to the background pool.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError

from bot.incidents.roles import Role
from bot.incidents.severity import Severity, parse_severity
from bot.incidents.triage_questions import BY_KEY, Runbook
from bot.slack.background import Reply, reply_to
from bot.slack.flows import contain
from bot.slack.flows import drills as drills_flow
from bot.slack.flows import roles as roles_flow
from bot.slack.flows import severity as severity_flow
from bot.slack.flows import triage as triage_flow
from bot.slack.services import Services
from bot.slack.views import containment_cards as cb
from bot.slack.views import drill_controls, handover_request
from bot.slack.views import triage_card as tb
from bot.slack.views.summary import CONTAIN_SELECT, ROLE_SELECT_PREFIX, SEVERITY_SELECT

log = logging.getLogger(__name__)

Work = Callable[[Services, dict[str, Any], dict[str, Any], Reply], None]


def register(app: App, services: Services) -> None:
    def later(work: Work) -> Callable[..., None]:
        def listener(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
            ack()
            reply = reply_to(body.get("response_url"))
            services.background.submit(work, services, body, action, reply)

        return listener

    app.action(re.compile(f"^{ROLE_SELECT_PREFIX}"))(later(_pick_role))
    app.action(SEVERITY_SELECT)(later(_pick_severity))
    app.action(re.compile(f"^{tb.ANSWER_PREFIX}"))(later(_answer))
    app.action(tb.ACCEPT)(later(_accept))
    app.action(tb.DECLINE)(later(_decline))
    app.action(re.compile(f"^{tb.OPEN_RUNBOOK_PREFIX}"))(later(_open_runbook))
    app.action(re.compile(f"^{tb.RUNBOOK_PREFIX}"))(later(_tick))
    app.action(handover_request.AGREE)(later(_handover))
    app.action(handover_request.KEEP)(later(_handover))
    app.action(cb.MODEL_CHANGED)(later(_model_changed))
    for control in (drill_controls.PAUSE, drill_controls.NEXT, drill_controls.END):
        app.action(control)(later(_drill_control))
    app.action(cb.ROLLBACK_UNDO)(later(_undo_rollback))
    app.action(cb.LEVER_UNDO)(later(_undo_lever))

    def form_button(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()  # a confirmation form must open within 3 s of the click: the urgent pool
        services.background.submit_urgent(_open_containment_form, services, body, action)

    app.action(cb.ROLLBACK_OPEN)(form_button)
    app.action(CONTAIN_SELECT)(form_button)

    def note_button(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()  # the modal must open within 3 s of the click: the urgent pool
        services.background.submit_urgent(_open_note_form, services, body, action)

    app.action(re.compile(f"^{tb.NOTE_PREFIX}"))(note_button)


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
    try:
        services.client.views_open(trigger_id=body["trigger_id"], view=view.to_dict())
    except SlackApiError as exc:
        log.warning("could not open the note form: %s", exc.response.get("error"))
        reply_to(body.get("response_url"))(
            text="Slack would not open the note form in time; click *Add a note* again."
        )
