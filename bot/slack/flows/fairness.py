"""``/incident fairness``: fetch two windows, compare them by group, post the findings.

Acknowledged at once; the work runs in the heavy pool, as drift does, with the same
working message, sources, size limits and queue. The findings are a ``fairness_found``
timeline event (facts, not text) that the post-mortem, the console and the review read.
In a channel that is not private, the values of ``INCIDENTBOT_SENSITIVE_COLUMNS`` are
replaced by "#1", "#2"… in everything posted and kept: the figures stay, the names do not.
"""

from __future__ import annotations

import base64
import logging
from typing import TYPE_CHECKING, Any

from bot.incidents import queries, timeline
from bot.incidents.kinds import EventKind
from bot.slack import effects
from bot.slack.background import QueueFull, Reply
from bot.slack.command_parser import FairnessArgs
from bot.slack.flows.common import NOT_AN_INCIDENT
from bot.slack.flows.working import Working, load
from bot.slack.text import escape, mention, refusal, truncate
from bot.slack.views import fairness_findings
from bot.slack.views.kit import render

if TYPE_CHECKING:
    from bot.diagnosis import datasets
    from bot.slack.services import Services

log = logging.getLogger(__name__)
GROUPS_KEPT = 50  # groups per breakdown the timeline keeps (the largest moves)
REFUSED = "No fairness analysis: "


def start(
    services: Services, channel: str, args: FairnessArgs, actor: str | None, reply: Reply
) -> None:
    """Check the request now (refusals change nothing); run the analysis in the heavy pool."""
    from bot.diagnosis import datasets

    limits = services.settings.drift_limits
    try:
        reference = datasets.locate(args.reference, services.settings.data_dir, limits)
        current = datasets.locate(args.current, services.settings.data_dir, limits)
    except datasets.SourceError as problem:
        reply(text=REFUSED + refusal(problem))
        return
    with services.db.begin() as session:
        known = queries.id_by_channel(session, channel) is not None
    if not known:
        reply(text=NOT_AN_INCIDENT)
        return
    try:
        ahead = services.background.submit_heavy(
            _run,
            services,
            channel,
            args,
            reference,
            current,
            actor,
            reply,
            waiting=services.settings.drift_queue,
        )
    except QueueFull as full:
        reply(
            text=f"{REFUSED}{full.ahead} analyses are already running or waiting, as many as "
            "this bot queues. Try again in a few minutes."
        )
        return
    if ahead:
        reply(text=f"Your fairness analysis waits behind {ahead}; the findings will follow here.")


def _run(
    services: Services,
    channel: str,
    args: FairnessArgs,
    reference: datasets.Source,
    current: datasets.Source,
    actor: str | None,
    reply: Reply,
) -> None:
    from bot.diagnosis import datasets
    from bot.diagnosis.asking import MIN_GROUP_SIZE
    from bot.diagnosis.fairness import FairnessInputError, Request, analyse

    head = (
        f":scales: {mention(actor) if actor else 'The alert'} asked whether the model treats "
        f"groups alike: `{escape(truncate(reference.text, 200))}` (reference) against "
        f"`{escape(truncate(current.text, 200))}` (current)."
    )
    status = Working(services, channel, head)
    request = Request(
        groups=args.groups,
        prediction=args.prediction,
        label=args.label,
        favourable=args.favourable,
        threshold=args.threshold,
        min_group_size=args.min_group_size or MIN_GROUP_SIZE,
    )
    try:
        tables = [
            load(services, source, role, status)
            for source, role in ((reference, "reference"), (current, "current"))
        ]
        status.say(":hourglass_flowing_sand: Comparing the groups…", force=True)
        facts = analyse(tables[0], tables[1], request)
    except (datasets.SourceError, FairnessInputError) as problem:
        status.withdraw()
        reply(text=REFUSED + refusal(problem))
        return
    except Exception:
        log.exception("fairness analysis failed")
        status.say(":warning: Stopped: the analysis failed; it is logged.", force=True)
        raise
    status.say(":white_check_mark: Done: the findings follow.", force=True)
    _publish(services, channel, facts, reference.text, current.text, actor)


def _publish(
    services: Services,
    channel: str,
    facts: dict[str, Any],
    reference: str,
    current: str,
    actor: str | None,
) -> None:
    from bot.diagnosis.fairness import mask
    from bot.documents.plotting import fairness_png

    with services.db.begin() as session:
        incident = queries.by_channel(session, channel)
        private = incident is not None and incident.private
    # An incident only ever becomes private, so a public reading can only withhold more.
    shown = facts if private else mask(facts, services.settings.sensitive_columns)
    png = fairness_png(shown)
    with services.db.begin() as session:
        incident = queries.by_channel(session, channel)
        if incident is None:
            return
        timeline.record(
            session,
            incident,
            EventKind.FAIRNESS_FOUND,
            shown["verdict"],
            actor=actor,
            **kept(shown, reference, current),
        )
        effects.enqueue(
            session,
            incident.id,
            "message",
            channel=channel,
            text=fairness_findings.text(shown),
            blocks=render(fairness_findings.result_blocks(shown, reference, current, actor)),
        )
        effects.enqueue(
            session,
            incident.id,
            "upload",
            channel=channel,
            filename=f"fairness-{incident.reference}.png",
            title=f"{incident.reference} fairness: reference vs current by group",
            content=base64.b64encode(png).decode("ascii"),
            comment="Selection rate (and error rates, with labels) by group, reference "
            "against current.",
        )
        incident_id = incident.id
    effects.drain(services, incident_id)


def kept(facts: dict[str, Any], reference: str, current: str) -> dict[str, Any]:
    """What the timeline keeps: the findings with each breakdown's largest moves (the
    figures only; the post-mortem and the review read these)."""
    from bot.diagnosis.fairness import breached

    breakdowns = []
    for breakdown in facts["breakdowns"]:
        named = sorted(
            breakdown["groups"].items(),
            key=lambda item: -abs(((item[1].get("change") or {}).get("selection_rate")) or 0.0),
        )
        breakdowns.append({**breakdown, "groups": dict(named[:GROUPS_KEPT])})
    trimmed = {
        key: value
        for key, value in facts.items()
        if key not in ("groups", "reference", "current", "change", "group")
    }
    return {
        **trimmed,
        "breakdowns": breakdowns,
        "reference_data": reference,
        "current_data": current,
        "breached": breached(facts),
    }
