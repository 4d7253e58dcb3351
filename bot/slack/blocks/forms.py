"""What every form (modal) shares: what it carries in its metadata, reading a
submitted value, and refusing a submission beside the fields at fault.

Each form's own module builds it and parses what comes back (``parse_submission``
and its kin), so the block IDs a form writes and the ones its parser reads stand in
one file.
"""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import SectionBlock
from slack_sdk.models.views import View

from bot.slack.blocks.kit import md


class FormErrors(Exception):
    """A submission to refuse: each field's block ID with what to fix, shown beside it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {why}" for field, why in errors.items()))
        self.errors = errors


def unreadable() -> View:
    """What replaces a form the bot could not read (opened by an older version of the bot,
    or damaged): the person closes it and opens a fresh one."""
    return View(
        type="modal",
        title="incidentbot",
        close="Close",
        blocks=[
            SectionBlock(
                text=md(
                    "The bot could not read this form, so nothing was changed. It may be "
                    "from an older version of the bot: close it and open it again."
                )
            )
        ],
    )


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    """What the form carried for us (``private_metadata``): the channel it was opened
    in and the like. A form we did not write, or a damaged one, carries nothing."""
    try:
        carried = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return carried if isinstance(carried, dict) else {}


def element(view: dict[str, Any], block: str) -> dict[str, Any]:
    """The submitted state of the one input in ``block``."""
    values = view.get("state", {}).get("values", {})
    return next(iter(values.get(block, {}).values()), {})


def value(view: dict[str, Any], block: str) -> str | None:
    """A text input's value or a select's chosen value."""
    entered = element(view, block)
    if entered.get("type") == "static_select":
        return (entered.get("selected_option") or {}).get("value")
    text = entered.get("value")
    return str(text) if text is not None else None


def text(view: dict[str, Any], block: str) -> str:
    """A text input's value, stripped ("" when empty)."""
    return (value(view, block) or "").strip()
