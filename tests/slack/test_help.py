"""``/incident help`` is drawn from the subcommands' declarations: every one of them is
listed, in full, in blocks Slack takes as they are (nothing cut), and each has a page
of its own. With every feature on (serious-incident reporting), every command shows;
with it off, its commands and its role do not."""

from __future__ import annotations

from typing import Any

import pytest

from bot.incidents.errors import InvalidInput
from bot.incidents.severity import Severity
from bot.sandbox import rules
from bot.sandbox.reading import shown
from bot.slack.blocks.help import TEXT_MAX
from bot.slack.blocks.kit import MAX_BLOCKS, SECTION_TEXT_MAX
from bot.slack.listeners.commands.declaration import Where
from bot.slack.listeners.commands.subcommands import ALL_FEATURES, SUBCOMMANDS, parse

NAMES = [sub.name for sub in SUBCOMMANDS]


def help_for(
    text: str, features: frozenset[str] = ALL_FEATURES
) -> tuple[str, list[dict[str, Any]]]:
    answer = parse(text, features).acknowledgement
    assert not answer.work and answer.form is None, "help is answered in the acknowledgement"
    assert answer.text is not None and answer.blocks is not None
    return answer.text, answer.blocks


def within_limits(text: str, blocks: list[dict[str, Any]]) -> str:
    """What a person reads in the blocks, once checked against Slack's limits; nothing
    may have been cut to fit (a cut ends in an ellipsis)."""
    rules.check_blocks(blocks)
    assert len(blocks) <= MAX_BLOCKS
    assert len(text) <= TEXT_MAX
    words = []
    for block in blocks:
        section = block["text"]["text"]
        assert len(section) <= SECTION_TEXT_MAX
        assert not section.endswith("…"), "a section was cut"
        words.append(section)
    return shown("\n".join(words))


def test_the_list_names_every_command_in_full() -> None:
    text, blocks = help_for("help")
    read = within_limits(text, blocks)
    for sub in SUBCOMMANDS:
        assert f"/incident {sub.help.synopsis}" in read, sub.name
        assert f"/incident {sub.help.synopsis}" in shown(text), sub.name
    for severity in Severity:
        assert severity.label in read
    # Grouped: what works anywhere, then what works in an incident channel.
    anywhere, channel = read.index("Anywhere"), read.index("In an incident channel")
    assert anywhere < channel
    for sub in SUBCOMMANDS:
        at = read.index(f"/incident {sub.help.synopsis}")
        assert (at < channel) == (sub.where is Where.ANYWHERE), sub.name


def test_bare_incident_is_help() -> None:
    assert help_for("") == help_for("help")


@pytest.mark.parametrize("name", NAMES)
def test_each_command_has_a_page(name: str) -> None:
    sub = SUBCOMMANDS.find(name)
    assert sub is not None
    text, blocks = help_for(f"help {name}")
    read = within_limits(text, blocks)
    assert f"/incident {sub.help.synopsis}" in read
    assert sub.where.value in read
    assert sub.example and f"/incident {sub.example}" in read
    for option, _ in sub.options:
        assert option in read
    assert "<" not in text.replace("&lt;", ""), "placeholders are escaped"
    assert help_for(f"help {name.upper()}") == (text, blocks)


def test_a_command_page_says_more_than_its_line() -> None:
    _, blocks = help_for("help drift")
    read = within_limits(*help_for("help drift"))
    assert "prediction=<column>" in read and "/incident drift https://" in read
    assert "Parquet" in read
    assert len(blocks) >= 1


def test_help_for_an_unknown_command_suggests_a_close_one() -> None:
    with pytest.raises(InvalidInput, match=r"There is no `/incident drfit`\. Did you mean "):
        parse("help drfit")
    with pytest.raises(InvalidInput, match=r"`/incident help drift`"):
        parse("help drfit")
    with pytest.raises(InvalidInput) as unlike:
        parse("help zzzzzz")
    assert "Did you mean" not in str(unlike.value)


def test_every_name_is_declared_once_and_parses() -> None:
    assert len(set(NAMES)) == len(NAMES)
    for name in NAMES:
        assert SUBCOMMANDS.find(name) is not None


def test_command_pages_read_as_plain_sentences() -> None:
    action = within_limits(*help_for("help action"))
    assert "filed when it is resolved, except those marked No ticket." in action
    drift = within_limits(*help_for("help drift"))
    assert "compare with the same window 7 days earlier (default: the window just before)" in drift
    fairness = within_limits(*help_for("help fairness"))
    assert "groups with fewer rows are not judged" in fairness


OFF = frozenset[str]()


def test_with_reporting_off_its_commands_and_role_are_not_offered() -> None:
    off = within_limits(*help_for("help", OFF))
    on = within_limits(*help_for("help"))
    for name in ("assess", "authority-report"):
        assert f"/incident {name}" in on
        assert f"/incident {name}" not in off
    assert "/incident role <commander|ml-lead|data-lead|comms-lead> @person" in off
    assert "legal" not in off.lower()
    assert "/incident role <commander|ml-lead|data-lead|comms-lead|legal> @person" in on
    role_off = within_limits(*help_for("help role", OFF))
    assert "legal" not in role_off.lower() and "Legal Liaison" in within_limits(
        *help_for("help role")
    )
    # Typed anyway, they say why they do nothing here, and nothing runs.
    for text in ("help assess", "assess", "authority-report initial", "ASSESS"):
        with pytest.raises(
            InvalidInput, match="serious-incident reporting, which is not turned on"
        ):
            parse(text, OFF)
    # And a near miss does not suggest them.
    with pytest.raises(InvalidInput) as near:
        parse("help asess", OFF)
    assert "assess" not in str(near.value).replace("asess", "")


def test_the_stats_page_says_what_no_period_means() -> None:
    stats = within_limits(*help_for("help stats"))
    assert (
        "With no period: the quarter so far, shown only to you; the charts arrive in your "
        "direct messages with the bot."
    ) in stats
