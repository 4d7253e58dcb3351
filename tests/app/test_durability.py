"""Durable pieces on their own: a channel made before a crash is adopted, late answers avoid
expired response_urls, a full work pool says so."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import channel_setup
from bot.app.background import Background
from bot.app.services import Services
from bot.incidents.declare import Declaration, declare
from bot.incidents.severity import Severity
from bot.sandbox import SlackStandIn
from bot.sandbox.acting import BOT_USER
from bot.slack.webapi import notify
from bot.store.models import Incident, ReceivedRequest, utcnow


def test_a_channel_slack_made_before_a_crash_is_adopted_not_doubled(
    services: Services, slack: SlackStandIn
) -> None:
    with services.db.begin() as session:
        incident = declare(session, Declaration("Scorer outage", Severity.SEV2, None))
        incident_id = incident.id
    reserved = f"inc-{utcnow():%Y%m%d}-scorer-outage"
    # The dead process reserved the name and Slack made the channel; nothing recorded it.
    with services.db.begin() as session:
        stored = session.get(Incident, incident_id)
        assert stored is not None
        stored.channel_name = reserved
    made = slack.add_channel(reserved, members={BOT_USER})
    slack.channels[made].creator = BOT_USER
    services.provisioner.run(incident_id)
    with services.db.begin() as session:
        stored = session.get(Incident, incident_id)
        assert stored is not None and stored.channel_id == made
    assert [c.name for c in slack.channels.values() if c.name.startswith("inc-")] == [reserved]


def test_posts_a_stopped_set_up_made_but_never_recorded_are_not_made_twice(
    services: Services, slack: SlackStandIn
) -> None:
    """kill -9 between posting the summary, triage card or announcement and recording it:
    the sweep's repeat finds each by the mark in its metadata and posts none again."""
    broadcast = slack.add_channel("incidents", members={BOT_USER})
    services.settings = replace(services.settings, broadcast_channel=broadcast)
    with services.db.begin() as session:
        incident_id = declare(session, Declaration("Scorer outage", Severity.SEV2, None)).id
    first = channel_setup.Provisioner(services.db, services.client, services.settings)
    opened = first.run(incident_id)
    assert opened.channel_id is not None
    posted = (opened.summary_ts, opened.triage_ts, opened.announced_ts)
    with services.db.begin() as session:  # what a process killed after posting leaves
        stored = session.get(Incident, incident_id)
        assert stored is not None
        stored.summary_ts = stored.triage_ts = stored.announced_ts = None
        stored.provisioned_at = None
    again = channel_setup.Provisioner(services.db, services.client, services.settings)
    done = again.run(incident_id, repeat=True)
    assert (done.summary_ts, done.triage_ts, done.announced_ts) == posted
    assert len(slack.channels[broadcast].messages) == 1
    assert len(slack.channels[opened.channel_id].messages) == 2  # one summary, one card
    assert slack.channels[opened.channel_id].pins == [opened.summary_ts]


def test_someone_elses_channel_of_that_name_is_not_adopted(
    services: Services, slack: SlackStandIn
) -> None:
    with services.db.begin() as session:
        incident = declare(session, Declaration("Scorer outage", Severity.SEV2, None))
        reserved = f"inc-{utcnow():%Y%m%d}-scorer-outage"
        incident.channel_name = reserved
        incident_id = incident.id
    taken = slack.add_channel(reserved, members={BOT_USER})  # a person made it
    opened = services.provisioner.run(incident_id)
    assert opened.channel_id != taken and opened.channel_name == reserved + "-b"


def test_a_long_titles_second_channel_keeps_its_number(
    services: Services, slack: SlackStandIn
) -> None:
    """A taken name's stand-in read "...-fell-below-b": the suffix pushed out the 0.8."""
    title = "Warning: precision of the card fraud model in Europe fell below 0.8"
    with services.db.begin() as session:
        incident_id = declare(session, Declaration(title, Severity.SEV2, None)).id
    day = f"{utcnow():%Y%m%d}"
    slack.add_channel(  # a person made a channel of the name first
        f"inc-{day}-warning-precision-of-the-card-fraud-model-in-europe-fell-below-0-8"
    )
    opened = services.provisioner.run(incident_id)
    assert opened.channel_name == (
        f"inc-{day}-warning-precisio-of-the-card-fraud-model-in-europe-fell-below-0-8-b"
    )
    assert slack.channels[opened.channel_id].name == opened.channel_name


def test_late_answers_go_by_ephemeral_message_not_the_expired_response_url(
    services: Services, slack: SlackStandIn
) -> None:
    channel = slack.add_channel("inc-late", members={BOT_USER, "U0ALICE01"})
    slack.add_user("U0ALICE01", "alice")
    key, url = slack.new_response_url()
    fresh = notify.reply_for(services.client, url, utcnow(), channel, "U0ALICE01")
    fresh(text="in time")
    late = notify.reply_for(
        services.client, url, utcnow() - timedelta(minutes=26), channel, "U0ALICE01"
    )
    late(text="after 26 minutes")
    assert [r["text"] for r in slack.responses[key]] == ["in time"]
    said = [m for m in slack.channels[channel].messages if m.get("ephemeral_to") == "U0ALICE01"]
    assert [m["text"] for m in said] == ["after 26 minutes"]


def test_a_full_pool_has_no_room_until_work_drains() -> None:
    import threading

    pool = Background(workers=1, room=2)
    gate = threading.Event()
    pool.submit(gate.wait, 10)
    pool.submit(gate.wait, 10)
    assert not pool.has_room()
    gate.set()
    pool.shutdown()
    assert pool.has_room()


def test_commands_arriving_together_are_stored_together_each_with_its_id(
    services: Services,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from bot.outbox import received

    journal = received.Journal(services.db)
    with ThreadPoolExecutor(20) as pool:
        ids = list(
            pool.map(
                lambda n: journal.record(received.Arrival("command", {"text": f"note {n}"})),
                range(40),
            )
        )
    assert len(set(ids)) == 40
    with services.db.begin() as session:
        for n, command_id in enumerate(ids):
            row = session.get(ReceivedRequest, command_id)
            assert row is not None and row.body == {"text": f"note {n}"}


def test_a_command_the_database_cannot_store_is_refused_not_acknowledged(
    tmp_path: Path,
) -> None:
    from sqlalchemy.exc import OperationalError

    from bot.outbox import received
    from bot.store.db import Database

    nowhere = Database(f"sqlite:///{tmp_path}/missing-folder/bot.db")
    with pytest.raises(OperationalError):
        received.Journal(nowhere).record(received.Arrival("command", {"text": "note lost?"}))
    nowhere.dispose()
