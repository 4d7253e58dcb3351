"""Listener handlers called in-process, as Bolt calls them: what they acknowledge, and
that a refusal starts no work and stores nothing. (The end-to-end tests drive the
same handlers through signed HTTP requests; these need no bot process.)"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app.services import Services
from bot.slack import listeners
from bot.slack.listeners import clicks
from bot.slack.listeners.actions import alert_prompts, triage
from bot.slack.listeners.commands import incident_command
from bot.slack.listeners.submissions import declare
from bot.store.models import Incident, ReceivedRequest, TimelineEvent
from tests.conftest import ALICE


class Acks:
    """Bolt's ``ack``: records each acknowledgement."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **answer: Any) -> None:
        self.calls.append(answer)


class Refused(Exception):
    pass


@pytest.fixture
def idle(services: Services, monkeypatch: pytest.MonkeyPatch) -> Services:
    """The services, with every background pool refusing work: a handler that
    refuses must not hand anything on."""

    def no_work(*args: Any, **kwargs: Any) -> Any:
        raise Refused(f"work was handed on: {args[:1]}")

    for pool in ("submit", "submit_urgent", "submit_heavy", "submit_once"):
        monkeypatch.setattr(services.background, pool, no_work)
    return services


def stored(services: Services) -> tuple[int, int, int]:
    with services.db.begin() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (Incident, TimelineEvent, ReceivedRequest)
        )


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("declare sev9 Model is down", "`sev9` is not a severity. Use sev1 (critical)"),
        ("declare Model is down", "(add `--private` anywhere for a private incident)"),
        ("declare sev1", "The incident needs a title"),
        ("declare sev1    ", "The incident needs a title"),
        ("declare sev2 " + "drift " * 40, "characters; keep it to 200"),
        ("explode now", "`explode` is not an /incident command"),
        ("delcare sev1 Model down", "Did you mean `declare`?"),
        ("severity sev7", "`sev7` is not a severity"),
        ("stats 2026Q5", "“2026Q5” is not a quarter; write it like 2026Q4."),
        (
            "drift only-one.csv",
            "Give two data sets, the reference and the current one (you gave one). Usage:",
        ),
        ("drift", "the reference and the current one (you gave none). Usage: `/incident drift"),
        ("fairness a b c --group g --prediction p", "current one (you gave 3). Usage:"),
        (
            "fairness a --group g",
            "each data set anything drift reads (an http(s) URL, a file or folder",
        ),
    ],
)
def test_a_bad_command_is_refused_in_the_acknowledgement(
    idle: Services, text: str, answer: str
) -> None:
    ack = Acks()
    command = {"text": text, "user_id": ALICE, "channel_id": "C0GENERAL", "command": "/incident"}
    incident_command.on_command(ack, command, {"services": idle})
    assert len(ack.calls) == 1
    assert answer in ack.calls[0]["text"]
    assert stored(idle) == (0, 0, 0)


def test_help_is_answered_in_the_acknowledgement(idle: Services) -> None:
    ack = Acks()
    command = {"text": "help", "user_id": ALICE, "channel_id": "C0GENERAL"}
    incident_command.on_command(ack, command, {"services": idle})
    assert "/incident declare" in ack.calls[0]["text"] and ack.calls[0]["blocks"]


def test_an_incomplete_declare_form_shows_the_error_beside_the_field(idle: Services) -> None:
    ack = Acks()
    view = {"callback_id": "declare_incident", "private_metadata": "{}", "state": {"values": {}}}
    declare.on_submit(ack, {"user": {"id": ALICE}}, view, {"services": idle})
    assert ack.calls == [{"response_action": "errors", "errors": {"severity": "Pick a severity."}}]
    assert stored(idle) == (0, 0, 0)


