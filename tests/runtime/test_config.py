import re
from datetime import timedelta

import pytest

from bot.config import ConfigError, load_settings, parse_status_cadence


def test_defaults() -> None:
    settings = load_settings({})
    assert settings.database_url == "sqlite:///incidentbot.db"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.channel_prefix == "inc"
    assert settings.status_update_every["sev1"] == timedelta(minutes=30)
    assert settings.status_update_every["sev4"] is None


def test_cadence_overrides_keep_the_other_defaults() -> None:
    cadence = parse_status_cadence("sev1=15m, sev3=1d")
    assert cadence["sev1"] == timedelta(minutes=15)
    assert cadence["sev2"] == timedelta(hours=2)
    assert cadence["sev3"] == timedelta(days=1)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"INCIDENTBOT_STATUS_UPDATE_EVERY": "sev1=soon"}, "gives sev1 the duration 'soon'"),
        ({"INCIDENTBOT_STATUS_UPDATE_EVERY": "sev7=1h"}, "severity=duration pairs"),
        ({"INCIDENTBOT_CHANNEL_PREFIX": "Inc Channel!"}, "cannot start a Slack channel name"),
        ({"INCIDENTBOT_BROADCAST_CHANNEL": "incidents"}, "neither a channel ID"),
        ({"SLACK_API_URL": "slack.com/api"}, "must be an http"),
        ({"INCIDENTBOT_DATA_DIR": "/no/such/folder"}, "is not a folder"),
        ({"INCIDENTBOT_DRILL_SPEED": "fast"}, "INCIDENTBOT_DRILL_SPEED is 'fast'"),
        ({"INCIDENTBOT_DRILL_SPEED": "0.5"}, "from 1 \\(real time\\) up"),
        ({"INCIDENTBOT_DRILL_CHANNEL": "drills"}, "INCIDENTBOT_DRILL_CHANNEL 'drills' is neither"),
        ({"INCIDENTBOT_DRILLS_DIR": "/no/such/folder"}, "INCIDENTBOT_DRILLS_DIR"),
    ],
)
def test_bad_settings_are_explained(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env)


def test_missing_slack_credentials_name_the_variables_and_the_way_out() -> None:
    with pytest.raises(ConfigError) as problem:
        load_settings({"SLACK_SIGNING_SECRET": "s"}).require_slack()
    text = str(problem.value)
    assert "Missing SLACK_BOT_TOKEN:" in text and "incidentbot manifest --url" in text


def test_api_url_gets_its_trailing_slash() -> None:
    assert load_settings({"SLACK_API_URL": "http://127.0.0.1:9/api"}).slack_api_url == (
        "http://127.0.0.1:9/api/"
    )


def test_the_console_settings_come_together_or_not_at_all() -> None:
    assert load_settings({}).web is None
    web = load_settings(
        {
            "INCIDENTBOT_WEB_CLIENT_ID": "1.2",
            "INCIDENTBOT_WEB_CLIENT_SECRET": "s",
            "INCIDENTBOT_WEB_URL": "https://bot.example.com/",
        }
    ).web
    assert web is not None and web.url == "https://bot.example.com" and web.secure
    with pytest.raises(
        ConfigError, match="INCIDENTBOT_WEB_CLIENT_SECRET and INCIDENTBOT_WEB_URL are unset"
    ):
        load_settings({"INCIDENTBOT_WEB_CLIENT_ID": "1.2"})
    with pytest.raises(ConfigError, match="no path"):
        load_settings(
            {
                "INCIDENTBOT_WEB_CLIENT_ID": "1.2",
                "INCIDENTBOT_WEB_CLIENT_SECRET": "s",
                "INCIDENTBOT_WEB_URL": "https://bot.example.com/console",
            }
        )


JIRA = {
    "INCIDENTBOT_JIRA_URL": "https://acme.atlassian.net/",
    "INCIDENTBOT_JIRA_EMAIL": "bot@acme.example",
    "INCIDENTBOT_JIRA_TOKEN": "t",
    "INCIDENTBOT_JIRA_PROJECT": "FRAUD",
}


