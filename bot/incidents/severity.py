"""Severity levels for ML incidents, and what each one means and expects (PRODUCT.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class Severity(StrEnum):
    SEV1 = "sev1"
    SEV2 = "sev2"
    SEV3 = "sev3"
    SEV4 = "sev4"

    @property
    def info(self) -> SeverityInfo:
        return SEVERITIES[self]

    @property
    def label(self) -> str:
        return self.value.upper()


@dataclass(frozen=True)
class SeverityInfo:
    name: str
    meaning: str
    expectation: str
    # The meaning said of a resolved incident: what it was, not what is happening now.
    was: str

    def meaning_of(self, is_open: bool) -> str:
        """The meaning as said of one incident: in the present while it is open."""
        return self.meaning if is_open else self.was


SEVERITIES: dict[Severity, SeverityInfo] = {
    Severity.SEV1: SeverityInfo(
        name="critical",
        meaning=(
            "Predictions are causing significant harm now: money lost, a safety risk, "
            "a regulatory breach or major customer impact."
        ),
        was=(
            "Predictions were causing significant harm: money lost, a safety risk, "
            "a regulatory breach or major customer impact."
        ),
        expectation=(
            "Respond immediately, all hands. Disable the model or fall back to a safe default. "
            "Executives are told within 30 minutes."
        ),
    ),
    Severity.SEV2: SeverityInfo(
        name="high",
        meaning=(
            "Materially wrong predictions are affecting operations "
            "(e.g. forecasts 40% off, accuracy below its threshold)."
        ),
        was=(
            "Materially wrong predictions were affecting operations "
            "(e.g. forecasts 40% off, accuracy below its threshold)."
        ),
        expectation=(
            "Respond within 2 hours with a senior engineer. Root-cause work starts; "
            "consider a partial fallback."
        ),
    ),
    Severity.SEV3: SeverityInfo(
        name="medium",
        meaning="Noticeable degradation, still within tolerance.",
        was="Noticeable degradation, within tolerance.",
        expectation="Respond within 24 hours through normal channels.",
    ),
    Severity.SEV4: SeverityInfo(
        name="low",
        meaning="Early signs only: input shift, confidence trending down.",
        was="Early signs only: input shift, confidence trending down.",
        expectation="Plan an investigation and record the trend.",
    ),
}


@dataclass(frozen=True)
class ResponseTarget:
    """What each severity's expected response means in minutes, for the review: people at
    work within ``acknowledge`` of the declaration, stakeholders told within ``notify``
    (when None, within the severity's status-update cadence)."""

    acknowledge: timedelta | None
    notify: timedelta | None


RESPONSE_TARGETS: dict[Severity, ResponseTarget] = {
    Severity.SEV1: ResponseTarget(timedelta(minutes=30), timedelta(minutes=30)),
    Severity.SEV2: ResponseTarget(timedelta(hours=2), None),
    Severity.SEV3: ResponseTarget(timedelta(hours=24), None),
    Severity.SEV4: ResponseTarget(None, None),
}

# sev1, SEV-1, sev 1 -> SEV1; p0..p3 (priority style) -> SEV1..SEV4.
_SEV = re.compile(r"^sev[-_ ]?([1-4])$")
_PRIORITY = re.compile(r"^p([0-3])$")


def parse_severity(text: str) -> Severity | None:
    """The severity ``text`` names, or None if it names none."""
    word = text.strip().lower()
    if match := _SEV.match(word):
        return Severity(f"sev{match.group(1)}")
    if match := _PRIORITY.match(word):
        return Severity(f"sev{int(match.group(1)) + 1}")
    return None


def looks_like_severity(text: str) -> bool:
    """True for words that try to be a severity (sev9, p7, sev-0), so they get a precise answer."""
    return bool(re.match(r"^(sev[-_ ]?\d+|p\d+)$", text.strip().lower()))
