"""Block Kit for drills: the facilitator's controls, the injects, and DRILL markings."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ContextBlock, SectionBlock

from bot.drills.scenarios import Scenario, clock
from bot.slack.blocks.kit import md
from bot.slack.blocks.text import escape, mention
from bot.store.models import Incident

PAUSE = "drill_pause"
NEXT = "drill_next"
END = "drill_end"
MARK = ":performing_arts: DRILL"


def facilitator(
    incident: Incident, scenario: Scenario, actor: str, *, responders: bool
) -> list[Block]:
    """``responders``: whether a responders group is configured (only then is it named)."""
    injects = "\n".join(
        f"• {clock(i.at)} {i.kind}" + (f" from {escape(i.source)}" if i.source else "")
        for i in scenario.injects
    )
    return [
        SectionBlock(
            text=md(
                f"{MARK}: *{escape(scenario.title)}* ({scenario.severity.label} scenario, opened "
                f"at {scenario.start_severity.label}). Facilitator: {mention(actor)}.\n"
                f"{escape(scenario.brief)}\n*Injects*\n{injects}\n"
                "Nothing here reaches real stakeholders; rollbacks and levers are rehearsed, "
                "not run. Everything else works as in a real incident."
            )
        ),
        ActionsBlock(
            block_id=f"drill:{incident.id}",
            elements=[
                ButtonElement(text="Pause / resume", action_id=PAUSE, value=str(incident.id)),
                ButtonElement(text="Next inject now", action_id=NEXT, value=str(incident.id)),
                ButtonElement(
                    text="End drill", action_id=END, value=str(incident.id), style="danger"
                ),
            ],
        ),
        ContextBlock(
            elements=[
                md(
                    "Only the facilitator"
                    + (" (or a responder)" if responders else "")
                    + " uses these."
                )
            ]
        ),
    ]


def inject_text(kind: str, data: dict[str, Any], commands: list[str], has_folder: bool) -> str:
    text = escape(str(data.get("text") or ""))
    if kind == "alert":
        return (
            f":rotating_light: [DRILL] {escape(str(data.get('source') or 'Monitor'))} alert "
            f"fired: *{escape(str(data.get('name') or 'alert'))}*. {text}"
        )
    if kind == "message":
        who = escape(str(data.get("source") or "someone"))
        return f":speech_balloon: [DRILL] From *{who}*: {text}"
    if commands:
        checks = " and ".join(f"`{escape(command)}`" for command in commands)
        return f":floppy_disk: [DRILL] {text}\nCheck the data sets with {checks}."
    reason = "the scenario could not be read" if has_folder else "INCIDENTBOT_DATA_DIR is not set"
    return f":floppy_disk: [DRILL] {text} (No data sets were written: {reason}.)"
