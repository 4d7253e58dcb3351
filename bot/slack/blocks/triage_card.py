"""Block Kit for triage: the question card, the proposal, and runbook checklists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.incidents.categories import category_label
from bot.incidents.runbooks import Checklist, load
from bot.incidents.severity import Severity
from bot.incidents.triage_questions import QUESTIONS, Assessment, Proposal, answer_label
from bot.incidents.triage_state import NOTE_MAX, AnswerState
from bot.slack.blocks import forms
from bot.slack.blocks.kit import md
from bot.slack.blocks.text import escape, mention, truncate
from bot.store.models import Incident

ANSWER_PREFIX = "triage_answer:"
NOTE_PREFIX = "triage_note:"
ACCEPT = "triage_accept"
DECLINE = "triage_decline"
RUNBOOK_PREFIX = "runbook:"
NOTE_CALLBACK = "triage_note"
OPEN_RUNBOOK_PREFIX = "open_runbook:"


def card(incident: Incident, state: dict[str, AnswerState], result: Assessment) -> list[Block]:
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=f"Triage · {incident.reference}", emoji=False)),
        ContextBlock(
            elements=[
                md(
                    "Answer what you know; anyone in the channel can, and answers can change. "
                    "Each answer goes on the timeline with who gave it."
                )
            ]
        ),
    ]
    for number, question in enumerate(QUESTIONS, start=1):
        answered = state.get(question.key)
        line = f"*{number}. {question.text}*\n"
        if answered and answered.answer:
            line += f"*{answer_label(question.key, answered.answer)}*, said {mention(answered.by)}"
        else:
            line += "_not answered yet_"
        if answered and answered.note:
            line += f"\n> {escape(answered.note)}"
        blocks.append(SectionBlock(block_id=f"q_{question.key}", text=md(line)))
        buttons = [
            ButtonElement(
                text=label,
                action_id=f"{ANSWER_PREFIX}{question.key}:{value}",
                value=str(incident.id),
                style="primary" if answered and answered.answer == value else None,
            )
            for value, label in question.options
        ]
        buttons.append(
            ButtonElement(
                text="Add a note", action_id=f"{NOTE_PREFIX}{question.key}", value=str(incident.id)
            )
        )
        blocks.append(ActionsBlock(block_id=f"a_{question.key}", elements=buttons))
    blocks.append(DividerBlock())
    blocks.append(SectionBlock(block_id="hints", text=md(_hints_text(result))))
    if result.hints and any(h.runbook for h in result.hints):
        blocks.append(
            ActionsBlock(
                block_id="runbooks",
                elements=[
                    ButtonElement(
                        text=truncate(f"Runbook: {load(runbook).title}", 75),
                        action_id=f"{OPEN_RUNBOOK_PREFIX}{runbook.value}",
                        value=str(incident.id),
                    )
                    for runbook in result.runbooks
                ],
            )
        )
    if result.proposal:
        blocks.append(SectionBlock(block_id="outcome", text=md(outcome_text(result.proposal))))
    return blocks


def _hints_text(result: Assessment) -> str:
    if not result.hints:
        left = len(result.unanswered)
        return (
            "*What the answers point to*\n_Nothing stands out yet. "
            f"{left} question{'s' if left != 1 else ''} left._"
        )
    # Plain words from the domain: escaped, so "<reference>" stays a placeholder to read.
    return "*What the answers point to*\n" + "\n".join(f"• {escape(h.text)}" for h in result.hints)


def outcome_text(proposal: Proposal) -> str:
    category = category_label(proposal.category)
    cause = proposal.cause.value + (f" ({category})" if category else "")
    return (
        f"*Triage proposes {proposal.severity.label} ({proposal.severity.info.name})*, "
        f"next step: *{proposal.next_step.value}*, likely cause: *{cause}*.\n"
        f"Why: {'; '.join(proposal.reasons)}."
    )


def proposal_blocks(
    incident: Incident,
    proposal: Proposal,
    containment: str | None = None,
    *,
    resolved: bool = False,
) -> list[Block]:
    current = Severity(incident.severity)
    buttons: list[ButtonElement] = []
    if resolved:
        text = (
            f"{outcome_text(proposal)}\n{incident.reference} is resolved (at "
            f"{current.label}): the proposal changes nothing now."
        )
    elif proposal.severity == current:
        # Nothing to accept: a button that changes nothing read as if it would.
        text = (
            f"{outcome_text(proposal)}\nThe incident is already {current.label}: nothing to change."
        )
    else:
        text = (
            f"{outcome_text(proposal)}\nThe incident is {current.label} now. "
            f"{proposal.severity.label} expects: {proposal.severity.info.expectation}"
        )
        buttons = [
            ButtonElement(
                text=f"Change to {proposal.severity.label}",
                action_id=ACCEPT,
                value=proposal.severity.value,  # what the person saw, checked on click
                style="primary",
            ),
            ButtonElement(text=f"Keep {current.label}", action_id=DECLINE, value=str(incident.id)),
        ]
    shown: list[Block] = [SectionBlock(text=md(text))]
    if containment:
        shown.append(SectionBlock(text=md(containment)))
    if buttons:
        shown.append(ActionsBlock(block_id="proposal", elements=buttons))
    return shown


def runbook_blocks(incident: Incident, checklist: Checklist, done: set[int]) -> list[Block]:
    blocks: list[Block] = [
        SectionBlock(
            text=md(
                f"*Runbook: {escape(checklist.title)}* ({incident.reference})\n"
                f"{escape(checklist.summary)}\nTick items as they are done; each tick "
                "goes on the timeline."
            )
        ),
    ]
    for index, item in enumerate(checklist.items):
        option = Option(value=str(index), text="Done")
        blocks.append(
            SectionBlock(
                block_id=f"item_{index}",
                text=md(f"{index + 1}. {escape(item)}"),
                accessory=CheckboxesElement(
                    action_id=f"{RUNBOOK_PREFIX}{checklist.runbook.value}:{index}",
                    options=[option],
                    initial_options=[option] if index in done else None,
                ),
            )
        )
    return blocks


def note_modal(incident_id: int, question_key: str, prompt: str, channel_id: str) -> View:
    import json

    return View(
        type="modal",
        callback_id=NOTE_CALLBACK,
        title="Triage note",
        submit="Add note",
        close="Cancel",
        private_metadata=json.dumps(
            {"incident": incident_id, "question": question_key, "channel": channel_id}
        ),
        blocks=[
            InputBlock(
                block_id="note",
                label=truncate(prompt, 2000),
                element=PlainTextInputElement(
                    action_id="value", multiline=True, max_length=NOTE_MAX
                ),
            )
        ],
    )


@dataclass(frozen=True)
class NoteSubmission:
    channel: str
    question: str
    note: str


def parse_note(view: dict[str, Any]) -> NoteSubmission:
    """The note as written, or FormErrors when it is empty or too long."""
    note = forms.text(view, "note")
    if not note:
        raise forms.FormErrors({"note": "Write something, or press Cancel."})
    if len(note) > NOTE_MAX:
        raise forms.FormErrors(
            {"note": f"Keep the note to {NOTE_MAX} characters (it has {len(note)})."}
        )
    carried = forms.metadata(view)
    return NoteSubmission(str(carried.get("channel", "")), str(carried.get("question", "")), note)
