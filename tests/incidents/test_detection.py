"""How an incident was found: the console's "Found by" filter chooses the incidents the
post-mortem's rule (``detection.found``) names, for every mix of what it reads."""

from __future__ import annotations

from itertools import product

from bot.console import listing
from bot.incidents import triage_state
from bot.incidents.declare import Declaration, declare
from bot.incidents.detection import UNSAID, found
from bot.incidents.permissions import Reader
from bot.incidents.severity import Severity
from bot.store.db import Database

PERSON, BOB = "U0PERSON01", "U0BOB00001"


def test_the_found_by_filter_follows_the_post_mortems_rule(db: Database) -> None:
    expected: dict[str, set[int]] = {}
    with db.begin() as session:
        for alerted, answers, declared in product(
            (False, True),
            ((), ("yes",), ("no",), ("unknown",), ("yes", "no")),  # the last answer stands
            (None, "alert", "person", "external"),
        ):
            incident = declare(
                session,
                Declaration(
                    title=f"Scores flat {alerted} {answers} {declared}",
                    severity=Severity.SEV3,
                    declared_by=PERSON,
                    detected_by="Alertmanager: ScoresFlat" if alerted else None,
                    detection=declared,
                ),
            )
            for answer in answers:
                triage_state.answer(session, incident, "alert", answer, by=BOB)
            said = found(
                alert_recorded=alerted,
                triage_answer=answers[-1] if answers else None,
                declared=declared,
            )
            expected.setdefault(said.how or UNSAID, set()).add(incident.id)
    assert set(expected) == {"alert", "person", "external", UNSAID}
    with db.begin() as session:
        for how in listing.FOUND:
            page = listing.read(session, listing.parse({"found": how}), Reader(PERSON))
            assert {row.number for row in page.rows} == expected[how], how