def test_tracker_and_wiki_settings_are_taken_whole_or_explained() -> None:
    tracking = load_settings(JIRA).tracking
    assert tracking.tracker == "jira" and tracking.jira is not None
    assert tracking.jira.url == "https://acme.atlassian.net" and tracking.jira.issue_type == "Task"
    github = load_settings(
        {"INCIDENTBOT_GITHUB_TOKEN": "g", "INCIDENTBOT_GITHUB_REPO": "acme/ml-platform"}
    ).tracking
    assert github.tracker == "github" and github.github is not None
    assert github.github.url == "https://api.github.com"
    assert load_settings({}).tracking.tracker is None
    for env, message in (
        ({"INCIDENTBOT_JIRA_URL": "https://acme.atlassian.net"}, "INCIDENTBOT_JIRA_EMAIL and"),
        ({**JIRA, "INCIDENTBOT_JIRA_PROJECT": "fraud team"}, "must be a project's key"),
        (
            {**JIRA, "INCIDENTBOT_GITHUB_TOKEN": "g", "INCIDENTBOT_GITHUB_REPO": "a/b"},
            "in one tracker",
        ),
        ({"INCIDENTBOT_GITHUB_TOKEN": "g", "INCIDENTBOT_GITHUB_REPO": "ml-platform"}, "owner/name"),
        (
            {
                "INCIDENTBOT_CONFLUENCE_URL": "wiki",
                "INCIDENTBOT_CONFLUENCE_EMAIL": "e",
                "INCIDENTBOT_CONFLUENCE_TOKEN": "t",
                "INCIDENTBOT_CONFLUENCE_SPACE": "S",
            },
            "http(s) URL",
        ),
    ):
        with pytest.raises(ConfigError, match=re.escape(message)):
            load_settings(env)


JIRA = {
    "INCIDENTBOT_JIRA_URL": "https://acme.atlassian.net",
    "INCIDENTBOT_JIRA_EMAIL": "bot@acme.test",
    "INCIDENTBOT_JIRA_TOKEN": "t",
    "INCIDENTBOT_JIRA_PROJECT": "FRAUD",
}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {**JIRA, "INCIDENTBOT_GITHUB_WEBHOOK_SECRET": "s"},
            "INCIDENTBOT_GITHUB_WEBHOOK_SECRET is set, but tickets are filed in Jira, not GitHub",
        ),
        (
            {"INCIDENTBOT_JIRA_WEBHOOK_SECRET": "s"},
            "tickets are filed in no tracker, not Jira",
        ),
    ],
)
def test_a_webhook_secret_for_a_tracker_not_set_up_stops_the_bot(
    env: dict[str, str], message: str
) -> None:
    """A secret that no route would use was silently ignored: its webhook then said to set
    the very setting that was set."""
    with pytest.raises(ConfigError, match=message):
        load_settings(env)
    assert load_settings({**JIRA, "INCIDENTBOT_JIRA_WEBHOOK_SECRET": "s"}).tracking.jira


@pytest.mark.parametrize("given", ["0", "-1", "61", "soon"])
def test_a_body_timeout_outside_a_minute_is_refused(given: str) -> None:
    with pytest.raises(ConfigError, match="INCIDENTBOT_BODY_TIMEOUT is"):
        load_settings({"INCIDENTBOT_BODY_TIMEOUT": given})
    assert load_settings({"INCIDENTBOT_BODY_TIMEOUT": "0.5"}).body_seconds == 0.5


def test_a_lease_length_outside_two_seconds_to_five_minutes_is_refused() -> None:
    for given in ("1", "301", "soon"):
        with pytest.raises(ConfigError, match="INCIDENTBOT_LEASE_SECONDS is"):
            load_settings({"INCIDENTBOT_LEASE_SECONDS": given})
    assert load_settings({"INCIDENTBOT_LEASE_SECONDS": "5"}).lease_seconds == 5.0
