"""What the model is told: the system prompts, and the incident as data (its facts and
its people's words fenced as untrusted)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.ai.untrusted import RULES, clean, fence
from bot.store.models import Incident

INVESTIGATE = (
    "You are the first-hour investigator of an incident in a machine-learning system. "
    "Use the read-only tools to read the evidence before you answer. Answer with up to "
    "three hypotheses, most likely first, each in this form:\n"
    "HYPOTHESIS: one sentence\n"
    "EVIDENCE: what the tools returned, quoted with its figures (which tool, which value)\n"
    "CONFIDENCE: low, medium or high\n"
    "NEXT CHECK: the one check a person should make next (it may be an /incident command "
    "for them to type)\n"
    "If the evidence is not enough for any hypothesis, answer a single line starting with "
    "NOT ENOUGH EVIDENCE: and say what is missing. Never claim a figure no tool returned. " + RULES
)

CATCHUP = (
    "You brief a person who joins or returns to an incident. From the timeline events "
    "given (each with its id such as E12), write short points, one a line, each in the form\n"
    "- (section) [E12] the point\n"
    "where section is one of state, roles, decisions, findings, doing, questions, and "
    "[E..] names the events the point comes from (one or more). Cover the state and "
    "severity, who holds which role, decisions taken, findings, what is being done, and "
    "open questions. Only say what the events say. " + RULES
)

SUMMARISE = (
    "Summarise these older timeline events of an incident in at most 12 short lines, each "
    "starting with the ids of the events it comes from, e.g. '[E3][E9] Severity raised to "
    "SEV1.'. Keep figures, decisions, roles and findings; drop repetition. " + RULES
)

POSTMORTEM = (
    "You draft the prose of a blameless post-mortem from the incident's record. Answer "
    "with exactly these headed parts, plain text, no other headings:\n"
    "SUMMARY: two or three sentences a reader outside the team understands\n"
    "WHY 1: .. WHY 5: five whys, the first the proximate cause, the last the root cause in "
    "the system or process\n"
    "WENT WELL: one point a line, each starting with '- '\n"
    "WENT BADLY: one point a line, each starting with '- '\n"
    "Say only what the record supports; where it does not say, write 'not known from the "
    "record'. Blame no person. " + RULES
)


@dataclass(frozen=True)
class Brief:
    """The incident's facts as the model gets them."""

    text: str


def brief(incident: Incident, names: dict[str, str], sensitive: tuple[str, ...]) -> Brief:
    roles = (
        ", ".join(f"{r.role}: @{names.get(r.user_id, r.user_id)}" for r in incident.roles)
        or "none taken"
    )
    facts: list[tuple[str, Any]] = [
        ("incident", incident.reference),
        ("severity", incident.severity),
        ("status", incident.status),
        ("model", incident.registered_model or incident.service or "not named"),
        ("failure category", incident.failure_category or "not classified"),
        ("drill", "yes (a practice incident)" if incident.drill else "no"),
        ("declared", incident.declared_at.strftime("%Y-%m-%d %H:%M UTC")),
        ("roles", roles),
    ]
    lines = [f"{name}: {clean(str(value), sensitive)}" for name, value in facts]
    lines.append(fence("title, written by a person or an alert", incident.title, sensitive))
    if incident.description:
        lines.append(
            fence("description, written by a person or an alert", incident.description, sensitive)
        )
    return Brief("\n".join(lines))


def investigate_messages(
    the_brief: Brief, question: str, sensitive: tuple[str, ...]
) -> list[dict[str, Any]]:
    asked = (
        fence("the question a responder asked", question, sensitive)
        if question.strip()
        else "No particular question: find the most likely causes."
    )
    return [
        {"role": "system", "content": INVESTIGATE},
        {"role": "user", "content": f"The incident:\n{the_brief.text}\n\n{asked}"},
    ]
