"""Containment from the channel, against a real MLflow tracking server and a local HTTP
server standing for the team's own systems: the model card, rollback and its undo (checked
with MLflow's own API), the team's levers, and what the post-mortem makes of them."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox import SlackStandIn
from bot.sandbox.reading import buttons, controls, readable
from tests.conftest import ALICE, BOB
from tests.e2e.helpers import (
    DAN,
    actors_of,
    complete_triage,
    declare,
    events_of,
    proposals,
    said_to,
    stored_incidents,
    timeline_kinds,
)
from tests.support import BotProcess

# One MLflow server serves these tests: on one worker when the suite runs in parallel.
pytestmark = pytest.mark.xdist_group("mlflow")


class Recorder:
    """The team's flag service: records each request; answers 200, or 500 under /broken."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(size) if size else b""
                recorder.received.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "auth": self.headers.get("Authorization"),
                        "body": json.loads(body) if body else None,
                    }
                )
                status = 500 if self.path.startswith("/broken") else 200
                answer = b'{"flag": "updated"}' if status == 200 else b"flag service is down"
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_POST = do_PUT = do_GET = _answer

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


LEVERS = """
[[lever]]
name = "rules-fallback"
title = "Fall back to the rules engine"
confirm = "The rules engine scores every payment until undone."
who = ["ml-lead"]
fits = ["data-change"]
[lever.request]
method = "PUT"
url = "{url}/flags/fraud-model"
headers = {{ Authorization = "Bearer ${{FLAGS_TOKEN}}" }}
body = {{ enabled = false, incident = "{{reference}}", why = "{{reason}}" }}
[lever.undo]
method = "PUT"
url = "{url}/flags/fraud-model"
headers = {{ Authorization = "Bearer ${{FLAGS_TOKEN}}" }}
body = {{ enabled = true, incident = "{{reference}}" }}

[[lever]]
name = "broken-lever"
title = "Route to human review"
confirm = "Flagged payments go to the review queue."
[lever.request]
url = "{url}/broken/routing"
"""


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    made = Recorder()
    yield made
    made.server.shutdown()


@pytest.fixture
def bot_env(mlflow_server: Any, recorder: Recorder, tmp_path: Path) -> dict[str, str]:
    levers = tmp_path / "levers.toml"
    levers.write_text(LEVERS.format(url=recorder.url))
    return {
        "INCIDENTBOT_MLFLOW_URL": mlflow_server.url,
        "INCIDENTBOT_CONTAINMENT_FILE": str(levers),
        "FLAGS_TOKEN": "flag-secret",
    }


@pytest.fixture(autouse=True)
def dan(slack: SlackStandIn) -> None:
    slack.add_user(DAN, "dan")


def click(
    slack: SlackStandIn,
    bot: BotProcess,
    channel: Any,
    message: Any,
    who: str,
    action: dict[str, Any],
) -> str:
    _, key = slack.block_action(
        bot.url, user=who, channel=channel.id, message_ts=message["ts"], action=action
    )
    return key


