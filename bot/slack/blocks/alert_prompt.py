"""Block Kit for alerts: what an alert said, what changed, and the Declare/Dismiss prompt.

Every label, annotation and title came from a monitor, so all of it is
escaped: an annotation reading ``<!channel>`` shows as text and pings no one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    SectionBlock,
)

from bot.alerts.group_lifecycle import source_name
from bot.alerts.ingest import Change
from bot.alerts.timeline_lines import describe
from bot.incidents.severity import Severity
from bot.slack.blocks.kit import FIELD_MAX, md, severity_line, slack_date
from bot.slack.blocks.text import channel_link, escape, mention, truncate
from bot.store.models import AlertGroup, Incident, TimelineEvent
from bot.text.rendering import count

DECLARE = "alert_declare"
DISMISS = "alert_dismiss"
RESOLVE = "incident_resolve"
MAX_PAIRS = 15
VALUE_SHOWN = 300
# Annotations shown in their own right rather than in the list.
LEAD_ANNOTATIONS = ("summary", "description")


def _pairs(values: Mapping[str, Any], skip: tuple[str, ...] = ()) -> str:
    lines = [
        f"`{escape(truncate(str(key), 60))}` {escape(truncate(str(value), VALUE_SHOWN))}"
        for key, value in sorted(values.items())
        if key not in skip
    ]
    if len(lines) > MAX_PAIRS:
        lines = [*lines[:MAX_PAIRS], f"_and {len(lines) - MAX_PAIRS} more_"]
    return "\n".join(lines) or "_none_"


def _links(links: Mapping[str, str]) -> str:
    # URLs were checked to be plain http(s) with no <, > or |; titles are escaped.
    return " · ".join(f"<{url}|{escape(title)}>" for title, url in links.items())


# What each sender calls the path an alert came through (Alertmanager's and Grafana's
# webhooks name their receiver; the generic webhook takes a route).
_ROUTE_WORD = {"alertmanager": "receiver", "grafana": "receiver"}


def _origin(group: AlertGroup) -> str:
    """The alert's severity and where it came from, each said once: ``SEV1 · critical ·
    from Alertmanager, receiver ml-pager, alert FraudPrecisionLow``. The alert's own
    severity label is shown only when it says something the severity does not (``P1``,
    ``page``), and its name only when the title above does not already hold it."""
    severity = Severity(group.severity)
    label = (group.severity_label or "").strip()
    said = {severity.label.lower(), severity.info.name.lower()}
    mapped = (
        f" (the alert said `{escape(truncate(label, 60))}`)"
        if label and label.lower() not in said
        else ""
    )
    where = [source_name(group.source)]
    if group.route:
        word = _ROUTE_WORD.get(group.source, "route")
        where.append(f"{word} `{escape(truncate(group.route, 60))}`")
    name = str((group.labels or {}).get("alertname") or "").strip()
    if name and name.lower() not in group.title.lower():
        where.append(f"alert `{escape(truncate(name, 60))}`")
    started = f" · started {slack_date(group.starts_at)}" if group.starts_at else ""
    return f"{severity_line(severity)}{mapped} · from {', '.join(where)}{started}"


def details_blocks(group: AlertGroup) -> list[Block]:
    """Posted in a new incident's channel: everything the alert said."""
    lead = [
        f"*{escape(truncate(group.annotations[k], 1500))}*"
        if k == "summary"
        else escape(truncate(group.annotations[k], 1500))
        for k in LEAD_ANNOTATIONS
        if group.annotations.get(k)
    ]
    blocks: list[Block] = [
        SectionBlock(
            text=md(
                f":rotating_light: Opened from an alert: *{escape(group.title)}*\n{_origin(group)}"
                + ("\n" + "\n".join(lead) if lead else "")
            )
        ),
    ]
    # The annotations shown above (summary, description) are not listed again, and a list
    # with nothing left in it is not shown: "Annotations: none" under the description read
    # as if the alert had said nothing.
    rest = {k: v for k, v in group.annotations.items() if k not in LEAD_ANNOTATIONS}
    fields = [
        md(f"*{title}*\n{_pairs(values)}", FIELD_MAX)
        for title, values in (("Labels", group.labels), ("Annotations", rest))
        if values
    ]
    if fields:
        blocks.append(SectionBlock(fields=fields))
    if group.links:
        blocks.append(
            ContextBlock(elements=[md(f"Links (also bookmarked): {_links(group.links)}")])
        )
    return blocks


