"""Parsing ``/incident`` text. Pure: no database, no Slack, so it can run before the ack."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from bot.incidents.declare import validate_title
from bot.incidents.errors import InvalidInput
from bot.incidents.severity import Severity, looks_like_severity, parse_severity
from bot.slack.text import plain_from_slack

ANYWHERE = ("declare", "list", "help")
IN_INCIDENT_CHANNEL = (
    "role",
    "severity",
    "note",
    "update",
    "triage",
    "drift",
    "action",
    "timeline",
    "resolve",
    "postmortem",
    "status",
)
SUBCOMMANDS = ANYWHERE + IN_INCIDENT_CHANNEL

SEVERITY_HELP = "Use sev1 (critical), sev2 (high), sev3 (medium) or sev4 (low); p0–p3 work too."


@dataclass(frozen=True)
class Command:
    name: str
    args: str  # the rest, exactly as Slack sent it (escaped, with <...> tokens)

    @property
    def needs_incident_channel(self) -> bool:
        return self.name in IN_INCIDENT_CHANNEL


@dataclass(frozen=True)
class DeclareArgs:
    severity: Severity
    title: str


def parse(text: str) -> Command:
    """Split ``/incident`` text into a known subcommand and its arguments."""
    stripped = (text or "").strip()
    if not stripped:
        return Command("help", "")
    word, _, rest = stripped.partition(" ")
    name = word.lower()
    if name not in SUBCOMMANDS:
        shown = plain_from_slack(word)[:40]
        close = difflib.get_close_matches(name, SUBCOMMANDS, n=1)
        hint = f" Did you mean `{close[0]}`?" if close else ""
        raise InvalidInput(
            f"`{shown}` is not an /incident command.{hint} `/incident help` lists them."
        )
    return Command(name, rest.strip())


def parse_declare(args: str) -> DeclareArgs | None:
    """``sev1 Fraud model ...`` -> severity and title; None when empty (open the form)."""
    if not args.strip():
        return None
    first, _, rest = args.strip().partition(" ")
    severity = parse_severity(first)
    if severity is None:
        if looks_like_severity(first):
            raise InvalidInput(
                f"`{plain_from_slack(first)[:20]}` is not a severity. {SEVERITY_HELP}"
            )
        raise InvalidInput(
            "Start with the severity, then the title: "
            "`/incident declare sev2 Recommender click-through down 15%`. " + SEVERITY_HELP
        )
    return DeclareArgs(severity=severity, title=validate_title(plain_from_slack(rest)))
