"""The public components (``INCIDENTBOT_STATUS_PAGE``, a TOML file): what customers know
the product as, with the models and services each depends on, so an incident on
``fraud-scorer`` offers "Card payments". ``templates/statuspage.toml`` is an example."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
NAME_MAX = 80
DESCRIPTION_MAX = 300
PAGE_NAME_MAX = 80
STATUSPAGE_ID = re.compile(r"^[A-Za-z0-9]{1,40}$")


class StatusPageError(ValueError):
    """The file does not describe a status page; the message says what to fix."""


@dataclass(frozen=True)
class Component:
    key: str  # what people type and URLs hold: card-payments
    name: str  # what customers read: Card payments
    description: str = ""
    depends_on: tuple[str, ...] = ()  # models and services whose incidents affect it
    statuspage_id: str | None = None  # the component's id on Atlassian Statuspage


@dataclass(frozen=True)
class StatusPage:
    name: str  # the page's title: "Acme Payments status"
    components: tuple[Component, ...]
    url: str | None = None  # where customers reach it, for the feed's links

    def component(self, key: str) -> Component | None:
        return next((c for c in self.components if c.key == key), None)

    def offered_for(self, *names: str | None) -> list[Component]:
        """The components that depend on any of ``names`` (a model, a service)."""
        wanted = {n.casefold() for n in names if n}
        return [c for c in self.components if wanted & {d.casefold() for d in c.depends_on}]

    def keys(self) -> list[str]:
        return [c.key for c in self.components]


def load(path: Path) -> StatusPage:
    """Read the file; StatusPageError with what to fix."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise StatusPageError(f"cannot be read ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise StatusPageError(f"is not TOML: {exc}") from None
    return parse(data)


def parse(data: dict[str, Any]) -> StatusPage:
    page = data.get("page") or {}
    if not isinstance(page, dict):
        raise StatusPageError("has a [page] that is not a table")
    name = _text(page.get("name"), "[page] name", PAGE_NAME_MAX, required=True)
    url = page.get("url")
    if url is not None and not (isinstance(url, str) and re.match(r"^https?://\S+$", url)):
        raise StatusPageError(f"has a [page] url that is not an http(s) address: {url!r}")
    raw = data.get("components")
    if not isinstance(raw, dict) or not raw:
        raise StatusPageError(
            "names no components: add one [components.<key>] table per thing customers use, "
            'e.g. [components.card-payments] with name = "Card payments"'
        )
    components: list[Component] = []
    for key, table in raw.items():
        if not KEY.match(key):
            raise StatusPageError(
                f"has a component key {key!r}: use up to 40 lowercase letters, digits, '-' or '_'"
            )
        if not isinstance(table, dict):
            raise StatusPageError(f"has [components.{key}] that is not a table")
        unknown = sorted(set(table) - {"name", "description", "depends_on", "statuspage_id"})
        if unknown:
            raise StatusPageError(f"has [components.{key}] with unknown settings {unknown}")
        depends = table.get("depends_on") or []
        if not isinstance(depends, list) or not all(isinstance(d, str) and d for d in depends):
            raise StatusPageError(
                f"has [components.{key}] depends_on that is not a list of model or service "
                'names, e.g. ["fraud-scorer"]'
            )
        sp_id = table.get("statuspage_id")
        if sp_id is not None and not (isinstance(sp_id, str) and STATUSPAGE_ID.match(sp_id)):
            raise StatusPageError(
                f"has [components.{key}] statuspage_id {sp_id!r}: give the component's id "
                "from Statuspage (letters and digits)"
            )
        components.append(
            Component(
                key=key,
                name=_text(table.get("name"), f"[components.{key}] name", NAME_MAX, required=True),
                description=_text(
                    table.get("description"), f"[components.{key}] description", DESCRIPTION_MAX
                ),
                depends_on=tuple(depends),
                statuspage_id=sp_id,
            )
        )
    names = [c.name.casefold() for c in components]
    if len(set(names)) != len(names):
        raise StatusPageError("names two components alike; customers could not tell them apart")
    return StatusPage(name=name, components=tuple(components), url=url.rstrip("/") if url else None)


def _text(value: Any, where: str, limit: int, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise StatusPageError(f"needs {where} as words")
    if len(value) > limit:
        raise StatusPageError(f"has {where} of {len(value)} characters; keep it to {limit}")
    return value.strip()