def details_text(group: AlertGroup) -> str:
    opened = f"Opened from an alert from {source_name(group.source)}"
    return truncate(f"{opened}: {escape(group.title)}", 3000)


DIGESTED = ("alert_joined", "alert_refired", "alert_resolved")
_DIGEST_LINES = {
    "alert_joined": ":heavy_plus_sign: New in this group",
    "alert_refired": ":repeat: Firing again",
    "alert_resolved": ":white_check_mark: Resolved",
}


def digest_text(source: str, events: Sequence[TimelineEvent]) -> str | None:
    """One message for the alert changes since the last one: counts and names by kind."""
    if not events:
        return None
    lines = []
    for kind in DIGESTED:
        of_kind = [e for e in events if e.kind == kind]
        if not of_kind:
            continue
        count = sum(int(e.data.get("count", 1)) for e in of_kind)
        names = sorted({a["name"] for e in of_kind for a in e.data.get("alerts", [])})
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        what = f"{count} alerts ({shown})" if count > 1 else shown
        lines.append(f"{_DIGEST_LINES[kind]}: {escape(what)}")
    firing = events[-1].data.get("still_firing")
    tail = f"\n{firing} firing now." if isinstance(firing, int) else ""
    return truncate(f"{source_name(source)} · " + "\n".join(lines) + tail, 3000)


def resolved_offer_blocks(incident: Incident, change: Change) -> list[Block]:
    source = source_name(change.group.source)
    return [
        SectionBlock(
            text=md(
                f":white_check_mark: {source} says every alert of this incident has resolved "
                f"(last: {escape(describe(change.resolved))}). If the model is healthy again, "
                "resolve the incident; otherwise keep working, and the alert will be added "
                "here if it fires again."
            )
        ),
        ActionsBlock(
            block_id=f"resolve_offer:{incident.id}",
            elements=[
                ButtonElement(
                    text="Resolve incident",
                    action_id=RESOLVE,
                    value=str(incident.id),
                    style="primary",
                )
            ],
        ),
    ]


def prompt_blocks(
    group: AlertGroup, firing: int, total: int, incident: Incident | None
) -> list[Block]:
    """The broadcast channel's question: is this alert an incident?"""
    counts = f"{firing} of {count(total, 'alert')} firing"
    if group.status == "resolved":
        counts = "resolved" if total == 1 else f"all {count(total, 'alert')} resolved"
    blocks: list[Block] = [
        SectionBlock(
            text=md(
                f":bell: *{escape(group.title)}*\n{_origin(group)}\n{counts}"
                + (f"\nModel or service: {escape(group.service)}" if group.service else "")
            )
        )
    ]
    if group.links:
        blocks.append(ContextBlock(elements=[md(_links(group.links))]))
    if group.decision == "pending" and group.decided_by:
        when = f" {slack_date(group.decided_at)}" if group.decided_at else ""
        blocks.append(
            ContextBlock(
                elements=[
                    md(
                        f"Asked again: {mention(group.decided_by)} dismissed this alert{when} "
                        f"when it was less severe; it is now {group.severity.upper()}."
                    )
                ]
            )
        )
    if group.decision == "pending":
        blocks.append(
            ActionsBlock(
                block_id=f"alert_prompt:{group.id}",
                elements=[
                    ButtonElement(
                        text="Declare incident",
                        action_id=DECLARE,
                        value=str(group.id),
                        style="primary",
                    ),
                    ButtonElement(text="Dismiss", action_id=DISMISS, value=str(group.id)),
                ],
            )
        )
    else:
        when = f" {slack_date(group.decided_at)}" if group.decided_at else ""
        if group.decision == "declared" and incident is not None:
            outcome = (
                f"Declared as {incident.reference} by {mention(group.decided_by)}{when}: "
                f"{channel_link(incident.channel_id, incident.channel_name)}"
            )
        else:
            outcome = f"Dismissed by {mention(group.decided_by)}{when}"
        blocks.append(ContextBlock(elements=[md(outcome)]))
    return blocks


def prompt_text(group: AlertGroup) -> str:
    return truncate(
        f"Alert from {source_name(group.source)}: {escape(group.title)}. Declare an incident?", 3000
    )
