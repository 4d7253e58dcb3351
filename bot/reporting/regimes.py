"""Reporting regimes as data: what makes an incident serious under a law, how long the
provider has to report it, and what the report must hold.

A regime is a TOML file (``templates/regimes/eu-ai-act.toml``; a team adds its own in
``INCIDENTBOT_REGIMES_DIR``). Reading one checks it whole and names the first problem
in a sentence a person can act on (:class:`RegimeError`).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BUILT_IN = Path(__file__).resolve().parents[2] / "templates" / "regimes"
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_KEY = re.compile(r"^[a-z][a-z0-9-]{0,39}$")

# Every field a report can carry; a regime's sections name some of them as required.
FIELDS: dict[str, str] = {
    "provider": "the provider's name",
    "contact": "a contact for the authority",
    "ai_system": "the AI system (model and version)",
    "what_happened": "what happened",
    "awareness": "when the provider became aware",
    "first_signal": "the first signal",
    "containment": "when it was contained",
    "harm": "the harm (the assessment's criteria)",
    "affected": "who was affected",
    "member_states": "the Member States where it occurred",
    "causal_link": "the causal link with the AI system",
    "findings": "the findings (drift, fairness)",
    "corrective_measures": "the corrective measures taken or planned",
}


class RegimeError(ValueError):
    """A regime file (or the setting naming regimes) is not usable; the message says why."""


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str  # "the death of a person"
    question: str
    days: int


@dataclass(frozen=True)
class Section:
    title: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Regime:
    name: str
    title: str
    authority: str
    days: int
    criteria: tuple[Criterion, ...]
    sections: tuple[Section, ...]
    member_states: tuple[str, ...] = ()
    widespread_days: int | None = None
    widespread_question: str = "Is it widespread?"

    def criterion(self, key: str) -> Criterion | None:
        return next((c for c in self.criteria if c.key == key), None)

    @property
    def required(self) -> tuple[str, ...]:
        """The fields the complete report needs, in the sections' order."""
        seen: list[str] = []
        for section in self.sections:
            seen.extend(f for f in section.fields if f not in seen)
        return tuple(seen)


@dataclass(frozen=True)
class ReportingSettings:
    """What ``INCIDENTBOT_REPORTING`` turned on (none: reporting is off), and who reports."""

    regimes: tuple[Regime, ...] = ()
    provider: str | None = None
    contact: str | None = None

    @property
    def on(self) -> bool:
        return bool(self.regimes)

    @property
    def regime(self) -> Regime:
        """The first regime named: the one whose deadlines the clock keeps."""
        if not self.regimes:
            raise RegimeError("Serious-incident reporting is off (INCIDENTBOT_REPORTING).")
        return self.regimes[0]


