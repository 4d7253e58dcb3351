"""The argument grammars of ``/incident``'s subcommands (``subcommands.py`` says which
is whose). Pure: no database, no Slack, so they run before the acknowledgement; each
raises ``InvalidInput`` with a sentence for the person."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot.app.requests import ActionArgs, DriftArgs, FairnessArgs, PageArgs, StatsArgs, WindowArgs
from bot.diagnosis.asking import FairnessInputError, parse_groups
from bot.incidents.declare import validate_title
from bot.incidents.errors import InvalidInput
from bot.incidents.notes import clean_action, clean_note
from bot.incidents.roles import Role, parse_role
from bot.incidents.severity import Severity, looks_like_severity, parse_severity
from bot.review.period import choose
from bot.slack.blocks.text import names_a_person, plain_from_slack

SEVERITY_HELP = "Use sev1 (critical), sev2 (high), sev3 (medium) or sev4 (low); p0–p3 work too."


@dataclass(frozen=True)
class DeclareArgs:
    severity: Severity
    title: str
    private: bool = False


_PRIVATE_FLAGS = {"--private", "\u2014private", "-private"}  # Slack may turn -- into a dash


def parse_declare(args: str) -> DeclareArgs | None:
    """``sev1 Fraud model ...`` -> severity and title; None when empty (open the form)."""
    if not args.strip():
        return None
    # Anywhere as a word of its own: whoever typed it at the end meant it too, and a
    # title must not go public because of where the flag stood.
    words = args.split()
    private = any(w.lower() in _PRIVATE_FLAGS for w in words)
    words = [w for w in words if w.lower() not in _PRIVATE_FLAGS]
    first, rest = (words[0], " ".join(words[1:])) if words else ("", "")
    severity = parse_severity(first)
    if severity is None:
        if looks_like_severity(first):
            raise InvalidInput(
                f"`{plain_from_slack(first)[:20]}` is not a severity. {SEVERITY_HELP}"
            )
        raise InvalidInput(
            "Start with the severity, then the title: "
            "`/incident declare sev2 Recommender click-through down 15%` (add `--private` "
            "anywhere for a private incident). " + SEVERITY_HELP
        )
    return DeclareArgs(
        severity=severity, title=validate_title(plain_from_slack(rest)), private=private
    )


@dataclass(frozen=True)
class RoleArgs:
    role: Role
    user: str  # as typed: <@U123|cara> or @cara


ROLE_USAGE = (
    "Usage: `/incident role <commander|ml-lead|data-lead|comms-lead> @person` (and `legal` "
    "where serious-incident reporting is on), e.g. `/incident role ml-lead @cara`."
)


def parse_role_args(args: str) -> RoleArgs:
    words = args.split()
    if len(words) != 2:
        raise InvalidInput(ROLE_USAGE)
    role = parse_role(words[0])
    if role is None:
        raise InvalidInput(f"`{plain_from_slack(words[0])[:30]}` is not a role. {ROLE_USAGE}")
    return RoleArgs(role, words[1])


def parse_severity_args(args: str) -> Severity:
    word = args.strip()
    severity = parse_severity(word) if word and " " not in word else None
    if severity is None:
        shown = plain_from_slack(word)[:20]
        raise InvalidInput(
            (f"`{shown}` is not a severity. " if shown else "Which severity? ")
            + SEVERITY_HELP
            + " Usage: `/incident severity sev2`."
        )
    return severity


ACTION_USAGE = (
    "Usage: `/incident action <what needs doing> [@owner] [due date] [--ticket]`, e.g. "
    "`/incident action Alert on null rates in the payments feed @cara 2026-12-04 --ticket`. "
    "The due date is YYYY-MM-DD, `today` or `tomorrow`; `--ticket` files it in the tracker now."
)
_ISO_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


_TICKET_FLAGS = {"--ticket", "\u2014ticket", "-ticket"}  # Slack may turn -- into a dash
_PUBLISH_FLAGS = {"--publish", "\u2014publish", "-publish"}


def parse_note_args(args: str) -> str:
    """A note's text as typed, checked now (the flow keeps it cleaned)."""
    text = plain_from_slack(args)
    clean_note(text)
    return text