def test_the_model_card_then_a_rollback_and_its_undo(
    bot: BotProcess, slack: SlackStandIn, general: str, mlflow_server: Any
) -> None:
    model = mlflow_server.register(versions=3)
    channel, incident = declare(bot, slack, general)
    channel.members.update({BOB, DAN})
    bot.command(f"model {model}", user=ALICE, channel=channel.id)
    card = slack.wait_for(lambda: channel.saying("in the model registry"), what="card")[0]
    shown = readable(card["blocks"])
    assert f"*{model}* in the model registry: *champion* serves version 3" in shown
    assert "*v3* (champion)" in shown and "*v2*" in shown and "precision 0.83" in shown
    assert "before the first signal" in shown
    # The card is posted, then recorded: wait for the record rather than race it.
    slack.wait_for(
        lambda: actors_of(bot.database_url, incident.id, "model_card") == [ALICE],
        what="the card on the timeline, asked for by Alice",
    )

    # The card's proposal, confirmed, answers the triage question about model changes.
    click(slack, bot, channel, card, BOB, {"action_id": "model_changed_confirm"})
    slack.wait_for(
        lambda: any(
            e.data.get("question") == "model_changed" and e.data.get("answer") == "yes"
            for e in events_of(bot.database_url, incident.id, "triage_answered")
        ),
        what="the triage answer",
    )

    # Dan holds no role: the Roll back button refuses him and opens nothing.
    key = click(slack, bot, channel, card, DAN, {"action_id": "rollback_open"})
    assert said_to(slack, key).startswith(
        f"Only the Incident Commander, <@{ALICE}>, or the ML Lead can roll back a model"
    )
    assert slack.views == {}

    # Bob is ML Lead: the form names the move, and wants a reason.
    bot.command(f"role ml-lead <@{BOB}|bob>", user=ALICE, channel=channel.id)
    slack.wait_for(lambda: "*ML Lead*\n<@U0BOB0002>" in readable(channel.messages[0]["blocks"]))
    click(slack, bot, channel, card, BOB, {"action_id": "rollback_open"})
    view_id = slack.wait_for(lambda: list(slack.views), what="the rollback form")[0]
    assert "champion v3 → v2" in readable(slack.views[view_id]["blocks"])
    empty = slack.submit_view(bot.url, user=BOB, view_id=view_id, values={"reason": " "})
    assert empty.json()["errors"] == {"reason": "Say why, for the timeline."}
    slack.submit_view(
        bot.url, user=BOB, view_id=view_id, values={"reason": "v3 flags 40% of payments"}
    )
    done = slack.wait_for(lambda: channel.saying("rolled *"), what="the rollback")[0]
    assert mlflow_server.serving(model) == 2  # MLflow itself says so
    assert "champion v3 → v2 (read back from the registry)" in readable(done["blocks"])
    (event,) = events_of(bot.database_url, incident.id, "model_rolled_back")
    assert (event.actor, event.data["previous"], event.data["version"]) == (BOB, 3, 2)
    assert event.data["reason"] == "v3 flags 40% of payments"

    # Undo moves it back, under the same rules.
    key = click(slack, bot, channel, done, DAN, {"action_id": "rollback_undo"})
    assert "undo a rollback" in said_to(slack, key) and mlflow_server.serving(model) == 2
    click(slack, bot, channel, done, ALICE, {"action_id": "rollback_undo"})
    slack.wait_for(lambda: mlflow_server.serving(model) == 3, what="the alias moved back")
    slack.wait_for(lambda: "model_rollback_undone" in timeline_kinds(bot.database_url, incident.id))

    # Someone moved the alias by hand meanwhile: a stale Undo changes nothing.
    mlflow_server.point(model, 1)
    key = click(slack, bot, channel, done, ALICE, {"action_id": "rollback_undo"})
    assert "someone moved it meanwhile" in said_to(slack, key)
    assert mlflow_server.serving(model) == 1

    # The post-mortem knows which version served, which was last good, and when it was contained.
    bot.command("postmortem", user=ALICE, channel=channel.id)
    slack.wait_for(lambda: channel.files, what="the post-mortem")
    document = channel.files[0]["content"].decode()
    assert f"{model} served **v3** through its champion alias at the first signal" in document
    assert "last good: **v2**, rolled back to during the incident" in document
    assert "## Containment" in document and f"Rolled back {model}: champion v3 → v2" in document
    assert "Time to contain (first signal to the first move that worked): " in document


def test_registry_trouble_is_said_in_the_channel(
    bot: BotProcess, slack: SlackStandIn, general: str, mlflow_server: Any
) -> None:
    channel, _ = declare(bot, slack, general)
    bot.command("model no-such-model", user=ALICE, channel=channel.id)
    said = slack.wait_for(lambda: channel.saying("Could not read"), what="the warning")
    assert said[0]["text"].startswith(
        ":warning: Could not read *no-such-model* from the model registry: the model registry "
        "has no model called no-such-model."
    )
    model = mlflow_server.register(versions=2)
    answer = bot.command(f"rollback {model} 7", user=ALICE, channel=channel.id).wait_reply()
    assert answer["text"] == f"{model} has no version 7 in the registry."
    assert mlflow_server.serving(model) == 2


