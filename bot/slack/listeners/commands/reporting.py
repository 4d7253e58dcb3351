"""Subcommands for serious-incident reporting (``INCIDENTBOT_REPORTING``): the assessment
and the report to the authority. Declared here, listed in ``subcommands.py``; with
reporting off, each answers that it is off and changes nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.app import reporting as reporting_flow
from bot.app.services import Services
from bot.incidents.errors import InvalidInput
from bot.reporting.assessment import REFERENCE_MAX
from bot.slack.blocks.text import refusal
from bot.slack.listeners.commands.declaration import (
    REPORTING,
    Acknowledgement,
    Call,
    Subcommand,
    Where,
    opens,
    plain_text,
    say,
)
from bot.slack.webapi.replies import Reply, reply_to

_AWARE = re.compile(r"^aware\s+(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2})(?:\s+(.*))?$", re.S | re.I)
ASSESS_USAGE = (
    "Usage: `/incident assess` (a form), or `/incident assess aware 2026-12-07 09:10 <why>` "
    "to correct when the provider became aware (UTC)."
)
# Typed where reporting is off: the command exists, so say why it does nothing here.
OFF = (
    "`/incident {name}` belongs to serious-incident reporting, which is not turned on for "
    "this workspace (an administrator names a regime in `INCIDENTBOT_REPORTING`)."
)
REPORT_USAGE = (
    "Usage: `/incident authority-report initial`, `/incident authority-report complete`, or "
    "`/incident authority-report sent initial|complete [the authority's reference]`."
)


@dataclass(frozen=True)
class Aware:
    when: datetime
    why: str


def parse_assess(args: str) -> Aware | None:
    text = plain_text(args).strip()
    if not text:
        return None
    match = _AWARE.match(text)
    if not match:
        raise InvalidInput(ASSESS_USAGE)
    try:
        when = datetime.fromisoformat(f"{match[1]}T{match[2].zfill(5)}").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(
            f"{match[1]} {match[2]} is not a date and time. {ASSESS_USAGE}"
        ) from None
    return Aware(when, (match[3] or "").strip())


def _open_assessment(services: Services, _: Any, command: dict[str, Any]) -> None:
    respond = reply_to(command.get("response_url"))
    try:
        reporting_flow.open_assessment(
            services,
            command["trigger_id"],
            str(command.get("channel_id", "")),
            str(command.get("user_id", "")),
            respond,
            "try `/incident assess` again",
        )
    except InvalidInput as problem:
        respond(text=refusal(problem))


def _assess_ack(args: Aware | None) -> Acknowledgement:
    return opens(_open_assessment) if args is None else say("Correcting awareness…")


def _assess(services: Services, c: Call[Aware | None], respond: Reply) -> None:
    if c.args is None:  # the form opened instead
        return
    reporting_flow.correct_awareness(services, c.channel, c.args.when, c.args.why, c.user, respond)


ASSESS = Subcommand[Aware | None](
    name="assess",
    where=Where.INCIDENT_CHANNEL,
    synopsis="assess [aware <YYYY-MM-DD HH:MM> <why>]",
    summary="is it a serious incident the law requires reporting?",
    description=(
        "A form: each of the regime's criteria (yes, no, "
        "not yet known), widespread or not, the Member States, the causal link and a note. "
        "Serious starts the reporting clock; it can be revised, and each assessment is on the "
        "timeline. `aware <when> <why>` corrects when the provider became aware (UTC), and "
        "the deadline with it. The Commander, the Legal Liaison or a responder."
    ),
    example="assess aware 2026-12-07 09:10 a customer's complaint reached legal",
    requires=REPORTING,
    off=OFF.format(name="assess"),
    parse=parse_assess,
    acknowledge=_assess_ack,
    run=_assess,
)


@dataclass(frozen=True)
class ReportArgs:
    sent: bool
    complete: bool
    reference: str | None = None


def parse_report(args: str) -> ReportArgs:
    words = plain_text(args).split()
    if words[:1] in (["initial"], ["complete"]) and len(words) == 1:
        return ReportArgs(sent=False, complete=words[0] == "complete")
    if len(words) >= 2 and words[0] == "sent" and words[1] in ("initial", "complete"):
        reference = " ".join(words[2:]) or None
        if reference and len(reference) > REFERENCE_MAX:  # refused in the answer, at once
            raise InvalidInput(f"Keep the authority's reference to {REFERENCE_MAX} characters.")
        return ReportArgs(sent=True, complete=words[1] == "complete", reference=reference)
    raise InvalidInput(REPORT_USAGE)


def _report_ack(args: ReportArgs) -> Acknowledgement:
    if args.sent:
        return say("Recording that the report went to the authority…")
    return say(f"Drafting the {'complete' if args.complete else 'initial'} report…")


def _report(services: Services, c: Call[ReportArgs], respond: Reply) -> None:
    which = "complete" if c.args.complete else "initial"
    if c.args.sent:
        reporting_flow.record_sent(services, c.channel, which, c.args.reference, c.user, respond)
    else:
        reporting_flow.draft_report(services, c.channel, c.user, c.args.complete, respond)


AUTHORITY_REPORT = Subcommand[ReportArgs](
    name="authority-report",
    where=Where.INCIDENT_CHANNEL,
    synopsis="authority-report initial|complete|sent <initial|complete> [reference]",
    summary="the report of a serious incident to the authority",
    description=(
        "`initial` and `complete` upload a draft of the report to the authority here, as "
        "Markdown and HTML, from the incident, its assessment and its timeline; the initial "
        "one lists what is still missing, the complete one is refused until nothing is. "
        "`sent initial|complete [reference]` records that it went (the Commander, the Legal "
        "Liaison or a responder) and whether the deadline was met."
    ),
    example="authority-report sent initial BNetzA-2026-0412",
    requires=REPORTING,
    off=OFF.format(name="authority-report"),
    options=(
        ("initial", "a draft of the first report; it may be incomplete"),
        ("complete", "the full report, refused while a required field is missing"),
        ("sent", "record that the initial or complete report went, with its reference"),
    ),
    parse=parse_report,
    acknowledge=_report_ack,
    run=_report,
)
