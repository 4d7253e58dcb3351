"""What the AI investigator says in Slack: the investigation's head, its progress lines
and its answer in the thread, the catch-up only the asker sees, and its refusals.

Everything the model wrote, and every stored text, goes through ``for_slack`` (escaped:
no ping, link or mention it did not come with as ours); people are mentioned only from
IDs the bot stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.slack.blocks.text import mention
from bot.text.rendering import count, cut, for_slack

SECTION_TITLES = {
    "state": "State",
    "roles": "Roles",
    "decisions": "Decisions",
    "findings": "Findings",
    "doing": "Being done",
    "questions": "Open questions",
}
_FIELD = re.compile(r"^\s*(HYPOTHESIS|EVIDENCE|CONFIDENCE|NEXT CHECK)\s*:\s*(.*)$", re.IGNORECASE)
STOPPED = {
    "tool_calls": "its budget of tool calls ran out",
    "tokens": "its budget of tokens ran out",
    "deadline": "its deadline passed",
}


def not_configured(how: str) -> str:
    return f":robot_face: {for_slack(how)}"


def private_refused(reference: str) -> str:
    return (
        f":lock: {reference} is private, so nothing of it is sent to the language model. "
        "The operator can allow it for private incidents with INCIDENTBOT_AI_PRIVATE=allow."
    )


def busy(reference: str, kind: str, by: str | None, until: datetime) -> str:
    who = f" for {mention(by)}" if by else ""
    return (
        f":hourglass_flowing_sand: The AI investigator is already on {reference} (a {kind}"
        f"{who}); one task runs per incident. Try again when it is done, by "
        f"{until:%H:%M} UTC at the latest."
    )


def head(actor: str, question: str, model: str) -> str:
    asked = f": “{for_slack(cut(question, 300))}”" if question.strip() else ""
    return (
        f":mag: {mention(actor)} asked the AI investigator ({for_slack(model)}){asked}. It "
        "reads with read-only tools and changes nothing; its steps follow in this thread."
    )


def progress(said: str) -> str:
    return f":hourglass_flowing_sand: {for_slack(said)}"


@dataclass(frozen=True)
class Hypothesis:
    claim: str
    evidence: str = ""
    confidence: str = ""
    next_check: str = ""


def hypotheses(answer: str) -> list[Hypothesis]:
    found: list[dict[str, str]] = []
    key = ""
    for line in answer.splitlines():
        match = _FIELD.match(line)
        if match:
            key = match.group(1).upper()
            if key == "HYPOTHESIS":
                found.append({})
            if found:
                found[-1][key] = match.group(2).strip()
        elif found and key and line.strip():
            found[-1][key] = f"{found[-1].get(key, '')} {line.strip()}".strip()
    return [
        Hypothesis(
            h.get("HYPOTHESIS", ""),
            h.get("EVIDENCE", ""),
            h.get("CONFIDENCE", "").lower(),
            h.get("NEXT CHECK", ""),
        )
        for h in found
        if h.get("HYPOTHESIS")
    ][:5]


def answer_text(
    answer: str,
    *,
    model: str,
    calls: int,
    refused: int,
    tokens: int,
    seconds: float,
    stopped: str | None,
    error: str | None,
) -> str:
    lines: list[str] = []
    found = hypotheses(answer)
    if error:
        lines.append(f":warning: The investigation stopped: {for_slack(error)}")
    elif answer.strip().upper().startswith("NOT ENOUGH EVIDENCE") or (
        not found and not answer.strip()
    ):
        said = answer.strip().split(":", 1)[-1].strip() if answer.strip() else ""
        lines.append(
            ":grey_question: *Not enough evidence* for a hypothesis"
            + (f": {for_slack(cut(said, 1500))}" if said else ".")
        )
    elif found:
        for number, h in enumerate(found, 1):
            confidence = h.confidence if h.confidence in ("low", "medium", "high") else "not given"
            lines.append(
                f"*Hypothesis {number}* (confidence: {confidence}): {for_slack(cut(h.claim, 600))}"
            )
            if h.evidence:
                lines.append(f"> _Evidence:_ {for_slack(cut(h.evidence, 900))}")
            else:
                lines.append("> _Evidence:_ none cited: treat this as a guess.")
            if h.next_check:
                lines.append(f"> _Next check:_ {for_slack(cut(h.next_check, 400))}")
    else:
        lines.append(for_slack(cut(answer.strip(), 2500)))
    if stopped:
        lines.append(f":stopwatch: It stopped early: {STOPPED.get(stopped, stopped)}.")
    refusals = f", {refused} refused" if refused else ""
    lines.append(
        f"_{for_slack(model)} · {count(calls, 'tool call')}{refusals} · "
        f"{tokens:,} tokens · {seconds:.0f} s. Suggestions only: the investigator resolves, "
        "pages, rolls back and changes nothing._"
    )
    return "\n".join(lines)


def catchup_text(
    points: Sequence[tuple[str, tuple[int, ...], str]],
    times: Mapping[int, datetime],
    *,
    since: datetime,
    reference: str,
    left_out: int,
    error: str | None,
    events: int = 1,
) -> str:
    head_line = f":clipboard: *Catch-up on {reference}* since {since:%H:%M} UTC (only you see this)"
    if error:
        return f"{head_line}\n:warning: No catch-up: {for_slack(error)}"
    if not events:
        return f"{head_line}\nNothing was recorded on the timeline since then."
    if not points:
        return f"{head_line}\nThe model found nothing to report in that period."
    lines = [head_line]
    shown_section = ""
    for section, ids, text in points:
        if section != shown_section:
            lines.append(f"*{SECTION_TITLES.get(section, section.title())}*")
            shown_section = section
        when = ", ".join(f"{times[i]:%H:%M}" for i in ids[:3] if i in times)
        source = f"`{when}` " if when else "`(no timeline source)` "
        lines.append(f"• {source}{for_slack(cut(text, 500))}")
    if left_out:
        lines.append(f"_{count(left_out, 'older event')} left out to stay within the budget._")
    lines.append(
        "_Times are the timeline's (`/incident timeline`). Drafted by the AI investigator: "
        "check before acting._"
    )
    return "\n".join(lines)
