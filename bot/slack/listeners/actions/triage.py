"""The triage card: answers, the proposal's Accept and Decline, runbooks and their
checklists, and the button that opens a note form."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.app import triage as triage_flow
from bot.app.services import Services
from bot.incidents.triage_questions import BY_KEY, Runbook
from bot.slack.blocks import triage_card as tb
from bot.slack.listeners import clicks
from bot.slack.webapi import notify
from bot.slack.webapi.replies import Reply, reply_to


def _answer(services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply) -> None:
    question, _, value = action["action_id"].removeprefix(tb.ANSWER_PREFIX).partition(":")
    triage_flow.answer(
        services,
        clicks.channel(body),
        clicks.message_ts(body),
        question,
        value,
        clicks.actor(body),
        reply,
        body.get("response_url"),
    )


def _accept(services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply) -> None:
    triage_flow.accept(
        services, clicks.channel(body), action.get("value"), clicks.actor(body), reply
    )


def _decline(
    services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply
) -> None:
    triage_flow.decline(services, clicks.channel(body), clicks.actor(body), reply)


def _open_runbook(
    services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply
) -> None:
    runbook = Runbook(action["action_id"].removeprefix(tb.OPEN_RUNBOOK_PREFIX))
    triage_flow.request_runbook(services, clicks.channel(body), runbook, reply)


def _tick(services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply) -> None:
    name, _, index = action["action_id"].removeprefix(tb.RUNBOOK_PREFIX).rpartition(":")
    done = bool(action.get("selected_options"))
    triage_flow.tick(
        services, clicks.channel(body), Runbook(name), int(index), done, clicks.actor(body), reply
    )


def _open_note_form(services: Services, body: dict[str, Any], action: dict[str, Any]) -> None:
    question = BY_KEY.get(action["action_id"].removeprefix(tb.NOTE_PREFIX))
    if question is None:
        return
    view = tb.note_modal(
        int(action["value"]), question.key, question.note_prompt, clicks.channel(body)
    )
    notify.open_modal(
        services.client,
        body["trigger_id"],
        view,
        reply_to(body.get("response_url")),
        form="the note form",
        again="click *Add a note* again",
    )


on_answer = clicks.in_background(_answer)
on_accept = clicks.in_background(_accept)
on_decline = clicks.in_background(_decline)
on_open_runbook = clicks.in_background(_open_runbook)
on_tick = clicks.in_background(_tick)
on_note_button = clicks.opening_form(_open_note_form)


def register(app: App) -> None:
    app.action(clicks.starting(tb.ANSWER_PREFIX))(on_answer)
    app.action(tb.ACCEPT)(on_accept)
    app.action(tb.DECLINE)(on_decline)
    app.action(clicks.starting(tb.OPEN_RUNBOOK_PREFIX))(on_open_runbook)
    app.action(clicks.starting(tb.RUNBOOK_PREFIX))(on_tick)
    app.action(clicks.starting(tb.NOTE_PREFIX))(on_note_button)