def parse_postmortem_args(args: str) -> bool:
    """``[--publish]``: True to publish to the wiki, False to upload here."""
    words = plain_from_slack(args).split()
    if not words:
        return False
    if len(words) == 1 and words[0].lower() in _PUBLISH_FLAGS:
        return True
    raise InvalidInput(
        "Usage: `/incident postmortem` uploads the document to this channel; "
        "`/incident postmortem --publish` publishes it to Confluence."
    )


def parse_share_title_args(args: str) -> bool:
    """``[on|off]``: whether a private incident's title may show on its tickets and page."""
    word = plain_from_slack(args).strip().lower()
    if word in ("", "on", "yes"):
        return True
    if word in ("off", "no"):
        return False
    raise InvalidInput(
        "Usage: `/incident share-title` lets this private incident's title show on its "
        "tickets and wiki page; `/incident share-title off` withholds it again."
    )


def parse_action_args(args: str, today: date | None = None) -> ActionArgs:
    """``<text> [@owner] [due]``: the owner and the date are read off the end, in either order."""
    today = today or datetime.now(UTC).date()
    words = args.split()
    ticket = any(w in _TICKET_FLAGS for w in words)
    words = [w for w in words if w not in _TICKET_FLAGS]
    owner: str | None = None
    due: date | None = None
    while words:
        last = words[-1]
        if owner is None and names_a_person(last):
            owner = words.pop()
        elif due is None and (parsed := _due_date(last, today)) is not None:
            words.pop()
            due = parsed
            if words and words[-1].lower() in {"due", "by"}:
                words.pop()
        else:
            break
    text = plain_from_slack(" ".join(words))
    try:
        return ActionArgs(clean_action(text), owner, due, ticket)
    except InvalidInput as problem:
        raise InvalidInput(f"{problem} {ACTION_USAGE}") from None


def _due_date(word: str, today: date) -> date | None:
    lowered = word.lower().removeprefix("due:")
    if lowered == "today":
        return today
    if lowered == "tomorrow":
        return today + timedelta(days=1)
    if not _ISO_DATE.match(lowered):
        return None
    try:
        due = date.fromisoformat("-".join(part.zfill(2) for part in lowered.split("-")))
    except ValueError:
        raise InvalidInput(f"`{word}` is not a date. {ACTION_USAGE}") from None
    if due < today:
        raise InvalidInput(
            f"The due date {due.isoformat()} has passed; give one from today on. {ACTION_USAGE}"
        )
    return due


DRIFT_USAGE = (
    "Usage: `/incident drift <reference> <current> [prediction=<column>] [target=<column>] "
    "[skip=<column>,<column>]`, each data set an http(s) URL, a file or folder in the data "
    "folder (CSV or Parquet, gzip allowed), an allowed s3:// bucket or table:NAME, e.g. "
    "`/incident drift https://data.example.com/march.csv https://data.example.com/"
    "today.parquet prediction=score`, or one table's windows: `/incident drift table:preds "
    "--time-column ts --window 1h --against 7d`."
)
WINDOW_OPTIONS = ("time-column", "window", "against", "where", "until")


def take_window_options(words: list[str], usage: str) -> tuple[list[str], WindowArgs]:
    """The words without ``--time-column``, ``--window``, ``--against``, ``--where`` (may
    repeat) and ``--until`` and their values, and those options."""
    rest: list[str] = []
    found: dict[str, list[str]] = {}
    while words:
        word = words.pop(0)
        plain = plain_from_slack(word)
        name = plain.lstrip("".join(_DASHES)).lower()
        if not plain.startswith(_DASHES) or name not in WINDOW_OPTIONS:
            rest.append(word)
            continue
        if not words:
            raise InvalidInput(f"`--{name}` needs a value. {usage}")
        found.setdefault(name, []).append(plain_from_slack(words.pop(0)))
    for name, values in found.items():
        if name != "where" and len(values) > 1:
            raise InvalidInput(f"`--{name}` is given {len(values)} times; give it once.")
    until = None
    if "until" in found:
        text = found["until"][0]
        try:
            until = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(
                f"`--until {text[:30]}` is not a time; give one such as 2026-12-07T03:00Z."
            ) from None
        until = until if until.tzinfo else until.replace(tzinfo=UTC)
    return rest, WindowArgs(
        found.get("time-column", [None])[0],
        found.get("window", [None])[0],
        found.get("against", [None])[0],
        tuple(found.get("where", [])),
        until,
    )


