"""The console's list and incident page, read from a real database (SQLite, and
PostgreSQL where configured), over the review's hand-worked quarter of incidents."""

from __future__ import annotations

from datetime import timedelta
from itertools import product

import pytest
from sqlalchemy import select

from bot.console import listing, story
from bot.incidents import queries
from bot.incidents.errors import InvalidInput
from bot.incidents.permissions import Reader, reads
from bot.store.db import Database
from bot.store.models import Incident, RoleAssignment
from tests.review.story import ALICE, BOB, CARA, build

ALICE_READS = Reader(ALICE)


@pytest.fixture
def ids(db: Database) -> dict[str, int]:
    return build(db)


def shown(db: Database, reader: Reader = ALICE_READS, **asked: str) -> list[int]:
    with db.begin() as session:
        return [r.number for r in listing.read(session, listing.parse(asked), reader).rows]


def test_newest_first_each_filter_narrows(db: Database, ids: dict[str, int]) -> None:
    i = ids
    assert shown(db) == [i["F"], i["E"], i["D"], i["C"], i["B"], i["A"], i["G"]]
    assert shown(db, severity="sev1") == [i["E"], i["B"], i["A"], i["G"]]
    assert shown(db, status="open") == [i["E"], i["D"]]
    assert shown(db, drills="only") == [i["E"]]
    assert i["E"] not in shown(db, drills="no")
    assert shown(db, found="external") == [i["F"]]
    assert shown(db, model="fraud-scorer") == [i["B"], i["A"], i["G"]]
    assert shown(db, category="data-drift", severity="sev1") == [i["B"], i["A"], i["G"]]
    assert shown(db, **{"from": "2026-07-01", "to": "2026-08-31"}) == [i["C"], i["B"], i["A"]]
    assert shown(db, **{"from": "2026-09-11"}) == [i["F"], i["E"]]  # from a day on
    assert shown(db, to="2026-07-06") == [i["A"], i["G"]]  # up to a day, that day included


def test_search_finds_whole_words_in_titles_and_timeline_text(
    db: Database, ids: dict[str, int]
) -> None:
    assert shown(db, q="spain") == [ids["B"]]  # a title word, any case
    assert shown(db, q="rolled back") == [ids["A"]]  # an event's words, both needed
    assert shown(db, q="rolled spain") == []  # every word, in one title or one event
    assert shown(db, q="spa") == []  # whole words
    assert shown(db, q='" OR 1=1 -- NEAR(') == []  # operators are words, not syntax


def test_a_private_incident_shows_only_that_it_exists_and_hides_from_filters(
    db: Database, ids: dict[str, int]
) -> None:
    private = ids["D"]
    with db.begin() as session:
        row = next(
            r
            for r in listing.read(session, listing.parse({}), ALICE_READS).rows
            if r.number == private
        )
    assert not row.readable and row.title is None and row.commander is None and row.model is None
    assert row.severity == "sev3" and row.status != "resolved"
    assert private in shown(db, severity="sev3")  # what the broadcast told, it may match
    assert private not in shown(db, q="reveals")  # what it withholds never matches
    assert shown(db, Reader(BOB), q="reveals") == [private]  # the declarer reads it
    assert shown(db, Reader(CARA, responder=True), q="reveals") == [private]


def test_time_to_mitigate_is_the_reviews_corrections_winning(
    db: Database, ids: dict[str, int]
) -> None:
    with db.begin() as session:
        rows = {r.number: r for r in listing.read(session, listing.parse({}), ALICE_READS).rows}
    assert rows[ids["A"]].to_mitigate == timedelta(minutes=60)
    assert rows[ids["B"]].to_mitigate == timedelta(minutes=240)  # first signal corrected to 11:00


def test_pages_of_fifty_and_past_the_end(db: Database, ids: dict[str, int]) -> None:
    with db.begin() as session:
        found = listing.read(session, listing.parse({}), ALICE_READS)
        assert (found.total, found.pages) == (7, 1)
        with pytest.raises(listing.PastTheEnd, match="There is no page 2"):
            listing.read(session, listing.parse({"page": "2"}), ALICE_READS)


