"""The declare form: title, severity, what failed, how it was found, Private."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.incidents.categories import FAILURE_CATEGORIES, USUALLY_PRIVATE
from bot.incidents.declare import (
    DESCRIPTION_MAX,
    DETECTIONS,
    SERVICE_MAX,
    TITLE_MAX,
    Declaration,
    validate,
)
from bot.incidents.errors import InvalidInput
from bot.incidents.severity import Severity, parse_severity
from bot.slack.blocks import forms
from bot.slack.blocks.kit import severity_options
from bot.slack.blocks.text import truncate

DECLARE_CALLBACK = "declare_incident"


DECLARE_CATEGORY = "declare_category"  # the form's category select, which may propose Private


PRIVATE_BLOCKS = ("private", "private_proposed")


PRIVATE_OPTION = Option(
    value="private",
    text="Private incident",
    description="A private channel; the title stays out of its name, the broadcast and lists",
)


def private_block(proposed: bool) -> InputBlock:
    """The Private checkbox; ticked (under a new block ID, so Slack does not keep the old,
    unticked state) when the chosen failure category is one usually run in private."""
    return InputBlock(
        block_id=PRIVATE_BLOCKS[1] if proposed else PRIVATE_BLOCKS[0],
        label="Privacy",
        optional=True,
        hint="Proposed for this failure category: data leaks, harmful output and fairness "
        "violations usually are."
        if proposed
        else "For data leaks, prompt injection, harmful output, fairness violations.",
        element=CheckboxesElement(
            action_id="value",
            options=[PRIVATE_OPTION],
            initial_options=[PRIVATE_OPTION] if proposed else None,
        ),
    )


def declare_modal(
    private_metadata: dict[str, str] | None = None, category: str | None = None
) -> View:
    """The form behind a bare ``/incident declare``."""
    categories = [
        Option(value=key, text=truncate(label, 75)) for key, label in FAILURE_CATEGORIES.items()
    ]
    return View(
        type="modal",
        callback_id=DECLARE_CALLBACK,
        title="Declare an incident",
        submit="Declare",
        close="Cancel",
        private_metadata=json.dumps(private_metadata or {}),
        blocks=[
            InputBlock(
                block_id="title",
                label="Title",
                hint="What is wrong, in a few words: what users or the business see.",
                element=PlainTextInputElement(
                    action_id="value",
                    max_length=TITLE_MAX,
                    placeholder="Fraud model flags 40% of legitimate payments",
                ),
            ),
            InputBlock(
                block_id="severity",
                label="Severity",
                element=StaticSelectElement(
                    action_id="value", placeholder="How bad is it?", options=severity_options()
                ),
            ),
            InputBlock(
                block_id="service",
                label="Affected model or service",
                optional=True,
                element=PlainTextInputElement(
                    action_id="value", max_length=SERVICE_MAX, placeholder="fraud-scorer v14"
                ),
            ),
            InputBlock(
                block_id="category",
                label="Failure category",
                optional=True,
                hint="Your best guess; triage can change it.",
                dispatch_action=True,  # a category usually run in private proposes Private
                element=StaticSelectElement(
                    action_id=DECLARE_CATEGORY, placeholder="Not sure yet", options=categories
                ),
            ),
            InputBlock(
                block_id="detection",
                label="How was it found?",
                optional=True,
                element=StaticSelectElement(
                    action_id="value",
                    placeholder="Pick one",
                    options=[Option(value=k, text=v) for k, v in DETECTIONS.items()],
                ),
            ),
            private_block(category in USUALLY_PRIVATE),
            InputBlock(
                block_id="description",
                label="Description",
                optional=True,
                element=PlainTextInputElement(
                    action_id="value", multiline=True, max_length=DESCRIPTION_MAX
                ),
            ),
        ],
    )


def parse_submission(view: dict[str, Any], user_id: str) -> Declaration:
    """The declaration the form describes, validated, or FormErrors naming the field."""
    severity = parse_severity(forms.value(view, "severity") or "")
    if severity is None:
        raise forms.FormErrors({"severity": "Pick a severity."})
    try:
        return validate(
            Declaration(
                title=forms.value(view, "title") or "",
                severity=Severity(severity),
                declared_by=user_id,
                service=forms.value(view, "service"),
                failure_category=forms.value(view, "category"),
                description=forms.value(view, "description"),
                private=_ticked(view),
                detection=forms.value(view, "detection"),
            )
        )
    except InvalidInput as problem:
        raise forms.FormErrors({_field_of(str(problem)): str(problem)}) from None


def _ticked(view: dict[str, Any]) -> bool:
    """Whether the Private box is ticked (under whichever block ID the form has now)."""
    return any(
        o.get("value") == "private"
        for block in PRIVATE_BLOCKS
        for o in forms.element(view, block).get("selected_options") or []
    )


def _field_of(message: str) -> str:
    lowered = message.lower()
    for field in ("description", "category", "service"):
        if field in lowered:
            return field
    return "title"
