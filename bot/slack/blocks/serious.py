"""Block Kit for serious-incident reporting: the summary's reporting line, the assessment
form and its parse, and the card that offers the assessment on its own."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.reporting.regimes import CAUSAL_WORDS, Answers, Regime
from bot.slack.blocks import forms
from bot.slack.blocks.kit import md
from bot.slack.blocks.text import escape, mention
from bot.store.models import Incident

ASSESS_CALLBACK = "serious_assessment"
OPEN_ASSESSMENT = "serious_assessment_open"
NOTE_MAX = 1000

_ANSWERS = (("yes", "Yes"), ("no", "No"), ("unknown", "Not yet known"))
_CAUSAL = (
    ("established", "Established"),
    ("likely", "Reasonably likely"),
    ("no", "Ruled out"),
    ("unknown", "Not yet known"),
)


@dataclass(frozen=True)
class ReportingPart:
    """What the summary shows while reporting is on: the Legal Liaison's place, and the
    reporting line (mrkdwn, already escaped) once there is something to say."""

    line: str | None = None


def _options(pairs: tuple[tuple[str, str], ...]) -> list[Option]:
    return [Option(value=value, text=text) for value, text in pairs]


def _initial(pairs: tuple[tuple[str, str], ...], chosen: str) -> Option:
    value, text = next((p for p in pairs if p[0] == chosen), pairs[-1])
    return Option(value=value, text=text)


def _select(block_id: str, label: str, pairs: tuple[tuple[str, str], ...], chosen: str) -> Block:
    return InputBlock(
        block_id=block_id,
        label=label[:2000],
        element=StaticSelectElement(
            action_id="value", options=_options(pairs), initial_option=_initial(pairs, chosen)
        ),
    )


def assessment_modal(incident: Incident, regime: Regime, before: Answers, channel_id: str) -> View:
    """The assessment: each criterion, widespread or not, where, the causal link, a note;
    filled in with the last assessment's answers."""
    blocks: list[Block] = [
        SectionBlock(
            text=md(
                f"*{escape(incident.reference)}* under *{escape(regime.title)}*. Answer what is "
                "known now; you can assess again as facts arrive, and each assessment is on "
                "the timeline."
            )
        )
    ]
    for criterion in regime.criteria:
        blocks.append(
            _select(
                f"criterion:{criterion.key}",
                criterion.question,
                _ANSWERS,
                before.criteria.get(criterion.key, "unknown"),
            )
        )
    blocks.append(_select("widespread", regime.widespread_question, _ANSWERS, before.widespread))
    if regime.member_states:
        states = [Option(value=code, text=code) for code in regime.member_states][:100]
        chosen = [o for o in states if o.value in before.member_states]
        blocks.append(
            InputBlock(
                block_id="member_states",
                label="Member States where it occurred",
                optional=True,
                element=StaticMultiSelectElement(
                    action_id="value",
                    options=states,
                    initial_options=chosen or None,
                    placeholder="Choose…",
                ),
            )
        )
    blocks.append(
        _select(
            "causal",
            "Is a causal link with the AI system established, or reasonably likely?",
            _CAUSAL,
            before.causal,
        )
    )
    blocks.append(
        InputBlock(
            block_id="note",
            label="Note (what the answers rest on)",
            optional=True,
            element=PlainTextInputElement(
                action_id="value",
                multiline=True,
                max_length=NOTE_MAX,
                initial_value=before.note or None,
            ),
        )
    )
    return View(
        type="modal",
        callback_id=ASSESS_CALLBACK,
        title="Serious incident?",
        submit="Record",
        close="Cancel",
        private_metadata=json.dumps({"incident": incident.id, "channel": channel_id}),
        blocks=blocks,
    )


def parse_assessment(view: dict[str, Any], regime: Regime) -> Answers:
    """The submitted answers; FormErrors beside a field holding what the form never offered."""
    errors: dict[str, str] = {}
    allowed = {value for value, _ in _ANSWERS}
    criteria: dict[str, str] = {}
    for criterion in regime.criteria:
        block = f"criterion:{criterion.key}"
        chosen = forms.value(view, block) or "unknown"
        if chosen not in allowed:
            errors[block] = "Choose yes, no or not yet known."
        criteria[criterion.key] = chosen
    widespread = forms.value(view, "widespread") or "unknown"
    if widespread not in allowed:
        errors["widespread"] = "Choose yes, no or not yet known."
    causal = forms.value(view, "causal") or "unknown"
    if causal not in CAUSAL_WORDS:
        errors["causal"] = "Choose one of the answers offered."
    picked = forms.element(view, "member_states").get("selected_options") or []
    states = tuple(str(o.get("value")) for o in picked if isinstance(o, dict))
    unknown = [s for s in states if s not in regime.member_states]
    if unknown:
        errors["member_states"] = f"{', '.join(unknown)[:100]} is not a Member State code."
    note = forms.text(view, "note")
    if len(note) > NOTE_MAX:
        errors["note"] = f"Keep the note to {NOTE_MAX} characters."
    if errors:
        raise forms.FormErrors(errors)
    return Answers(
        criteria=criteria, widespread=widespread, member_states=states, causal=causal, note=note
    )


def offer_blocks(incident: Incident, reason: str, people: tuple[str, ...]) -> list[Block]:
    """The card offering the assessment on its own, to the Commander and Legal Liaison."""
    who = " and ".join(mention(p) for p in people) or "The Incident Commander"
    return [
        SectionBlock(
            text=md(
                f":scales: {who}: {escape(reason)}. Is {escape(incident.reference)} a serious "
                "incident the law requires reporting? Assess it now; the answer can be "
                "revised as facts arrive."
            )
        ),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Assess",
                    action_id=OPEN_ASSESSMENT,
                    value=str(incident.id),
                    style="primary",
                )
            ]
        ),
    ]
