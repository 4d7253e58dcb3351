"""Sizes and counts as a person reads them: ``1.5 MiB``, ``256 MiB``, ``1,234,567``.

Every byte count the bot shows (a data source's size, a limit, what has been read so far,
a body refused) goes through ``size``; a bare number goes through ``number``. Units are
binary (KiB, MiB, GiB: the limits are set in them), one decimal below 10 and whole numbers
above (a whole number of the unit has no decimal: a limit reads ``1 MiB``), thousands
separated, so ``1048577 bytes`` reads ``1.0 MiB`` and a size just under a unit does not
read as ``1024 KiB``.
"""

from __future__ import annotations

_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB")


def number(n: int) -> str:
    """``1234567`` as ``1,234,567``."""
    return f"{n:,}"


def size(n: int | float) -> str:
    """A byte count as a person reads it: ``1 byte``, ``1,000 bytes``, ``1.5 KiB``,
    ``1 MiB``, ``12 MiB``, ``1.0 GiB`` (just under). A count under 1 KiB is in bytes."""
    n = max(0, int(n))
    if n < 1024:
        return f"{n:,} {'byte' if n == 1 else 'bytes'}"
    value = n / 1024
    for unit in _UNITS[:-1]:
        if round(value, 1 if value < 9.95 else 0) < 1024:
            return _in(value, unit)
        value /= 1024
    return _in(value, _UNITS[-1])


def _in(value: float, unit: str) -> str:
    whole = value >= 9.95 or value.is_integer()
    return f"{value:,.0f} {unit}" if whole else f"{value:,.1f} {unit}"


def against(n: int, limit: int) -> tuple[str, str]:
    """``n`` and the ``limit`` it passed, each as ``size`` gives it, or both in bytes when
    rounding would make them read the same ("1.0 MiB; the limit is 1 MiB")."""
    shown, allowed = size(n), size(limit)
    if n != limit and _read_as(shown) == _read_as(allowed):
        return f"{number(n)} bytes", f"{number(limit)} bytes"
    return shown, allowed


def _read_as(said: str) -> tuple[float, str]:
    """``1.0 MiB`` and ``1 MiB`` read as the same size."""
    figure, unit = said.split(" ")
    return float(figure.replace(",", "")), unit.removesuffix("s")
