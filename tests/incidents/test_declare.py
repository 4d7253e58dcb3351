"""The declare use case and the provisioning claims, on a migrated database."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app.effect_kinds import OpenChannel
from bot.incidents import provisioning, queries
from bot.incidents.declare import Declaration, declare
from bot.incidents.errors import InvalidInput
from bot.incidents.severity import Severity
from bot.store.db import Database
from bot.store.models import Incident, TimelineEvent, utcnow
from tests.incidents.helpers import load


def declaration(title: str = "Recommender CTR down 15%", **kw: object) -> Declaration:
    values: dict[str, object] = dict(title=title, severity=Severity.SEV2, declared_by="U0ALICE01")
    values.update(kw)
    return Declaration(**values)  # type: ignore[arg-type]


def count(db: Database, model: type) -> int:
    with db.begin() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_declaring_stores_the_incident_and_its_first_event_together(db: Database) -> None:
    with db.begin() as session:
        incident = declare(session, declaration(service="recsys-v3", failure_category="data-drift"))
        incident_id = incident.id
    with db.begin() as session:
        stored = load(session, incident_id)
        assert (stored.title, stored.severity, stored.status) == (
            "Recommender CTR down 15%",
            "sev2",
            "investigating",
        )
        assert stored.declared_at.tzinfo is not None
        events = session.scalars(select(TimelineEvent)).all()
        assert [(e.kind, e.actor) for e in events] == [("declared", "U0ALICE01")]
        assert events[0].data["service"] == "recsys-v3"
        assert events[0].occurred_at == stored.declared_at


@pytest.mark.parametrize(
    ("title", "message"),
    [("", "needs a title"), ("   \n ", "needs a title"), ("x" * 201, "keep it to 200")],
)
def test_a_bad_title_stores_nothing(db: Database, title: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message), db.begin() as session:
        declare(session, declaration(title))
    assert count(db, Incident) == 0 and count(db, TimelineEvent) == 0


def test_unknown_failure_category_is_refused(db: Database) -> None:
    with pytest.raises(InvalidInput) as refused, db.begin() as session:
        declare(session, declaration(failure_category="gremlins"))
    assert str(refused.value) == "`gremlins` is not a failure category this bot knows."
    assert count(db, Incident) == 0


def test_a_failure_after_declaring_rolls_back_the_incident_and_event(db: Database) -> None:
    with pytest.raises(RuntimeError), db.begin() as session:
        declare(session, declaration())
        raise RuntimeError("crash before commit")
    assert count(db, Incident) == 0 and count(db, TimelineEvent) == 0


def test_open_incidents_most_severe_first(db: Database) -> None:
    with db.begin() as session:
        low = declare(session, declaration("Confidence trending down", severity=Severity.SEV4))
        high = declare(session, declaration("Fraud model flags payments", severity=Severity.SEV1))
    with db.begin() as session:
        assert [i.id for i in queries.open_incidents(session)] == [high.id, low.id]


def test_a_fresh_declaration_is_claimed_by_its_declarer_not_by_the_sweep(db: Database) -> None:
    with db.begin() as session:
        declare(session, declaration())
    with db.begin() as session:
        assert provisioning.claim_unfinished(session, refused=OpenChannel.kind) == []


def test_an_abandoned_or_released_set_up_is_claimed_exactly_once(db: Database) -> None:
    with db.begin() as session:
        incident = declare(session, declaration(), now=utcnow() - timedelta(minutes=10))
        incident_id = incident.id
    with db.begin() as session:
        assert provisioning.claim_unfinished(session, refused=OpenChannel.kind) == [incident_id]
    with db.begin() as session:
        assert (
            provisioning.claim_unfinished(session, refused=OpenChannel.kind) == []
        )  # claimed just now
    with db.begin() as session:
        stored = load(session, incident_id)
        provisioning.release_claim(session, stored)
    with db.begin() as session:
        assert provisioning.claim_unfinished(session, refused=OpenChannel.kind) == [incident_id]
        stored = load(session, incident_id)
        provisioning.mark_provisioned(session, stored)
    later = utcnow() + timedelta(hours=1)
    with db.begin() as session:
        assert provisioning.claim_unfinished(session, refused=OpenChannel.kind, now=later) == []
