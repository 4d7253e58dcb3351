"""What every on-call provider offers the bot, whoever it is.

A provider pages a service for an incident (idempotently: the same dedup key never
makes a second page), says who is on call, escalates a page one level, and resolves
it. Its failures are ``bot.outbox.failures.Refused``: sorted into retry or final by the
client that knows the provider's rules, in words for the channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bot.outbox.failures import Refused

PROVIDERS = {"pagerduty": "PagerDuty", "opsgenie": "Opsgenie", "drill": "the drill"}


def provider_name(provider: str) -> str:
    """How sentences name a provider stored as ``pagerduty``."""
    return PROVIDERS.get(provider, provider)


@dataclass(frozen=True)
class PageRequest:
    dedup_key: str  # the provider keeps one open page per key
    service: str  # the provider's ID of what is paged
    title: str  # what the on-call's phone shows
    details: str  # the body: the incident, who asked, the channel link
    link: str | None  # the incident channel
    urgent: bool = True


@dataclass(frozen=True)
class OnCall:
    name: str
    email: str | None
    level: int = 1  # the escalation level they are on call for


@dataclass(frozen=True)
class Paged:
    external_id: str  # the provider's incident (or alert) ID
    url: str | None  # where the page is seen in the provider
    assignees: tuple[OnCall, ...] = field(default=())  # who the provider paged
    existing: bool = False  # the page was already made (a retry, a repeat)


class PagerRefused(Refused):
    """The provider refused or failed a call; the words name the provider."""


class Pager(Protocol):
    name: str  # "PagerDuty", for sentences

    def page(self, request: PageRequest) -> Paged: ...

    def on_call(self, service: str) -> list[OnCall]: ...

    def escalate(self, external_id: str, level: int) -> bool:
        """Page the next ``level``; False when the provider has no such level."""
        ...

    def resolve(self, external_id: str, dedup_key: str) -> None:
        """Resolve the page; one already resolved is no error."""
        ...