def _whole_days(where: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 365:
        raise RegimeError(f"{where} must be a whole number of days from 1 to 365, not {value!r}.")
    return value


def _text(where: str, value: Any, limit: int = 300) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise RegimeError(f"{where} must be text of 1 to {limit} characters.")
    return value.strip()


def parse(text: str, origin: str) -> Regime:
    """A regime from its TOML text; ``origin`` names the file in the messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as bad:
        raise RegimeError(f"{origin} is not valid TOML: {bad}.") from None
    name = data.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise RegimeError(
            f"{origin} needs a name of lowercase letters, digits and dashes (eu-ai-act)."
        )
    days = _whole_days(f"{origin}'s days", data.get("days"))
    criteria: list[Criterion] = []
    for number, entry in enumerate(data.get("criteria") or [], start=1):
        where = f"{origin}: criterion {number}"
        if not isinstance(entry, dict):
            raise RegimeError(f"{where} must be a [[criteria]] table.")
        stray = sorted(set(entry) - {"key", "label", "question", "days"})
        if stray:
            raise RegimeError(
                f"{where} has {', '.join(stray)}, which a criterion does not take (a setting "
                "after a [[criteria]] table belongs to it: move it above the first one)."
            )
        key = entry.get("key")
        if not isinstance(key, str) or not _KEY.match(key):
            raise RegimeError(f"{where} needs a key of lowercase letters and dashes (death).")
        if any(c.key == key for c in criteria):
            raise RegimeError(f"{origin} names the criterion {key!r} twice.")
        criteria.append(
            Criterion(
                key=key,
                label=_text(f"{where}'s label", entry.get("label")),
                question=_text(f"{where}'s question", entry.get("question")),
                days=_whole_days(f"{where}'s days", entry.get("days", days)),
            )
        )
    if not criteria:
        raise RegimeError(
            f"{origin} lists no [[criteria]]: nothing could make an incident serious."
        )
    sections: list[Section] = []
    for number, entry in enumerate(data.get("sections") or [], start=1):
        where = f"{origin}: section {number}"
        if not isinstance(entry, dict):
            raise RegimeError(f"{where} must be a [[sections]] table.")
        fields = entry.get("fields") or []
        unknown = [f for f in fields if f not in FIELDS]
        if not isinstance(fields, list) or unknown:
            raise RegimeError(
                f"{where} names fields the report does not know: {', '.join(map(str, unknown))}; "
                f"the fields are {', '.join(FIELDS)}."
            )
        sections.append(Section(_text(f"{where}'s title", entry.get("title"), 80), tuple(fields)))
    states = data.get("member_states") or []
    if not isinstance(states, list) or not all(
        isinstance(s, str) and re.fullmatch(r"[A-Z]{2}", s) for s in states
    ):
        raise RegimeError(f"{origin}: member_states must list two-letter codes (DE, FR).")
    widespread = data.get("widespread_days")
    return Regime(
        name=name,
        title=_text(f"{origin}'s title", data.get("title"), 120),
        authority=_text(f"{origin}'s authority", data.get("authority")),
        days=days,
        criteria=tuple(criteria),
        sections=tuple(sections),
        member_states=tuple(states),
        widespread_days=None
        if widespread is None
        else _whole_days(f"{origin}'s widespread_days", widespread),
        widespread_question=str(data.get("widespread_question") or "Is it widespread?"),
    )


def available(extra: Path | None = None) -> dict[str, Path]:
    """Every regime file by name: the built-in ones, then the team's (which win)."""
    found: dict[str, Path] = {}
    for folder in (BUILT_IN, extra):
        if folder is not None and folder.is_dir():
            for path in sorted(folder.glob("*.toml")):
                found[path.stem] = path
    return found


def load(names: str | None, extra: Path | None = None) -> tuple[Regime, ...]:
    """The regimes ``names`` (comma-separated) turns on; none for an empty setting."""
    wanted = [n.strip().lower() for n in (names or "").split(",") if n.strip()]
    files = available(extra)
    regimes: list[Regime] = []
    for name in wanted:
        path = files.get(name)
        if path is None:
            known = ", ".join(sorted(files)) or "none"
            raise RegimeError(
                f"INCIDENTBOT_REPORTING names {name!r}, which is no regime here (known: {known}); "
                "add its file to INCIDENTBOT_REGIMES_DIR as <name>.toml."
            )
        regime = parse(path.read_text(encoding="utf-8"), path.name)
        if regime.name != name:
            raise RegimeError(
                f"{path.name} calls itself {regime.name!r}; name the file {regime.name}.toml."
            )
        if all(r.name != name for r in regimes):
            regimes.append(regime)
    return tuple(regimes)


def settings_from(
    reporting: str | None, regimes_dir: str | None, provider: str | None, contact: str | None
) -> ReportingSettings:
    """The reporting settings from the environment's four values; RegimeError says what is
    wrong."""
    folder = None
    if regimes_dir:
        folder = Path(regimes_dir)
        if not folder.is_dir():
            raise RegimeError(
                f"INCIDENTBOT_REGIMES_DIR {regimes_dir!r} is not a folder on this machine."
            )
    regimes = load(reporting, folder)
    if provider is not None and len(provider.strip()) > 200:
        raise RegimeError("INCIDENTBOT_PROVIDER_NAME is longer than 200 characters.")
    if contact is not None and len(contact.strip()) > 300:
        raise RegimeError("INCIDENTBOT_REPORTING_CONTACT is longer than 300 characters.")
    return ReportingSettings(
        regimes=regimes,
        provider=(provider or "").strip() or None,
        contact=(contact or "").strip() or None,
    )


@dataclass(frozen=True)
class Answers:
    """An assessment: each criterion yes / no / unknown, widespread, where, the causal link."""

    criteria: dict[str, str] = field(default_factory=dict)  # key -> "yes" | "no" | "unknown"
    widespread: str = "unknown"
    member_states: tuple[str, ...] = ()
    causal: str = "unknown"  # "established" | "likely" | "no" | "unknown"
    note: str = ""

    def met(self, regime: Regime) -> tuple[Criterion, ...]:
        return tuple(c for c in regime.criteria if self.criteria.get(c.key) == "yes")

    @property
    def serious(self) -> bool:
        return any(v == "yes" for v in self.criteria.values())

    def as_data(self) -> dict[str, Any]:
        return {
            "criteria": dict(self.criteria),
            "widespread": self.widespread,
            "member_states": list(self.member_states),
            "causal": self.causal,
            "note": self.note,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any] | None) -> Answers:
        data = data or {}
        return cls(
            criteria={str(k): str(v) for k, v in (data.get("criteria") or {}).items()},
            widespread=str(data.get("widespread") or "unknown"),
            member_states=tuple(str(s) for s in data.get("member_states") or ()),
            causal=str(data.get("causal") or "unknown"),
            note=str(data.get("note") or ""),
        )


CAUSAL_WORDS = {
    "established": "established",
    "likely": "reasonably likely",
    "no": "ruled out",
    "unknown": "not yet known",
}
