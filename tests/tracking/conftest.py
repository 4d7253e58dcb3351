"""The tracker and wiki stand-ins, started for a test and stopped after it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.tracker_standins.confluence import ConfluenceStandIn
from tests.tracker_standins.github import GitHubStandIn
from tests.tracker_standins.jira import JiraStandIn


@pytest.fixture
def jira() -> Iterator[JiraStandIn]:
    with JiraStandIn() as standin:
        yield standin


@pytest.fixture
def github() -> Iterator[GitHubStandIn]:
    with GitHubStandIn() as standin:
        yield standin


@pytest.fixture
def confluence() -> Iterator[ConfluenceStandIn]:
    with ConfluenceStandIn() as standin:
        yield standin
