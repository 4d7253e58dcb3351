"""Form submissions (Bolt's ``view_submission``): refuse beside the field within the
acknowledgement, or acknowledge and hand the work on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import Ack

from bot.slack.blocks import forms

Sent = TypeVar("Sent")


def accepted(
    ack: Ack, parse: Callable[[dict[str, Any]], Sent], view: dict[str, Any]
) -> Sent | None:
    """The submission parsed and acknowledged, or ``None`` once Slack has been told
    which fields to correct (the form stays open and nothing has changed)."""
    try:
        sent = parse(view)
    except forms.FormErrors as bad:
        ack(response_action="errors", errors=bad.errors)
        return None
    ack()
    return sent
