import pytest

from bot.incidents.roles import Role, parse_role
from bot.incidents.severity import Severity, looks_like_severity, parse_severity


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sev1", Severity.SEV1),
        ("SEV1", Severity.SEV1),
        ("Sev-2", Severity.SEV2),
        ("sev_3", Severity.SEV3),
        ("p0", Severity.SEV1),
        ("P1", Severity.SEV2),
        ("p3", Severity.SEV4),
        (" sev4 ", Severity.SEV4),
    ],
)
def test_accepted_spellings(text: str, expected: Severity) -> None:
    assert parse_severity(text) is expected


@pytest.mark.parametrize("text", ["sev9", "sev0", "p4", "critical", "", "sev", "1"])
def test_other_words_are_not_severities(text: str) -> None:
    assert parse_severity(text) is None


def test_near_misses_are_recognised_as_attempts() -> None:
    assert looks_like_severity("sev9") and looks_like_severity("p7")
    assert not looks_like_severity("Fraud")


def test_every_severity_says_what_it_means_and_expects() -> None:
    assert "30 minutes" in Severity.SEV1.info.expectation
    assert "2 hours" in Severity.SEV2.info.expectation
    assert "24 hours" in Severity.SEV3.info.expectation
    assert Severity.SEV4.info.name == "low"


def test_roles_parse_with_aliases() -> None:
    assert parse_role("ml-lead") is Role.ML_LEAD
    assert parse_role("Comms_Lead") is Role.COMMS_LEAD
    assert parse_role("IC") is Role.COMMANDER
    assert parse_role("ceo") is None
