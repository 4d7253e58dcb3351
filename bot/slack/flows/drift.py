"""``/incident drift`` and alert-started drift analyses: fetch, compare, post the findings.

The command is acknowledged at once; the work runs in the heavy pool. The
channel sees a working message that says what is happening (with progress for
large files), then the verdict, the per-column table and a chart. The findings
are a ``drift_found`` timeline event, which the post-mortem's lineage section
reads. Anything that cannot be used (a path outside the data folder, an
unreachable URL, a file that is not a table) is refused with the reason.
"""

from __future__ import annotations

import base64
import logging
from typing import TYPE_CHECKING, Any

from bot.incidents import queries, timeline
from bot.incidents.kinds import EventKind
from bot.slack import effects, notify
from bot.slack.background import QueueFull, Reply
from bot.slack.command_parser import DriftArgs
from bot.slack.flows.common import NOT_AN_INCIDENT
from bot.slack.flows.working import Working, load
from bot.slack.text import escape, mention, refusal, truncate
from bot.slack.views import drift_findings
from bot.slack.views.kit import render

if TYPE_CHECKING:
    from bot.diagnosis import datasets
    from bot.diagnosis.drift import DriftReport
    from bot.slack.services import Services

log = logging.getLogger(__name__)


def start(
    services: Services, channel: str, args: DriftArgs, actor: str | None, reply: Reply
) -> None:
    """Check the request now (refusals change nothing); run the analysis in the heavy pool."""
    # pandas and scipy take a second or two to import: the bot pays it on first use.
    from bot.diagnosis import datasets

    limits = services.settings.drift_limits
    try:
        reference = datasets.locate(args.reference, services.settings.data_dir, limits)
        current = datasets.locate(args.current, services.settings.data_dir, limits)
    except datasets.SourceError as problem:
        reply(text=f"No drift analysis: {refusal(problem)}")
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
            text=f"No drift analysis: {full.ahead} analyses are already running or waiting, "
            "as many as this bot queues. Try again in a few minutes."
        )
        return
    if ahead:
        reply(
            text=f"Your drift analysis waits behind {ahead} other"
            f"{'s' if ahead > 1 else ''}; the findings will follow in the channel."
        )


def _run(
    services: Services,
    channel: str,
    args: DriftArgs,
    reference: datasets.Source,
    current: datasets.Source,
    actor: str | None,
    reply: Reply,
) -> None:
    from bot.diagnosis import datasets
    from bot.diagnosis.drift import DriftInputError, analyse

    who = mention(actor) if actor else "The alert"
    head = (
        f":mag: {who} asked whether the data changed: `{escape(truncate(reference.text, 200))}` "
        f"(reference) against `{escape(truncate(current.text, 200))}` (current)."
    )
    status = Working(services, channel, head)
    try:
        tables = [
            load(services, source, role, status)
            for source, role in ((reference, "reference"), (current, "current"))
        ]
        status.say(":hourglass_flowing_sand: Comparing the columns…", force=True)
        report = analyse(
            tables[0],
            tables[1],
            prediction=args.prediction,
            target=args.target,
            skip=args.skip,
            progress=lambda done, total: status.say(
                f":hourglass_flowing_sand: Compared {done} of {total} columns…"
            ),
        )
    except (datasets.SourceError, DriftInputError) as problem:
        # Found only on reading (an unreachable URL, bytes that are not a table).
        status.withdraw()
        reply(text=f"No drift analysis: {refusal(problem)}")
        return
    except Exception:
        log.exception("drift analysis failed")
        status.say(":warning: Stopped: the analysis failed; it is logged.", force=True)
        raise
    status.say(":white_check_mark: Done: the findings follow.", force=True)
    _publish(services, channel, report, reference.text, current.text, actor)


def _publish(
    services: Services,
    channel: str,
    report: DriftReport,
    reference: str,
    current: str,
    actor: str | None,
) -> None:
    from bot.diagnosis.drift import top_drifted
    from bot.documents.plotting import drift_png

    shown = top_drifted(report)
    png = drift_png(shown, report.verdict())
    with services.db.begin() as session:
        incident = queries.by_channel(session, channel)
        if incident is None:
            return
        timeline.record(
            session,
            incident,
            EventKind.DRIFT_FOUND,
            drift_findings.timeline_text(report),
            actor=actor,
            **findings(report, reference, current),
        )
        effects.enqueue(
            session,
            incident.id,
            "message",
            channel=channel,
            text=f"Drift: {escape(report.verdict())}",
            blocks=render(drift_findings.result_blocks(report, reference, current, actor)),
        )
        effects.enqueue(
            session,
            incident.id,
            "upload",
            channel=channel,
            filename=f"drift-{incident.reference}.png",
            title=f"{incident.reference} drift: reference vs current",
            content=base64.b64encode(png).decode("ascii"),
            comment="Reference against current for the most drifted columns.",
        )
        incident_id = incident.id
    effects.drain(services, incident_id)


def findings(report: DriftReport, reference: str, current: str) -> dict[str, Any]:
    """What the timeline keeps of an analysis (and the post-mortem's lineage shows)."""
    return {
        "reference": reference,
        "current": current,
        "verdict": report.verdict(),
        "dataset_drift": report.dataset_drift,
        "drifted": [str(c.column) for c in report.drifted],
        "tested": len(report.columns),
        "missing_jumped": [str(c.column) for c in report.missing_jumps],
        "columns": [
            {
                "column": str(c.column),
                "method": c.outcome.method.value,
                "score": c.outcome.score,
                "drifted": c.outcome.drifted,
                "psi": c.outcome.psi,
            }
            for c in report.columns[:50]
            if c.outcome is not None
        ],
        "prediction_drifted": (
            report.prediction.drifted if report.prediction is not None else None
        ),
    }


@effects.performs("drift", "start the drift analysis the alert asked for")
def _start_owed(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    """An analysis an alert asked for (``reference_data``/``current_data``), once the
    incident has its channel; problems are told to the channel, as nobody typed it."""
    channel = effects.incident_channel(services, incident_id)

    def tell_channel(**message: Any) -> None:
        notify.post(services.client, channel, str(message.get("text", "")))

    args = DriftArgs(payload["reference"], payload["current"], payload.get("prediction"))
    start(services, channel, args, None, tell_channel)
