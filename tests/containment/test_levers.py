"""The containment file: the example in templates/ is valid, and every mistake stops the bot
with a sentence naming the lever and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.containment.levers import fill, findings, load
from bot.incidents.roles import Role

EXAMPLE = Path(__file__).parents[2] / "templates" / "containment.toml"
SECRETS = {"FLAGS_TOKEN": "f", "DECISIONS_TOKEN": "d", "SCORING_TOKEN": "s"}

GOOD = """
[[lever]]
name = "rules-fallback"
title = "Fall back to rules"
confirm = "Rules score every payment."
who = ["ml-lead"]
[lever.request]
url = "http://127.0.0.1:9/flags?key=${KEY}"
body = { on = true, why = "{reference} {reason}" }
"""


def test_the_example_file_is_a_valid_one() -> None:
    levers = load(EXAMPLE, SECRETS)
    assert [lever.name for lever in levers] == ["rules-fallback", "human-review", "raise-threshold"]
    first = levers[0]
    assert first.request.method == "PUT" and first.undo is not None
    assert first.request.headers["Authorization"] == "Bearer f"  # from the environment
    assert first.who == (Role.ML_LEAD,) and first.fits == ("sev1", "data-change")


def test_secrets_come_from_the_environment_and_bodies_quote_the_incident(tmp_path: Path) -> None:
    path = tmp_path / "levers.toml"
    path.write_text(GOOD)
    (lever,) = load(path, {"KEY": "k1"})
    assert lever.request.url == "http://127.0.0.1:9/flags?key=k1"
    assert fill(lever.request.body, {"reference": "INC-4", "reason": "drift"}) == {
        "on": True,
        "why": "INC-4 drift",
    }


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (("${KEY}", "${NOT_SET}"), "uses ${NOT_SET}, which is not in the environment"),
        (("{reason}", "{password}"), "body quotes {password}"),
        (('who = ["ml-lead"]', 'who = ["boss"]'), "lets 'boss' run it, which is not a role"),
        (('name = "rules-fallback"', 'name = "Rules Fallback"'), "needs a name of lowercase"),
        (("url = ", 'method = "FETCH"\nurl = '), "method 'FETCH' is not one of"),
        (('who = ["ml-lead"]', 'fits = ["vibes"]'), "fits 'vibes'"),
        (("http://127.0.0.1:9", "ftp://x"), "url must be an http(s) URL"),
        (("[lever.request]", "[lever.nope]"), "request is missing"),
    ],
)
def test_mistakes_stop_the_bot_with_a_reason(
    tmp_path: Path, change: tuple[str, str], says: str
) -> None:
    path = tmp_path / "levers.toml"
    path.write_text(GOOD.replace(*change))
    with pytest.raises(ConfigError, match=r"INCIDENTBOT_CONTAINMENT_FILE .*" + _quoted(says)):
        load_settings({"INCIDENTBOT_CONTAINMENT_FILE": str(path), "KEY": "k"})


def test_a_lever_named_twice_or_no_file_at_all(tmp_path: Path) -> None:
    path = tmp_path / "levers.toml"
    path.write_text(GOOD + GOOD)
    with pytest.raises(ConfigError, match="names rules-fallback more than once"):
        load_settings({"INCIDENTBOT_CONTAINMENT_FILE": str(path), "KEY": "k"})
    with pytest.raises(ConfigError, match="cannot be read"):
        load_settings({"INCIDENTBOT_CONTAINMENT_FILE": str(tmp_path / "missing.toml")})
    path.write_text("[[lever]\nname=")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_settings({"INCIDENTBOT_CONTAINMENT_FILE": str(path)})


def test_registry_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="INCIDENTBOT_MLFLOW_URL 'mlflow:5000' is not"):
        load_settings({"INCIDENTBOT_MLFLOW_URL": "mlflow:5000"})
    with pytest.raises(ConfigError, match="INCIDENTBOT_MLFLOW_ALIAS"):
        load_settings({"INCIDENTBOT_MLFLOW_URL": "http://m", "INCIDENTBOT_MLFLOW_ALIAS": "a b"})
    settings = load_settings({"INCIDENTBOT_MLFLOW_URL": "http://mlflow.internal:5000/"})
    assert settings.mlflow_url == "http://mlflow.internal:5000"
    assert settings.mlflow_alias == "champion"


def test_triage_findings_follow_the_playbooks_tree() -> None:
    assert findings({"model_changed": "yes"}, "sev2") == ("model-change",)
    assert findings({"input_changed": "yes", "model_changed": "no"}, "sev1") == (
        "data-change",
        "sev1",
    )
    assert findings({"input_changed": "no", "model_changed": "no"}, "sev3") == ()


def _quoted(text: str) -> str:
    import re

    return re.escape(text)
