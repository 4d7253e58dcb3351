"""``/incident``: parse and acknowledge at once; anything touching the database or
Slack runs in the background, after Slack has its acknowledgement."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.app import contain, privacy, resolution, updates
from bot.app import drift as drift_flow
from bot.app import drills as drills_flow
from bot.app import fairness as fairness_flow
from bot.app import postmortem as postmortem_flow
from bot.app import roles as roles_flow
from bot.app import severity as severity_flow
from bot.app import tickets as tickets_flow
from bot.app import timeline as timeline_flow
from bot.app import triage as triage_flow
from bot.app.open_incident import declare_and_open
from bot.app.paging import oncall, owing
from bot.app.services import Services, from_context
from bot.incidents import audience, notes, queries
from bot.incidents.declare import Declaration
from bot.incidents.errors import InvalidInput
from bot.incidents.status_update import UpdateKind
from bot.outbox import received
from bot.paging import page_records
from bot.slack.blocks import containment_cards
from bot.slack.blocks.declare_form import declare_modal
from bot.slack.blocks.help import help_blocks, help_text
from bot.slack.blocks.incident_list import list_blocks
from bot.slack.blocks.kit import MAX_BLOCKS, render
from bot.slack.blocks.summary import summary_blocks, summary_text
from bot.slack.blocks.text import escape, plain_from_slack, refusal
from bot.slack.listeners.commands.parsing import (
    Command,
    check_arguments,
    parse,
    parse_action_args,
    parse_contain_args,
    parse_declare,
    parse_drift_args,
    parse_fairness_args,
    parse_model_args,
    parse_page,
    parse_page_args,
    parse_postmortem_args,
    parse_role_args,
    parse_rollback_args,
    parse_severity_args,
    parse_share_title_args,
    parse_stats_args,
)
from bot.slack.webapi import notify
from bot.slack.webapi.replies import Reply, reply_to
from bot.store.models import utcnow

log = logging.getLogger(__name__)

BUSY = (
    "The bot has more work queued than it takes at once right now; nothing was done. "
    "Try again in a few seconds."
)
NOT_IN_INCIDENT_CHANNEL = (
    "`/incident {name}` works inside an incident channel, and this is not one. "
    "`/incident list` shows the open incidents and their channels."
)
FORM_AGAIN = (
    "try `/incident declare` again, or declare in one line: "
    "`/incident declare sev2 <what is wrong>`"
)


def on_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    services = from_context(context)
    try:
        parsed = parse(command.get("text", ""))
        declare_args = parse_declare(parsed.args) if parsed.name == "declare" else None
        check_arguments(parsed)  # syntax only: answered before any work starts
    except InvalidInput as problem:
        ack(text=refusal(problem))
        return
    if parsed.name == "help":
        ack(text=help_text(), blocks=render(help_blocks()))
        return
    if parsed.name == "declare" and declare_args is None:
        ack()
        services.background.submit_urgent(_open_declare_form, services, command)
        return
    if parsed.name == "update" and not parsed.args.strip():
        ack()
        services.background.submit_urgent(_open_update_form, services, command)
        return
    if parsed.name == "rollback" or (parsed.name == "contain" and parse_contain_args(parsed.args)):
        ack()  # a confirmation form: it must open within 3 s of the command
        services.background.submit_urgent(_open_containment_form, services, parsed, command)
        return
    if not services.background.has_room():
        received.put_off()  # dispatched again after a crash, it waits for a later sweep
        ack(text=BUSY)
        return
    # Stored before this acknowledgement (``bot.slack.listeners.keeping``): a crash after it loses
    # nothing, and the work below runs as the stored request.
    if declare_args is not None:
        ack(
            text=f"Declaring a {declare_args.severity.label}"
            f"{' private' if declare_args.private else ''} incident: "
            f"{escape(declare_args.title)}…"
        )
    else:
        ack()
    services.background.submit(_work, services, _kept(command), received.received_at() or utcnow())


def may_need_work(command: dict[str, Any]) -> bool:
    """False for a command answered wholly in its acknowledgement (``help``, or one refused
    for its syntax): it is not kept, since nothing follows the answer."""
    try:
        parsed = parse(str(command.get("text", "")))
        if parsed.name == "declare":
            parse_declare(parsed.args)
        check_arguments(parsed)
    except InvalidInput:
        return False
    return parsed.name != "help"


def register(app: App) -> None:
    app.command("/incident")(on_command)


# What of a slash command its work reads.
_KEPT = ("text", "user_id", "channel_id", "response_url", "command", "team_id")


def _kept(command: dict[str, Any]) -> dict[str, Any]:
    return {key: command.get(key) for key in _KEPT}


def _work(services: Services, command: dict[str, Any], received_at: datetime) -> None:
    respond = notify.reply_for(
        services.client,
        command.get("response_url"),
        received_at,
        str(command.get("channel_id") or ""),
        str(command.get("user_id") or ""),
    )
    parsed = parse(command.get("text", ""))
    try:
        _run(services, parsed, command, respond)
    except InvalidInput as problem:
        respond(text=refusal(problem))
    except Exception:
        log.exception("/incident %s failed", parsed.name)
        respond(text=f"Something went wrong running `/incident {parsed.name}`; it is logged.")


def _open_update_form(services: Services, command: dict[str, Any]) -> None:
    respond = reply_to(command.get("response_url"))
    channel = str(command.get("channel_id", ""))
    with services.db.begin() as session:
        incident = queries.by_channel(session, channel)
        incident_id = incident.id if incident else None
    if incident_id is None:
        respond(text=NOT_IN_INCIDENT_CHANNEL.format(name="update"))
        return
    again = "try again, or write `/incident update <your message>`"
    try:
        updates.open_form(
            services, command["trigger_id"], channel, incident_id, UpdateKind.UPDATE, respond, again
        )
    except InvalidInput as problem:
        respond(text=refusal(problem))


def _open_containment_form(services: Services, parsed: Command, command: dict[str, Any]) -> None:
    respond = reply_to(command.get("response_url"))
    channel, user = str(command.get("channel_id", "")), str(command.get("user_id", ""))
    if parsed.name == "rollback":
        args = parse_rollback_args(parsed.args)
        contain.open_rollback(
            services, command["trigger_id"], channel, user, args.model, args.version, respond
        )
    else:
        lever = parse_contain_args(parsed.args) or ""
        contain.open_lever(services, command["trigger_id"], channel, lever, user, respond)


def _open_declare_form(services: Services, command: dict[str, Any]) -> None:
    metadata = {"response_url": command.get("response_url", "")}
    notify.open_modal(
        services.client,
        command["trigger_id"],
        declare_modal(metadata),
        reply_to(command.get("response_url")),
        form="the declare form",
        again=FORM_AGAIN,
    )


def _run(
    services: Services,
    parsed: Command,
    command: dict[str, Any],
    respond: Reply,
) -> None:
    if parsed.name == "declare":
        args = parse_declare(parsed.args)
        if args is None:  # the bare form was opened by _open_declare_form
            return
        declaration = Declaration(
            title=args.title,
            severity=args.severity,
            declared_by=command.get("user_id"),
            private=args.private,
        )
        declare_and_open(services, declaration, respond)
        return
    if parsed.name == "list":
        _list(services, str(command.get("user_id") or ""), respond)
        return
    if parsed.name == "oncall":
        oncall.on_call_now(services, plain_from_slack(parsed.args).strip() or None, respond)
        return
    if parsed.name == "drill":
        scenario = plain_from_slack(parsed.args).strip().lower()
        if not scenario:
            respond(text=drills_flow.listing(services))
            return
        drills_flow.start(services, scenario, str(command.get("user_id") or ""), respond)
        return
    if parsed.name == "stats":
        from bot.app import stats  # pandas and matplotlib load on first use

        user, channel = str(command.get("user_id") or ""), str(command.get("channel_id") or "")
        stats.start(
            services, parse_stats_args(parsed.args, utcnow().date()), user, channel, respond
        )
        return
    status: dict[str, Any] | None = None
    with services.db.begin() as session:
        incident = queries.by_channel(session, command.get("channel_id", ""))
        incident_id = incident.id if incident is not None else None
        if incident is not None and parsed.name == "status":
            actions = notes.open_actions(session, incident.id)
            status = {
                "text": summary_text(incident),
                "blocks": render(
                    summary_blocks(
                        incident,
                        services.settings.status_update_every,
                        actions,
                        services.settings.levers,
                        page_records.of(session, incident.id),
                    )
                ),
            }
    if incident_id is None:
        respond(text=NOT_IN_INCIDENT_CHANNEL.format(name=parsed.name))
        return
    if status is not None:
        respond(**status)
        return
    channel, actor = str(command.get("channel_id")), str(command.get("user_id"))
    IN_CHANNEL[parsed.name](services, InChannel(parsed.args, channel, actor, incident_id), respond)


def _list(services: Services, user: str, respond: Reply) -> None:
    """Open incidents, without the private ones whose channel ``user`` is not in: for them
    those do not exist here (the broadcast said only that one does)."""
    with services.db.begin() as session:
        incidents = queries.open_incidents(session, limit=LIST_SCAN)
        total = queries.count_open(session)
        session.expunge_all()
    private = {i.channel_id for i in incidents if i.private and i.channel_id}
    members_of: dict[str | None, set[str]] = defaultdict(set)
    members_of.update({channel: notify.members(services.client, channel) for channel in private})
    shown = [i for i in incidents if audience.listed_for(i, user in members_of[i.channel_id])]
    hidden = len(incidents) - len(shown)
    rendered = render(list_blocks(shown[: MAX_BLOCKS - 2], total - hidden))
    respond(text=f"Open incidents: {total - hidden}", blocks=rendered)


LIST_SCAN = 500  # open incidents read for a list; more than that and only these are shown


@dataclass(frozen=True)
class InChannel:
    """A command typed in an incident channel: its arguments, where, by whom."""

    args: str
    channel: str
    actor: str
    incident_id: int


def _role(services: Services, c: InChannel, respond: Reply) -> None:
    role_args = parse_role_args(c.args)
    user_id = roles_flow.resolve_user(services.client, role_args.user)
    roles_flow.assign(services, c.channel, role_args.role, user_id, c.actor, respond)


def _drift(services: Services, c: InChannel, respond: Reply) -> None:
    drift_flow.start(services, c.channel, parse_drift_args(c.args), c.actor, respond)


def _fairness(services: Services, c: InChannel, respond: Reply) -> None:
    fairness_flow.start(services, c.channel, parse_fairness_args(c.args), c.actor, respond)


def _triage(services: Services, c: InChannel, respond: Reply) -> None:
    triage_flow.post_card(services.db, services.client, c.incident_id, c.actor)


def _severity(services: Services, c: InChannel, respond: Reply) -> None:
    severity_flow.change(services, c.channel, parse_severity_args(c.args), c.actor, respond)


def _update(services: Services, c: InChannel, respond: Reply) -> None:
    updates.send(services, c.channel, plain_from_slack(c.args), c.actor, respond)


def _resolve(services: Services, c: InChannel, respond: Reply) -> None:
    resolution.resolve_incident(
        services, c.channel, c.actor, plain_from_slack(c.args).strip() or None, respond
    )


def _note(services: Services, c: InChannel, respond: Reply) -> None:
    timeline_flow.add_note(services, c.channel, plain_from_slack(c.args), c.actor, respond)


def _action(services: Services, c: InChannel, respond: Reply) -> None:
    timeline_flow.add_action(services, c.channel, parse_action_args(c.args), c.actor, respond)


def _timeline(services: Services, c: InChannel, respond: Reply) -> None:
    timeline_flow.show(services, c.channel, parse_page(c.args), respond)


def _postmortem(services: Services, c: InChannel, respond: Reply) -> None:
    if parse_postmortem_args(c.args):
        tickets_flow.publish(services, c.channel, c.actor, respond)
    else:
        postmortem_flow.publish(services, c.channel, c.actor, respond)


def _share_title(services: Services, c: InChannel, respond: Reply) -> None:
    tickets_flow.share_title(services, c.channel, c.actor, parse_share_title_args(c.args), respond)


def _private(services: Services, c: InChannel, respond: Reply) -> None:
    privacy.make_private(services, c.channel, c.actor, respond)


def _model(services: Services, c: InChannel, respond: Reply) -> None:
    contain.name_model(services, c.channel, parse_model_args(c.args), c.actor, respond)


def _page(services: Services, c: InChannel, respond: Reply) -> None:
    owing.page_by_hand(services, c.channel, parse_page_args(c.args), c.actor, respond)


def _levers(services: Services, c: InChannel, respond: Reply) -> None:
    respond(text=containment_cards.levers_text(services.settings.levers))


# What each command run in an incident channel does.
IN_CHANNEL: dict[str, Callable[[Services, InChannel, Reply], None]] = {
    "role": _role,
    "severity": _severity,
    "triage": _triage,
    "update": _update,
    "resolve": _resolve,
    "note": _note,
    "action": _action,
    "timeline": _timeline,
    "postmortem": _postmortem,
    "share-title": _share_title,
    "drift": _drift,
    "fairness": _fairness,
    "private": _private,
    "model": _model,
    "contain": _levers,
    "page": _page,
}
