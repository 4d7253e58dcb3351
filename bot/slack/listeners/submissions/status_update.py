"""The status-update form: errors beside the text, or the update sent after the ack."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.app import status_page, updates
from bot.app.services import Services, from_context
from bot.slack.blocks import status_page_blocks, update_form
from bot.slack.listeners.submissions import accepted
from bot.slack.webapi import notify
from bot.slack.webapi.replies import Reply
from bot.statuspage.publishing import Publication


def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services = from_context(context)
    both = accepted(ack, _parse, view)
    if both is None:
        return
    sent, public = both
    user = body["user"]["id"]
    reply = notify.teller(services.client, sent.channel, user)
    services.background.submit(_send, services, sent, public, user, reply)


def _send(
    services: Services,
    sent: update_form.UpdateSubmission,
    public: Publication | None,
    user: str,
    reply: Reply,
) -> None:
    updates.send(services, sent.channel, sent.text, user, reply, sent.kind, sent.stakeholders)
    if public is not None:  # the status page's section, ticked: a publication of its own
        status_page.publish(services, sent.channel, user, public, reply, mrkdwn=False)


def _parse(view: dict[str, Any]) -> tuple[update_form.UpdateSubmission, Publication | None]:
    return update_form.parse_submission(view), status_page_blocks.parse_section(view)


def register(app: App) -> None:
    app.view(update_form.UPDATE_CALLBACK)(on_submit)
