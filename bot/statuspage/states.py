"""The states a public component is in and the statuses a public incident goes through,
named as Atlassian Statuspage names them (so ``/status.json`` reads as its summary)."""

from __future__ import annotations

from enum import StrEnum


class ComponentState(StrEnum):
    OPERATIONAL = "operational"
    DEGRADED = "degraded_performance"
    PARTIAL = "partial_outage"
    MAJOR = "major_outage"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def rank(self) -> int:
        return _RANKS[self.value]


_RANKS = {"operational": 0, "degraded_performance": 1, "partial_outage": 2, "major_outage": 3}


class PublicStatus(StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"

    @property
    def label(self) -> str:
        return self.value.capitalize()


# An incident's impact follows the worst state it puts a component in (Statuspage's words).
IMPACTS = ("none", "minor", "major", "critical")

# What a publication says of its components when nobody chose: the severity's reach.
BY_SEVERITY = {
    "sev1": ComponentState.MAJOR,
    "sev2": ComponentState.PARTIAL,
    "sev3": ComponentState.DEGRADED,
    "sev4": ComponentState.DEGRADED,
}


def worst(states: list[ComponentState]) -> ComponentState:
    return max(states, key=lambda s: s.rank, default=ComponentState.OPERATIONAL)


def impact(states: list[ComponentState]) -> str:
    """``none``, ``minor``, ``major`` or ``critical``: Statuspage's impact for these states."""
    return IMPACTS[worst(states).rank]


def state_named(word: str) -> ComponentState:
    """A state from what a person types: its value or its first word (``degraded``,
    ``partial``, ``major``); ValueError listing them otherwise."""
    wanted = word.strip().lower().replace(" ", "_").replace("-", "_")
    for state in ComponentState:
        if wanted in (state.value, state.value.split("_")[0]):
            return state
    raise ValueError(
        f"{word[:40]!r} is not a component state: say one of "
        + ", ".join(s.value for s in ComponentState)
        + "."
    )


def status_named(word: str) -> PublicStatus:
    wanted = word.strip().lower()
    for status in PublicStatus:
        if wanted == status.value:
            return status
    raise ValueError(
        f"{word[:40]!r} is not a public status: say investigating, identified, monitoring "
        "or resolved."
    )
