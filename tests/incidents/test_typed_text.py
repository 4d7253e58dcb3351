"""What people and alerts type reaches the channel's topic and the broadcast without
control characters or direction overrides, and a text nobody can see is refused."""

from __future__ import annotations

import pytest

from bot.incidents.declare import validate_title
from bot.incidents.errors import InvalidInput
from bot.incidents.notes import clean_action, clean_note
from bot.incidents.status_update import validate_text


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Fraud\x00 model\x07 flags\x1b[31m 40%\x7f", "Fraud model flags [31m 40%"),
        ("Precision \u202edown\u202c on \u2066payments\u2069", "Precision down on payments"),
        ("Recall\u0085 drop\u009b", "Recall drop"),
        ("Line one\nline two\ttabbed", "Line one line two tabbed"),
        ("Décalage de données ☃", "Décalage de données ☃"),
    ],
)
def test_a_title_keeps_what_reads_and_loses_what_controls(typed: str, stored: str) -> None:
    assert validate_title(typed) == stored


@pytest.mark.parametrize(
    "invisible",
    ["\u200b", "\u200b\u200b \u2060", "\ufeff", "\u00ad", "\x00\x07", "\u202e", "\u0301"],
)
def test_a_text_nobody_can_see_is_refused(invisible: str) -> None:
    for clean in (validate_title, clean_note, clean_action, validate_text):
        with pytest.raises(InvalidInput):
            clean(invisible)


def test_notes_and_updates_keep_their_lines_but_not_their_controls() -> None:
    assert clean_note("Rolled back\r\nprecision\x1b recovering\u202e") == (
        "Rolled back\nprecision recovering"
    )
    assert validate_text("Impact: none\n\nNext update\x07 at 14:00") == (
        "Impact: none\n\nNext update at 14:00"
    )
