"""Runbooks: checklists in ``templates/runbooks/``, offered in the channel by triage."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from bot.incidents.triage_questions import Runbook
from bot.store.resources import templates_dir

MAX_ITEMS = 10  # one Slack checkbox group holds ten options


@dataclass(frozen=True)
class Checklist:
    runbook: Runbook
    title: str
    summary: str
    items: tuple[str, ...]


@cache
def load(runbook: Runbook) -> Checklist:
    lines = (templates_dir() / "runbooks" / f"{runbook.value}.md").read_text().splitlines()
    title = lines[0].removeprefix("# ").strip()
    items = tuple(line[len("- [ ] ") :].strip() for line in lines if line.startswith("- [ ] "))
    summary = next((line for line in lines[1:] if line and not line.startswith("- [")), "")
    if not items or len(items) > MAX_ITEMS:
        raise ValueError(f"runbook {runbook.value} needs 1 to {MAX_ITEMS} checklist items")
    return Checklist(runbook, title, summary, items)
