"""Sizes and counts read as a person reads them, through one helper."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

from bot.text.sizes import against, number, size


def test_a_byte_count_reads_in_the_unit_that_suits_it() -> None:
    """Sizes read "1048576 bytes", "0 MB" (for a 5-byte limit) or "1234.5 MB"."""
    assert [size(n) for n in (0, 1, 999, 1023)] == ["0 bytes", "1 byte", "999 bytes", "1,023 bytes"]
    assert size(1024) == "1 KiB" and size(1536) == "1.5 KiB" and size(10_000) == "9.8 KiB"
    assert size(1_048_576) == "1 MiB" and size(1_234_567) == "1.2 MiB"
    assert size(256 * 1024**2) == "256 MiB" and size(1_294_467_072) == "1.2 GiB"
    # Just under a unit reads in the next one, never as "1024 KiB".
    assert size(1024**2 - 1) == "1.0 MiB" and size(1024**3 - 1) == "1.0 GiB"
    assert size(3 * 1024**6) == "3,072 PiB"
    assert number(1_234_567) == "1,234,567" and number(12) == "12"


def test_a_size_and_the_limit_it_passed_never_read_the_same() -> None:
    assert against(300 * 1024**2, 256 * 1024**2) == ("300 MiB", "256 MiB")
    assert against(1024**2 + 1, 1024**2) == ("1,048,577 bytes", "1,048,576 bytes")
    assert against(40, 5) == ("40 bytes", "5 bytes")


def test_reading_a_big_file_tells_its_progress_with_units() -> None:
    """The working message read "Reading the reference data: 1234.5 MB (40%)…"."""
    from bot.app import working

    said: list[str] = []
    status = cast(working.Working, SimpleNamespace(say=said.append))
    working.reading(status)("reference")(1_294_467_072, 3_236_167_680)
    assert said == [":inbox_tray: Reading the reference data: 1.2 GiB (40%)…"]