_LINK_TOKEN = re.compile(r"^<((?:https?|ftp|file)://[^|>]*)(?:\|[^>]*)?>$")
_OPTION = re.compile(r"^(prediction|target|skip)=(.+)$", re.IGNORECASE)


def parse_drift_args(args: str) -> DriftArgs:
    """Two data sets, then options; Slack wraps URLs in ``<...>``, which is undone here."""
    places: list[str] = []
    options: dict[str, str] = {}
    words, rows = take_window_options(args.split(), DRIFT_USAGE)
    for word in words:
        link = _LINK_TOKEN.match(word)
        plain = link.group(1) if link else plain_from_slack(word)
        option = _OPTION.match(plain)
        if option:
            options[option.group(1).lower()] = option.group(2)
        else:
            places.append(plain)
    if len(places) == 1 and rows.time_column is not None:
        places.append(places[0])  # one table's two windows
    if len(places) != 2:
        said = {0: "none", 1: "one"}.get(len(places), str(len(places)))
        raise InvalidInput(
            f"Give two data sets, the reference and the current one (you gave {said}). "
            f"{DRIFT_USAGE}"
        )
    skip = tuple(c for c in options.get("skip", "").split(",") if c)
    return DriftArgs(
        places[0], places[1], options.get("prediction"), options.get("target"), skip, rows
    )


FAIRNESS_USAGE = (
    "Usage: `/incident fairness <reference> <current> --group <column>[,<column>] "
    "--prediction <column> [--label <column>] [--favourable <value>] [--threshold 0.5] "
    "[--min-group-size 30]`, each data set anything drift reads (an http(s) URL, a file or "
    "folder in the data folder, an allowed s3:// bucket or table:NAME), e.g. "
    "`/incident fairness march.csv today.parquet --group sex,age_band --prediction approved "
    "--label repaid`."
)
_FAIRNESS_OPTIONS = ("group", "prediction", "label", "favourable", "threshold", "min-group-size")


def parse_fairness_args(args: str) -> FairnessArgs:
    """Two data sets and ``--option value`` pairs (``--group`` may repeat); Slack may turn
    ``--`` into a dash and wraps URLs in ``<...>``, both undone here."""
    places: list[str] = []
    options: dict[str, list[str]] = {}
    words, rows = take_window_options(args.split(), FAIRNESS_USAGE)
    while words:
        word = words.pop(0)
        link = _LINK_TOKEN.match(word)
        plain = link.group(1) if link else plain_from_slack(word)
        if not plain.startswith(_DASHES):
            places.append(plain)
            continue
        name = plain.lstrip("".join(_DASHES)).lower()
        if name not in _FAIRNESS_OPTIONS:
            raise InvalidInput(f"`{plain[:30]}` is not an option of fairness. {FAIRNESS_USAGE}")
        if not words:
            raise InvalidInput(f"`--{name}` needs a value. {FAIRNESS_USAGE}")
        options.setdefault(name, []).append(plain_from_slack(words.pop(0)))
    if len(places) == 1 and rows.time_column is not None:
        places.append(places[0])  # one table's two windows
    if len(places) != 2:
        said = {0: "none", 1: "one"}.get(len(places), str(len(places)))
        raise InvalidInput(
            f"Give two data sets, the reference and the current one (you gave {said}). "
            f"{FAIRNESS_USAGE}"
        )
    for needed in ("group", "prediction"):
        if needed not in options:
            raise InvalidInput(f"Name the {needed} column with `--{needed}`. {FAIRNESS_USAGE}")
    for name, values in options.items():
        if name != "group" and len(values) > 1:
            raise InvalidInput(f"`--{name}` is given {len(values)} times; give it once.")
    try:
        groups = parse_groups(options["group"])
    except FairnessInputError as problem:
        raise InvalidInput(str(problem)) from None
    return FairnessArgs(
        places[0],
        places[1],
        groups,
        options["prediction"][0],
        options.get("label", [None])[0],
        options.get("favourable", [None])[0],
        _threshold(options.get("threshold", ["0.5"])[0]),
        _group_size(options["min-group-size"][0]) if "min-group-size" in options else None,
        rows,
    )


