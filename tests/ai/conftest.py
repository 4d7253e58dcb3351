"""The Chat Completions stand-in, shared by the module's tests, and a clock they move."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ai.standin import ChatStandIn


class FakeClock:
    """Seconds that pass only when something sleeps."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


@pytest.fixture(scope="package")
def chat() -> Iterator[ChatStandIn]:
    with ChatStandIn() as standin:
        yield standin


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
