"""The MLflow Model Registry, read and moved over its REST API (``/api/2.0/mlflow``).

What the bot needs of it: a registered model's versions and the version the
production alias (``INCIDENTBOT_MLFLOW_ALIAS``) points to, the metrics logged on
those versions' runs, and moving that alias (a rollback), read back before it is
believed. The registry's address is the operator's configuration, so it is
reached directly, not through the egress rule for user-supplied URLs. Every
failure is a ``RegistryError`` whose message says what happened in plain words;
nothing is guessed when the registry does not answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

SHOWN_VERSIONS = 5  # the serving version and those before it, on a card
TIMEOUT = 10.0  # seconds for one call, connection included


class RegistryError(Exception):
    """The registry could not answer as asked; the message is for people."""


class NotFound(RegistryError):
    pass


@dataclass(frozen=True)
class Version:
    number: int
    created: datetime
    run_id: str | None
    run_url: str | None = None
    description: str = ""
    aliases: tuple[str, ...] = ()
    metrics: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class History:
    """A registered model as the card shows it: newest version first."""

    model: str
    alias: str
    serving: int | None  # the version the alias points to; None when it points nowhere
    versions: tuple[Version, ...]
    url: str  # the model's page in MLflow's UI

    def version(self, number: int | None) -> Version | None:
        return next((v for v in self.versions if v.number == number), None)

    def before(self, number: int | None) -> Version | None:
        """The newest version older than ``number``: what a rollback goes back to."""
        older = [v for v in self.versions if number is not None and v.number < number]
        return older[0] if older else None


class Registry:
    def __init__(
        self,
        url: str,
        token: str | None,
        alias: str,
        *,
        timeout: float = TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.alias = alias
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # The operator's registry: no proxy from the environment, no redirects to elsewhere.
        self._http = httpx.Client(
            base_url=self.url + "/api/2.0/mlflow/",
            headers=headers,
            timeout=timeout,
            trust_env=False,
            follow_redirects=False,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    # -- reading -------------------------------------------------------------------
    def history(self, model: str, shown: int = SHOWN_VERSIONS) -> History:
        """The model's newest versions, the serving one, and their runs' metrics."""
        found = self._versions(model)
        serving = self.serving(model)
        versions = sorted(found, key=lambda v: int(v.get("version", 0)), reverse=True)
        if serving is not None:  # the serving version and those before it, first
            versions = [v for v in versions if int(v["version"]) <= serving] + [
                v for v in versions if int(v["version"]) > serving
            ]
        kept = [self._version(v) for v in versions[:shown]]
        kept.sort(key=lambda v: v.number, reverse=True)
        return History(
            model, self.alias, serving, tuple(kept), f"{self.url}/#/models/{quote(model, safe='')}"
        )

    def serving(self, model: str) -> int | None:
        """The version the production alias points to (None when the alias is unset)."""
        try:
            answer = self._call(
                "GET", "registered-models/alias", params={"name": model, "alias": self.alias}
            )
        except NotFound:
            return None
        return int((answer.get("model_version") or {}).get("version", 0)) or None

    def versions(self, model: str) -> list[int]:
        """Every version number of the model, newest first."""
        return sorted((int(v["version"]) for v in self._versions(model)), reverse=True)

    def _versions(self, model: str) -> list[dict[str, Any]]:
        """The model's versions as MLflow lists them; NotFound for a model it does not know."""
        try:
            self._call("GET", "registered-models/get", params={"name": model})
        except NotFound:
            raise NotFound(f"the model registry has no model called {model}") from None
        found = self._call(
            "GET",
            "model-versions/search",
            params={"filter": f"name='{_quoted(model)}'", "max_results": 1000},
        )
        return list(found.get("model_versions") or [])

    # -- moving the alias ------------------------------------------------------------
    def move_alias(self, model: str, to: int) -> None:
        """Point the alias at version ``to``, then read it back; raises unless it reads ``to``."""
        try:
            self._call(
                "POST",
                "registered-models/alias",
                json={"name": model, "alias": self.alias, "version": str(to)},
            )
        except NotFound:
            raise NotFound(f"the model registry has no version {to} of {model}") from None
        now = self.serving(model)
        if now != to:
            raise RegistryError(
                f"the registry accepted moving {self.alias} to version {to} of {model}, but "
                f"reading it back gives {'no version' if now is None else f'version {now}'}"
            )

    # -- the HTTP part -------------------------------------------------------------
    def _version(self, raw: Mapping[str, Any]) -> Version:
        run_id = str(raw.get("run_id") or "") or None
        metrics: dict[str, float] = {}
        run_url = None
        if run_id:
            try:
                run = self._call("GET", "runs/get", params={"run_id": run_id}).get("run") or {}
            except NotFound:
                run = {}
            for metric in (run.get("data") or {}).get("metrics") or []:
                try:
                    metrics[str(metric["key"])] = float(metric["value"])
                except (KeyError, TypeError, ValueError):
                    continue
            experiment = (run.get("info") or {}).get("experiment_id")
            if experiment is not None:
                run_url = f"{self.url}/#/experiments/{experiment}/runs/{run_id}"
        created = int(raw.get("creation_timestamp") or 0)
        return Version(
            number=int(raw["version"]),
            created=datetime.fromtimestamp(created / 1000, UTC),
            run_id=run_id,
            run_url=run_url,
            description=str(raw.get("description") or ""),
            aliases=tuple(str(a) for a in raw.get("aliases") or ()),
            metrics=dict(sorted(metrics.items())[:8]),
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise RegistryError(
                f"the model registry at {self.url} did not answer in time"
            ) from None
        except httpx.HTTPError as exc:
            raise RegistryError(
                f"the model registry at {self.url} could not be reached ({type(exc).__name__})"
            ) from None
        if response.status_code in (401, 403):
            raise RegistryError(
                f"the model registry refused the bot's token (HTTP {response.status_code}); "
                "set INCIDENTBOT_MLFLOW_TOKEN to one allowed to read and edit the registry"
            )
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if response.status_code == 404 or body.get("error_code") == "RESOURCE_DOES_NOT_EXIST":
            raise NotFound(str(body.get("message") or "not found")[:300])
        if response.status_code >= 400:
            # MLflow answers an unknown alias with INVALID_PARAMETER_VALUE: not there.
            message = str(body.get("message") or response.reason_phrase)[:300]
            if "alias" in message and "not found" in message:
                raise NotFound(message)
            raise RegistryError(
                f"the model registry answered HTTP {response.status_code}: {message}"
            )
        return body


def _quoted(name: str) -> str:
    """A model name inside MLflow's filter syntax's single quotes."""
    return name.replace("\\", "\\\\").replace("'", "\\'")