@pytest.mark.parametrize(
    ("asked", "said"),
    [
        ({"severity": "sev5"}, "is not one of sev1"),
        ({"category": "gremlins"}, "no failure category"),
        ({"found": "psychic"}, "is not how an incident is found"),
        ({"drills": "maybe"}, "should be “no” or “only”"),
        ({"from": "yesterday"}, "is not a date"),
        ({"from": "2026-09-01", "to": "2026-08-01"}, "ends (2026-08-01) before it starts"),
        ({"q": "x" * 201}, "at most 200 characters"),
        ({"page": "0"}, "is not a page number"),
    ],
)
def test_bad_filters_are_refused_with_a_sentence(asked: dict[str, str], said: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        listing.parse(asked)
    assert said in str(refused.value)


def test_the_sql_rule_and_the_policy_agree_for_every_reader(
    db: Database, ids: dict[str, int]
) -> None:
    """``queries.readable`` is ``permissions.reads`` as SQL: the same answer for each
    incident and each kind of reader (member, declarer, role holder, responder, other)."""
    with db.begin() as session:
        private = session.get(Incident, ids["D"])
        assert private is not None
        private.channel_id = "C0PRIVATE1"
        session.add(RoleAssignment(incident_id=ids["D"], role="comms_lead", user_id=CARA))
    readers = [
        Reader(u, responder=r, channels=frozenset(c))
        for u, r, c in product(
            [ALICE, BOB, CARA, "U0STRANGER"], [False, True], [(), ("C0PRIVATE1",)]
        )
    ]
    with db.begin() as session:
        incidents = list(session.scalars(select(Incident)))
        for reader in readers:
            by_sql = set(session.scalars(select(Incident.id).where(queries.readable(reader))))
            by_rule = {i.id for i in incidents if reads(i, reader)}
            assert by_sql == by_rule, reader
    assert not reads(next(i for i in incidents if i.id == ids["D"]), Reader("U0STRANGER"))


def test_an_incident_page_filters_its_timeline_and_pages_it(
    db: Database, ids: dict[str, int]
) -> None:
    with db.begin() as session:
        told = story.read(session, ids["A"], ALICE_READS)
        assert told.counts[""] == len(told.timeline) and told.pages == 1
        # A resolved SEV1's meaning is told in the past; an open one's in the present.
        assert told.meaning.startswith("Predictions were causing significant harm: money lost")
        assert "harm now" in story.read(session, ids["E"], ALICE_READS).meaning
        updates = story.read(session, ids["A"], ALICE_READS, kind="updates")
        assert {e["kind"] for e in updates.timeline} == {"status_update"}
        assert [m["kind"] for m in told.containment] == ["model_rolled_back"]
        assert [(a["text"], a["done"]) for a in told.action_items] == [
            ("Alert on precision", True),
            ("Retrain weekly", False),
        ]
        with pytest.raises(story.Withheld, match="private SEV3"):
            story.read(session, ids["D"], ALICE_READS)
        with pytest.raises(story.Unknown):
            story.read(session, 10_000, ALICE_READS)


class _People:
    """What Slack would say, refusing to be asked while a database transaction is open
    (the console's lookups run on a pool, out of sight of the thread-local guard)."""

    def reader(self, user: str) -> Reader:
        self._outside("reader")
        return Reader(user)

    def names(self, users: object) -> dict[str, str]:
        self._outside("names")
        return {ALICE: "alice", BOB: "bob"}

    def channel_url(self, channel_id: str) -> str:
        return channel_id

    @staticmethod
    def _outside(what: str) -> None:
        from tests.guard_site.transaction_guard import _depth

        assert _depth() == 0, f"Slack asked for {what} inside a database transaction"


def test_the_post_mortem_asks_slack_for_names_outside_any_transaction(
    db: Database, ids: dict[str, int]
) -> None:
    from bot.config import load_settings
    from bot.console.routes import Console
    from bot.console.signin import SandboxSignIn, Viewer
    from tests.guard_site.transaction_guard import no_calls_inside_transactions

    console = Console(
        db, load_settings({}), _People(), SandboxSignIn(frozenset({ALICE}), ALICE, "c")
    )
    with no_calls_inside_transactions():
        context = console._document_context(ids["A"], Viewer(ALICE))
    assert context["incident"]["reference"] == f"INC-{ids['A']}"
    assert context["action_items"][0]["owner"] == "@bob"  # the names Slack gave


def test_a_drift_finding_is_found_only_on_its_own_incident(
    db: Database, ids: dict[str, int]
) -> None:
    from bot.incidents import timeline

    with db.begin() as session:
        incident = session.get(Incident, ids["A"])
        assert incident is not None
        found = timeline.record(
            session,
            incident,
            "drift_found",
            "2 of 3 columns drifted",
            actor=BOB,
            verdict="2 of 3 columns drifted",
            reference="ref.csv",
            current="cur.csv",
            drifted=["amount", "country"],
            tested=3,
            columns=[{"column": "amount", "method": "ks", "score": 0.001, "drifted": True}],
        )
        session.flush()
        event_id = found.id
    with db.begin() as session:
        finding = story.finding(session, ids["A"], event_id, ALICE_READS)
        assert (
            finding["drifted"] == ["amount", "country"]
            and finding["columns"][0]["column"] == "amount"
        )
        assert finding["drifted_words"] == "2 of 3 columns drifted"  # what the page says
        with pytest.raises(story.Unknown, match="has no drift finding"):
            story.finding(session, ids["B"], event_id, ALICE_READS)
        with pytest.raises(story.Withheld):
            story.finding(session, ids["D"], event_id, ALICE_READS)
        assert [d["id"] for d in story.read(session, ids["A"], ALICE_READS).drift] == [event_id]


def test_a_fairness_finding_is_read_as_fairness_and_drawn_from_its_figures(
    db: Database, ids: dict[str, int]
) -> None:
    from bot.app.fairness import kept
    from bot.diagnosis.fairness import Request, analyse, mask
    from bot.documents.plotting import fairness_png
    from bot.incidents import timeline
    from tests.diagnosis.fairness_data import windows

    reference, current = windows(2000, 3, seed=51, shifted=0)
    facts = mask(analyse(reference, current, Request((("group",),), "predicted")), ["group"])
    with db.begin() as session:
        incident = session.get(Incident, ids["A"])
        assert incident is not None
        found = timeline.record(
            session,
            incident,
            "fairness_found",
            facts["verdict"],
            actor=BOB,
            **kept(facts, "ref.csv", "cur.csv"),
        )
        session.flush()
        event_id = found.id
    with db.begin() as session:
        finding = story.finding(session, ids["A"], event_id, ALICE_READS, "fairness_found")
        assert finding["verdict"] == facts["verdict"] and finding["reference"] == "ref.csv"
        assert finding["breakdowns"][0]["masked"] and finding["breakdowns"][0]["group"] == "group"
        assert fairness_png(finding["data"]).startswith(b"\x89PNG")
        with pytest.raises(story.Unknown, match="has no drift finding"):
            story.finding(session, ids["A"], event_id, ALICE_READS)
        told = story.read(session, ids["A"], ALICE_READS)
        assert [f["id"] for f in told.fairness] == [event_id]
