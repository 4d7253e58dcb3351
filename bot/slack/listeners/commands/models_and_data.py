"""Subcommands about the model and its data: its registry card, rollback, containment
levers, drift and fairness. Declared here, listed in ``subcommands.py``."""

from __future__ import annotations

from typing import Any

from bot.app import contain
from bot.app import drift as drift_flow
from bot.app import fairness as fairness_flow
from bot.app.requests import DriftArgs, FairnessArgs
from bot.app.services import Services
from bot.slack.blocks import containment_cards
from bot.slack.listeners.commands.declaration import PLAIN, Call, Subcommand, Where, opens
from bot.slack.listeners.commands.parsing import (
    RollbackArgs,
    parse_contain_args,
    parse_drift_args,
    parse_fairness_args,
    parse_model_args,
    parse_rollback_args,
)
from bot.slack.webapi.replies import Reply, reply_to


def _model(services: Services, c: Call[str], respond: Reply) -> None:
    contain.name_model(services, c.channel, c.args, c.user, respond)


MODEL = Subcommand[str](
    name="model",
    where=Where.INCIDENT_CHANNEL,
    synopsis="model <registered name>",
    summary="the model's card from the MLflow registry",
    description=(
        "Name the incident's model and show its card from the MLflow registry: the serving "
        "version, the versions before it, their runs and metrics."
    ),
    example="model fraud-scorer",
    parse=parse_model_args,
    run=_model,
)


# A confirmation form: it must open within 3 s of the command, so it opens on the urgent
# pool from the acknowledgement; nothing else follows.
def _open_rollback(services: Services, args: RollbackArgs, command: dict[str, Any]) -> None:
    respond = reply_to(command.get("response_url"))
    channel, user = str(command.get("channel_id", "")), str(command.get("user_id", ""))
    contain.open_rollback(
        services, command["trigger_id"], channel, user, args.model, args.version, respond
    )


ROLLBACK = Subcommand[RollbackArgs](
    name="rollback",
    where=Where.INCIDENT_CHANNEL,
    synopsis="rollback [model] [version]",
    summary="move the production alias back a version, after a confirmation",
    description=(
        "Move the model's production alias back a version (or to the one named), after a "
        "confirmation (the Commander or the ML Lead); *Undo* moves it back."
    ),
    example="rollback fraud-scorer 6",
    parse=parse_rollback_args,
    acknowledge=lambda _: opens(_open_rollback),
)


def _open_lever(services: Services, lever: str | None, command: dict[str, Any]) -> None:
    respond = reply_to(command.get("response_url"))
    channel, user = str(command.get("channel_id", "")), str(command.get("user_id", ""))
    contain.open_lever(services, command["trigger_id"], channel, lever or "", user, respond)


def _levers(services: Services, c: Call[str | None], respond: Reply) -> None:
    respond(text=containment_cards.levers_text(services.settings.levers))


CONTAIN = Subcommand[str | None](
    name="contain",
    where=Where.INCIDENT_CHANNEL,
    synopsis="contain [lever]",
    summary="the team's containment levers; alone, it lists them",
    description=(
        "Pull one of the team's containment levers (fall back to rules, route to human "
        "review, raise a threshold: the moves in `INCIDENTBOT_CONTAINMENT_FILE`), after a "
        "confirmation; `/incident contain` alone lists them."
    ),
    example="contain rules-fallback",
    parse=parse_contain_args,
    acknowledge=lambda lever: opens(_open_lever) if lever else PLAIN,
    run=_levers,
)


def _drift(services: Services, c: Call[DriftArgs], respond: Reply) -> None:
    drift_flow.start(services, c.channel, c.args, c.user, respond)


DRIFT = Subcommand[DriftArgs](
    name="drift",
    where=Where.INCIDENT_CHANNEL,
    synopsis="drift <reference> <current> [prediction=<column>] [target=<column>] [skip=<a>,<b>]",
    summary="did the data change? A verdict, a per-column table and a chart",
    description=(
        "Did the data change? Compares the reference data set with the current one, column "
        "by column. Each data set is an http(s) URL, a file or folder in the data folder "
        "(CSV or Parquet, gzip allowed, hive partitions), an allowed s3:// bucket or an "
        "allowed warehouse table:NAME; one table with --time-column compares two of its "
        "windows. The verdict, a per-column table and a chart follow here."
    ),
    example="drift https://data.example.com/march.csv https://data.example.com/today.parquet "
    "prediction=score",
    options=(
        ("prediction=<column>", "the model's output: its shift is reported apart"),
        ("target=<column>", "the label: its shift is reported apart"),
        ("skip=<a>,<b>", "columns to leave out, such as IDs"),
        ("--time-column ts --window 1h", "one table: its last hour against one before"),
        (
            "--against 7d",
            "compare with the same window 7 days earlier (default: the window just before)",
        ),
        ("--where <column>=<value>", "only those rows (repeat for more)"),
    ),
    parse=parse_drift_args,
    run=_drift,
)


def _fairness(services: Services, c: Call[FairnessArgs], respond: Reply) -> None:
    fairness_flow.start(services, c.channel, c.args, c.user, respond)


FAIRNESS = Subcommand[FairnessArgs](
    name="fairness",
    where=Where.INCIDENT_CHANNEL,
    synopsis=(
        "fairness <reference> <current> --group <column>[,<column>] --prediction <column> "
        "[--label <column>] [--favourable <value>]"
    ),
    summary="is one group treated worse? Rates by group, reference against current",
    description=(
        "Is one group treated worse? Selection rate (and error rates, with labels) by "
        "group, parity and the four-fifths rule, reference against current, with "
        "Fairlearn's figures. Each data set is anything drift reads (URLs, files, folders, "
        "allowed buckets and tables, with --time-column windows). "
        "Names of sensitive columns show only in private incidents."
    ),
    example="fairness march.csv today.parquet --group sex,age_band --prediction approved "
    "--label repaid",
    options=(
        (
            "--group <column>[,<column>]",
            "a breakdown (columns joined for their intersections); repeat it for several",
        ),
        ("--prediction <column>", "the model's decision (0/1, -1/1, true/false, or a score)"),
        ("--label <column>", "the true outcome, for error rates"),
        ("--favourable <value>", "the favourable decision, when it is not 1 or true"),
        ("--threshold 0.5", "a score at or above it is the favourable decision"),
        ("--min-group-size 30", "groups with fewer rows are not judged"),
    ),
    parse=parse_fairness_args,
    run=_fairness,
)