def test_a_damaged_alert_button_is_answered_after_the_ack_and_changes_nothing(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    said: list[dict[str, Any]] = []
    monkeypatch.setattr(clicks, "reply_to", lambda url: lambda **m: said.append(m))
    ack = Acks()
    body = {"user": {"id": ALICE}, "response_url": "https://hooks.slack.invalid/x"}
    action = {"action_id": "alert_declare", "value": "not-a-number"}
    alert_prompts.on_prompt(ack, body, action, {"services": services})
    assert ack.calls == [{}]
    services.background.shutdown()  # the answer goes after the acknowledgement
    assert said == [
        {
            "text": "That button's data could not be read (it may come from an older version "
            "of the bot); nothing was changed."
        }
    ]
    assert stored(services) == (0, 0, 0)


class Wiring:
    """Stands in for Bolt's ``App`` while ``register_all`` wires it: which listener each
    action ID, form callback and shortcut reaches, the first match winning as in Bolt."""

    def __init__(self) -> None:
        self.wired: dict[str, list[tuple[Any, Any]]] = {"action": [], "view": [], "other": []}

    def _wire(self, kind: str, matcher: Any) -> Any:
        def take(listener: Any) -> Any:
            self.wired[kind].append((matcher, listener))
            return listener

        return take

    def action(self, matcher: Any) -> Any:
        return self._wire("action", matcher)

    def view(self, matcher: Any) -> Any:
        return self._wire("view", matcher)

    def command(self, matcher: Any) -> Any:
        return self._wire("other", matcher)

    shortcut = event = command

    def reached(self, kind: str, given: str) -> list[Any]:
        return [
            listener
            for matcher, listener in self.wired[kind]
            if (matcher.match(given) if hasattr(matcher, "match") else matcher == given)
        ]


def test_every_control_and_form_reaches_one_listener() -> None:
    """Each action ID the summary, triage card and other messages carry, and each form's
    callback, is wired to exactly one listener; an unknown one to none."""
    from bot.slack.blocks import (
        containment_cards,
        declare_form,
        drill_controls,
        handover_request,
        timeline_page,
        triage_card,
        update_form,
    )
    from bot.slack.blocks.summary import CONTAIN_SELECT, ROLE_SELECT_PREFIX, SEVERITY_SELECT

    app = Wiring()
    listeners.register_all(app)  # type: ignore[arg-type]
    clicks = [
        ROLE_SELECT_PREFIX + "commander",
        SEVERITY_SELECT,
        triage_card.ANSWER_PREFIX + "impact",
        triage_card.ACCEPT,
        triage_card.DECLINE,
        triage_card.OPEN_RUNBOOK_PREFIX + "x",
        triage_card.RUNBOOK_PREFIX + "x:1",
        triage_card.NOTE_PREFIX + "q",
        handover_request.AGREE,
        handover_request.KEEP,
        containment_cards.MODEL_CHANGED,
        containment_cards.ROLLBACK_OPEN,
        containment_cards.ROLLBACK_UNDO,
        containment_cards.LEVER_UNDO,
        CONTAIN_SELECT,
        drill_controls.PAUSE,
        drill_controls.NEXT,
        drill_controls.END,
        update_form.OPEN_FORM,
        timeline_page.ACTION_DONE,
        timeline_page.KEY_TIMES_OPEN,
        declare_form.DECLARE_CATEGORY,
        "alert_declare",
        "alert_dismiss",
        "incident_resolve",
    ]
    reached = {click: app.reached("action", click) for click in clicks}
    assert {click: len(found) for click, found in reached.items()} == dict.fromkeys(clicks, 1)
    assert reached[handover_request.AGREE] == reached[handover_request.KEEP]  # one answer
    assert reached[drill_controls.PAUSE] == reached[drill_controls.END]  # one control
    forms = [
        declare_form.DECLARE_CALLBACK,
        containment_cards.ROLLBACK_CALLBACK,
        containment_cards.LEVER_CALLBACK,
        triage_card.NOTE_CALLBACK,
        update_form.UPDATE_CALLBACK,
        timeline_page.KEY_TIMES_CALLBACK,
    ]
    assert {f: len(app.reached("view", f)) for f in forms} == dict.fromkeys(forms, 1)
    assert app.reached("action", "nobody_sends_this") == []


@pytest.mark.parametrize(
    "action_id",
    [
        "runbook:no-such-runbook:0",  # a runbook renamed since the card was drawn
        "runbook:model-degradation:not-a-number",
        "open_runbook:no-such-runbook",
    ],
)
def test_work_that_fails_after_the_ack_tells_the_person(
    services: Services, monkeypatch: pytest.MonkeyPatch, action_id: str
) -> None:
    said: list[dict[str, Any]] = []
    monkeypatch.setattr(clicks, "reply_to", lambda url: lambda **m: said.append(m))
    ack = Acks()
    body = {
        "user": {"id": ALICE},
        "channel": {"id": "C0GENERAL"},
        "response_url": "https://hooks.slack.invalid/x",
    }
    listener = triage.on_open_runbook if action_id.startswith("open_") else triage.on_tick
    listener(ack, body, {"action_id": action_id, "selected_options": []}, {"services": services})
    assert ack.calls == [{}]
    services.background.shutdown()
    assert said == [{"text": clicks.FAILED}]
    assert stored(services) == (0, 0, 0)
