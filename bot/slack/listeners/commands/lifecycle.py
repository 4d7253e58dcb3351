"""Subcommands for an incident's life: declare, list, status, roles, severity, updates,
resolve, private. Declared here, listed in ``subcommands.py``."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from bot.app import clock_line, privacy, resolution, status_page, updates
from bot.app import roles as roles_flow
from bot.app import severity as severity_flow
from bot.app.open_incident import declare_and_open
from bot.app.public_line import public_line
from bot.app.services import Services
from bot.incidents import audience, notes, queries
from bot.incidents.declare import Declaration
from bot.incidents.errors import InvalidInput
from bot.incidents.severity import Severity
from bot.incidents.status_update import UpdateKind
from bot.paging import page_records
from bot.slack.blocks.declare_form import declare_modal
from bot.slack.blocks.incident_list import list_blocks
from bot.slack.blocks.kit import MAX_BLOCKS, render
from bot.slack.blocks.summary import summary_blocks, summary_text
from bot.slack.blocks.text import escape, refusal
from bot.slack.listeners.commands.declaration import (
    PLAIN,
    REPORTING,
    Acknowledgement,
    Call,
    Subcommand,
    Where,
    ignored,
    opens,
    plain_text,
    say,
)
from bot.slack.listeners.commands.parsing import (
    SEVERITY_HELP,
    DeclareArgs,
    RoleArgs,
    parse_declare,
    parse_role_args,
    parse_severity_args,
)
from bot.slack.listeners.commands.public_args import is_public, parse_public
from bot.slack.webapi import notify
from bot.slack.webapi.replies import Reply, reply_to
from bot.statuspage.publishing import Publication
from bot.store.models import Incident

NOT_IN_INCIDENT_CHANNEL = (
    "`/incident {name}` works inside an incident channel, and this is not one. "
    "`/incident list` shows the open incidents and their channels."
)
FORM_AGAIN = (
    "try `/incident declare` again, or declare in one line: "
    "`/incident declare sev2 <what is wrong>`"
)
LIST_SCAN = 500  # open incidents read for a list; more than that and only these are shown


# -- declare -------------------------------------------------------------------------------


def _open_declare_form(services: Services, _: None, command: dict[str, Any]) -> None:
    metadata = {"response_url": command.get("response_url", "")}
    notify.open_modal(
        services.client,
        command["trigger_id"],
        declare_modal(metadata),
        reply_to(command.get("response_url")),
        form="the declare form",
        again=FORM_AGAIN,
    )


def _declare_ack(args: DeclareArgs | None) -> Acknowledgement:
    if args is None:
        return opens(_open_declare_form)
    private = " private" if args.private else ""
    return say(f"Declaring a {args.severity.label}{private} incident: {escape(args.title)}…")


def _declare(services: Services, c: Call[DeclareArgs | None], respond: Reply) -> None:
    if c.args is None:  # the form opened instead; a request dispatched again gets here
        return
    declaration = Declaration(
        title=c.args.title, severity=c.args.severity, declared_by=c.user, private=c.args.private
    )
    declare_and_open(services, declaration, respond)


DECLARE = Subcommand[DeclareArgs | None](
    name="declare",
    where=Where.ANYWHERE,
    synopsis="declare <sev> <title>",
    summary="open an incident; `--private` for a private one; alone, a form",
    description=(
        "Open an incident: its channel, the pinned summary, the announcement and the triage "
        "card. With `--private` (anywhere among the words) it is a private incident: a "
        "private channel without the title in its name, and a broadcast that only says one "
        "exists. `/incident declare` alone opens a form (model or service, failure "
        "category, description, private). " + SEVERITY_HELP
    ),
    example="declare sev1 Fraud model flags 40% of legitimate payments",
    options=(
        ("<sev>", "sev1 (critical) to sev4 (low), or p0–p3"),
        ("--private", "a private incident"),
    ),
    parse=parse_declare,
    acknowledge=_declare_ack,
    run=_declare,
)


# -- list, status --------------------------------------------------------------------------


def _list(services: Services, c: Call[None], respond: Reply) -> None:
    """Open incidents, without the private ones whose channel the person is not in: for
    them those do not exist here (the broadcast said only that one does)."""
    with services.db.begin() as session:
        incidents = queries.open_incidents(session, limit=LIST_SCAN)
        total = queries.count_open(session)
        session.expunge_all()
    private = {i.channel_id for i in incidents if i.private and i.channel_id}
    members_of: dict[str | None, set[str]] = defaultdict(set)
    members_of.update({channel: notify.members(services.client, channel) for channel in private})
    shown = [i for i in incidents if audience.listed_for(i, c.user in members_of[i.channel_id])]
    hidden = len(incidents) - len(shown)
    rendered = render(list_blocks(shown[: MAX_BLOCKS - 2], total - hidden))
    respond(text=f"Open incidents: {total - hidden}", blocks=rendered)


LIST = Subcommand[None](
    name="list",
    where=Where.ANYWHERE,
    synopsis="list",
    summary="open incidents, most severe first",
    description=(
        "The open incidents, most severe first, with their channels. Private incidents "
        "show only to the people in their channels."
    ),
    example="list",
    parse=ignored,
    run=_list,
)


def _status(services: Services, c: Call[None], respond: Reply) -> None:
    with services.db.begin() as session:
        incident = session.get(Incident, c.incident_id)
        if incident is None:  # gone since the listener looked
            return
        summary = {
            "text": summary_text(incident),
            "blocks": render(
                summary_blocks(
                    incident,
                    services.settings.status_update_every,
                    notes.open_actions(session, incident.id),
                    services.settings.levers,
                    page_records.of(session, incident.id),
                    clock_line.summary_part(session, services.settings, incident),
                    public_line(session, services.settings, incident),
                )
            ),
        }
    respond(**summary)


STATUS = Subcommand[None](
    name="status",
    where=Where.INCIDENT_CHANNEL,
    synopsis="status",
    summary="the incident's summary",
    description="The incident's summary, as pinned in its channel, only to you.",
    example="status",
    parse=ignored,
    run=_status,
)


# -- roles, severity -----------------------------------------------------------------------


def _role(services: Services, c: Call[RoleArgs], respond: Reply) -> None:
    user_id = roles_flow.resolve_user(services.client, c.args.user)
    roles_flow.assign(services, c.channel, c.args.role, user_id, c.user, respond)


ROLE_DESCRIPTION = (
    "Give someone a role, or use the selects on the pinned summary. A role someone "
    "holds is handed over when they or the Commander agree."
)
ROLE = Subcommand[RoleArgs](
    name="role",
    where=Where.INCIDENT_CHANNEL,
    synopsis="role <commander|ml-lead|data-lead|comms-lead> @person",
    summary="give someone a role (or use the selects on the pinned summary)",
    description=ROLE_DESCRIPTION,
    example="role ml-lead @cara",
    help_when=(
        (
            REPORTING,
            "role <commander|ml-lead|data-lead|comms-lead|legal> @person",
            ROLE_DESCRIPTION + " `legal` is the Legal Liaison, for serious-incident reporting.",
        ),
    ),
    parse=parse_role_args,
    run=_role,
)


def _severity(services: Services, c: Call[Severity], respond: Reply) -> None:
    severity_flow.change(services, c.channel, c.args, c.user, respond)


SEVERITY = Subcommand[Severity](
    name="severity",
    where=Where.INCIDENT_CHANNEL,
    synopsis="severity <sev>",
    summary="raise or lower the severity (Commander)",
    description="Raise or lower the incident's severity (the Commander). " + SEVERITY_HELP,
    example="severity sev2",
    parse=parse_severity_args,
    run=_severity,
)


# -- updates, resolve, private -------------------------------------------------------------


def _open_update_form(services: Services, _: str, command: dict[str, Any]) -> None:
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


def _update(services: Services, c: Call[str | Publication], respond: Reply) -> None:
    if isinstance(c.args, Publication):
        status_page.publish(services, c.channel, c.user, c.args, respond)
        return
    updates.send(services, c.channel, c.args, c.user, respond)


def _update_args(args: str) -> str | Publication:
    return parse_public(args) if is_public(args) else plain_text(args)


UPDATE = Subcommand[str | Publication](
    name="update",
    where=Where.INCIDENT_CHANNEL,
    synopsis="update [--public] <text>",
    summary="send a status update; alone, it opens a drafted form",
    description=(
        "Send a status update to the channel, the broadcast channel and any stakeholder "
        "channels. `/incident update` alone opens a form with a draft to edit. With "
        "`--public`, publish the words on the status page instead (the Commander, the Comms "
        'Lead or a responder), optionally with `--status identified`, `--title "..."` and '
        "`--component card-payments=partial`."
    ),
    example="update Rolled back to v6; false positives back to 2%. Next update 15:00.",
    parse=_update_args,
    acknowledge=lambda args: (
        opens(_open_update_form) if isinstance(args, str) and not args.strip() else PLAIN
    ),
    run=_update,
)


def _resolve(services: Services, c: Call[str | None], respond: Reply) -> None:
    resolution.resolve_incident(services, c.channel, c.user, c.args, respond)


RESOLVE = Subcommand[str | None](
    name="resolve",
    where=Where.INCIDENT_CHANNEL,
    synopsis="resolve [summary]",
    summary="mark the incident resolved (Commander)",
    description=(
        "Mark the incident resolved (the Commander). The resolution goes wherever updates "
        "go, and nudges stop."
    ),
    example="resolve Rolled back to v6; retraining with the fixed feature tomorrow.",
    parse=lambda args: plain_text(args).strip() or None,
    run=_resolve,
)


def _private(services: Services, c: Call[None], respond: Reply) -> None:
    privacy.make_private(services, c.channel, c.user, respond)


PRIVATE = Subcommand[None](
    name="private",
    where=Where.INCIDENT_CHANNEL,
    synopsis="private",
    summary="move the incident to a new private channel (Commander)",
    description=(
        "Move the incident to a new private channel with its role holders; this one is "
        "archived (the Commander)."
    ),
    example="private",
    parse=ignored,
    run=_private,
)
