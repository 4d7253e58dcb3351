"""``/incident drift`` and alert-started drift analyses: fetch, compare, post the findings.

The command is acknowledged at once; the work runs in the heavy pool. The
channel sees a working message that says what is happening (with progress for
large files), then the verdict, the per-column table and a chart. The findings
are a ``drift_found`` timeline event, which the post-mortem's lineage section
reads. Anything that cannot be used (a path outside the data folder, an
unreachable URL, a file that is not a table) is refused with the reason.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.app import effects, working
from bot.app.effect_kinds import StartDrift
from bot.app.requests import DriftArgs
from bot.incidents.kinds import EventKind
from bot.slack.blocks import drift_findings
from bot.slack.blocks.text import escape, mention, refusal, truncate
from bot.slack.webapi import notify
from bot.slack.webapi.replies import Reply
from bot.text import sizes
from bot.text.rendering import count

if TYPE_CHECKING:
    from bot.app.services import Services
    from bot.diagnosis.drift import DriftReport
    from bot.diagnosis.sources import compare
    from bot.diagnosis.sources.places import Place

log = logging.getLogger(__name__)


def start(
    services: Services, channel: str, args: DriftArgs, actor: str | None, reply: Reply
) -> None:
    """Check the request now (refusals change nothing); run the analysis in the heavy pool."""
    places = (args.reference, args.current)
    working.queue(
        services,
        channel,
        places,
        reply,
        "drift analysis",
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
    args: DriftArgs,
    actor: str | None,
    reply: Reply,
) -> None:
    from bot.diagnosis import datasets
    from bot.diagnosis.drift import DriftInputError
    from bot.diagnosis.sources import compare

    who = mention(actor) if actor else "The alert"
    head = (
        f":mag: {who} asked whether the data changed: `{escape(truncate(reference.text, 200))}` "
        f"(reference) against `{escape(truncate(current.text, 200))}` (current)."
    )
    status = working.Working(services, channel, head)
    try:
        status.say(":hourglass_flowing_sand: Reading and comparing the columns…", force=True)
        found = compare.drift(
            reference,
            current,
            where,
            until,
            prediction=args.prediction,
            target=args.target,
            skip=args.skip,
            progress=lambda done, total: status.say(
                f":hourglass_flowing_sand: Compared {sizes.number(done)} of "
                f"{count(total, 'column')}…"
            ),
            reading=working.reading(status),
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
    _publish(
        services,
        channel,
        found,
        _named(reference, where),
        _named(current, where),
        actor,
        where.window.described(until),
    )


def _named(place: Place, where: compare.Where) -> str:
    """A data set as the findings name it: with its window, when one was asked for."""
    window = where.window
    if not window.timed and not window.where:
        return place.text
    parts = [place.text]
    if window.timed:
        parts.append(f"--time-column {window.time_column}")
    parts += [f"--where {column}={value}" for column, value in window.where]
    return " ".join(parts)


def _publish(
    services: Services,
    channel: str,
    found: compare.Drift,
    reference: str,
    current: str,
    actor: str | None,
    rows: dict[str, Any] | None = None,
) -> None:
    from bot.diagnosis.drift import top_drifted
    from bot.diagnosis.sources.compare import described
    from bot.documents.plotting import drift_png

    report = found.report
    facts = findings(report, reference, current)
    # What was read, per side: the SHA-256 the evidence record carries (``compare.Reads``).
    facts.update(method=found.method, error_bound=found.error, read_sha256=found.digests)
    if rows is not None:  # the rows compared, as options: the investigator can ask again
        facts["rows"] = rows
    how = described(found.method, found.error)
    published = working.Findings(
        kind=EventKind.DRIFT_FOUND,
        said=drift_findings.timeline_text(report),
        facts=facts,
        text=f"Drift: {escape(report.verdict())}",
        blocks=drift_findings.result_blocks(report, reference, current, actor, how),
        chart=drift_png(top_drifted(report), report.verdict()),
        chart_name="drift",
        chart_title="drift: reference vs current",
        chart_comment="Reference against current for the most drifted columns.",
    )
    working.publish(services, channel, actor, published)


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


def start_owed(services: Services, incident_id: int, effect: StartDrift) -> None:
    """An analysis an alert asked for (``reference_data``/``current_data``), once the
    incident has its channel; problems are told to the channel, as nobody typed it."""
    channel = effects.incident_channel(services, incident_id)

    def tell_channel(**message: Any) -> None:
        notify.post(services.client, channel, str(message.get("text", "")))

    args = DriftArgs(effect.reference, effect.current, effect.prediction)
    start(services, channel, args, None, tell_channel)
