"""``/incident stats``: the review's headline figures in Slack, with its charts.

Alone, the summary goes only to the person who asked (an ephemeral message) and
the charts to their direct messages with the bot; with ``--share`` both go to the
channel. The figures are read-only and computed in the heavy pool, after the
acknowledgement and off the database transaction; Slack calls retry as every
call does, and a failure is told to the person.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

from bot.app.background import QueueFull
from bot.app.requests import StatsArgs
from bot.review.period import choose
from bot.slack.blocks import stats_summary
from bot.slack.blocks.kit import render
from bot.slack.webapi.replies import Reply
from bot.store.models import utcnow
from bot.text.rendering import count

if TYPE_CHECKING:
    from bot.app.services import Services

log = logging.getLogger(__name__)

NOT_IN_CHANNEL = (
    "The bot cannot share the review here: it is not in this channel and cannot join it "
    "(a private channel or a direct message). Invite it, or leave out --share to get the "
    "review for yourself."
)


def start(services: Services, args: StatsArgs, user: str, channel: str, respond: Reply) -> None:
    try:
        ahead = services.background.submit_heavy(
            _run, services, args, user, channel, respond, waiting=services.settings.drift_queue
        )
    except QueueFull as full:
        respond(
            text=f"No review now: {full.ahead} long computations are already running or "
            "waiting. Try again in a few minutes."
        )
        return
    if ahead:
        others = count(ahead, "other computation")
        respond(text=f"Your review waits behind {others}; it will follow here.")


def _run(services: Services, args: StatsArgs, user: str, channel: str, respond: Reply) -> None:
    try:
        _review(services, args, user, channel, respond)
    except Exception:
        log.exception("the review failed")
        respond(text="Something went wrong computing the review; it is logged. Try again.")


def _review(services: Services, args: StatsArgs, user: str, channel: str, respond: Reply) -> None:
    from bot.review import charts, figures  # pandas and matplotlib: loaded on first use

    now = utcnow()
    period = choose(quarter=args.quarter, since=args.since, until=args.until, today=now.date())
    review = figures.make(
        services.db,
        period,
        services.settings.status_update_every,
        now,
        include_drills=args.include_drills,
    )
    pngs = charts.all_charts(review.incidents, period.start, period.end)
    where = (
        "The charts follow here." if args.share else "The charts are in your messages with the bot."
    )
    said = stats_summary.text(review)
    rendered = render(stats_summary.summary(review, charts_where=where))
    uploads = [
        {"content": png, "filename": f"review-{name}.png", "title": f"{period.label}: {name}"}
        for name, png in pngs.items()
    ]
    client = services.client
    try:
        if args.share:
            client.conversations_join(channel=channel)  # asked to share here: a public channel
            client.chat_postMessage(channel=channel, text=said, blocks=rendered, unfurl_links=False)
            target = channel
        else:
            respond(text=said, blocks=rendered)
            target = client.conversations_open(users=user)["channel"]["id"]
        client.files_upload_v2(
            channel=target,
            file_uploads=uploads,
            initial_comment=f"Charts of the incident review {period.label}",
        )
    except SlackApiError as failed:
        error = failed.response.get("error")
        log.warning("could not deliver the review: %s", error)
        if error in {
            "not_in_channel",
            "channel_not_found",
            "method_not_supported_for_channel_type",
        }:
            respond(text=NOT_IN_CHANNEL)
        else:
            respond(text=f"Slack would not take the review ({error}); try again shortly.")
