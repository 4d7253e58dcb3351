"""The fairness findings as a readable table (the command line's output, and the table in
the channel), drawn from the findings' plain data, so a stored finding reads the same."""

from __future__ import annotations

from typing import Any

from bot.diagnosis.asking import QUALITY_LABELS
from bot.diagnosis.fairness import DISPARITY, FOUR_FIFTHS
from bot.text.rendering import count

GROUP_RATES = (
    ("selection_rate", "selection"),
    ("true_positive_rate", "TPR"),
    ("false_positive_rate", "FPR"),
    ("accuracy", "accuracy"),
)
NAME_WIDTH = 24


def report(facts: dict[str, Any], groups_shown: int = 40) -> str:
    """Everything, as the command line prints it."""
    lines = [heading(facts), facts["verdict"], ""]
    for breakdown in facts["breakdowns"]:
        lines += [f"By {breakdown['group']}:", *group_table(facts, breakdown, groups_shown), ""]
        lines += [*disparity_table(breakdown), ""]
    if facts.get("label"):
        lines += ["Model quality (all rows with a label):", *quality_table(facts), ""]
    lines.append(conventions(facts))
    return "\n".join(lines)


def heading(facts: dict[str, Any]) -> str:
    rows = facts["rows"]
    favourable = facts["favourable"] if facts.get("favourable") is not None else facts["reading"]
    said = f"Fairness of {facts['prediction']} (favourable: {favourable})"
    if facts.get("label"):
        said += f", labels from {facts['label']}"
    return (
        f"{said}: reference {rows['reference']:,} rows, current {rows['current']:,} rows."
        + _left_out(facts)
    )


def _left_out(facts: dict[str, Any]) -> str:
    left = facts.get("left_out") or {}
    if not any(left.values()):
        return ""
    return (
        f" Rows without a prediction left out: {left.get('reference', 0):,} (reference), "
        f"{left.get('current', 0):,} (current)."
    )


def shown_rates(facts: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return GROUP_RATES if facts.get("label") else GROUP_RATES[:1]


def group_table(facts: dict[str, Any], breakdown: dict[str, Any], shown: int) -> list[str]:
    rates = shown_rates(facts)
    header = ["group".ljust(NAME_WIDTH), "window".ljust(9), "count".rjust(9)]
    header += [label.rjust(10) for _, label in rates]
    lines = ["  ".join(header)]
    named = list(breakdown["groups"].items())
    for name, windows in named[:shown]:
        for window, first in (("reference", True), ("current", False), ("change", False)):
            lines.append(_group_row(name if first else "", window, windows, rates))
    if len(named) > shown:
        more = count(len(named) - shown, "more group")
        lines.append(f"… and {more} (the JSON output has them all).")
    return lines


def _group_row(
    name: str, window: str, windows: dict[str, Any], rates: tuple[tuple[str, str], ...]
) -> str:
    figures = windows.get(window)
    cells = [_cut(name, NAME_WIDTH).ljust(NAME_WIDTH), window.ljust(9)]
    if window == "change":
        cells.append("".rjust(9))
        cells += [_points(figures.get(key) if figures else None).rjust(10) for key, _ in rates]
    elif figures is None:
        cells.append("absent".rjust(9))
    elif figures.get("too_small"):
        cells += [f"{figures['count']:,}".rjust(9), "too few rows to judge"]
    else:
        cells.append(f"{figures['count']:,}".rjust(9))
        cells += [share(figures.get(key)).rjust(10) for key, _ in rates]
    return "  ".join(cells).rstrip()


def disparity_table(breakdown: dict[str, Any]) -> list[str]:
    lines = ["".ljust(32) + "reference".rjust(11) + "current".rjust(11) + "change".rjust(11)]
    for key in DISPARITY:
        if key not in breakdown["current"] and key not in breakdown["reference"]:
            continue
        change = (breakdown.get("change") or {}).get(key)
        lines.append(
            key.replace("_", " ").ljust(32)
            + number(breakdown["reference"].get(key)).rjust(11)
            + number(breakdown["current"].get(key)).rjust(11)
            + signed(change).rjust(11)
        )
    lines.append(
        "four-fifths rule (parity ratio ≥ 0.8)".ljust(32)
        + (breakdown["reference"].get("four_fifths_rule") or "n/a").rjust(11)
        + (breakdown["current"].get("four_fifths_rule") or "n/a").rjust(11)
    )
    return lines


def quality_table(facts: dict[str, Any]) -> list[str]:
    overall = facts["overall"]
    lines = ["".ljust(34) + "reference".rjust(11) + "current".rjust(11) + "change".rjust(11)]
    for key, label in QUALITY_LABELS:
        if key not in overall["current"]:
            continue
        lines.append(
            label.ljust(34)
            + number(overall["reference"].get(key)).rjust(11)
            + number(overall["current"].get(key)).rjust(11)
            + signed((overall.get("change") or {}).get(key)).rjust(11)
        )
    return lines


def conventions(facts: dict[str, Any]) -> str:
    return (
        f"Groups with fewer than {facts['min_group_size']:,} rows in a window are not judged "
        f"there. Four-fifths rule: the lowest selection rate at least {FOUR_FIFTHS:g} of the "
        "highest. Rates with no rows to divide by are 0 and ratios of zeros are empty, as "
        "Fairlearn gives them."
    )


def share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def signed(value: float | None) -> str:
    return "" if value is None else f"{value:+.3f}"


def _points(value: float | None) -> str:
    return "" if value is None else f"{value * 100:+.1f} pts"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
