"""The views stay inside Slack's limits whatever they are given, and never ping."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.incidents.runbooks import load
from bot.incidents.triage_questions import Runbook
from bot.sandbox import rules
from bot.sandbox.reading import readable, shown, text_objects
from bot.slack.blocks.declare_form import declare_modal
from bot.slack.blocks.incident_list import list_blocks
from bot.slack.blocks.kit import render
from bot.slack.blocks.summary import summary_blocks, summary_text, topic
from bot.slack.blocks.triage_card import runbook_blocks
from bot.slack.listeners.commands.subcommands import parse
from bot.store.models import Incident, RoleAssignment

NASTY = "<!channel> <https://evil.example|click here> &amp; *bold* " * 10


def incident(**overrides: object) -> Incident:
    values: dict[str, object] = dict(
        id=7,
        title=NASTY[:200],
        severity="sev1",
        status="investigating",
        declared_by="U0ALICE01",
        declared_at=datetime(2026, 11, 23, 9, 30, tzinfo=UTC),
        service=NASTY[:200],
        failure_category="data-drift",
        description=NASTY * 10,
        channel_id="C0000001",
        channel_name="inc-20261123-x",
    )
    values.update(overrides)
    made = Incident(**values)
    made.roles = []
    return made


def test_summary_fits_slack_and_shows_untrusted_text_as_text() -> None:
    rendered = render(summary_blocks(incident()))
    rules.check_blocks(rendered)
    mrkdwn = text_objects(rendered, "mrkdwn")
    assert mrkdwn and all(t.get("verbatim") is True for t in mrkdwn)
    joined = " ".join(str(t["text"]) for t in mrkdwn)
    assert "<!channel>" not in joined and "<https://evil" not in joined
    assert "&lt;!channel&gt;" in joined
    # The header is plain_text, which Slack never parses for mentions or links.
    header = next(b for b in rendered if b["type"] == "header")
    assert header["text"]["type"] == "plain_text"
    assert summary_text(incident()).count("<") == 0


def test_roles_show_holders_and_who_answers_for_the_rest() -> None:
    made = incident()
    made.roles = [RoleAssignment(role="commander", user_id="U0BOB0002")]
    text = readable(render(summary_blocks(made)))
    assert "*Incident Commander*\n<@U0BOB0002>" in text
    assert "*ML Lead*\n_unassigned: <@U0BOB0002> (the Incident Commander) answers for it_" in text
    made.roles = []
    text = readable(render(summary_blocks(made)))
    assert "*ML Lead*\n_unassigned: the Incident Commander answers for it_" in text


def test_topic_fits_and_leads_with_severity_status_commander() -> None:
    shown = topic(incident())
    assert len(shown) <= rules.TOPIC_MAX
    assert shown.startswith("SEV1 (critical) | Investigating | Incident Commander: unassigned")
    assert "<!channel>" not in shown


def test_a_resolved_incident_has_no_controls() -> None:
    rendered = render(summary_blocks(incident(status="resolved")))
    assert not [b for b in rendered if b["type"] == "actions"]
    # Its severity's meaning is told in the past: no harm "now" once it is over.
    assert "Predictions were causing significant harm: money lost" in readable(rendered)
    assert "harm now" not in readable(rendered)
    assert "harm now: money lost" in readable(render(summary_blocks(incident())))
    # Nor is a response still expected of anyone: "Respond immediately" read as ongoing.
    assert "Expected response" not in readable(rendered)
    assert "Respond immediately" not in readable(rendered)
    assert "*Expected response:* Respond immediately, all hands" in readable(
        render(summary_blocks(incident()))
    )
    mitigated = readable(render(summary_blocks(incident(status="mitigated"))))
    assert "*Expected response:* Respond immediately" in mitigated  # not over yet


def test_list_of_many_incidents_stays_under_fifty_blocks() -> None:
    many = [incident(id=i) for i in range(120)]
    rendered = render(list_blocks(many, total=120))
    rules.check_blocks(rendered)
    assert "…and 72 more." in readable(rendered[-1])


def test_declare_form_is_a_valid_modal() -> None:
    view = declare_modal({"response_url": "https://hooks.example/x"}).to_dict()
    rules.check_view(view)
    assert [b["block_id"] for b in view["blocks"]] == [
        "title",
        "severity",
        "service",
        "category",
        "detection",
        "private",
        "description",
    ]
    proposed = declare_modal({}, category="bias-fairness").to_dict()
    rules.check_view(proposed)
    (box,) = [b for b in proposed["blocks"] if b["block_id"] == "private_proposed"]
    assert [o["value"] for o in box["element"]["initial_options"]] == ["private"]


def test_help_fits_slacks_limits() -> None:
    help_answer = parse("help").acknowledgement
    assert help_answer.blocks and help_answer.text
    rules.check_blocks(help_answer.blocks)
    # A person reads the placeholders; sent raw, Slack would take "<sev>" for a link.
    assert "/incident declare <sev> <title>" in shown(help_answer.text)
    assert "<sev>" not in help_answer.text


def test_a_runbook_item_shows_as_written() -> None:
    checklist = next(load(r) for r in Runbook if any("<reference>" in i for i in load(r).items))
    made = incident()
    words = [shown(b["text"]["text"]) for b in render(runbook_blocks(made, checklist, set()))]
    assert any("/incident drift <reference> <current>" in w for w in words)


def test_a_role_brief_shows_its_placeholders_as_written() -> None:
    from bot.app.roles import _brief
    from bot.incidents.roles import Role

    assert "(/incident severity <sev>)" in shown(_brief(incident(), Role.COMMANDER))


def test_a_proposal_that_matches_the_severity_offers_nothing_to_click() -> None:
    from bot.incidents.severity import Severity
    from bot.incidents.triage_questions import Cause, NextStep, Proposal
    from bot.slack.blocks.triage_card import proposal_blocks

    same = Proposal(Severity.SEV2, NextStep.INVESTIGATE, Cause.DATA, None, ("inputs shifted",))
    drawn = render(proposal_blocks(incident(severity="sev2"), same))
    assert "The incident is already SEV2: nothing to change." in shown(readable(drawn))
    assert not [b for b in drawn if b["type"] == "actions"]  # no Accept that changes nothing
    higher = Proposal(Severity.SEV1, NextStep.EMERGENCY, Cause.MODEL, None, ("money lost",))
    (buttons,) = [
        b
        for b in render(proposal_blocks(incident(severity="sev2"), higher))
        if b["type"] == "actions"
    ]
    assert [e["text"]["text"] for e in buttons["elements"]] == ["Change to SEV1", "Keep SEV2"]


def test_an_alerts_details_list_no_empty_annotations_under_its_description() -> None:
    from bot.slack.blocks.alert_prompt import details_blocks
    from bot.store.models import AlertGroup

    group = AlertGroup(
        source="alertmanager",
        group_key="k",
        title="FraudPrecisionLow",
        severity="sev2",
        decision="declare",
        labels={"alertname": "FraudPrecisionLow"},
        annotations={"summary": "Precision fell", "description": "Below 0.8 for 10 minutes"},
    )
    said = shown(readable(render(details_blocks(group))))
    assert "Below 0.8 for 10 minutes" in said and "Labels" in said
    assert "Annotations" not in said and "none" not in said
    group.annotations = {**group.annotations, "runbook": "fraud.md"}
    assert "Annotations" in shown(readable(render(details_blocks(group))))


def test_an_alerts_words_agree_with_its_source_and_its_count() -> None:
    from bot.slack.blocks.alert_prompt import details_text, prompt_blocks
    from bot.store.models import AlertGroup

    group = AlertGroup(
        source="alertmanager", group_key="k", title="FraudPrecisionLow", severity="sev2"
    )
    assert details_text(group) == "Opened from an alert from Alertmanager: FraudPrecisionLow"
    group.status = "resolved"
    said = shown(readable(render(prompt_blocks(group, 0, 1, None))))
    assert "\nresolved" in said and "all 1 alert" not in said
    assert "all 3 alerts resolved" in shown(readable(render(prompt_blocks(group, 0, 3, None))))
    group.status = "firing"
    assert "1 of 1 alert firing" in shown(readable(render(prompt_blocks(group, 1, 1, None))))


def test_a_hint_and_the_drill_list_show_their_placeholders_as_written() -> None:
    """`/incident drift reference current` and `/incident drill name` lost their
    placeholders: Slack took "<reference>" for a token."""
    from types import SimpleNamespace

    from bot.app.drills import listing
    from bot.incidents.triage_questions import Assessment, Hint
    from bot.slack.blocks.triage_card import _hints_text

    hint = Hint("Compare the data with `/incident drift <reference> <current>`.")
    said = _hints_text(Assessment((hint,), ()))
    assert "<reference>" not in said and "/incident drift <reference> <current>" in shown(said)
    drills = listing(SimpleNamespace(settings=SimpleNamespace(drills_dir=None)))  # type: ignore[arg-type]
    assert "<name>" not in drills and "/incident drill <name> starts one" in shown(drills)


def test_a_handover_request_reads_with_or_without_a_holder() -> None:
    from bot.slack.blocks.handover_request import request_blocks
    from bot.store.models import HandoverRequest

    asked = HandoverRequest(
        id=1,
        role="ml-lead",
        holder="U0ANA0001",
        candidate="U0CARA003",
        requested_by="U0DAN0004",
        expires_at=datetime(2026, 12, 7, 9, 10),
    )
    said = readable(render(request_blocks(asked, "U0BOB0002")))
    assert "to take ML Lead, now held by <@U0ANA0001>. <@U0ANA0001> or the Incident " in said
    assert "Commander, <@U0BOB0002>, can agree." in said
    asked.holder = None
    said = readable(render(request_blocks(asked, "U0BOB0002")))
    assert "asks for <@U0CARA003> to take ML Lead. The Incident Commander, <@U0BOB0002>," in said
    assert "now held by" not in said and "_unassigned_" not in said


@pytest.mark.parametrize("responders", [True, False])
def test_who_may_act_names_responders_only_where_there_are_some(responders: bool) -> None:
    from bot.containment.levers import Lever, Request
    from bot.drills.scenarios import library
    from bot.incidents.roles import Role
    from bot.slack.blocks.containment_cards import lever_modal, rollback_modal
    from bot.slack.blocks.drill_controls import facilitator
    from bot.store.models import Incident

    lever = Lever("pause", "Pause scoring", "Stops it.", Request("POST", "https://x.test/"))
    lever = replace(lever, who=(Role.ML_LEAD,))
    said = shown(readable(lever_modal(lever, "C1", "INC-1", responders=responders).to_dict()))
    rolled = shown(
        readable(
            rollback_modal("m", "champion", 3, 2, "C1", "INC-1", responders=responders).to_dict()
        )
    )
    scenario = next(iter(library().values()))
    controls = readable(render(facilitator(Incident(id=1), scenario, "U1", responders=responders)))
    if responders:
        assert "Only the Incident Commander, the ML Lead or a responder can run it." in said
        assert "Only the Incident Commander, the ML Lead or a responder can confirm." in rolled
        assert "Only the facilitator (or a responder) uses these." in controls
    else:
        assert "Only the Incident Commander or the ML Lead can run it." in said
        assert "Only the Incident Commander or the ML Lead can confirm." in rolled
        assert "Only the facilitator uses these." in controls


def test_a_data_inject_says_what_to_check() -> None:
    from bot.slack.blocks.drill_controls import inject_text

    said = inject_text("data", {"text": "New data."}, ["/incident drift a.csv b.csv"], True)
    assert said.endswith("\nCheck the data sets with `/incident drift a.csv b.csv`.")


def test_the_summary_reads_in_plain_sentences() -> None:
    from datetime import timedelta

    from bot.slack.blocks.summary import private_notice
    from bot.store.models import TimelineEvent

    made = incident(
        detected_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        last_update_at=datetime(2026, 11, 23, 9, 40, tzinfo=UTC),
    )
    item = TimelineEvent(kind="action_item", data={"item": "Alert on nulls"}, actor="U1")
    text = readable(render(summary_blocks(made, open_actions=[item])))
    assert ", 3 d before it was declared." in text and "4320 min" not in text
    assert "*Open action items: 1*" in text
    assert ":mega: Last status update <!date^" in text
    assert "under way. Incident Commander: <@U0ALICE01>. Its details" in private_notice(made)
    made.detected_at = made.declared_at - timedelta(minutes=45)
    assert ", 45 min before it was declared." in readable(render(summary_blocks(made)))


def test_the_unreadable_form_carries_the_apps_one_name() -> None:
    from bot.slack.blocks.forms import unreadable

    assert unreadable().to_dict()["title"]["text"] == "incidentbot"


def test_triage_reasons_and_a_role_announcement_have_one_colon_each() -> None:
    from bot.app.roles import announcement
    from bot.incidents.assign_role import RoleChange
    from bot.incidents.roles import Role
    from bot.incidents.severity import Severity
    from bot.incidents.triage_questions import propose
    from bot.slack.blocks.triage_card import outcome_text

    proposal = propose({"impact": "harm"}, Severity.SEV3)
    said = outcome_text(proposal)
    assert "Why: the business impact is significant harm now." in said
    unknown = outcome_text(propose({}, Severity.SEV3))
    assert "Why: the impact is not known, so it stays SEV3." in unknown
    told = announcement(RoleChange(Role.ML_LEAD, "U0BOB0002", None), "U0ALICE01")
    assert told == (
        "<@U0BOB0002> is now ML Lead (set by <@U0ALICE01>) — model lineage: which version "
        "serves, what changed, rollback readiness."
    )


def test_a_long_serving_version_reads_as_registered_before_the_signal() -> None:
    from datetime import timedelta

    from bot.containment.mlflow import History, Version
    from bot.incidents.severity import Severity
    from bot.slack.blocks.containment_cards import change_finding

    signal = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    old = Version(3, signal - timedelta(days=9), None)
    history = History("fraud", "champion", 3, (old,), "https://mlflow.test/m")
    assert change_finding(history, signal) == (
        "no",
        "version 3 was registered 9 days before the first signal: no recent model change",
    )
    assert "money lost, a safety risk, a regulatory breach" in Severity.SEV1.info.meaning


def test_every_triage_question_can_take_a_note() -> None:
    """Question 2 (is the model serving?) had no *Add a note* button where the others had."""
    from bot.incidents.triage_questions import QUESTIONS, assess
    from bot.slack.blocks.triage_card import card, note_modal

    blocks = render(card(incident(), {}, assess({}, incident().severity)))
    for number, question in enumerate(QUESTIONS, start=1):
        (row,) = [b for b in blocks if b.get("block_id") == f"a_{question.key}"]
        labels = [e["text"]["text"] for e in row["elements"]]
        assert labels[-1] == "Add a note", f"question {number} has {labels}"
        form = note_modal(7, question.key, question.note_prompt, "C0000001").to_dict()
        assert question.note_prompt.rstrip("?.") in str(form)


def test_an_alerts_origin_says_its_severity_and_its_sender_once() -> None:
    """An alert's incident said "SEV1 · critical from critical": the alert's severity label
    stood where its source belonged."""
    from bot.slack.blocks.alert_prompt import details_blocks, prompt_blocks
    from bot.store.models import AlertGroup

    group = AlertGroup(
        source="alertmanager",
        group_key="k",
        title="Precision of the fraud model fell below 0.8",
        severity="sev1",
        severity_label="critical",
        route="ml-pager",
        decision="declare",
        labels={"alertname": "FraudPrecisionLow", "severity": "critical"},
        annotations={},
    )
    said = shown(readable(render(details_blocks(group)))).splitlines()
    assert (
        said[1]
        == "🔴 SEV1 · critical · from Alertmanager, receiver ml-pager, alert FraudPrecisionLow"
    )
    group.title, group.source, group.severity_label = "FraudPrecisionLow", "grafana", "P1"
    said = shown(readable(render(prompt_blocks(group, 1, 1, None)))).splitlines()
    assert said[1] == "🔴 SEV1 · critical (the alert said P1) · from Grafana, receiver ml-pager"
    group.source, group.route, group.severity_label, group.labels = "generic", None, "SEV1", {}
    said = shown(readable(render(details_blocks(group)))).splitlines()
    assert said[1] == "🔴 SEV1 · critical · from Monitor"
