"""Block Kit for incidents, built with slack_sdk's models so Slack's limits are
checked when a message is built rather than when Slack refuses it.

Everything a person or an alert wrote goes through ``escape`` and into
``verbatim`` text objects, so Slack neither links nor mentions from it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    CheckboxesElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.containment import Lever
from bot.incidents import permissions
from bot.incidents.categories import FAILURE_CATEGORIES, USUALLY_PRIVATE, category_label
from bot.incidents.declare import DESCRIPTION_MAX, DETECTIONS, SERVICE_MAX, TITLE_MAX
from bot.incidents.roles import Role
from bot.incidents.severity import Severity
from bot.models import Incident, TimelineEvent
from bot.reminders import Cadence, next_update_due
from bot.slack.text import channel_link, escape, mention, truncate
from bot.templating import render_text

MAX_BLOCKS = 50
SECTION_TEXT_MAX = 3000
FIELD_MAX = 2000
HEADER_MAX = 150
TOPIC_MAX = 250

SEVERITY_EMOJI = {
    Severity.SEV1: ":red_circle:",
    Severity.SEV2: ":large_orange_circle:",
    Severity.SEV3: ":large_yellow_circle:",
    Severity.SEV4: ":large_blue_circle:",
}

DECLARE_CALLBACK = "declare_incident"
DECLARE_CATEGORY = "declare_category"  # the form's category select, which may propose Private
PRIVATE_BLOCKS = ("private", "private_proposed")
ROLE_SELECT_PREFIX = "role_select:"
SEVERITY_SELECT = "severity_select"
CONTAIN_SELECT = "contain_select"


def md(text: str, limit: int = SECTION_TEXT_MAX) -> MarkdownTextObject:
    """mrkdwn that Slack shows as written: no auto-linking, no mention parsing."""
    return MarkdownTextObject(text=truncate(text, limit), verbatim=True)


def render(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    """Validate and serialise; raises if a block breaks Slack's limits."""
    if len(blocks) > MAX_BLOCKS:
        raise ValueError(f"{len(blocks)} blocks; Slack allows {MAX_BLOCKS} in a message")
    return [block.to_dict() for block in blocks]


def status_label(status: str) -> str:
    return status.replace("-", " ").capitalize()


def severity_line(severity: Severity) -> str:
    info = severity.info
    return f"{SEVERITY_EMOJI[severity]} *{severity.label} · {info.name}*"


def severity_options() -> list[Option]:
    return [
        Option(
            value=sev.value,
            text=f"{sev.label} · {sev.info.name}",
            description=truncate(sev.info.meaning, 75),
        )
        for sev in Severity
    ]


def topic(incident: Incident) -> str:
    """The channel topic: severity, status and Commander first, the title if room remains."""
    sev = Severity(incident.severity)
    commander = incident.holder(Role.COMMANDER)
    head = (
        f"{sev.label} ({sev.info.name}) | {status_label(incident.status)} | "
        f"Commander: {mention(commander) if commander else 'unassigned'}"
    )
    if incident.drill:
        head = f"DRILL | {head}"
    room = TOPIC_MAX - len(head) - 3
    title = escape(incident.title)
    return head if room < 10 else f"{head} | {truncate(title, room)}"


def role_fields(incident: Incident) -> list[MarkdownTextObject]:
    commander = incident.holder(Role.COMMANDER)
    fields = []
    for role in Role:
        holder = incident.holder(role)
        if holder:
            who = mention(holder)
        elif role is Role.COMMANDER:
            who = "_unassigned: pick someone below_"
        elif commander:
            who = f"_unassigned: {mention(commander)} (Commander) answers for it_"
        else:
            who = "_unassigned: the Commander answers for it_"
        fields.append(md(f"*{role.info.title}*\n{who}", FIELD_MAX))
    return fields


