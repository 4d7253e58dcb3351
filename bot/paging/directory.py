"""Which service an incident pages: the operator's list (``INCIDENTBOT_PAGING_FILE``), each
service with the name people type, the provider's ID and the models it answers for, and
a default service for everything else (``INCIDENTBOT_PAGERDUTY_SERVICE``, or
``INCIDENTBOT_OPSGENIE_TEAM``)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


class DirectoryError(ValueError):
    """The paging file does not describe services; the message says what to fix."""


@dataclass(frozen=True)
class Service:
    name: str  # what people type: /incident page fraud
    id: str  # the provider's ID (a PagerDuty service, an Opsgenie team)
    title: str  # what sentences say: "Fraud model"
    models: tuple[str, ...] = ()  # incidents about these models page it


@dataclass(frozen=True)
class Directory:
    services: tuple[Service, ...] = ()
    default: Service | None = None
    drill: Service | None = None  # what a drill pages instead of a real service

    def for_model(self, *names: str | None) -> Service | None:
        """The service that answers for the first of ``names`` it knows, else the default."""
        for wanted in names:
            if not wanted:
                continue
            for service in self.services:
                if wanted.casefold() in (m.casefold() for m in service.models):
                    return service
        return self.default

    def named(self, name: str) -> Service | None:
        wanted = name.casefold()
        for service in (*self.services, *([self.default] if self.default else [])):
            if wanted in (service.name.casefold(), service.id.casefold()):
                return service
        return None

    def names(self) -> list[str]:
        return [s.name for s in self.services] + ([self.default.name] if self.default else [])

    def known(self) -> str:
        """For a refusal: ``the services are: fraud, ranker``, or where to list them."""
        names = self.names()
        if not names:
            return "no services are listed (INCIDENTBOT_PAGING_FILE)"
        return f"the services are: {', '.join(names)}"


@dataclass
class _Read:
    services: list[Service] = field(default_factory=list)


def default_service(service_id: str | None, title: str = "the on-call") -> Service | None:
    return Service("default", service_id, title) if service_id else None


def load(path: Path | None, default: Service | None, drill: Service | None) -> Directory:
    """Read the paging file; DirectoryError with what to fix."""
    if path is None:
        return Directory((), default, drill)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DirectoryError(f"cannot be read ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise DirectoryError(f"is not TOML: {exc}") from None
    services: list[Service] = []
    for number, raw in enumerate(data.get("service") or [], 1):
        if not isinstance(raw, dict):
            raise DirectoryError(f"has a [[service]] number {number} that is not a table")
        name = str(raw.get("name") or "")
        if not NAME.match(name):
            raise DirectoryError(
                f"gives [[service]] number {number} the name {name!r}; use up to 40 lowercase "
                "letters, digits, '-' or '_' (what people type after /incident page)"
            )
        service_id = str(raw.get("id") or "").strip()
        if not service_id:
            raise DirectoryError(
                f"has no id for the service {name}: give the PagerDuty service ID (P…) or "
                "the Opsgenie team it pages"
            )
        models = raw.get("models") or []
        if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
            raise DirectoryError(f"gives the service {name} models that are not a list of names")
        if any(s.name == name for s in services):
            raise DirectoryError(f"names two services {name}")
        services.append(Service(name, service_id, str(raw.get("title") or name), tuple(models)))
    return Directory(tuple(services), default, drill)
