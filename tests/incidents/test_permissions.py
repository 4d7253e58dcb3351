"""The permission policy on its own: who steers, who hands over, what a refusal says."""

from __future__ import annotations

import pytest

from bot.incidents.permissions import Act, Actor, NotAllowed, Policy
from bot.incidents.roles import Role
from bot.slack.blocks.text import refusal
from bot.store.models import Incident, RoleAssignment

ALICE, BOB, CARA, DAN = "U0ALICE01", "U0BOB0002", "U0CARA003", "U0DAN0004"


def incident(declared_by: str | None = ALICE, **roles: str) -> Incident:
    made = Incident(id=12, title="t", severity="sev2", status="investigating")
    made.declared_by = declared_by
    made.roles = [
        RoleAssignment(role=role.replace("_", "-"), user_id=u) for role, u in roles.items()
    ]
    return made


def test_the_declarer_steers_until_someone_holds_commander() -> None:
    policy = Policy()
    first = incident()
    policy.check(Act.RESOLVE, first, Actor(ALICE))
    with pytest.raises(NotAllowed) as refused:
        policy.check(Act.RESOLVE, first, Actor(BOB))
    assert str(refused.value) == f"Only the Incident Commander, @{ALICE}, can resolve INC-12."
    handed = incident(commander=BOB)
    policy.check(Act.SEVERITY, handed, Actor(BOB))
    with pytest.raises(NotAllowed):
        policy.check(Act.SEVERITY, handed, Actor(ALICE))  # no longer the declarer's call


def test_a_refusal_names_who_can_as_mentions() -> None:
    policy = Policy("S0ONCALL1")
    with pytest.raises(NotAllowed) as refused:
        policy.check(Act.KEY_TIMES, incident(commander=BOB), Actor(CARA, responder=False))
    assert refusal(refused.value) == (
        f"Only the Incident Commander, <@{BOB}>, or a member of <!subteam^S0ONCALL1> can "
        "correct the key times of INC-12."
    )
    policy.check(Act.KEY_TIMES, incident(commander=BOB), Actor(CARA, responder=True))


def test_nobody_commanding_says_how_to_take_command() -> None:
    with pytest.raises(NotAllowed) as refused:
        Policy().check(Act.MAKE_PRIVATE, incident(declared_by=None), Actor(BOB))
    assert "Nobody holds the Incident Commander role yet: `/incident role commander @you`" in str(
        refused.value
    )


def test_unknown_group_membership_is_said_not_guessed() -> None:
    with pytest.raises(NotAllowed) as refused:
        Policy("S0ONCALL1").check(Act.RESOLVE, incident(), Actor(BOB, responder=None))
    assert "Slack did not say who is in that group" in str(refused.value)


def test_who_may_give_a_role_without_asking() -> None:
    policy = Policy("S0ONCALL1")
    held = incident(commander=BOB, ml_lead=CARA)
    assert policy.may_give(held, Role.DATA_LEAD, Actor(DAN))  # nobody holds it
    assert policy.may_give(held, Role.ML_LEAD, Actor(CARA))  # its holder
    assert policy.may_give(held, Role.ML_LEAD, Actor(BOB))  # the Commander
    assert policy.may_give(held, Role.ML_LEAD, Actor(DAN, responder=True))
    assert not policy.may_give(held, Role.ML_LEAD, Actor(DAN))
    # Commander unheld: the declarer commands, so taking it needs their consent.
    assert policy.holder(incident(), Role.COMMANDER) == ALICE
    assert not policy.may_give(incident(), Role.COMMANDER, Actor(DAN))
    assert policy.may_give(incident(declared_by=None), Role.COMMANDER, Actor(DAN))


def test_consent_comes_from_the_holder_or_the_commander() -> None:
    policy = Policy()
    held = incident(commander=BOB, ml_lead=CARA)
    policy.check_consent(held, Role.ML_LEAD, CARA, Actor(CARA))
    policy.check_consent(held, Role.ML_LEAD, CARA, Actor(BOB))
    with pytest.raises(NotAllowed) as refused:
        policy.check_consent(held, Role.ML_LEAD, CARA, Actor(DAN))
    assert str(refused.value) == (
        f"Only @{CARA} (who holds it) or the Incident Commander, @{BOB}, can hand over ML Lead "
        "on INC-12."
    )


