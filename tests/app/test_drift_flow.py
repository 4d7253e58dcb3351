"""The drift flow when Slack misbehaves: the findings still arrive."""

from __future__ import annotations

import dataclasses
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bot.app import drift
from bot.app.services import Services
from bot.incidents.declare import Declaration, declare
from bot.incidents.severity import Severity
from bot.sandbox import SlackStandIn
from bot.slack.listeners.commands.parsing import DriftArgs
from bot.store.models import utcnow
from tests.diagnosis.data import DATA_HOST, served, table


def test_findings_arrive_even_when_the_working_message_could_not_be_posted(
    services: Services, slack: SlackStandIn, tmp_path: Path
) -> None:
    channel = slack.add_channel("inc-drift", members={"UBOTINCIDENT"})
    with services.db.begin() as session:
        incident = declare(session, Declaration("Scorer drift", Severity.SEV3, "U1"))
        incident.channel_id = channel
        incident.provisioned_at = utcnow()  # set up
    table(2000, shifted=False, seed=1).to_csv(tmp_path / "ref.csv", index=False)
    table(2000, shifted=True, seed=2).to_csv(tmp_path / "cur.csv", index=False)
    said: list[str] = []
    slack.fail_next("chat.postMessage", status=200, error="fatal_error")
    with served(tmp_path) as url:
        args = DriftArgs(f"{url}/ref.csv", f"{url}/cur.csv", prediction="score")
        drift.start(services, channel, args, "U1", lambda **m: said.append(m["text"]))
        findings = slack.wait_for(
            lambda: [m for m in slack.channels[channel].messages if m["text"].startswith("Drift:")],
            timeout=30,
            what="the findings",
        )
    assert findings[0]["text"] == "Drift: 4 of 10 columns drifted — data set drift: no"
    assert said == []  # nothing went wrong that the person must hear about


class _Held(BaseHTTPRequestHandler):
    """A data host that answers only once the test lets it (no waiting on the clock)."""

    release = threading.Event()
    body = b"a,b\n1,2\n3,4\n"

    def log_message(self, *_: object) -> None:
        pass

    def do_GET(self) -> None:
        self.release.wait(30)
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)


def _teller(box: list[str]) -> Any:
    return lambda **message: box.append(message["text"])


def test_a_full_drift_queue_says_how_many_are_ahead_and_runs_nothing_more(
    services: Services, slack: SlackStandIn
) -> None:
    services = dataclasses.replace(
        services, settings=dataclasses.replace(services.settings, drift_queue=1)
    )
    channel = slack.add_channel("inc-queue", members={"UBOTINCIDENT"})
    with services.db.begin() as session:
        incident = declare(session, Declaration("Queue", Severity.SEV3, "U1"))
        incident.channel_id = channel
        incident.provisioned_at = utcnow()  # set up
    _Held.release.clear()
    server = ThreadingHTTPServer((DATA_HOST, 0), _Held)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://{DATA_HOST}:{server.server_address[1]}"
    said: list[list[str]] = [[], [], []]
    try:
        for person in said:
            args = DriftArgs(f"{url}/a.csv", f"{url}/b.csv")
            drift.start(services, channel, args, "U1", _teller(person))
        assert said[0] == []  # runs at once
        assert said[1] == [
            "Your drift analysis waits behind 1 other; the findings will follow in the channel."
        ]
        assert said[2] == [
            "No drift analysis: 2 analyses are already running or waiting, as many as this "
            "bot queues. Try again in a few minutes."
        ]
    finally:
        _Held.release.set()
    slack.wait_for(
        lambda: (
            len([m for m in slack.channels[channel].messages if m["text"].startswith("Drift:")])
            == 2
        ),
        timeout=30,
        what="two findings, not three",
    )
    services.background.shutdown()
    server.shutdown()
    server.server_close()
    assert len([m for m in slack.channels[channel].messages if m["text"].startswith("Drift:")]) == 2
