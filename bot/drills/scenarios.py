"""Tabletop drills' scenarios: read from ``templates/drills/``, and the data they plant.

A scenario is a TOML file (documented in ``templates/drills/README.md``): the
incident to play, injects at offsets from the start (an alert, a message from a
stakeholder, a data set pair with drift planted in named columns), and the
moves expected of the team with a target time each. Pure: no Slack, no
database. ``lifecycle`` runs a drill, ``injects`` sends its injects on ``clock``,
``report`` scores it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.incidents.categories import FAILURE_CATEGORIES
from bot.incidents.severity import Severity, parse_severity
from bot.store.resources import templates_dir

KINDS = ("alert", "message", "data")
MOVES = {
    "roles": "All four roles taken",
    "triage": "Triage answered to a proposal",
    "severity": "Severity set to the scenario's",
    "containment": "A containment move made (rollback or lever)",
    "first_notice": "First notice sent to stakeholders",
    "drift": "Drift analysis run",
    "fairness": "Fairness analysis run",
}
_OFFSET = re.compile(r"^(\d+)\s*([smh])$")
_UNIT = {"s": 1, "m": 60, "h": 3600}
NUMBERS = ("amount", "merchant_risk", "account_age_days", "hour")
CATEGORIES = ("channel", "country")
# A data inject with ``fairness = "<band>"`` adds decisions by age band, that band's
# approvals halved in the current set: the columns and the command that checks them.
AGE_BANDS = ("18-30", "31-50", "51+")
FAIRNESS_CHECK = "--group age_band --prediction approved --label repaid"
LAYOUTS = ("files", "partitioned")


class ScenarioError(ValueError):
    """A scenario file cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Inject:
    at: timedelta
    kind: str
    text: str
    source: str = ""  # an alert's monitor, or who a message is from
    name: str = ""  # an alert's name
    features: tuple[str, ...] = ()
    rows: int = 2000
    fairness: str | None = None  # the age band whose approvals fall in the current set
    # "files": two CSV files; "partitioned": one hive-partitioned Parquet dataset, each set
    # a partition (window=reference/, window=current/), checked as folders.
    layout: str = "files"


@dataclass(frozen=True)
class Expect:
    move: str
    within: timedelta

    @property
    def label(self) -> str:
        return MOVES[self.move]


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    severity: Severity
    start_severity: Severity
    category: str | None
    model: str | None
    brief: str
    private: bool = False
    injects: tuple[Inject, ...] = ()
    expects: tuple[Expect, ...] = field(default_factory=tuple)


def folders(extra: Path | None = None) -> list[Path]:
    found = [templates_dir() / "drills"]
    return [extra, *found] if extra else found


def library(extra: Path | None = None) -> dict[str, Scenario]:
    """Every scenario, by name; a team's folder first, so its own may replace ours."""
    scenarios: dict[str, Scenario] = {}
    for folder in folders(extra):
        for path in sorted(folder.glob("*.toml")):
            scenario = load(path)
            scenarios.setdefault(scenario.name, scenario)
    return dict(sorted(scenarios.items()))


def find(name: str, extra: Path | None = None) -> Scenario:
    scenarios = library(extra)
    if name not in scenarios:
        raise ScenarioError(
            f"There is no drill `{name[:40]}`; the scenarios are: {', '.join(scenarios)}."
        )
    return scenarios[name]


def offset(text: Any, where: str) -> timedelta:
    match = _OFFSET.match(str(text).strip().lower())
    if not match:
        raise ScenarioError(f"{where}: {text!r} is not a time like 30s, 5m or 1h")
    return timedelta(seconds=int(match.group(1)) * _UNIT[match.group(2)])


def load(path: Path) -> Scenario:
    """Read and check one scenario file."""
    where = path.name
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"{where} cannot be read: {exc}") from None
    name = str(raw.get("name") or path.stem)
    if not re.match(r"^[a-z0-9][a-z0-9-]{0,39}$", name):
        raise ScenarioError(f"{where}: the name must be lowercase letters, digits and '-'")
    severity = parse_severity(str(raw.get("severity", "")))
    start = parse_severity(str(raw.get("start_severity", "sev3")))
    if severity is None or start is None:
        raise ScenarioError(f"{where}: severity and start_severity are sev1 to sev4")
    category = raw.get("category")
    if category is not None and category not in FAILURE_CATEGORIES:
        raise ScenarioError(f"{where}: {category!r} is not a failure category")
    injects = []
    for index, entry in enumerate(raw.get("inject") or [], 1):
        spot = f"{where} inject {index}"
        kind = str(entry.get("kind", ""))
        if kind not in KINDS:
            raise ScenarioError(f"{spot}: kind is one of {', '.join(KINDS)}")
        features = tuple(str(f) for f in entry.get("features") or ())
        unknown = [f for f in features if f not in NUMBERS + CATEGORIES]
        if unknown:
            raise ScenarioError(
                f"{spot}: {unknown[0]!r} is not a column of the drill data "
                f"({', '.join(NUMBERS + CATEGORIES)})"
            )
        fairness = entry.get("fairness")
        if fairness is not None and str(fairness) not in AGE_BANDS:
            raise ScenarioError(
                f"{spot}: fairness names the age band whose approvals fall, one of "
                f"{', '.join(AGE_BANDS)}"
            )
        layout = str(entry.get("layout", "files"))
        if layout not in LAYOUTS:
            raise ScenarioError(f"{spot}: layout is one of {', '.join(LAYOUTS)}")
        injects.append(
            Inject(
                at=offset(entry.get("at", "0m"), spot),
                kind=kind,
                text=str(entry.get("text", "")).strip(),
                source=str(entry.get("source") or entry.get("from") or ""),
                name=str(entry.get("name", "")),
                features=features,
                rows=max(200, min(int(entry.get("rows", 2000)), 50_000)),
                fairness=str(fairness) if fairness is not None else None,
                layout=layout,
            )
        )
    expects = []
    for index, entry in enumerate(raw.get("expect") or [], 1):
        move = str(entry.get("move", ""))
        if move not in MOVES:
            raise ScenarioError(f"{where} expect {index}: move is one of {', '.join(MOVES)}")
        expects.append(Expect(move, offset(entry.get("within", "10m"), f"{where} expect {index}")))
    if not injects:
        raise ScenarioError(f"{where}: a drill needs at least one [[inject]]")
    return Scenario(
        name=name,
        title=str(raw.get("title", "")).strip() or name,
        severity=severity,
        start_severity=start,
        category=category,
        model=raw.get("model"),
        brief=str(raw.get("brief", "")).strip(),
        private=bool(raw.get("private", False)),
        injects=tuple(sorted(injects, key=lambda i: i.at)),
        expects=tuple(expects),
    )