def test_alert_prompts_are_for_responders_once_the_group_is_set() -> None:
    Policy().check_alert_decision(Actor(BOB))
    Policy("S0ONCALL1").check_alert_decision(Actor(CARA, responder=True))
    with pytest.raises(NotAllowed) as refused:
        Policy("S0ONCALL1").check_alert_decision(Actor(BOB))
    assert refusal(refused.value) == (
        "Only members of <!subteam^S0ONCALL1> can declare or dismiss alerts."
    )


# Who may do each act, as the table in docs/capabilities/permissions.md says: the Commander
# (BOB), the declarer who no longer commands (ALICE), the ML Lead (CARA), a member of the
# responders group (ERIN), and someone in the channel with no role (DAN). In a drill ALICE
# is the facilitator.
ERIN = "U0ERIN005"
PEOPLE = ("commander", "declarer", "ml_lead", "responder", "bystander")
MAY: dict[Act, tuple[bool, ...]] = {
    Act.RESOLVE: (True, False, False, True, False),
    Act.SEVERITY: (True, False, False, True, False),
    Act.PROPOSED_SEVERITY: (True, False, False, True, False),
    Act.KEY_TIMES: (True, False, False, True, False),
    Act.MAKE_PRIVATE: (True, False, False, True, False),
    Act.AUDIENCE: (True, False, False, True, False),
    Act.ROLLBACK: (True, False, True, True, False),
    Act.UNDO_ROLLBACK: (True, False, True, True, False),
    Act.SHARE_TITLE: (True, False, False, True, False),
    Act.PUBLISH: (True, False, False, True, False),  # and the Comms Lead
    Act.ASSESS: (True, False, False, True, False),  # and the Legal Liaison
    Act.AWARENESS: (True, False, False, True, False),  # and the Legal Liaison
    Act.REPORT_SENT: (True, False, False, True, False),  # and the Legal Liaison
    Act.FACILITATE: (False, False, False, False, False),  # only in a drill
}
IN_A_DRILL: dict[Act, tuple[bool, ...]] = {
    **MAY,
    Act.RESOLVE: (True, True, False, True, False),  # the facilitator ends the drill
    Act.FACILITATE: (False, True, False, True, False),
}


def _actors() -> dict[str, Actor]:
    return {
        "commander": Actor(BOB),
        "declarer": Actor(ALICE),
        "ml_lead": Actor(CARA),
        "responder": Actor(ERIN, responder=True),
        "bystander": Actor(DAN),
    }


def test_the_table_names_every_act() -> None:
    assert set(MAY) == set(Act) == set(IN_A_DRILL)


@pytest.mark.parametrize("drill", [False, True], ids=["incident", "drill"])
@pytest.mark.parametrize("act", list(Act), ids=lambda act: act.name)
def test_who_may_do_what(act: Act, drill: bool) -> None:
    policy = Policy("S0ONCALL1")
    held = incident(commander=BOB, ml_lead=CARA)
    held.drill = "fraud-false-positives" if drill else None
    expected = (IN_A_DRILL if drill else MAY)[act]
    for person, may in zip(PEOPLE, expected, strict=True):
        actor = _actors()[person]
        assert policy.allows(act, held, actor) is may, (person, act.name)
        if may:
            policy.check(act, held, actor)
        else:
            with pytest.raises(NotAllowed):
                policy.check(act, held, actor)


def test_a_rollback_refusal_names_the_ml_lead_too() -> None:
    with pytest.raises(NotAllowed) as refused:
        Policy().check(Act.ROLLBACK, incident(commander=BOB, ml_lead=CARA), Actor(DAN))
    assert str(refused.value) == (
        f"Only the Incident Commander, @{BOB}, or the ML Lead, @{CARA}, can roll back a model "
        "for INC-12."
    )


def test_a_drill_control_refusal_names_the_facilitator() -> None:
    drill = incident(commander=BOB)
    drill.drill = "fraud-false-positives"
    with pytest.raises(NotAllowed) as refused:
        Policy("S0ONCALL1").check(Act.FACILITATE, drill, Actor(BOB))
    assert refusal(refused.value) == (
        f"Only the facilitator, <@{ALICE}>, or a responder runs the drill's controls."
    )


def test_a_lever_is_also_for_the_roles_the_file_names() -> None:
    policy = Policy()
    held = incident(commander=BOB, data_lead=CARA)
    policy.check_lever("Route to human review", (Role.DATA_LEAD,), held, Actor(CARA), undo=False)
    with pytest.raises(NotAllowed) as refused:
        policy.check_lever("Route to human review", (Role.DATA_LEAD,), held, Actor(DAN), undo=True)
    assert "undo Route to human review on INC-12" in str(refused.value)
    assert f"the Data Lead, @{CARA}" in str(refused.value)