def summary_blocks(
    incident: Incident,
    cadence: Cadence | None = None,
    open_actions: Sequence[TimelineEvent] = (),
    levers: Sequence[Lever] = (),
) -> list[Block]:
    """The pinned incident summary: what, how bad, who, and the controls for what comes next.

    Open action items stay listed after resolution: they are what the incident left to do.
    """
    sev = Severity(incident.severity)
    blocks: list[Block] = [
        HeaderBlock(
            text=PlainTextObject(
                text=truncate(
                    f"{'[DRILL] ' if incident.drill else ''}{incident.reference}: {incident.title}",
                    HEADER_MAX,
                ),
                emoji=False,
            )
        ),
        SectionBlock(
            text=md(
                f"{severity_line(sev)}   Status: *{status_label(incident.status)}*\n"
                f"{sev.info.meaning}\n*Expected response:* {sev.info.expectation}"
            )
        ),
        SectionBlock(
            fields=[
                md(f"*Model or service*\n{escape(incident.service or '') or '_not given_'}"),
                md(
                    "*Failure category*\n"
                    + (escape(category_label(incident.failure_category) or "") or "_not known yet_")
                ),
                md(f"*Declared by*\n{_declarer(incident)}"),
                md(f"*Declared*\n{slack_date(incident.declared_at)}"),
            ]
        ),
    ]
    if incident.drill:
        blocks.insert(
            1,
            ContextBlock(
                elements=[
                    md(
                        f":performing_arts: *DRILL* ({escape(incident.drill)}): practice only. "
                        "Nothing here reaches real stakeholders; rollbacks and levers are "
                        "rehearsed, not run."
                    )
                ]
            ),
        )
    if incident.detected_at is not None:
        lead = incident.declared_at - incident.detected_at
        minutes = max(0, int(lead.total_seconds() // 60))
        blocks.append(
            ContextBlock(
                elements=[
                    md(
                        f"First signal {slack_date(incident.detected_at)}, "
                        f"{minutes} min before it was declared"
                    )
                ]
            )
        )
    if incident.description:
        blocks.append(SectionBlock(text=md(f"*Description*\n{escape(incident.description)}")))
    communication = _communication(incident, cadence)
    if communication:
        blocks.append(ContextBlock(elements=[md(communication)]))
    if incident.postmortem_url and incident.postmortem_url.startswith("https://"):
        blocks.append(
            ContextBlock(
                elements=[
                    md(
                        f":page_facing_up: <{incident.postmortem_url}|Post-mortem"
                        f"{' (draft)' if incident.is_open else ''}>"
                    )
                ]
            )
        )
    if open_actions:
        blocks.append(SectionBlock(text=md(_actions_text(open_actions))))
    blocks += [
        DividerBlock(),
        SectionBlock(text=md("*Roles*"), fields=role_fields(incident)),
    ]
    if incident.is_open:
        blocks.append(
            ActionsBlock(block_id="incident_controls", elements=_controls(incident, levers))
        )
    blocks.append(
        ContextBlock(elements=[md("`/incident help` lists what you can do in this channel.")])
    )
    return blocks


SUMMARY_ACTIONS_SHOWN = 5


def action_facts(item: TimelineEvent) -> str:
    """An action item's owner and due date, as every view of it says them."""
    owner, due = item.data.get("owner"), item.data.get("due")
    return " · ".join(
        (
            f"owner {mention(owner)}" if owner else "no owner yet",
            f"due {date.fromisoformat(due):%a %d %b %Y}" if due else "no due date",
        )
    )


def _actions_text(items: Sequence[TimelineEvent]) -> str:
    lines = [f"*Open action items ({len(items)})*"]
    for item in items[:SUMMARY_ACTIONS_SHOWN]:
        text = truncate(escape(str(item.data.get("item", ""))), 200)
        lines.append(f"• {text} · {action_facts(item)}")
    if len(items) > SUMMARY_ACTIONS_SHOWN:
        lines.append(f"…and {len(items) - SUMMARY_ACTIONS_SHOWN} more in `/incident timeline`")
    return "\n".join(lines)


def _controls(incident: Incident, levers: Sequence[Lever] = ()) -> list[Any]:
    elements: list[Any] = []
    for role in Role:
        holder = incident.holder(role)
        select = UserSelectElement(
            action_id=f"{ROLE_SELECT_PREFIX}{role.value}",
            placeholder=f"{role.info.title}…",
            initial_user=holder,
        )
        elements.append(select)
    current = next(o for o in severity_options() if o.value == incident.severity)
    elements.append(
        StaticSelectElement(
            action_id=SEVERITY_SELECT,
            placeholder="Change severity…",
            options=severity_options(),
            initial_option=current,
        )
    )
    if levers:  # the team's containment levers, each confirmed in a form
        elements.append(
            StaticSelectElement(
                action_id=CONTAIN_SELECT,
                placeholder="Contain…",
                options=[
                    Option(value=lever.name, text=truncate(lever.title, 75)) for lever in levers
                ][:100],
            )
        )
    return elements


def slack_date(when: datetime) -> str:
    """A time every reader sees in their own time zone."""
    epoch = int(when.timestamp())
    fallback = when.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{fallback}>"


def _communication(incident: Incident, cadence: Cadence | None) -> str | None:
    """When stakeholders last heard, and when they next expect to."""
    last = incident.last_update_at
    said = f"Stakeholders last updated {slack_date(last)}" if last else "No status update sent yet"
    due = next_update_due(incident, cadence) if cadence is not None else None
    if due is not None:
        return f":mega: {said} · next update due {slack_date(due)} (`/incident update`)"
    return f":mega: {said}" if last or incident.is_open else None


def _declarer(incident: Incident) -> str:
    if incident.declared_by or not incident.detected_by:
        return mention(incident.declared_by)
    return f"{escape(incident.detected_by)} (alert)"


def summary_text(incident: Incident) -> str:
    """Notification fallback text for the summary."""
    sev = Severity(incident.severity)
    return truncate(f"{incident.reference} {sev.label}: {escape(incident.title)}", 3000)


def private_notice(incident: Incident) -> str:
    """All the broadcast channel learns of a private incident: that one of this severity
    exists, and who commands it. No title, no model, no channel to join."""
    sev = Severity(incident.severity)
    commander = permissions.commander(incident)
    who = f"Commander: {mention(commander)}" if commander else "No Commander named yet"
    return (
        f"{severity_line(sev)} :lock: A private incident, {incident.reference}, is under "
        f"way. {who}. Its details stay with the people working on it."
    )


def announcement_blocks(incident: Incident) -> list[Block]:
    if incident.drill:
        return [SectionBlock(text=md(drill_notice(incident)))]
    if incident.private:
        return [SectionBlock(text=md(private_notice(incident)))]
    sev = Severity(incident.severity)
    details = [f"Channel: {channel_link(incident.channel_id, incident.channel_name)}"]
    if incident.service:
        details.append(f"Model or service: {escape(incident.service)}")
    if incident.declared_by or incident.detected_by:
        details.append(f"Declared by {_declarer(incident)}")
    return [
        SectionBlock(
            text=md(
                f"{severity_line(sev)} incident declared: *{escape(incident.title)}*\n"
                f"{sev.info.meaning}\n" + " · ".join(details)
            )
        )
    ]


def drill_notice(incident: Incident) -> str:
    where = "" if incident.private else f" in {channel_link(incident.channel_id)}"
    return (
        f":performing_arts: *DRILL* {incident.reference}: {escape(incident.title)}{where}. "
        "Practice only: nothing is wrong in production."
    )


def announcement_text(incident: Incident) -> str:
    sev = Severity(incident.severity)
    if incident.drill:
        return f"DRILL {incident.reference} started (practice only)"
    if incident.private:
        return f"{sev.label} private incident {incident.reference} declared"
    return truncate(
        f"{sev.label} incident declared: {escape(incident.title)} in "
        f"{channel_link(incident.channel_id, incident.channel_name)}",
        3000,
    )


def list_blocks(incidents: Sequence[Incident], total: int) -> list[Block]:
    if not incidents:
        return [SectionBlock(text=md("No open incidents. :white_check_mark:"))]
    blocks: list[Block] = [SectionBlock(text=md(f"*Open incidents: {total}*"))]
    shown = list(incidents)[: MAX_BLOCKS - 2]
    for incident in shown:
        sev = Severity(incident.severity)
        commander = incident.holder(Role.COMMANDER)
        blocks.append(
            SectionBlock(
                text=md(
                    f"{SEVERITY_EMOJI[sev]} *{sev.label}* "
                    f"{':performing_arts: DRILL ' if incident.drill else ''}{incident.reference} "
                    f"{channel_link(incident.channel_id, incident.channel_name)}: "
                    f"{escape(incident.title)}\n"
                    f"{status_label(incident.status)} · "
                    f"declared {slack_date(incident.declared_at)} · "
                    f"Commander: {mention(commander)}"
                )
            )
        )
    if total > len(shown):
        blocks.append(ContextBlock(elements=[md(f"…and {total - len(shown)} more.")]))
    return blocks


def help_text() -> str:
    return render_text("slack/help.md.j2", severities=list(Severity))


def help_blocks() -> list[Block]:
    return [SectionBlock(text=md(help_text()))]


PRIVATE_OPTION = Option(
    value="private",
    text="Private incident",
    description="A private channel; the title stays out of its name, the broadcast and lists",
)


def private_block(proposed: bool) -> InputBlock:
    """The Private checkbox; ticked (under a new block ID, so Slack does not keep the old,
    unticked state) when the chosen failure category is one usually run in private."""
    return InputBlock(
        block_id=PRIVATE_BLOCKS[1] if proposed else PRIVATE_BLOCKS[0],
        label="Privacy",
        optional=True,
        hint="Proposed for this failure category: data leaks, harmful output and fairness "
        "violations usually are."
        if proposed
        else "For data leaks, prompt injection, harmful output, fairness violations.",
        element=CheckboxesElement(
            action_id="value",
            options=[PRIVATE_OPTION],
            initial_options=[PRIVATE_OPTION] if proposed else None,
        ),
    )


def declare_modal(
    private_metadata: dict[str, str] | None = None, category: str | None = None
) -> View:
    """The form behind a bare ``/incident declare``."""
    categories = [
        Option(value=key, text=truncate(label, 75)) for key, label in FAILURE_CATEGORIES.items()
    ]
    return View(
        type="modal",
        callback_id=DECLARE_CALLBACK,
        title="Declare an incident",
        submit="Declare",
        close="Cancel",
        private_metadata=json.dumps(private_metadata or {}),
        blocks=[
            InputBlock(
                block_id="title",
                label="Title",
                hint="What is wrong, in a few words: what users or the business see.",
                element=PlainTextInputElement(
                    action_id="value",
                    max_length=TITLE_MAX,
                    placeholder="Fraud model flags 40% of legitimate payments",
                ),
            ),
            InputBlock(
                block_id="severity",
                label="Severity",
                element=StaticSelectElement(
                    action_id="value", placeholder="How bad is it?", options=severity_options()
                ),
            ),
            InputBlock(
                block_id="service",
                label="Affected model or service",
                optional=True,
                element=PlainTextInputElement(
                    action_id="value", max_length=SERVICE_MAX, placeholder="fraud-scorer v14"
                ),
            ),
            InputBlock(
                block_id="category",
                label="Failure category",
                optional=True,
                hint="Your best guess; triage can change it.",
                dispatch_action=True,  # a category usually run in private proposes Private
                element=StaticSelectElement(
                    action_id=DECLARE_CATEGORY, placeholder="Not sure yet", options=categories
                ),
            ),
            InputBlock(
                block_id="detection",
                label="How was it found?",
                optional=True,
                element=StaticSelectElement(
                    action_id="value",
                    placeholder="Pick one",
                    options=[Option(value=k, text=v) for k, v in DETECTIONS.items()],
                ),
            ),
            private_block(category in USUALLY_PRIVATE),
            InputBlock(
                block_id="description",
                label="Description",
                optional=True,
                element=PlainTextInputElement(
                    action_id="value", multiline=True, max_length=DESCRIPTION_MAX
                ),
            ),
        ],
    )