def clock(text: timedelta) -> str:
    seconds = int(text.total_seconds())
    return f"+{seconds // 60}:{seconds % 60:02d}"


def script(scenario: Scenario) -> str:
    """What ``incidentbot drill <name> --dry-run`` prints."""
    lines = [
        f"DRILL {scenario.name}: {scenario.title}",
        f"Plays a {scenario.severity.label} ({scenario.severity.info.name}); opens at "
        f"{scenario.start_severity.label}. Model: {scenario.model or '-'}. "
        f"Category: {scenario.category or '-'}.",
        "",
        scenario.brief,
        "",
        "Injects:",
    ]
    for inject in scenario.injects:
        said = {
            "alert": f"alert from {inject.source}: {inject.name}",
            "message": f"message from {inject.source}",
            "data": "data sets",
        }[inject.kind]
        lines.append(f"  {clock(inject.at)}  {said}. {inject.text}")
        if inject.features:
            lines.append(f"          drift planted in: {', '.join(inject.features)}")
        if inject.fairness:
            lines.append(f"          approvals halved for age band {inject.fairness}")
    lines += ["", "Expected moves:"]
    for expect in scenario.expects:
        lines.append(f"  within {clock(expect.within)}  {expect.label}")
    return "\n".join(lines) + "\n"


# -- the data an inject hands over --------------------------------------------------------
def write_data(scenario: Scenario, inject: Inject, folder: Path, stem: str) -> tuple[str, str]:
    """A reference and a current CSV in ``folder``, the same for every run of the drill, with
    the inject's features shifted in the current one; returns their names."""
    import numpy as np
    import pandas as pd

    seed = sum(ord(c) for c in f"{scenario.name}:{inject.at}")
    rng = np.random.default_rng(seed)

    def table(shifted: tuple[str, ...] | None) -> pd.DataFrame:  # None: the reference
        rows = inject.rows
        shifted_columns = shifted or ()
        data = {
            "amount": rng.lognormal(3.5, 0.6, rows),
            "merchant_risk": rng.beta(2, 8, rows),
            "account_age_days": rng.gamma(4, 180, rows),
            "hour": rng.integers(0, 24, rows).astype(float),
            "channel": rng.choice(["web", "app", "pos"], rows, p=[0.5, 0.3, 0.2]),
            "country": rng.choice(["DE", "FR", "NL", "ES"], rows, p=[0.4, 0.3, 0.2, 0.1]),
        }
        if "amount" in shifted_columns:
            data["amount"] = data["amount"] * 2.5
        if "merchant_risk" in shifted_columns:
            data["merchant_risk"] = rng.beta(5, 4, rows)
        if "account_age_days" in shifted_columns:
            data["account_age_days"] = rng.gamma(1.5, 60, rows)
        if "hour" in shifted_columns:
            data["hour"] = rng.integers(0, 6, rows).astype(float)
        if "channel" in shifted_columns:
            data["channel"] = rng.choice(["web", "app", "pos"], rows, p=[0.1, 0.2, 0.7])
        if "country" in shifted_columns:
            data["country"] = rng.choice(["DE", "FR", "NL", "ES"], rows, p=[0.1, 0.1, 0.2, 0.6])
        if inject.fairness:
            data.update(_decisions(rng, rows, inject.fairness if shifted is not None else None))
        return pd.DataFrame(data)

    folder.mkdir(parents=True, exist_ok=True)
    if inject.layout == "partitioned":
        names = (f"{stem}/window=reference/", f"{stem}/window=current/")
        for name, frame in zip(names, (table(None), table(inject.features)), strict=True):
            (folder / name).mkdir(parents=True, exist_ok=True)
            frame.to_parquet(folder / name / "part-0.parquet", index=False)
        return names
    reference, current = f"{stem}-reference.csv", f"{stem}-current.csv"
    table(None).to_csv(folder / reference, index=False)
    table(inject.features).to_csv(folder / current, index=False)
    return reference, current


def _decisions(rng: Any, rows: int, halved: str | None) -> dict[str, Any]:
    """Age bands, whether the applicant repaid, and the model's approval: four in five
    good payers approved and three in ten others, ``halved``'s approvals cut in half."""
    import numpy as np

    band = rng.choice(list(AGE_BANDS), rows, p=[0.35, 0.4, 0.25])
    repaid = rng.random(rows) < 0.7
    chance = np.where(repaid, 0.8, 0.3)
    if halved is not None:
        chance = np.where(band == halved, chance / 2, chance)
    approved = rng.random(rows) < chance
    return {"age_band": band, "approved": approved.astype(int), "repaid": repaid.astype(int)}
