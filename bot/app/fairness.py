"""``/incident fairness``: fetch two windows, compare them by group, post the findings.

Acknowledged at once; the work runs in the heavy pool, as drift does, with the same
working message, sources, size limits and queue. The findings are a ``fairness_found``
timeline event (facts, not text) that the post-mortem, the console and the review read.
In a channel that is not private, the values of ``INCIDENTBOT_SENSITIVE_COLUMNS`` are
replaced by "#1", "#2"… in everything posted and kept: the figures stay, the names do not.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.app import working
from bot.app.requests import FairnessArgs
from bot.incidents import queries
from bot.incidents.kinds import EventKind
from bot.slack.blocks import fairness_findings
from bot.slack.blocks.text import escape, mention, refusal, truncate
from bot.slack.webapi.replies import Reply

if TYPE_CHECKING:
    from bot.app.services import Services
    from bot.diagnosis.sources import compare
    from bot.diagnosis.sources.places import Place

log = logging.getLogger(__name__)
GROUPS_KEPT = 50  # groups per breakdown the timeline keeps (the largest moves)
REFUSED = "No fairness analysis: "


def start(
    services: Services, channel: str, args: FairnessArgs, actor: str | None, reply: Reply
) -> None:
    """Check the request now (refusals change nothing); run the analysis in the heavy pool."""
    places = (args.reference, args.current)
    working.queue(
        services,
        channel,
        places,
        reply,
        "fairness analysis",
        _run,
        args,
        actor,
        reply,
        rows=args.rows,
    )


def _run(
    services: Services,
    channel: str,
    reference: Place,
    current: Place,
    where: compare.Where,
    until: datetime,
    args: FairnessArgs,
    actor: str | None,
    reply: Reply,
) -> None:
    from bot.diagnosis import datasets
    from bot.diagnosis.asking import MIN_GROUP_SIZE
    from bot.diagnosis.fairness import FairnessInputError, Request, analyse
    from bot.diagnosis.sources import compare

    head = (
        f":scales: {mention(actor) if actor else 'The alert'} asked whether the model treats "
        f"groups alike: `{escape(truncate(reference.text, 200))}` (reference) against "
        f"`{escape(truncate(current.text, 200))}` (current)."
    )
    status = working.Working(services, channel, head)
    request = Request(
        groups=args.groups,
        prediction=args.prediction,
        label=args.label,
        favourable=args.favourable,
        threshold=args.threshold,
        min_group_size=args.min_group_size or MIN_GROUP_SIZE,
    )
    read: dict[str, str] = {}  # per side, the SHA-256 of what was read (compare.Reads)
    try:
        ref, cur, method = compare.fairness_tables(
            reference,
            current,
            where,
            until,
            compare.needed(request),
            reading=working.reading(status),
            digests=read,
        )
        status.say(":hourglass_flowing_sand: Comparing the groups…", force=True)
        facts = {**analyse(ref, cur, request), "method": method, "read_sha256": read}
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
    found = working.Findings(
        kind=EventKind.FAIRNESS_FOUND,
        said=shown["verdict"],
        facts=kept(shown, reference, current),
        text=fairness_findings.text(shown),
        blocks=fairness_findings.result_blocks(shown, reference, current, actor),
        chart=fairness_png(shown),
        chart_name="fairness",
        chart_title="fairness: reference vs current by group",
        chart_comment="Selection rate (and error rates, with labels) by group, reference "
        "against current.",
    )
    working.publish(services, channel, actor, found)


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
