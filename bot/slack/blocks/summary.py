"""The incident's pinned summary and channel topic: severity, status, roles, controls."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)

from bot.containment.levers import Lever
from bot.incidents import permissions
from bot.incidents.categories import category_label
from bot.incidents.key_times import spoken
from bot.incidents.reminders import Cadence, next_update_due
from bot.incidents.roles import Role, listed
from bot.incidents.severity import Severity
from bot.paging.provider import provider_name
from bot.slack.blocks.kit import (
    FIELD_MAX,
    HEADER_MAX,
    TOPIC_MAX,
    md,
    severity_line,
    severity_options,
    slack_date,
    status_label,
)
from bot.slack.blocks.serious import ReportingPart
from bot.slack.blocks.text import escape, mention, truncate
from bot.store.models import Incident, Page, TimelineEvent

ROLE_SELECT_PREFIX = "role_select:"


SEVERITY_SELECT = "severity_select"


CONTAIN_SELECT = "contain_select"


def topic(incident: Incident) -> str:
    """The channel topic: severity, status and Commander first, the title if room remains."""
    sev = Severity(incident.severity)
    commander = incident.holder(Role.COMMANDER)
    head = (
        f"{sev.label} ({sev.info.name}) | {status_label(incident.status)} | "
        f"Incident Commander: {mention(commander) if commander else 'unassigned'}"
    )
    if incident.drill:
        head = f"DRILL | {head}"
    room = TOPIC_MAX - len(head) - 3
    title = escape(incident.title)
    return head if room < 10 else f"{head} | {truncate(title, room)}"


def role_fields(incident: Incident, reporting: bool = False) -> list[MarkdownTextObject]:
    commander = incident.holder(Role.COMMANDER)
    fields = []
    for role in listed(incident.holder, reporting):
        holder = incident.holder(role)
        if holder:
            who = mention(holder)
        elif role is Role.COMMANDER:
            who = "_unassigned: pick someone below_"
        elif commander:
            who = f"_unassigned: {mention(commander)} (the Incident Commander) answers for it_"
        else:
            who = "_unassigned: the Incident Commander answers for it_"
        fields.append(md(f"*{role.info.title}*\n{who}", FIELD_MAX))
    return fields


def summary_blocks(
    incident: Incident,
    cadence: Cadence | None = None,
    open_actions: Sequence[TimelineEvent] = (),
    levers: Sequence[Lever] = (),
    paged: Sequence[Page] = (),
    reporting: ReportingPart | None = None,
    public: str | None = None,
) -> list[Block]:
    """The pinned incident summary: what, how bad, who, and the controls for what comes next.
    ``public``: the status page's line (``app/public_line``), mrkdwn already escaped.

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
                f"{sev.info.meaning_of(incident.is_open)}"
                # Once resolved, no response is expected any more: saying one read as ongoing.
                + (f"\n*Expected response:* {sev.info.expectation}" if incident.is_open else "")
            )
        ),
        SectionBlock(
            fields=[
                md(f"*Model or service*\n{escape(incident.service or '') or '_not given_'}"),
                md(
                    "*Failure category*\n"
                    + (escape(category_label(incident.failure_category) or "") or "_not known yet_")
                ),
                md(f"*Declared by*\n{declarer_line(incident)}"),
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
        lead = max(incident.declared_at - incident.detected_at, timedelta(0))
        blocks.append(
            ContextBlock(
                elements=[
                    md(
                        f"First signal {slack_date(incident.detected_at)}, "
                        f"{spoken(lead)} before it was declared."
                    )
                ]
            )
        )
    if incident.description:
        blocks.append(SectionBlock(text=md(f"*Description*\n{escape(incident.description)}")))
    communication = _communication(incident, cadence)
    if communication:
        blocks.append(ContextBlock(elements=[md(communication)]))
    if public:
        blocks.append(ContextBlock(elements=[md(public)]))
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
    if paged:
        blocks.append(ContextBlock(elements=[md(_pages_text(paged))]))
    if reporting is not None and reporting.line:
        blocks.append(SectionBlock(text=md(reporting.line)))
    if open_actions:
        blocks.append(SectionBlock(text=md(_actions_text(open_actions))))
    blocks += [
        DividerBlock(),
        SectionBlock(text=md("*Roles*"), fields=role_fields(incident, reporting is not None)),
    ]
    if incident.is_open:
        blocks.append(
            ActionsBlock(
                block_id="incident_controls",
                elements=_controls(incident, levers, reporting is not None),
            )
        )
    blocks.append(
        ContextBlock(elements=[md("`/incident help` lists what you can do in this channel.")])
    )
    return blocks


SUMMARY_ACTIONS_SHOWN = 5


def _pages_text(paged: Sequence[Page]) -> str:
    """Each page: whom, through what, its link, and whether the on-call answered."""
    lines = []
    for page in paged[:5]:
        through = provider_name(page.provider)
        name = f"*{escape(page.service_name)}*"
        if page.paged_at is None:
            lines.append(f":pager: Paging {name} through {through}…")
            continue
        url = page.url or ""
        link = (
            f" · <{url}|{through} incident>"
            if url.startswith("https://") and not any(c in url for c in "|<> ")
            else ""
        )
        if page.provider == "drill":
            state = "rehearsed: nobody was paged"
        elif page.acknowledged_at is not None:
            by = escape(page.acknowledged_by or "the on-call")
            state = f"acknowledged by {by} {slack_date(page.acknowledged_at)}"
        elif page.status == "resolved":
            state = "resolved"
        else:
            state = "waiting for the on-call to acknowledge"
        lines.append(
            f":pager: Paged {name} through {through} {slack_date(page.paged_at)}{link} · {state}"
        )
    return "\n".join(lines)


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
    lines = [f"*Open action items: {len(items)}*"]
    for item in items[:SUMMARY_ACTIONS_SHOWN]:
        text = truncate(escape(str(item.data.get("item", ""))), 200)
        lines.append(f"• {text} · {action_facts(item)}")
    if len(items) > SUMMARY_ACTIONS_SHOWN:
        lines.append(f"…and {len(items) - SUMMARY_ACTIONS_SHOWN} more in `/incident timeline`")
    return "\n".join(lines)


def _controls(
    incident: Incident, levers: Sequence[Lever] = (), reporting: bool = False
) -> list[Any]:
    elements: list[Any] = []
    for role in listed(incident.holder, reporting):
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


def _communication(incident: Incident, cadence: Cadence | None) -> str | None:
    """When stakeholders last heard, and when they next expect to."""
    last = incident.last_update_at
    said = f"Last status update {slack_date(last)}" if last else "No status update sent yet"
    due = next_update_due(incident, cadence) if cadence is not None else None
    if due is not None:
        return f":mega: {said} · next update due {slack_date(due)} (`/incident update`)"
    return f":mega: {said}" if last or incident.is_open else None


def declarer_line(incident: Incident) -> str:
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
    who = (
        f"Incident Commander: {mention(commander)}"
        if commander
        else "No Incident Commander named yet"
    )
    return (
        f"{severity_line(sev)} :lock: A private incident, {incident.reference}, is under "
        f"way. {who}. Its details stay with the people working on it."
    )
