"""Block Kit for the timeline: the paged view, action items, and the key-time correction form."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DateTimePickerElement,
    HeaderBlock,
    InputBlock,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.incidents import timeline
from bot.incidents.key_times import CORRECTABLE, KeyTime, KeyTimes, spoken
from bot.incidents.kinds import EventKind
from bot.slack.blocks import forms
from bot.slack.blocks.kit import md, slack_date
from bot.slack.blocks.summary import action_facts
from bot.slack.blocks.text import escape, mention, truncate
from bot.store.models import Incident, TimelineEvent
from bot.text.rendering import count

PAGE_SIZE = 20
EVENT_TEXT_MAX = 400
KEY_TIMES_OPEN = "key_times_open"
KEY_TIMES_CALLBACK = "key_times_submit"
ACTION_DONE = "action_item_done"
ACTION_TICKET = "action_item_ticket"
ACTION_NO_TICKET = "action_item_no_ticket"

# An emoji per kind of event, to scan the list by.
EMOJI: dict[str, str] = {
    EventKind.DECLARED: ":rotating_light:",
    EventKind.ALERT_FIRED: ":bell:",
    EventKind.ALERT_JOINED: ":bell:",
    EventKind.ALERT_REFIRED: ":bell:",
    EventKind.ALERT_RESOLVED: ":large_green_circle:",
    EventKind.ALERTS_ALL_RESOLVED: ":large_green_circle:",
    EventKind.ROLE_ASSIGNED: ":bust_in_silhouette:",
    EventKind.ROLE_HANDED_OVER: ":busts_in_silhouette:",
    EventKind.SEVERITY_CHANGED: ":warning:",
    EventKind.STATUS_UPDATE: ":mega:",
    EventKind.UPDATE_NUDGED: ":alarm_clock:",
    EventKind.NOTE: ":memo:",
    EventKind.TRIAGE_NOTE: ":memo:",
    EventKind.PINNED_MESSAGE: ":pushpin:",
    EventKind.ACTION_ITEM: ":dart:",
    EventKind.ACTION_ITEM_DONE: ":white_check_mark:",
    EventKind.TICKET_FILED: ":ticket:",
    EventKind.TICKET_DECLINED: ":no_entry_sign:",
    EventKind.DRIFT_FOUND: ":chart_with_upwards_trend:",
    EventKind.FAIRNESS_FOUND: ":scales:",
    EventKind.KEY_TIME_CORRECTED: ":stopwatch:",
    EventKind.RESOLVED: ":white_check_mark:",
    EventKind.POSTMORTEM_PUBLISHED: ":page_facing_up:",
}


def event_label(kind: str) -> str:
    return f"{EMOJI.get(kind, ':small_blue_diamond:')} {timeline.label(kind)}"


def event_line(event: TimelineEvent) -> str:
    who = f" · {mention(event.actor)}" if event.actor else ""
    # The stored text is cut before it is escaped, so no mention or entity is halved.
    text = timeline.describe(event, mention, lambda said: escape(truncate(said, EVENT_TEXT_MAX)))
    link = event.data.get("permalink") if event.kind == EventKind.PINNED_MESSAGE else None
    more = f" (<{link}|message>)" if isinstance(link, str) and link.startswith("https://") else ""
    return f"{slack_date(event.occurred_at)} *{event_label(event.kind)}*{who}\n{text}{more}"


def key_time_fields(times: KeyTimes) -> list[str]:
    lines = []
    for which in times.shown():
        moment = times[which]
        if moment.at is None:  # still to come: "(how we know)" would only repeat "not yet"
            lines.append(f"*{which.label}*\n_not yet_")
            continue
        how = (
            f"corrected by {mention(moment.corrected_by)}"
            if moment.corrected_by
            else escape(moment.source)
        )
        lines.append(f"*{which.label}*\n{slack_date(moment.at)} ({how})")
    measured = times.figures()
    figures = " · ".join(f"{f.label}: *{spoken(f.duration)}*" for f in measured[:4])
    lines.append(f"*From the first signal*\n{figures}")
    for figure in measured[4:]:  # the page's answer, from the page
        lines.append(f"*{figure.label}*\n{spoken(figure.duration)}")
    return lines


def timeline_blocks(
    incident: Incident,
    events: Sequence[TimelineEvent],
    times: KeyTimes,
    *,
    page: int,
    total: int,
) -> list[Block]:
    pages = max(1, -(-total // PAGE_SIZE))
    blocks: list[Block] = [
        HeaderBlock(
            text=PlainTextObject(
                text=truncate(f"Timeline of {incident.reference}: {incident.title}", 150),
                emoji=False,
            )
        ),
        SectionBlock(fields=[md(field, 2000) for field in key_time_fields(times)]),
        ActionsBlock(
            block_id="key_times",
            elements=[
                ButtonElement(
                    text="Correct key times",
                    action_id=KEY_TIMES_OPEN,
                    value=str(incident.id),
                )
            ],
        ),
    ]
    if not events:
        blocks.append(SectionBlock(text=md(f"Page {page} is past the end of the timeline.")))
    blocks += [SectionBlock(text=md(event_line(event))) for event in events]
    footer = f"Page {page} of {pages} · {count(total, 'event')}"
    if page < pages:
        footer += f" · next: `/incident timeline {page + 1}`"
    footer += " · `/incident postmortem` turns it into the post-mortem"
    blocks.append(ContextBlock(elements=[md(footer)]))
    return blocks


@dataclass(frozen=True)
class TicketState:
    """An action item's ticket as its card shows it."""

    tracker: str | None  # "Jira", when a tracker is set up
    status: str | None = None  # owed, filed, declined
    key: str | None = None
    url: str | None = None
    via: str | None = None  # the ticket whose closing marked the item done