def _threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 < value <= 1.0:
        raise InvalidInput(f"`--threshold {text[:20]}`: give a number above 0 and at most 1.")
    return value


def _group_size(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise InvalidInput(f"`--min-group-size {text[:20]}`: give a whole number of at least 1.")
    return int(text)


def parse_page(args: str) -> int:
    """``/incident timeline [page]``."""
    word = args.strip()
    if not word:
        return 1
    if word.isdigit() and int(word) >= 1:
        return int(word)
    raise InvalidInput(
        f"`{plain_from_slack(word)[:20]}` is not a page number. Usage: `/incident timeline` "
        "or `/incident timeline 2`."
    )


def parse_model_args(args: str) -> str:
    name = plain_from_slack(args).strip()
    if not name or " " in name or len(name) > 200:
        raise InvalidInput(
            "Name the model as the registry does, one word: `/incident model fraud-scorer`."
        )
    return name


@dataclass(frozen=True)
class RollbackArgs:
    model: str | None
    version: int | None


ROLLBACK_USAGE = (
    "Usage: `/incident rollback [model] [version]`, e.g. `/incident rollback`, "
    "`/incident rollback fraud-scorer` or `/incident rollback fraud-scorer 6`."
)
_VERSION = re.compile(r"^v?(\d{1,9})$", re.IGNORECASE)


def parse_rollback_args(args: str) -> RollbackArgs:
    words = plain_from_slack(args).split()
    version = None
    if words and (match := _VERSION.match(words[-1])):
        version = int(match.group(1))
        words.pop()
    if len(words) > 1:
        raise InvalidInput(ROLLBACK_USAGE)
    return RollbackArgs(words[0] if words else None, version)


def parse_contain_args(args: str) -> str | None:
    words = plain_from_slack(args).split()
    if len(words) > 1:
        raise InvalidInput("Usage: `/incident contain [lever]`; `/incident contain` lists them.")
    return words[0].lower() if words else None


_DASHES = ("-", "\u2014", "\u2013")  # Slack may turn -- into a dash
STATS_USAGE = (
    "Usage: `/incident stats [2026Q4 | 2026-10-01 2026-10-31] [--share] [--include-drills]`; "
    "alone, the quarter so far, only to you."
)


def parse_stats_args(args: str, today: date) -> StatsArgs:
    """Checked against the period rules now, so a bad period is refused before the ack."""
    words, flags = [], set()
    for word in plain_from_slack(args).split():
        if not word.startswith(_DASHES):
            words.append(word)
        elif (flag := word.lstrip("".join(_DASHES)).lower()) in {"share", "include-drills"}:
            flags.add(flag)
        else:
            raise InvalidInput(f"`{word[:30]}` is not an option of stats. {STATS_USAGE}")
    if len(words) > 2:
        raise InvalidInput(STATS_USAGE)
    quarter = words[0] if len(words) == 1 else None
    since, until = (words[0], words[1]) if len(words) == 2 else (None, None)
    choose(quarter=quarter, since=since, until=until, today=today)
    return StatsArgs(quarter, since, until, "share" in flags, "include-drills" in flags)


PAGE_MESSAGE_MAX = 500


def parse_page_args(args: str) -> PageArgs:
    """``[service] [message]`` as plain words; which service is the flow's question."""
    text = plain_from_slack(args).strip()
    if len(text) > PAGE_MESSAGE_MAX:
        raise InvalidInput(
            f"A page's message is at most {PAGE_MESSAGE_MAX} characters (yours has "
            f"{len(text)}); the on-call reads it on a phone."
        )
    first, _, rest = text.partition(" ")
    return PageArgs(first.lower() or None, rest.strip(), text)
