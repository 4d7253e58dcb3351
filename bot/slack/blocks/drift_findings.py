"""Block Kit for a drift analysis: the verdict, pipeline suspects, the per-column table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, PlainTextObject, SectionBlock

from bot.slack.blocks.kit import md
from bot.slack.blocks.text import escape, truncate
from bot.text.rendering import count

if TYPE_CHECKING:  # pandas and scipy load on first use, not with the app
    from bot.diagnosis.drift import ColumnDrift, DriftReport

SECTION_MAX = 2900
LINES_SHOWN = 40


def psi_reading(psi: float) -> str:
    """The usual reading of a population stability index."""
    if psi < 0.1:
        return "stable"
    if psi <= 0.25:
        return "moderate shift"
    return "major shift"


def score_text(column: ColumnDrift) -> str:
    outcome = column.outcome
    assert outcome is not None
    method = outcome.method
    sign = ("<=" if method.value == "ks" else "<") if method.is_p_value else ">="
    holds = sign if outcome.drifted else {"<=": ">", "<": ">=", ">=": "<"}[sign]
    return f"{method.label} {_number(outcome.score)} {holds} {method.threshold:g}"


def column_line(column: ColumnDrift) -> str:
    outcome = column.outcome
    assert outcome is not None
    mark = ":red_circle: *drifted*" if outcome.drifted else ":white_circle: stable"
    name = escape(truncate(str(column.column), 60))
    return (
        f"{mark} `{name}` ({column.kind.value}): {score_text(column)} · "
        f"PSI {outcome.psi:.3f} ({psi_reading(outcome.psi)})"
    )


def missing_line(column: ColumnDrift) -> str:
    return (
        f":rotating_light: `{escape(truncate(str(column.column), 60))}`: missing values "
        f"{column.reference_missing:.1%} → {column.current_missing:.1%}"
    )


def result_blocks(
    report: DriftReport, reference: str, current: str, by: str | None, how: str | None = None
) -> list[Block]:
    verdict = report.verdict()
    icon = ":rotating_light:" if report.dataset_drift else ":mag:"
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=truncate(f"Drift: {verdict}", 150), emoji=False)),
        SectionBlock(
            text=md(
                f"{icon} *{len(report.drifted)} of {count(len(report.columns), 'column')} "
                "drifted* "
                f"(the data set counts as drifted when at least {report.drift_share:.0%} "
                f"have: *{'yes' if report.dataset_drift else 'no'}*).\n"
                f"Reference `{escape(truncate(reference, 200))}` ({report.reference_rows:,} rows) "
                f"· current `{escape(truncate(current, 200))}` ({report.current_rows:,} rows)"
            )
        ),
    ]
    jumps = report.missing_jumps
    if jumps:
        lines = [
            "*Missing values jumped: a likely pipeline failure* (a feed stopped or a join "
            "broke), whatever the drift tests say:"
        ] + [missing_line(c) for c in jumps[:10]]
        blocks.append(SectionBlock(text=md(_fit(lines))))
    if report.prediction is not None and report.prediction.outcome is not None:
        blocks.append(
            SectionBlock(
                text=md("*Prediction shift* (reported apart)\n" + column_line(report.prediction))
            )
        )
    if report.target is not None and report.target.outcome is not None:
        blocks.append(SectionBlock(text=md("*Target*\n" + column_line(report.target))))
    lines = [column_line(c) for c in report.columns[:LINES_SHOWN]]
    for chunk in _chunks(lines):
        blocks.append(SectionBlock(text=md(chunk)))
    notes = []
    if len(report.columns) > LINES_SHOWN:
        hidden = report.columns[LINES_SHOWN:]
        moved = sum(1 for c in hidden if c.drifted)
        also = f" ({moved} of them drifted)" if moved else ""
        notes.append(f"{count(len(hidden), 'more column')} not listed{also}.")
    if report.not_tested:
        skipped = ", ".join(
            f"`{escape(truncate(str(c.column), 40))}` ({c.not_tested})"
            for c in report.not_tested[:10]
        )
        notes.append(f"Not tested: {skipped}.")
    if report.only_in_one:
        only = len(report.only_in_one)
        notes.append(f"{count(only, 'column is', 'columns are')} in only one of the tables.")
    notes.append(
        "Tests and thresholds as Evidently's defaults (K-S, chi-squared or Z with up to 1,000 "
        "reference rows; normed Wasserstein or Jensen-Shannon with more)."
        + (f" How it was computed: {escape(how)}." if how else "")
        + (f" Asked by <@{by}>." if by else " Started by the alert.")
    )
    blocks.append(ContextBlock(elements=[md(truncate(" ".join(notes), SECTION_MAX))]))
    return blocks


def timeline_text(report: DriftReport) -> str:
    drifted = ", ".join(str(c.column) for c in report.drifted[:8])
    text = report.verdict() + (f" ({drifted})" if drifted else "")
    if report.missing_jumps:
        text += "; missing values jumped in " + ", ".join(
            str(c.column) for c in report.missing_jumps[:5]
        )
    return text


def _chunks(lines: list[str]) -> list[str]:
    chunks: list[str] = []
    current: list[str] = []
    for line in lines:
        if current and len("\n".join([*current, line])) > SECTION_MAX:
            chunks.append("\n".join(current))
            current = []
        current.append(line)
    if current:
        chunks.append("\n".join(current))
    return chunks


def _fit(lines: list[str]) -> str:
    return truncate("\n".join(lines), SECTION_MAX)


def _number(value: float) -> str:
    return f"{value:.3g}" if value >= 0.001 or value == 0 else f"{value:.2e}"
