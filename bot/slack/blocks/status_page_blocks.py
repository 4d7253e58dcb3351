"""Block Kit for the status page: the public resolution offered when an incident is
resolved, for the Comms Lead to confirm, and the update form's *Status page* section
(built and read here, so its block IDs and its parser stand in one file)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
)

from bot.incidents.errors import InvalidInput
from bot.slack.blocks import forms
from bot.slack.blocks.kit import md, render
from bot.statuspage.publishing import TEXT_MAX, TITLE_MAX, Publication, public_words
from bot.statuspage.states import ComponentState, PublicStatus
from bot.text.rendering import for_slack

PUBLISH_RESOLUTION = "status_page_resolution"


def resolution_offer(
    incident_id: int, title: str, draft: str, addressed: str | None, lead: str = ""
) -> list[dict[str, Any]]:
    """The offer to publish the drafted resolution; ``lead``: plain words before it (a
    reminder says how long ago the incident was resolved)."""
    who = f"{addressed}, as " if addressed else "As "
    return render(
        [
            SectionBlock(
                text=md(
                    f":globe_with_meridians: {for_slack(lead)}{who}Comms Lead: the status "
                    "page still shows "
                    f"*{for_slack(title)}* as unresolved. Publish this resolution? It sets "
                    "its components operational.\n>"
                    + for_slack(draft).replace("\n", "\n>")
                    + "\nOr say it in your own words: `/incident update --public --status "
                    "resolved <words>`."
                )
            ),
            ActionsBlock(
                block_id=f"status_page_resolution:{incident_id}",
                elements=[
                    ButtonElement(
                        text="Publish the resolution",
                        action_id=PUBLISH_RESOLUTION,
                        value=json.dumps({"incident": incident_id}),
                        style="primary",
                    )
                ],
            ),
        ]
    )


# -- the update form's *Status page* section ---------------------------------------------

PUBLISH, TITLE, COMPONENTS, STATE, STATUS, TEXT = (
    "public_publish",
    "public_title",
    "public_components",
    "public_state",
    "public_status",
    "public_text",
)
_STATES = [s for s in ComponentState if s is not ComponentState.OPERATIONAL]


@dataclass(frozen=True)
class Section:
    """What the form offers: the page's components, and what is published now (or, before
    the first publication, the components the incident's model affects)."""

    components: list[tuple[str, str]]  # key, name
    chosen: list[str]
    state: ComponentState
    status: PublicStatus
    title: str  # "" before the first publication: the public title is typed, never copied


def section(offer: Section) -> list[Block]:
    options = [Option(value=k, label=n[:75]) for k, n in offer.components]
    chosen = [o for o in options if o.value in offer.chosen] or None
    state_options = [Option(value=s.value, label=s.label) for s in _STATES]
    status_options = [
        Option(value=s.value, label=s.label) for s in PublicStatus if s is not PublicStatus.RESOLVED
    ]
    return [
        DividerBlock(),
        HeaderBlock(text="Status page"),
        InputBlock(
            block_id=PUBLISH,
            label="Publish",
            optional=True,
            hint="Nothing goes on the public status page unless this is ticked.",
            element=CheckboxesElement(
                action_id="value",
                options=[Option(value="yes", label="Also publish on the status page")],
            ),
        ),
        InputBlock(
            block_id=TITLE,
            label="Public title",
            optional=True,
            hint="What customers read; never the internal title unless you type it.",
            element=PlainTextInputElement(
                action_id="value", initial_value=offer.title or None, max_length=TITLE_MAX
            ),
        ),
        InputBlock(
            block_id=COMPONENTS,
            label="Affected components",
            optional=True,
            element=StaticMultiSelectElement(
                action_id="value", options=options, initial_options=chosen
            ),
        ),
        InputBlock(
            block_id=STATE,
            label="Their state",
            element=StaticSelectElement(
                action_id="value",
                options=state_options,
                initial_option=next(o for o in state_options if o.value == offer.state.value),
            ),
        ),
        InputBlock(
            block_id=STATUS,
            label="Public status",
            element=StaticSelectElement(
                action_id="value",
                options=status_options,
                initial_option=next(
                    (o for o in status_options if o.value == offer.status.value),
                    status_options[0],
                ),
            ),
        ),
        InputBlock(
            block_id=TEXT,
            label="What customers are told",
            optional=True,
            hint="Plain words: no mentions, channels or links.",
            element=PlainTextInputElement(action_id="value", multiline=True, max_length=TEXT_MAX),
        ),
    ]


def parse_section(view: dict[str, Any]) -> Publication | None:
    """The publication the form asks for, None when *Publish* is not ticked, or FormErrors."""
    ticked = forms.element(view, PUBLISH).get("selected_options") or []
    if not ticked:
        return None
    words = forms.text(view, TEXT)
    if not words:
        raise forms.FormErrors({TEXT: "Write what customers are told, or untick Publish."})
    try:
        public_words(words)
    except InvalidInput as problem:
        raise forms.FormErrors({TEXT: str(problem)}) from None
    picked = forms.element(view, COMPONENTS).get("selected_options") or []
    try:
        state = ComponentState(forms.value(view, STATE) or ComponentState.DEGRADED.value)
    except ValueError:
        raise forms.FormErrors({STATE: "Pick a state from the list."}) from None
    try:
        status = PublicStatus(forms.value(view, STATUS) or PublicStatus.INVESTIGATING.value)
    except ValueError:
        raise forms.FormErrors({STATUS: "Pick a public status from the list."}) from None
    title = forms.text(view, TITLE)
    if title:  # checked here, or the internal update would go before its refusal
        try:
            public_words(title, "The public title")
        except InvalidInput as problem:
            raise forms.FormErrors({TITLE: str(problem)}) from None
    return Publication(
        text=words,
        title=title or None,
        status=status,
        components={str(o.get("value")): state for o in picked},
    )
