"""The declare form's category select: the form is redrawn with Private proposed for
the categories usually run in private (data leaks, harmful output, ...)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.app.services import Services
from bot.slack.blocks import forms
from bot.slack.blocks.declare_form import DECLARE_CATEGORY, declare_modal
from bot.slack.listeners import clicks

log = logging.getLogger(__name__)


def _propose_private(services: Services, body: dict[str, Any], action: dict[str, Any]) -> None:
    """Private ticked when the category is one usually run in private, unticked again
    when the choice moves away from those. Slack keeps what was typed (same block IDs)."""
    view = body.get("view") or {}
    category = (action.get("selected_option") or {}).get("value")
    try:
        services.client.views_update(
            view_id=view.get("id"),
            hash=view.get("hash"),
            view=declare_modal(forms.metadata(view), category).to_dict(),
        )
    except SlackApiError as exc:  # a newer edit won (hash_conflict), or the form closed
        log.info("the declare form was not redrawn: %s", exc.response.get("error"))


on_category = clicks.opening_form(_propose_private)


def register(app: App) -> None:
    app.action(DECLARE_CATEGORY)(on_category)
