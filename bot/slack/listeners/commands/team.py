"""Subcommands for the people around incidents: who is on call, paging them, drills and
the review in numbers. Declared here, listed in ``subcommands.py``."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.app import drills as drills_flow
from bot.app.paging import oncall, owing
from bot.app.requests import PageArgs, StatsArgs
from bot.app.services import Services
from bot.slack.listeners.commands.declaration import Call, Subcommand, Where, plain_text
from bot.slack.listeners.commands.parsing import parse_page_args, parse_stats_args
from bot.slack.webapi.replies import Reply


def _oncall(services: Services, c: Call[str | None], respond: Reply) -> None:
    oncall.on_call_now(services, c.args, respond)


ONCALL = Subcommand[str | None](
    name="oncall",
    where=Where.ANYWHERE,
    synopsis="oncall [service]",
    summary="who is on call now for a service",
    description=(
        "Who is on call now for a service, as the pager (PagerDuty or Opsgenie) says; "
        "alone, for the default service."
    ),
    example="oncall payments",
    parse=lambda args: plain_text(args).strip() or None,
    run=_oncall,
)


def _page(services: Services, c: Call[PageArgs], respond: Reply) -> None:
    owing.page_by_hand(services, c.channel, c.args, c.user, respond)


PAGE = Subcommand[PageArgs](
    name="page",
    where=Where.INCIDENT_CHANNEL,
    synopsis="page [service] [message]",
    summary="page a service's on-call and bring them into this channel",
    description=(
        "Page a service's on-call (alone, the service of the incident's model) and bring "
        "them into this channel; anyone here may, at any severity (SEV1 and SEV2 page on "
        "their own). The message is at most 500 characters: the on-call reads it on a phone."
    ),
    example="page payments Fraud model blocking 40% of card payments since 09:10",
    parse=parse_page_args,
    run=_page,
)


def _drill(services: Services, c: Call[str], respond: Reply) -> None:
    if not c.args:
        respond(text=drills_flow.listing(services))
        return
    drills_flow.start(services, c.args, c.user, respond)


DRILL = Subcommand[str](
    name="drill",
    where=Where.ANYWHERE,
    synopsis="drill [scenario]",
    summary="tabletop drills; alone, it lists the scenarios",
    description=(
        "Run a tabletop drill: an incident marked as a drill, with the scenario's injects "
        "arriving on its clock. `/incident drill` alone lists the scenarios."
    ),
    example="drill fraud-false-positives",
    parse=lambda args: plain_text(args).strip().lower(),
    run=_drill,
)


def _stats(services: Services, c: Call[StatsArgs], respond: Reply) -> None:
    from bot.app import stats  # pandas and matplotlib load on first use

    stats.start(services, c.args, c.user, c.channel, respond)


STATS = Subcommand[StatsArgs](
    name="stats",
    where=Where.ANYWHERE,
    synopsis="stats [2026Q4 | <first day> <last day>] [--share] [--include-drills]",
    summary="the incident review in numbers, against the period before",
    description=(
        "The incident review in numbers (by severity, category, model; response times; "
        "what recurred; follow-through; communication), against the period before. With no "
        "period: the quarter so far, shown only to you; the charts arrive in your direct "
        "messages with the bot."
    ),
    example="stats 2026Q4 --share",
    options=(
        ("2026Q4", "a quarter"),
        ("<first day> <last day>", "a period, as YYYY-MM-DD"),
        ("--share", "post it in this channel instead"),
        ("--include-drills", "count drills too; they are left out otherwise"),
    ),
    parse=lambda args: parse_stats_args(args, datetime.now(UTC).date()),
    run=_stats,
)
