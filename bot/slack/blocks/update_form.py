"""Block Kit for status updates: the form, the nudge, the first-notice prompt."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConversationMultiSelectElement,
    InputBlock,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.incidents.status_update import UPDATE_MAX, UpdateKind
from bot.slack.blocks import forms
from bot.slack.blocks.kit import md
from bot.slack.blocks.text import mention
from bot.store.models import Incident
from bot.text.rendering import count

UPDATE_CALLBACK = "status_update"
OPEN_FORM = "status_update_open"


def every(period: timedelta) -> str:
    """``30 minutes``, ``1 hour``, ``2 days``: a cadence in words."""
    seconds = int(period.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            return count(seconds // size, unit)
    return count(seconds, "second")


def update_modal(
    incident: Incident,
    kind: UpdateKind,
    draft: str,
    channel_id: str,
    stakeholders: list[str],
    extra: Sequence[Block] = (),
) -> View:
    """The form; ``extra`` are sections other capabilities add (the status page's)."""
    return View(
        type="modal",
        callback_id=UPDATE_CALLBACK,
        title=kind.label,
        submit="Send",
        close="Cancel",
        private_metadata=json.dumps(
            {"incident": incident.id, "kind": kind.value, "channel": channel_id}
        ),
        blocks=[
            SectionBlock(
                text=md(
                    (
                        ":lock: A private incident: this goes to the incident channel and only "
                        "to the channels below, which the Incident Commander picks. "
                        if incident.private
                        else "Goes to the incident channel and the broadcast channel. "
                    )
                    + "Write for people outside the team: business terms, what is being "
                    "done, what they must do, when they hear next. Replace the [brackets]."
                )
            ),
            InputBlock(
                block_id="text",
                label="Message",
                element=PlainTextInputElement(
                    action_id="value",
                    multiline=True,
                    initial_value=draft[:UPDATE_MAX],
                    max_length=UPDATE_MAX,
                ),
            ),
            InputBlock(
                block_id="stakeholders",
                label="Also post to",
                optional=True,
                hint="Only the Incident Commander changes these while the incident is private."
                if incident.private
                else "Channels of teams or clients that follow this incident; remembered. "
                "The incident channel gets every update without being picked here.",
                element=ConversationMultiSelectElement(
                    action_id="value",
                    initial_conversations=stakeholders or None,
                    filter={"include": ["public"], "exclude_bot_users": True},
                    max_selected_items=10,
                ),
            ),
            *extra,
        ],
    )


def form_button(incident: Incident, kind: UpdateKind, text: str) -> ButtonElement:
    return ButtonElement(
        text=text,
        action_id=OPEN_FORM,
        value=json.dumps({"incident": incident.id, "kind": kind.value}),
        style="primary",
    )


def nudge_blocks(
    incident: Incident, who: str | None, period: timedelta, unanswered: int, first: bool
) -> list[Block]:
    """``unanswered``: the reminders with no update since, this one included (as the
    timeline and the Commander's note count them)."""
    kind = UpdateKind.FIRST_NOTICE if first else UpdateKind.UPDATE
    due = f"a {kind.label.lower()} for {incident.reference} is due"
    if who:
        said = f"{mention(who)}: {due}"
    else:
        said = f"Nobody holds Comms Lead or Incident Commander yet. {due[0].upper()}{due[1:]}"
    overdue = f" ({count(unanswered, 'reminder')} unanswered)" if unanswered > 1 else ""
    return [
        SectionBlock(
            text=md(
                f":alarm_clock: {said}{overdue}. At {incident.severity.upper()}, stakeholders "
                f"expect one every {every(period)}."
            )
        ),
        ActionsBlock(
            block_id=f"nudge:{incident.id}",
            elements=[form_button(incident, kind, f"Write the {kind.label.lower()}")],
        ),
    ]


def first_notice_blocks(incident: Incident, comms_lead: str) -> list[Block]:
    return [
        SectionBlock(
            text=md(
                f"{mention(comms_lead)}, as Comms Lead: send the first notice for "
                f"{incident.reference} now, even before the facts are complete. A draft is "
                "ready."
            )
        ),
        ActionsBlock(
            block_id=f"first_notice:{incident.id}",
            elements=[form_button(incident, UpdateKind.FIRST_NOTICE, "Write the first notice")],
        ),
    ]


_PLACEHOLDER = re.compile(r"\[[^\[\]\n]{4,}\]")


@dataclass(frozen=True)
class UpdateSubmission:
    channel: str
    text: str
    kind: UpdateKind
    stakeholders: list[str] | None  # None: the form had no stakeholder picker


def parse_submission(view: dict[str, Any]) -> UpdateSubmission:
    """The update as sent, or FormErrors: empty, too long, a [bracketed] prompt of the
    draft still in it, or the incident's own channel among those to also post to."""
    written = forms.text(view, "text")
    if not written:
        raise forms.FormErrors({"text": "Write the update, or press Cancel."})
    if len(written) > UPDATE_MAX:
        raise forms.FormErrors(
            {"text": f"Keep it to {UPDATE_MAX} characters (it has {len(written)})."}
        )
    left = unfilled(view, written)
    if left:
        raise forms.FormErrors(
            {"text": f"Replace or delete the parts in brackets first, e.g. {left}"}
        )
    carried = forms.metadata(view)
    chosen = forms.element(view, "stakeholders").get("selected_conversations")
    channel = str(carried.get("channel", ""))
    # Slack's channel picker cannot leave one channel out, so it offers this one too.
    if isinstance(chosen, list) and channel and channel in chosen:
        raise forms.FormErrors(
            {
                "stakeholders": "This incident's own channel gets every update without "
                "being picked; take it out of this list."
            }
        )
    return UpdateSubmission(
        channel=channel,
        text=written,
        kind=UpdateKind(carried.get("kind", UpdateKind.UPDATE.value)),
        stakeholders=list(chosen) if isinstance(chosen, list) else None,
    )


def unfilled(view: dict[str, Any], text: str) -> str | None:
    """A [bracketed] prompt of the draft still in the text, word for word."""
    drafted = next(
        (
            str(block.get("element", {}).get("initial_value") or "")
            for block in view.get("blocks", [])
            if block.get("block_id") == "text"
        ),
        "",
    )
    return next((p for p in _PLACEHOLDER.findall(drafted) if p in text), None)
