"""Block Kit for a fairness analysis: the verdict in words, then each breakdown's groups
(largest move first), the disparity across groups and the model's quality by window.
Drawn from the findings' plain data (``bot.diagnosis.fairness``), names escaped."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, PlainTextObject, SectionBlock

from bot.diagnosis.asking import QUALITY_LABELS
from bot.slack.blocks.kit import md
from bot.slack.blocks.text import escape, truncate
from bot.text.rendering import count

SECTION_MAX = 2900
GROUPS_SHOWN = 12
BREAKDOWNS_SHOWN = 4


def result_blocks(
    facts: dict[str, Any], reference: str, current: str, by: str | None
) -> list[Block]:
    breached = any(b["current"].get("four_fifths_rule") == "breached" for b in facts["breakdowns"])
    icon = ":rotating_light:" if breached else ":scales:"
    rows = facts["rows"]
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=truncate(title(facts), 150), emoji=False)),
        SectionBlock(
            text=md(
                f"{icon} *{escape(truncate(facts['verdict'], 1500))}*\n"
                f"Favourable outcome: {escape(truncate(_favourable(facts), 200))}. "
                f"Reference `{escape(truncate(reference, 200))}` "
                f"({count(rows['reference'], 'row')}) "
                f"· current `{escape(truncate(current, 200))}` ({count(rows['current'], 'row')})"
            )
        ),
    ]
    for breakdown in facts["breakdowns"][:BREAKDOWNS_SHOWN]:
        blocks.append(SectionBlock(text=md(_fit(breakdown_lines(facts, breakdown)))))
    if facts.get("label"):
        blocks.append(SectionBlock(text=md(_fit(quality_lines(facts)))))
    blocks.append(ContextBlock(elements=[md(truncate(_notes(facts, by), SECTION_MAX))]))
    return blocks


def title(facts: dict[str, Any]) -> str:
    names = ", ".join(b["group"] for b in facts["breakdowns"])
    return f"Fairness by {names}"


def text(facts: dict[str, Any]) -> str:
    """The message's plain text (notifications, screen readers)."""
    return f"Fairness: {escape(facts['verdict'])}"


def breakdown_lines(facts: dict[str, Any], breakdown: dict[str, Any]) -> list[str]:
    labelled = bool(facts.get("label"))
    lines = [f"*By {escape(breakdown['group'])}*"]
    ordered = sorted(breakdown["groups"].items(), key=lambda item: -_moved(item[1]))
    for name, windows in ordered[:GROUPS_SHOWN]:
        lines.append(group_line(name, windows, labelled))
    if len(ordered) > GROUPS_SHOWN:
        lines.append(f"… {count(len(ordered) - GROUPS_SHOWN, 'more group')}, each moving less.")
    lines.append(disparity_line(breakdown))
    return lines


def group_line(name: str, windows: dict[str, Any], labelled: bool) -> str:
    ref, cur = windows.get("reference"), windows.get("current")
    head = f"• `{escape(truncate(name, 60))}`: "
    if ref is None or cur is None:
        only = "current" if ref is None else "reference"
        return head + f"only in the {only} data ({_rows(ref or cur)})"
    if ref.get("too_small") or cur.get("too_small"):
        return head + f"too few rows to judge ({_count(ref)} → {_rows(cur)})"
    parts = [_moving("selection", ref, cur, "selection_rate", points=True)]
    if labelled:
        parts += [
            _moving("TPR", ref, cur, "true_positive_rate"),
            _moving("FPR", ref, cur, "false_positive_rate"),
        ]
    parts.append(f"{_count(ref)} → {_rows(cur)}")
    return head + " · ".join(parts)


def disparity_line(breakdown: dict[str, Any]) -> str:
    ref, cur = breakdown["reference"], breakdown["current"]
    rule = cur.get("four_fifths_rule")
    verdict = {"breached": " *(four-fifths rule breached)*", "met": " (four-fifths rule met)"}
    parts = [
        f"parity ratio {_number(ref.get('demographic_parity_ratio'))} → "
        f"{_number(cur.get('demographic_parity_ratio'))}{verdict.get(rule or '', '')}",
        f"parity difference {_number(ref.get('demographic_parity_difference'))} → "
        f"{_number(cur.get('demographic_parity_difference'))}",
    ]
    if "equalized_odds_difference" in cur:
        parts.append(
            f"equalized odds difference {_number(ref.get('equalized_odds_difference'))} → "
            f"{_number(cur.get('equalized_odds_difference'))}"
        )
    return "Across groups: " + " · ".join(parts)


def quality_lines(facts: dict[str, Any]) -> list[str]:
    overall = facts["overall"]
    ref, cur = overall["reference"], overall["current"]
    parts = [
        f"{label} {_number(ref.get(key))} → {_number(cur.get(key))}"
        for key, label in QUALITY_LABELS
        if key in cur
    ]
    return ["*Model quality* (rows with a label, reference → current)", " · ".join(parts)]


def _notes(facts: dict[str, Any], by: str | None) -> str:
    notes = []
    masked = [b["group"] for b in facts["breakdowns"] if b.get("masked")]
    if masked:
        notes.append(
            f"Group names of {escape(', '.join(masked))} are withheld in this channel "
            + ("(a sensitive column)" if len(masked) == 1 else "(sensitive columns)")
            + ": the figures are the same; a private incident shows them."
        )
    if len(facts["breakdowns"]) > BREAKDOWNS_SHOWN:
        hidden = len(facts["breakdowns"]) - BREAKDOWNS_SHOWN
        notes.append(f"{count(hidden, 'more breakdown')} not shown.")
    left = facts.get("left_out") or {}
    if any(left.values()):
        notes.append(
            f"Rows without a prediction left out: {left.get('reference', 0):,} (reference), "
            f"{left.get('current', 0):,} (current)."
        )
    if facts.get("method") in ("sketch", "pushdown"):
        where = "the warehouse" if facts["method"] == "pushdown" else "the dataset"
        notes.append(
            f"Counted in {where} ({facts['method']}): only the counts of each group, decision "
            "and label left it, so every figure is exact."
        )
    notes.append(
        f"Groups under {facts['min_group_size']:,} rows in a window are not judged there. "
        "Figures as Fairlearn computes them; four-fifths rule: the lowest selection rate at "
        "least 0.8 of the highest." + (f" Asked by <@{by}>." if by else "")
    )
    return " ".join(notes)


def _favourable(facts: dict[str, Any]) -> str:
    if facts.get("favourable") is not None:
        return f"{facts['prediction']} = {facts['favourable']}"
    return f"{facts['prediction']} {facts['reading'].removeprefix('score ')}"


def _moved(windows: dict[str, Any]) -> float:
    change = windows.get("change") or {}
    return abs(float(change.get("selection_rate") or 0.0))


def _moving(
    label: str, ref: dict[str, Any], cur: dict[str, Any], key: str, *, points: bool = False
) -> str:
    before, after = ref.get(key), cur.get(key)
    said = f"{label} {_share(before)} → {_share(after)}"
    if points and before is not None and after is not None:
        said += f" ({(after - before) * 100:+.1f} pts)"
    return said


def _count(figures: dict[str, Any] | None) -> str:
    return f"{figures['count']:,}" if figures else "0"


def _rows(figures: dict[str, Any] | None) -> str:
    """``1 row``, ``1,200 rows``."""
    return count(figures["count"] if figures else 0, "row")


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _fit(lines: list[str]) -> str:
    return truncate("\n".join(lines), SECTION_MAX)
