"""When the provider became aware of a serious incident is a key time: the timeline and
the post-mortem list it, and the key-times form moves it (the Commander or the Legal
Liaison, with a reason), the deadline with it, recorded with who and why."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.app import reporting, roles, wiki
from bot.app import timeline as timeline_flow
from bot.app.services import Services
from bot.documents import postmortem
from bot.incidents import key_times, timeline
from bot.incidents.declare import Declaration, declare
from bot.incidents.key_times import KeyTime
from bot.incidents.kinds import EventKind
from bot.incidents.roles import Role
from bot.incidents.severity import Severity
from bot.reporting.regimes import Answers
from bot.sandbox import SlackStandIn, reading
from bot.store.models import Incident, SeriousCase, utcnow
from tests.conftest import ALICE, BOB, CARA
from tests.tracker_standins import confluence as wiki_standin
from tests.tracker_standins.confluence import ConfluenceStandIn

BOT = "UBOTINCIDENT"


@pytest.fixture
def services_env(confluence: ConfluenceStandIn) -> dict[str, str]:
    return {
        "INCIDENTBOT_REPORTING": "eu-ai-act",
        "INCIDENTBOT_PROVIDER_NAME": "Acme Payments",
        "INCIDENTBOT_CONFLUENCE_URL": confluence.url,
        "INCIDENTBOT_CONFLUENCE_EMAIL": wiki_standin.EMAIL,
        "INCIDENTBOT_CONFLUENCE_TOKEN": wiki_standin.TOKEN,
        "INCIDENTBOT_CONFLUENCE_SPACE": wiki_standin.SPACE_KEY,
    }


def test_awareness_is_a_key_time_the_legal_liaison_corrects_with_a_reason(
    services: Services, slack: SlackStandIn, confluence: ConfluenceStandIn
) -> None:
    for user, name in ((ALICE, "alice"), (BOB, "bob"), (CARA, "cara")):
        slack.add_user(user, name)
    channel = slack.add_channel("inc-aware", members={BOT, ALICE, BOB, CARA})
    with services.db.begin() as session:
        incident = declare(session, Declaration("Scorer denies loans", Severity.SEV2, ALICE))
        incident.channel_id, incident.provisioned_at = channel, utcnow()
        incident_id = incident.id
    said: list[dict[str, Any]] = []

    def reply(**answer: Any) -> None:
        said.append(answer)

    def shown_timeline() -> str:
        timeline_flow.show(services, channel, 1, reply)
        return reading.readable(said[-1]["blocks"])

    assert "Provider aware" not in shown_timeline()  # not assessed: no awareness yet
    roles.assign(services, channel, Role.LEGAL_LIAISON, BOB, ALICE, reply)
    death = Answers(criteria={"death": "yes"}, member_states=("DE",), causal="likely")
    reporting.submit_assessment(services, channel, death, BOB, reply)
    assert "Provider aware" in shown_timeline() and "(assessed serious)" in shown_timeline()

    # Someone with no part in it may not open the form.
    timeline_flow.open_key_times(services, slack._new_trigger(CARA), channel, CARA, reply)
    assert "Only the Incident Commander" in said[-1]["text"]
    assert not slack.modals.get(CARA)
    # The Legal Liaison, who is not the Commander, is offered awareness alone.
    timeline_flow.open_key_times(services, slack._new_trigger(BOB), channel, BOB, reply)
    (opened,) = [slack.views[v] for v in slack.modals[BOB]]
    form = reading.readable(opened["blocks"])
    assert "Provider aware" in form and "moves the report's deadline" in form
    assert "First signal" not in form and "Mitigated" not in form
    # The Commander sees every key time they may move, awareness among them.
    timeline_flow.open_key_times(services, slack._new_trigger(ALICE), channel, ALICE, reply)
    (commanders,) = [slack.views[v] for v in slack.modals[ALICE]]
    assert "First signal" in reading.readable(commanders["blocks"])
    assert "Provider aware" in reading.readable(commanders["blocks"])

    with services.db.begin() as session:
        case = session.get(SeriousCase, incident_id)
        assert case is not None and case.aware_at is not None
        aware, due = case.aware_at, case.due_at
    earlier = aware - timedelta(days=1)
    # A reason is required, and nothing changes without one.
    timeline_flow.correct_key_times(services, channel, {KeyTime.AWARE: earlier}, "", BOB, reply)
    assert "Say why the provider's awareness moves" in said[-1]["text"]
    timeline_flow.correct_key_times(
        services, channel, {KeyTime.AWARE: earlier}, "legal heard on the 6th", BOB, reply
    )
    posted = [reading.message_text(m) for m in slack.channels[channel].public()]
    (moved,) = [m for m in posted if "corrected Provider aware to" in m]
    assert f"<@{BOB}>" in moved and "(legal heard on the 6th)" in moved
    assert "Serious incident: report due" in moved and "in 9 days" in moved
    with services.db.begin() as session:
        case = session.get(SeriousCase, incident_id)
        assert case is not None and due is not None
        assert case.aware_at == earlier and case.due_at == due - timedelta(days=1)
        (corrected,) = [
            e
            for e in timeline.events(session, incident_id)
            if e.kind == EventKind.AWARENESS_CORRECTED
        ]
        assert corrected.actor == BOB and corrected.data["why"] == "legal heard on the 6th"
        incident = session.get(Incident, incident_id)
        assert incident is not None
        context = postmortem.assemble(session, incident, {BOB: "bob"}, awareness=True)
        (row,) = [k for k in context["key_times"] if k["label"] == "Provider aware"]
        assert row["at"] == earlier and row["corrected_by"] == "@bob"
        # With reporting off, it is no key time anywhere.
        off = postmortem.assemble(session, incident, {BOB: "bob"})
        assert all(k["label"] != "Provider aware" for k in off["key_times"])
        assert KeyTime.AWARE not in key_times.of(session, incident).shown()
    assert "Provider aware" in shown_timeline() and "corrected by" in shown_timeline()
    document = postmortem.render(context, "md")  # the Markdown alone: no chart needed
    assert "Provider aware" in document.text
    # The page on the wiki lists the same key times as the Markdown and HTML forms.
    wiki.publish(services, channel, ALICE, reply)
    (page,) = confluence.pages.values()
    assert "Provider aware" in page.body and "First signal" in page.body