def ticket_line(state: TicketState) -> str | None:
    if state.status == "filed" and state.key:
        key = escape(state.key)
        url = state.url or ""
        linked = (
            f"<{url}|{key}>"
            if url.startswith(("https://", "http://")) and not any(c in url for c in "|<> ")
            else key
        )
        return f":ticket: {linked} in {state.tracker or 'the tracker'}"
    if state.status == "owed":
        return f":ticket: Being filed in {state.tracker or 'the tracker'}"
    if state.status == "declined":
        return ":no_entry_sign: No ticket on resolution"
    return None


def action_blocks(
    item: TimelineEvent,
    done: bool,
    by: str | None = None,
    ticket: TicketState | None = None,
) -> list[Block]:
    """The channel's card for one action item: Done while open, and *Create ticket* and
    *No ticket* while a tracker is set up and the item has none."""
    ticket = ticket or TicketState(None)
    mark = ":white_check_mark:" if done else ":dart:"
    text = escape(str(item.data.get("item", "")))
    body = f"{mark} *Action item:* {'~' + text + '~' if done else text}\n{action_facts(item)}"
    blocks: list[Block] = [SectionBlock(text=md(body))]
    line = ticket_line(ticket)
    if done:
        closed = f"closing {escape(ticket.via)}" if ticket.via else f"marked by {mention(by)}"
        blocks.append(ContextBlock(elements=[md(f"Done, {closed}")]))
        if line:
            blocks.append(ContextBlock(elements=[md(line)]))
        return blocks
    if line:
        blocks.append(ContextBlock(elements=[md(line)]))
    buttons = [ButtonElement(text="Done", action_id=ACTION_DONE, value=str(item.id))]
    if ticket.tracker and ticket.status in (None, "declined"):
        buttons.append(
            ButtonElement(text="Create ticket", action_id=ACTION_TICKET, value=str(item.id))
        )
    if ticket.tracker and ticket.status is None:
        buttons.append(
            ButtonElement(text="No ticket", action_id=ACTION_NO_TICKET, value=str(item.id))
        )
    blocks.append(ActionsBlock(block_id=f"action_item:{item.id}", elements=buttons))
    return blocks


def key_times_modal(
    incident: Incident, times: KeyTimes, channel: str, *, steers: bool = True, aware: bool = False
) -> View:
    """The pickers of the key times the person may move: the Commander's (``steers``), and
    when the provider became aware (``aware``: assessed serious, and the Commander or the
    Legal Liaison)."""
    said = (
        "Move a key time when the timeline has it wrong, e.g. when the problem really "
        "started before the first alert. Every figure in the post-mortem is measured "
        "from the first signal. Declared stays when the bot was told."
        if steers
        else "Move when the provider became aware of this serious incident."
    )
    if aware:
        said += " Moving *Provider aware* moves the report's deadline; say why below."
    blocks: list[Block] = [SectionBlock(text=md(said))]
    shown = [*(CORRECTABLE if steers else ()), *((KeyTime.AWARE,) if aware else ())]
    for which in shown:
        if which is KeyTime.RESOLVED and incident.is_open:
            continue
        at = times.at(which) if which in times.moments else None
        blocks.append(
            InputBlock(
                block_id=which.value,
                label=which.label,
                optional=True,
                element=DateTimePickerElement(
                    action_id="value",
                    initial_date_time=int(at.timestamp()) if at else None,
                ),
            )
        )
    blocks.append(
        InputBlock(
            block_id="reason",
            label="Why (goes on the timeline)",
            optional=True,
            element=PlainTextInputElement(action_id="value", max_length=300),
        )
    )
    return View(
        type="modal",
        callback_id=KEY_TIMES_CALLBACK,
        title=PlainTextObject(text="Correct key times"),
        submit=PlainTextObject(text="Save"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=json.dumps({"channel": channel, "incident": incident.id}),
        blocks=blocks,
    )


@dataclass(frozen=True)
class KeyTimesSubmission:
    channel: str
    changes: dict[KeyTime, datetime]
    reason: str


def parse_key_times(view: dict[str, Any]) -> KeyTimesSubmission:
    """The key times as picked (only those the form shows; the domain checks their order)."""
    changes: dict[KeyTime, datetime] = {}
    for which in (*CORRECTABLE, KeyTime.AWARE):
        picked = forms.element(view, which.value).get("selected_date_time")
        if picked:
            changes[which] = datetime.fromtimestamp(int(picked), UTC)
    carried = forms.metadata(view)
    return KeyTimesSubmission(str(carried.get("channel", "")), changes, forms.text(view, "reason"))
