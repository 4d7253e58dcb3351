"""Severity from labels, declare-or-ask per route, and their settings."""

from __future__ import annotations

import pytest

from bot.alerts.normalized import Alert
from bot.alerts.policy import parse_policy
from bot.config import ConfigError, load_settings
from bot.incidents.severity import Severity


def alert(**labels: str) -> Alert:
    return Alert(fingerprint="f", status="firing", name="A", labels=labels)


def test_default_mapping_and_the_most_severe_alert_of_a_group_wins() -> None:
    policy = parse_policy(None, None)
    assert policy.severity_of(alert(severity="critical")) == (Severity.SEV1, "critical")
    assert policy.severity_of(alert(severity="WARNING")) == (Severity.SEV3, "WARNING")
    assert policy.severity_of(alert(priority="P1")) == (Severity.SEV2, "P1")
    assert policy.severity_of(alert(severity="sev4")) == (Severity.SEV4, "sev4")
    assert policy.severity_of(alert(severity="weird")) == (Severity.SEV3, "weird")
    assert policy.severity_of(alert()) == (Severity.SEV3, None)
    group = [alert(severity="info"), alert(severity="critical"), alert(severity="warning")]
    assert policy.group_severity(group) == (Severity.SEV1, "critical")


def test_a_custom_mapping_extends_the_defaults_and_sets_the_fallback() -> None:
    policy = parse_policy("page=sev1,warning=sev2,*=sev4", None)
    assert policy.severity_of(alert(severity="page"))[0] is Severity.SEV1
    assert policy.severity_of(alert(severity="warning"))[0] is Severity.SEV2
    assert policy.severity_of(alert(severity="critical"))[0] is Severity.SEV1  # default kept
    assert policy.severity_of(alert(severity="odd"))[0] is Severity.SEV4


def test_a_route_may_declare_privately_given_someone_to_invite() -> None:
    policy = parse_policy(None, "security=declare+private,*=declare")
    assert policy.mode_for("security") == "declare+private"
    assert policy.declares_privately() and not parse_policy(None, None).declares_privately()
    settings = load_settings(
        {
            "INCIDENTBOT_ALERT_ROUTES": "security=declare+private",
            "INCIDENTBOT_RESPONDERS": "S0ONCALL1",
        }
    )
    assert settings.responders == "S0ONCALL1"


def test_routes_choose_declare_or_ask() -> None:
    policy = parse_policy(None, "ml-review=ask,*=declare")
    assert policy.mode_for("ml-review") == "ask"
    assert policy.mode_for("pager") == "declare" and policy.mode_for(None) == "declare"
    assert parse_policy(None, None).mode_for("anything") == "declare"


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"INCIDENTBOT_ALERT_SEVERITY": "critical=urgent"}, "not a severity; use sev1 to sev4"),
        ({"INCIDENTBOT_ALERT_SEVERITY": "critical"}, "key=value pairs"),
        ({"INCIDENTBOT_ALERT_ROUTES": "pager=maybe"}, "use 'declare'"),
        ({"INCIDENTBOT_ALERT_ROUTES": "*=ask"}, "INCIDENTBOT_BROADCAST_CHANNEL is unset"),
        ({"INCIDENTBOT_ALERT_ROUTES": "security=ask+private"}, "must not show: use"),
        (
            {"INCIDENTBOT_ALERT_ROUTES": "security=declare+private"},
            "INCIDENTBOT_RESPONDERS is unset",
        ),
        ({"INCIDENTBOT_RESPONDERS": "ml-oncall"}, "not a Slack user group ID"),
    ],
)
def test_settings_that_cannot_work_stop_the_bot_with_a_reason(
    env: dict[str, str], says: str
) -> None:
    with pytest.raises(ConfigError, match=says.replace("(", r"\(").replace(")", r"\)")):
        load_settings(env)
