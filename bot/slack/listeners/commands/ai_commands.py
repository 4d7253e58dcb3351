"""The AI investigator's subcommands: ``investigate``, ``catchup``, and ``postmortem``
with ``--draft`` (the records' ``postmortem`` declaration, with the option added).
Declared here, listed in ``subcommands.py``."""

from __future__ import annotations

from datetime import timedelta

from bot.app import ai_catchup, ai_drafting, ai_investigate
from bot.app.services import Services
from bot.config import parse_duration
from bot.incidents.errors import InvalidInput
from bot.slack.blocks.text import plain_from_slack
from bot.slack.listeners.commands.declaration import Call, Subcommand, Where, plain_text
from bot.slack.listeners.commands.records import POSTMORTEM
from bot.slack.webapi.replies import Reply

QUESTION_MAX = 1000
LONGEST = timedelta(days=30)


def parse_question(args: str) -> str:
    question = plain_text(args).strip()
    if len(question) > QUESTION_MAX:
        raise InvalidInput(
            f"That question is {len(question):,} characters; ask in at most {QUESTION_MAX:,}."
        )
    return question


def _investigate(services: Services, c: Call[str], respond: Reply) -> None:
    ai_investigate.start(services, c.channel, c.args, c.user, respond)


INVESTIGATE = Subcommand[str](
    name="investigate",
    where=Where.INCIDENT_CHANNEL,
    synopsis="investigate [question]",
    summary="the AI investigator reads the evidence and answers with hypotheses, in a thread",
    description=(
        "The team's language model reads the incident with read-only tools (the timeline, "
        "triage answers, alerts, the registry's history, drift and fairness on data sets the "
        "incident used, past incidents, runbooks) and answers in a thread with hypotheses, "
        "each with its evidence, a confidence and the next check, or says the evidence is "
        "not enough. It changes nothing."
    ),
    example="investigate why did precision drop after 14:00?",
    parse=parse_question,
    run=_investigate,
)


def parse_period(args: str) -> timedelta | None:
    word = plain_from_slack(args).strip().lower()
    if not word:
        return None
    try:
        period = parse_duration(word)
    except ValueError:
        period = None
    if period is None or period > LONGEST:
        raise InvalidInput(
            f"`{word[:20]}` is not a period: give one such as 30m, 2h or 1d (at most 30d), "
            "or nothing for since you last wrote here."
        )
    return period


def _catchup(services: Services, c: Call[timedelta | None], respond: Reply) -> None:
    ai_catchup.start(services, c.channel, c.args, c.user, respond)


CATCHUP = Subcommand[timedelta | None](
    name="catchup",
    where=Where.INCIDENT_CHANNEL,
    synopsis="catchup [period]",
    summary="what happened since you last wrote here (or in the period), only for you",
    description=(
        "The AI investigator's catch-up, only for you: state, roles, decisions, findings, "
        "what is being done and open questions since you last wrote in the channel (or in "
        "the period given), each point with the timeline time it comes from."
    ),
    example="catchup 2h",
    parse=parse_period,
    run=_catchup,
)

_DRAFT = ("--draft", "draft", "-d")


def parse_postmortem(args: str) -> bool | str:
    """``--draft``: "draft"; otherwise what the records' grammar says."""
    words = plain_from_slack(args).split()
    if len(words) == 1 and words[0].lower() in _DRAFT:
        return "draft"
    return POSTMORTEM.parse(args)


def _postmortem(services: Services, c: Call[bool | str], respond: Reply) -> None:
    if c.args == "draft":
        ai_drafting.start(services, c.channel, c.user, respond)
        return
    assert POSTMORTEM.run is not None
    POSTMORTEM.run(services, Call(bool(c.args), c.user, c.channel, c.command, c.incident), respond)


POSTMORTEM_WITH_DRAFT = Subcommand[bool | str](
    name=POSTMORTEM.name,
    where=POSTMORTEM.where,
    synopsis="postmortem [--publish | --draft]",
    summary=POSTMORTEM.summary,
    description=POSTMORTEM.description
    + " `--draft` has the AI investigator draft its prose (summary, five whys, what went "
    "well and badly), each passage marked as a draft.",
    example=POSTMORTEM.example,
    options=(*POSTMORTEM.options, ("--draft", "with prose drafted by the AI investigator")),
    aliases=POSTMORTEM.aliases,
    parse=parse_postmortem,
    run=_postmortem,
)
