"""Block Kit for containment: the model card, the rollback and lever confirmations, outcomes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    InputBlock,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.containment.levers import Lever
from bot.containment.mlflow import History, Version
from bot.containment.rollback import Move
from bot.slack.blocks import forms
from bot.slack.blocks.kit import md, slack_date
from bot.slack.blocks.text import escape, truncate

ROLLBACK_OPEN = "rollback_open"
ROLLBACK_CALLBACK = "rollback_confirm"
ROLLBACK_UNDO = "rollback_undo"
MODEL_CHANGED = "model_changed_confirm"  # the card's proposal: value "yes:<model>" or "no:..."
LEVER_CALLBACK = "lever_confirm"
LEVER_UNDO = "lever_undo"
REASON_MAX = 500
RECENT = timedelta(days=7)  # a version this much older than the first signal is no recent change


def _age(later: datetime, earlier: datetime) -> str:
    minutes = int((later - earlier).total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"


def change_finding(history: History, signal: datetime) -> tuple[str, str] | None:
    """What the card proposes for *was the model or its configuration changed recently?*:
    (answer, sentence), or None when nothing serves."""
    serving = history.version(history.serving)
    if serving is None:
        return None
    before = signal - serving.created
    if serving.created > signal:
        return (
            "yes",
            f"version {serving.number} was registered {_age(serving.created, signal)} after the "
            "first signal: the model changed during the incident",
        )
    if before <= RECENT:
        return (
            "yes",
            f"version {serving.number} was registered {_age(signal, serving.created)} before "
            "the first signal",
        )
    return (
        "no",
        f"version {serving.number} was registered {_age(signal, serving.created)} before the "
        "first signal: no recent model change",
    )


def _version_line(version: Version, serving: int | None, alias: str) -> str:
    parts = [f"*v{version.number}*" + (f" ({escape(alias)})" if version.number == serving else "")]
    parts.append(f"registered {slack_date(version.created)}")
    if version.run_id:
        short = escape(version.run_id[:8])
        link = version.run_url if version.run_url and version.run_url.startswith("http") else None
        parts.append(f"run <{link}|{short}>" if link else f"run {short}")
    if version.metrics:
        shown = ", ".join(f"{escape(k)} {v:.4g}" for k, v in list(version.metrics.items())[:4])
        parts.append(shown)
    return " · ".join(parts)


def model_card(history: History, signal: datetime) -> list[Block]:
    serving = history.version(history.serving)
    name = escape(history.model)
    if serving is None:
        head = (
            f":package: *{name}* in the model registry: the alias *{escape(history.alias)}* "
            "points to no version."
        )
    else:
        head = (
            f":package: *{name}* in the model registry: *{escape(history.alias)}* serves "
            f"version {serving.number}, registered {slack_date(serving.created)}."
        )
    lines = [_version_line(v, history.serving, history.alias) for v in history.versions]
    blocks: list[Block] = [
        SectionBlock(text=md(head + "\n" + "\n".join(f"• {line}" for line in lines))),
    ]
    if history.url.startswith("http"):
        blocks.append(ContextBlock(elements=[md(f"<{history.url}|Open {name} in MLflow>")]))
    finding = change_finding(history, signal)
    buttons: list[ButtonElement] = []
    if finding is not None:
        answer, sentence = finding
        blocks.append(
            SectionBlock(
                text=md(
                    f"*Did the model or its configuration change recently?* The registry says "
                    f"{sentence}. Confirm it to answer the triage question."
                )
            )
        )
        label = "Yes, the model changed" if answer == "yes" else "Right, no recent change"
        buttons.append(
            ButtonElement(
                text=label, action_id=MODEL_CHANGED, value=f"{answer}:{history.model}"[:2000]
            )
        )
    target = history.before(history.serving)
    if target is not None and serving is not None:
        buttons.append(
            ButtonElement(
                text=f"Roll back to v{target.number}",
                action_id=ROLLBACK_OPEN,
                value=history.model[:2000],
                style="danger",
            )
        )
    if buttons:
        blocks.append(ActionsBlock(block_id="model_card", elements=buttons))
    return blocks


def rollback_modal(
    model: str,
    alias: str,
    current: int,
    target: int,
    channel: str,
    reference: str,
    *,
    responders: bool,
) -> View:
    """``responders``: whether a responders group is configured (only then is it named)."""
    if not current:  # a drill: the move is rehearsed
        said = (
            f":performing_arts: DRILL: rehearse rolling back *{escape(model)}* for {reference}. "
            "Nothing moves in the registry; the timeline records the decision."
        )
    else:
        said = (
            f"*{escape(model)}*: {escape(alias)} v{current} → v{target}\n"
            f"The registry's alias moves to version {target} for {reference}; whatever "
            f"serves {escape(alias)} picks it up. *Undo* moves it back."
        )
    return View(
        type="modal",
        callback_id=ROLLBACK_CALLBACK,
        title="Roll back the model",
        submit="Roll back",
        close="Cancel",
        private_metadata=json.dumps(
            {"channel": channel, "model": model, "from": current, "to": target}
        ),
        blocks=[
            SectionBlock(text=md(said)),
            InputBlock(
                block_id="reason",
                label="Why",
                element=PlainTextInputElement(
                    action_id="value",
                    max_length=REASON_MAX,
                    placeholder="v7 flags 40% of legitimate payments; v6 did not",
                ),
            ),
            ContextBlock(
                elements=[
                    md(
                        "Only the Incident Commander"
                        + (", the ML Lead or a responder" if responders else " or the ML Lead")
                        + " can confirm."
                    )
                ]
            ),
        ],
    )


def rolled_back(
    model: str, alias: str, current: int, target: int, actor: str, reason: str
) -> list[Block]:
    return [
        SectionBlock(
            text=md(
                f":rewind: <@{actor}> rolled *{escape(model)}* back: {escape(alias)} "
                f"v{current} → v{target} (read back from the registry).\n"
                f"Why: {escape(truncate(reason, REASON_MAX))}"
            )
        ),
        ActionsBlock(
            block_id="rollback_undo",
            elements=[
                ButtonElement(
                    text=f"Undo: back to v{current}",
                    action_id=ROLLBACK_UNDO,
                    value=json.dumps({"model": model, "from": current, "to": target})[:2000],
                )
            ],
        ),
    ]


def lever_modal(lever: Lever, channel: str, reference: str, *, responders: bool) -> View:
    """``responders``: whether a responders group is configured (only then is it named)."""
    allowed = ["the Incident Commander", *(f"the {r.info.title}" for r in lever.who)]
    if responders:
        allowed.append("a responder")
    who = allowed[0] if len(allowed) == 1 else f"{', '.join(allowed[:-1])} or {allowed[-1]}"
    return View(
        type="modal",
        callback_id=LEVER_CALLBACK,
        title="Contain",
        submit="Run it",
        close="Cancel",
        private_metadata=json.dumps({"channel": channel, "lever": lever.name}),
        blocks=[
            SectionBlock(
                text=md(f"*{escape(lever.title)}* for {reference}\n{escape(lever.confirm)}")
            ),
            InputBlock(
                block_id="reason",
                label="Why",
                optional=True,
                element=PlainTextInputElement(action_id="value", max_length=REASON_MAX),
            ),
            ContextBlock(
                elements=[
                    md(
                        f"Only {who} can run it."
                        + (" It can be undone." if lever.undo else " It has no undo.")
                    )
                ]
            ),
        ],
    )


def lever_outcome(
    lever: Lever, actor: str, ok: bool, status: int | None, excerpt: str, *, undone: bool = False
) -> list[Block]:
    said = f"HTTP {status}" if status is not None else "no answer"
    what = f"undid *{escape(lever.title)}*" if undone else f"ran *{escape(lever.title)}*"
    if ok:
        text = f":shield: <@{actor}> {what}: {said}."
    else:
        text = f":warning: <@{actor}> {what}, and it failed: {said}."
    if excerpt:
        text += f"\n> {escape(truncate(excerpt, 300))}"
    blocks: list[Block] = [SectionBlock(text=md(text))]
    if ok and lever.undo is not None and not undone:
        blocks.append(
            ActionsBlock(
                block_id="lever_undo",
                elements=[ButtonElement(text="Undo", action_id=LEVER_UNDO, value=lever.name)],
            )
        )
    return blocks


def levers_text(levers: Sequence[Lever]) -> str:
    if not levers:
        return (
            "This team has no containment levers configured (INCIDENTBOT_CONTAINMENT_FILE); "
            "`/incident rollback` works when the model registry is set up."
        )
    lines = [f"• `{lever.name}`: {escape(lever.title)}" for lever in levers]
    return "Containment levers: `/incident contain <name>`\n" + "\n".join(lines)


def hint_text(found: Sequence[str], levers: Sequence[Lever], registry: bool) -> str | None:
    """The containment line under a triage proposal: which move fits what triage found."""
    lines = []

    def pulls(finding: str) -> str:
        fitting = [lever for lever in levers if finding in lever.fits]
        return ", ".join(f"*{escape(lv.title)}* (`/incident contain {lv.name}`)" for lv in fitting)

    if "model-change" in found:
        how = "`/incident rollback`" if registry else "in the model registry"
        lines.append(f"A recent model change: roll back to the last good version ({how}).")
    if "data-change" in found:
        named = pulls("data-change")
        lines.append(
            "The inputs changed and the model did not: fall back or route to human review"
            + (f": {named}." if named else ".")
        )
    if "sev1" in found:
        named = pulls("sev1")
        lines.append("SEV1: fall back to a safe default now" + (f": {named}." if named else "."))
    if not lines:
        return None
    return "*Containment*\n" + "\n".join(f"• {line}" for line in lines)


@dataclass(frozen=True)
class RollbackSubmission:
    channel: str
    move: Move
    reason: str


def parse_rollback(view: dict[str, Any], alias: str) -> RollbackSubmission:
    """The confirmed move (as the form showed it) and why, or FormErrors without a reason."""
    reason = forms.text(view, "reason")
    if not reason:
        raise forms.FormErrors({"reason": "Say why, for the timeline."})
    carried = forms.metadata(view)
    try:
        current, target = int(carried.get("from", 0)), int(carried.get("to", 0))
    except (TypeError, ValueError):
        current = target = 0
    move = Move(str(carried.get("model", "")), alias, current, target)
    return RollbackSubmission(str(carried.get("channel", "")), move, reason)


@dataclass(frozen=True)
class LeverSubmission:
    channel: str
    lever: str
    reason: str


def parse_lever(view: dict[str, Any]) -> LeverSubmission:
    carried = forms.metadata(view)
    return LeverSubmission(
        str(carried.get("channel", "")), str(carried.get("lever", "")), forms.text(view, "reason")
    )
