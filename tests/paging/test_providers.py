"""The provider clients against their stand-ins, and the pure parts of paging: webhook
signatures, the settings, which service a model pages."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.outbox.failures import sort
from bot.paging import webhook
from bot.paging.opsgenie import Opsgenie
from bot.paging.pagerduty import PagerDuty
from bot.paging.provider import PageRequest, PagerRefused
from tests.pager_standins.opsgenie import KEY, OpsgenieStandIn
from tests.pager_standins.pagerduty import TOKEN, PagerDutyStandIn


@pytest.fixture
def pd() -> Iterator[PagerDutyStandIn]:
    with PagerDutyStandIn() as standin:
        standin.add_user("PU1", "Olive", "olive@example.com")
        standin.add_service("PSVC", "Ranker", [["PU1"]])
        yield standin


def request(key: str = "incidentbot:INC-1:x:pagerduty:PSVC") -> PageRequest:
    return PageRequest(key, "PSVC", "SEV1 INC-1: Ranker down", "details", None)


def test_pagerduty_refuses_a_wrong_token_and_a_missing_from_in_words(pd: PagerDutyStandIn) -> None:
    with pytest.raises(PagerRefused) as wrong:
        PagerDuty(pd.url, "nope", "olive@example.com").page(request())
    failure = sort(wrong.value)
    assert not failure.retry and "refused the bot's API token" in failure.words
    with pytest.raises(PagerRefused) as stranger:
        PagerDuty(pd.url, TOKEN, "someone@else.example").page(request())
    assert "'From' header" in str(stranger.value)
    assert pd.incidents == {}


def test_pagerduty_one_open_incident_per_key_and_the_repeat_finds_it(pd: PagerDutyStandIn) -> None:
    client = PagerDuty(pd.url, TOKEN, "olive@example.com")
    first = client.page(request())
    again = client.page(request())
    assert len(pd.incidents) == 1
    assert again.external_id == first.external_id and again.existing and not first.existing
    assert [a.name for a in first.assignees] == ["Olive"]
    client.resolve(first.external_id, "k")
    client.resolve(first.external_id, "k")  # 1001 "Incident Already Resolved" is success
    assert pd.incidents[first.external_id].status == "resolved"
    third = client.page(request())  # the old one is resolved: a new page may be made
    assert third.external_id != first.external_id


def test_pagerduty_rate_limits_and_outages_are_retried_with_the_wait_it_asks(
    pd: PagerDutyStandIn,
) -> None:
    client = PagerDuty(pd.url, TOKEN, "olive@example.com")
    pd.rate_limit(reset=17)
    with pytest.raises(PagerRefused) as limited:
        client.page(request())
    assert sort(limited.value).retry and sort(limited.value).after == 17
    pd.fail_next(503, {"error": "down"})
    with pytest.raises(PagerRefused) as down:
        client.page(request())
    assert sort(down.value).retry


def test_pagerduty_escalation_levels_and_permanent_on_calls(pd: PagerDutyStandIn) -> None:
    client = PagerDuty(pd.url, TOKEN, "olive@example.com")
    paged = client.page(request())
    assert client.escalate(paged.external_id, 1) is True
    assert client.escalate(paged.external_id, 5) is False  # the policy has one level
    (person,) = client.on_call("PSVC")  # start and end are null: on call now
    assert (person.name, person.email, person.level) == ("Olive", "olive@example.com", 1)


def test_an_unreachable_pager_is_a_retry_not_a_crash() -> None:
    with pytest.raises(PagerRefused) as gone:
        PagerDuty("http://127.0.0.1:9", TOKEN, "o@example.com").page(request())
    assert sort(gone.value).retry and "could not be reached" in sort(gone.value).words


@pytest.fixture
def genie() -> Iterator[OpsgenieStandIn]:
    with OpsgenieStandIn() as standin:
        standin.schedules["ranker_schedule"] = ["olive@example.com"]
        yield standin


def test_opsgenie_pages_by_alias_once_closes_by_alias_and_reads_the_schedule(
    genie: OpsgenieStandIn,
) -> None:
    client = Opsgenie(genie.url, KEY, pause=lambda _: None)
    key = "incidentbot:INC-1:x:opsgenie:ranker"
    long_title = "SEV1 INC-1: " + "x" * 300
    paged = client.page(PageRequest(key, "ranker", long_title, "d", None))
    again = client.page(PageRequest(key, "ranker", long_title, "d", None))
    (alert,) = genie.alerts.values()
    assert paged.external_id == again.external_id == alert.id and alert.count == 2
    assert len(alert.message) == 130 and alert.responders == [{"name": "ranker", "type": "team"}]
    client.resolve(paged.external_id, key)
    assert alert.status == "closed"
    assert [p.email for p in client.on_call("ranker")] == ["olive@example.com"]
    assert client.escalate(alert.id, 2) is False  # no levels: the bot's ladder does it
    with pytest.raises(PagerRefused, match="refused the bot's API key"):
        Opsgenie(genie.url, "wrong").page(PageRequest(key, "ranker", "t", "d", None))
    with pytest.raises(PagerRefused, match="No schedule exists"):
        client.on_call("nobody")


def sign(secret: str, body: bytes) -> str:
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_webhook_signatures_any_of_several_during_rotation() -> None:
    body = b'{"event": {}}'
    assert webhook.signed(("new",), body, f"{sign('old', body)},{sign('new', body)}")
    assert webhook.signed(("old", "new"), body, sign("old", body))
    assert not webhook.signed(("new",), body, sign("old", body))
    assert not webhook.signed(("new",), body + b" ", sign("new", body))
    assert not webhook.signed(("new",), body, None)
    assert not webhook.signed((), body, sign("new", body))
    assert not webhook.signed(("new",), body, sign("new", body).replace("v1=", "v0="))


def test_webhook_bodies_the_bot_cannot_read_say_why() -> None:
    with pytest.raises(webhook.Unreadable, match="not JSON"):
        webhook.read(b"{nope")
    with pytest.raises(webhook.Unreadable, match="no event object"):
        webhook.read(b"[]")
    assert webhook.read(b'{"event": {"event_type": "service.updated", "data": {}}}') is None


def paging_env(**more: str) -> dict[str, str]:
    return {
        "INCIDENTBOT_PAGERDUTY_TOKEN": "t",
        "INCIDENTBOT_PAGERDUTY_FROM": "bot@example.com",
        "INCIDENTBOT_PAGERDUTY_SERVICE": "PDEF",
        **more,
    }


def test_paging_settings_and_their_defaults(tmp_path: Path) -> None:
    assert load_settings({}).paging.pager is None
    paging = load_settings(paging_env()).paging
    assert paging.pager == "pagerduty" and paging.pagerduty_url == "https://api.pagerduty.com"
    assert paging.severities == {"sev1", "sev2"}
    assert paging.escalate_after["sev1"] == paging.escalate_after["sev2"] / 3
    assert paging.directory.for_model("anything") is not None
    eu = load_settings(paging_env(INCIDENTBOT_PAGERDUTY_URL="https://api.eu.pagerduty.com/"))
    assert eu.paging.pagerduty_url == "https://api.eu.pagerduty.com"
    routes = tmp_path / "paging.toml"
    routes.write_text('[[service]]\nname = "fraud"\nid = "PFRAUD"\nmodels = ["Fraud-Scorer"]\n')
    directory = load_settings(paging_env(INCIDENTBOT_PAGING_FILE=str(routes))).paging.directory
    found = directory.for_model(None, "fraud-scorer")
    assert found is not None and found.id == "PFRAUD"
    assert load_settings(paging_env(INCIDENTBOT_PAGE_SEVERITIES="none")).paging.severities == set()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (paging_env(INCIDENTBOT_PAGERDUTY_FROM="bot"), "must be the email of the PagerDuty user"),
        (paging_env(INCIDENTBOT_OPSGENIE_KEY="k"), "pages through one provider"),
        (paging_env(INCIDENTBOT_PAGE_SEVERITIES="sev1,urgent"), "names urgent"),
        (paging_env(INCIDENTBOT_ESCALATE_AFTER="sev1=soon"), "INCIDENTBOT_ESCALATE_AFTER"),
        (
            paging_env(INCIDENTBOT_ESCALATION_LADDER="bob"),
            "INCIDENTBOT_ESCALATION_LADDER has 'bob'",
        ),
        (paging_env(INCIDENTBOT_EXECUTIVE_CHANNEL="execs"), "INCIDENTBOT_EXECUTIVE_CHANNEL"),
        (paging_env(INCIDENTBOT_PAGERDUTY_URL="api.pagerduty.com"), "must be an http"),
        (paging_env(INCIDENTBOT_PAGING_FILE="/no/such.toml"), "cannot be read"),
    ],
)
def test_bad_paging_settings_are_explained(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env)


def test_a_paging_file_with_a_bad_service_is_explained(tmp_path: Path) -> None:
    routes = tmp_path / "paging.toml"
    routes.write_text('[[service]]\nname = "Fraud Team"\nid = "P1"\n')
    with pytest.raises(ConfigError, match="gives \\[\\[service\\]\\] number 1 the name"):
        load_settings(paging_env(INCIDENTBOT_PAGING_FILE=str(routes)))
    routes.write_text('[[service]]\nname = "fraud"\n')
    with pytest.raises(ConfigError, match="has no id for the service fraud"):
        load_settings(paging_env(INCIDENTBOT_PAGING_FILE=str(routes)))