def test_the_teams_levers_run_from_the_channel_and_undo(
    bot: BotProcess, slack: SlackStandIn, general: str, recorder: Recorder
) -> None:
    channel, incident = declare(bot, slack, general)
    channel.members.update({DAN})
    assert "Contain…" in controls(channel.messages[0]["blocks"])  # the summary's menu
    listed = bot.command("contain", user=DAN, channel=channel.id).wait_reply()["text"]
    assert "`rules-fallback`: Fall back to the rules engine" in listed

    refused = bot.command("contain rules-fallback", user=DAN, channel=channel.id).wait_reply()
    assert refused["text"].startswith("Only the Incident Commander, <@U0ALICE01>, or the ML Lead")
    assert recorder.received == []

    # From the summary's menu, by the Commander.
    click(
        slack,
        bot,
        channel,
        channel.messages[0],
        ALICE,
        {"action_id": "contain_select", "selected_option": {"value": "rules-fallback"}},
    )
    view_id = slack.wait_for(lambda: list(slack.views), what="the lever's form")[0]
    assert "The rules engine scores every payment until undone." in readable(
        slack.views[view_id]["blocks"]
    )
    slack.submit_view(bot.url, user=ALICE, view_id=view_id, values={"reason": "drift in amounts"})
    slack.wait_for(lambda: recorder.received, what="the flag service called")
    assert recorder.received[0] == {
        "method": "PUT",
        "path": "/flags/fraud-model",
        "auth": "Bearer flag-secret",
        "body": {"enabled": False, "incident": "INC-1", "why": "drift in amounts"},
    }
    ran = slack.wait_for(lambda: channel.saying("ran *Fall back"), what="the outcome")[0]
    assert "HTTP 200" in readable(ran["blocks"]) and "Undo" in buttons(ran["blocks"])
    (event,) = events_of(bot.database_url, incident.id, "containment_run")
    assert event.data["ok"] and event.data["status"] == 200 and event.actor == ALICE

    click(slack, bot, channel, ran, ALICE, {"action_id": "lever_undo"})
    slack.wait_for(lambda: len(recorder.received) == 2, what="the undo request")
    assert recorder.received[1]["body"] == {"enabled": True, "incident": "INC-1"}
    slack.wait_for(lambda: "containment_undone" in timeline_kinds(bot.database_url, incident.id))

    # A lever whose service fails: said, and recorded as failed, not as done.
    bot.command("contain broken-lever", user=ALICE, channel=channel.id)
    view_id = slack.wait_for(lambda: list(slack.views)[1:], what="the second form")[0]
    slack.submit_view(bot.url, user=ALICE, view_id=view_id, values={"reason": ""})
    failed = slack.wait_for(lambda: channel.saying("and it failed"), what="failure")[0]
    assert "HTTP 500" in readable(failed["blocks"]) and "flag service is down" in readable(
        failed["blocks"]
    )
    runs = events_of(bot.database_url, incident.id, "containment_run")
    assert [e.data["ok"] for e in runs] == [True, False]


def test_triage_names_the_lever_that_fits_its_finding(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, _ = declare(bot, slack, general)
    complete_triage(bot, slack, channel, input_changed="yes", model_changed="no")
    proposal = slack.wait_for(lambda: proposals(channel), what="the proposal")[0]
    shown = readable(proposal["blocks"])
    assert "The inputs changed and the model did not: fall back or route to human review" in shown
    assert "*Fall back to the rules engine* (`/incident contain rules-fallback`)" in shown
    assert stored_incidents(bot.database_url)[0].severity == "sev3"


def test_a_model_named_at_declaration_gets_its_card_at_once(
    bot: BotProcess, slack: SlackStandIn, general: str, mlflow_server: Any
) -> None:
    model = mlflow_server.register(versions=2)
    bot.command("declare", user=ALICE, channel=general)
    view_id = slack.wait_for(lambda: list(slack.views), what="the declare form")[0]
    slack.submit_view(
        bot.url,
        user=ALICE,
        view_id=view_id,
        values={"title": "Fraud model flags 40% of payments", "severity": "sev2", "service": model},
    )
    incident = slack.wait_for(
        lambda: [i for i in stored_incidents(bot.database_url) if i.provisioned_at],
        what="the incident",
    )[0]
    channel = slack.channels[incident.channel_id]
    card = slack.wait_for(lambda: channel.saying("in the model registry"), what="card")
    assert "serves version 2" in readable(card[0]["blocks"])
    slack.wait_for(  # nobody asked for it: the declaration named the model
        lambda: actors_of(bot.database_url, incident.id, "model_card") == [None],
        what="the card on the timeline, asked for by nobody",
    )
