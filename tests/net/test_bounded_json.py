"""JSON from outside is parsed within bounds; anything outside them is a sentence."""

from __future__ import annotations

import json

import pytest

from bot.net.bounded_json import MAX_DEPTH, MAX_DIGITS, Unbounded, loads


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[" * 100_000 + "]" * 100_000, "nests deeper than 64 levels"),
        ('{"a": ' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1), "nests deeper"),
        ('{"level": ' + "9" * 5_000 + "}", f"number longer than {MAX_DIGITS} digits"),
        ('{"x": NaN}', "NaN, which is not JSON"),
        ('{"x": -Infinity}', "-Infinity, which is not JSON"),
        ('{"x": 1e999}', "too large for a float"),
        ('"' + "x" * 300_000 + '"', "string longer than"),
        ('{"a": [1, 2}', "is not JSON"),
        (b"\xe9\x00", "not UTF-8"),
    ],
)
def test_what_is_outside_the_bounds_is_refused_in_words(text: str | bytes, said: str) -> None:
    with pytest.raises(Unbounded, match=said):
        loads(text)


def test_json_inside_the_bounds_reads_as_the_standard_parser_reads_it() -> None:
    document = {
        "alerts": [{"labels": {"a": 'b]"}[{'}, "value": 0.8, "count": 12, "ok": True}],
        "nested": [[[[[[[[[[{"deep": None}]]]]]]]]]],
        "big": 2**127,
        "unicode": "déjà vu ☃",
    }
    text = json.dumps(document)
    assert loads(text) == json.loads(text)
    assert loads("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    assert loads(text.encode()) == document
