"""Subcommands for what an incident records: triage, notes, action items, the timeline,
the post-mortem and what a private incident's documents may show. Declared here,
listed in ``subcommands.py``."""

from __future__ import annotations

from bot.app import postmortem as postmortem_flow
from bot.app import tickets as tickets_flow
from bot.app import timeline as timeline_flow
from bot.app import triage as triage_flow
from bot.app import wiki
from bot.app.requests import ActionArgs
from bot.app.services import Services
from bot.slack.listeners.commands.declaration import Call, Subcommand, Where, ignored
from bot.slack.listeners.commands.parsing import (
    parse_action_args,
    parse_note_args,
    parse_page,
    parse_postmortem_args,
    parse_share_title_args,
)
from bot.slack.webapi.replies import Reply


def _triage(services: Services, c: Call[None], respond: Reply) -> None:
    triage_flow.post_card(services.db, services.client, c.incident_id, c.user)


TRIAGE = Subcommand[None](
    name="triage",
    where=Where.INCIDENT_CHANNEL,
    synopsis="triage",
    summary="the triage questions for ML failures",
    description=(
        "Post the triage questions for ML failures in the channel, with what the answers point to."
    ),
    example="triage",
    parse=ignored,
    run=_triage,
)


def _note(services: Services, c: Call[str], respond: Reply) -> None:
    timeline_flow.add_note(services, c.channel, c.args, c.user, respond)


NOTE = Subcommand[str](
    name="note",
    where=Where.INCIDENT_CHANNEL,
    synopsis="note <text>",
    summary="add a note to the timeline",
    description="Add a note to the incident's timeline, in your name.",
    example="note Feature store lagged 40 minutes behind from 09:10",
    parse=parse_note_args,
    run=_note,
)


def _action(services: Services, c: Call[ActionArgs], respond: Reply) -> None:
    timeline_flow.add_action(services, c.channel, c.args, c.user, respond)


ACTION = Subcommand[ActionArgs](
    name="action",
    where=Where.INCIDENT_CHANNEL,
    synopsis="action <what> [@owner] [due YYYY-MM-DD|today|tomorrow] [--ticket]",
    summary="record a follow-up; open ones stay on the summary",
    description=(
        "Record a follow-up; open ones stay on the summary. With a tracker set up, "
        "`--ticket` (or the card's *Create ticket*) files it in Jira or GitHub; a SEV1 or "
        "SEV2's open items are filed when it is resolved, except those marked *No ticket*."
    ),
    example="action Alert on null rates in the payments feed @cara 2026-12-04 --ticket",
    options=(
        ("@owner", "who does it"),
        ("due YYYY-MM-DD", "when it is due; `today` and `tomorrow` work too"),
        ("--ticket", "file it in the tracker now"),
    ),
    parse=parse_action_args,
    run=_action,
)


def _timeline(services: Services, c: Call[int], respond: Reply) -> None:
    timeline_flow.show(services, c.channel, c.args, respond)


TIMELINE = Subcommand[int](
    name="timeline",
    where=Where.INCIDENT_CHANNEL,
    synopsis="timeline [page]",
    summary="the timeline so far, with key times",
    description=(
        "The timeline so far, a page at a time, with the key times (the Commander can "
        "correct them)."
    ),
    example="timeline 2",
    parse=parse_page,
    run=_timeline,
)


def _postmortem(services: Services, c: Call[bool], respond: Reply) -> None:
    if c.args:
        wiki.publish(services, c.channel, c.user, respond)
    else:
        postmortem_flow.publish(services, c.channel, c.user, respond)


POSTMORTEM = Subcommand[bool](
    name="postmortem",
    where=Where.INCIDENT_CHANNEL,
    synopsis="postmortem [--publish]",
    summary="the blameless post-mortem, uploaded here; `--publish` to Confluence",
    description=(
        "The blameless post-mortem, assembled from the timeline and uploaded here (a draft "
        "while the incident is open). `--publish` publishes it to Confluence, the same "
        "page each time."
    ),
    example="postmortem --publish",
    options=(("--publish", "publish it to Confluence instead of uploading it here"),),
    parse=parse_postmortem_args,
    run=_postmortem,
)


def _share_title(services: Services, c: Call[bool], respond: Reply) -> None:
    tickets_flow.share_title(services, c.channel, c.user, c.args, respond)


SHARE_TITLE = Subcommand[bool](
    name="share-title",
    where=Where.INCIDENT_CHANNEL,
    synopsis="share-title [off]",
    summary="let a private incident's title show on its tickets and wiki page (Commander)",
    description=(
        "Let a private incident's title show on its tickets and wiki page, which withhold "
        "it otherwise (the Commander); `off` withholds it again."
    ),
    example="share-title",
    parse=parse_share_title_args,
    run=_share_title,
)
