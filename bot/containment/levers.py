"""The team's containment levers (``INCIDENTBOT_CONTAINMENT_FILE``): read, checked, run.

Each lever is an HTTP request the team already has (switch to the rules engine,
route decisions to human review, raise a threshold), with the sentence a person
confirms, who may pull it, the triage findings it answers, and an optional undo
request. The file is read once at start-up and every problem in it stops the
bot with a sentence (``LeverError``). Secrets come from the environment
(``${NAME}`` in a header or the URL), never from the file; a body may quote the
incident (``{reference}``, ``{title}``, ``{severity}``, ``{service}``,
``{actor}``, ``{reason}``). These URLs are operator configuration: the egress
rule for user-supplied addresses does not apply to them.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bot.incidents.roles import Role, parse_role

FIELDS = ("reference", "title", "severity", "service", "actor", "reason")
FINDINGS = ("model-change", "data-change", "sev1")  # what triage can point a lever at
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
EXCERPT = 300  # characters of an answer kept on the timeline
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


class LeverError(ValueError):
    """The containment file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    timeout: float = 10.0


@dataclass(frozen=True)
class Lever:
    name: str
    title: str
    confirm: str
    request: Request
    undo: Request | None = None
    who: tuple[Role, ...] = ()  # besides the Commander and responders, who always may
    fits: tuple[str, ...] = ()


@dataclass(frozen=True)
class LeverResult:
    ok: bool
    status: int | None
    excerpt: str  # the start of the answer, or what went wrong


def load(path: Path, environ: Mapping[str, str]) -> tuple[Lever, ...]:
    """Read and check the file; raises LeverError naming the first problem."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LeverError(f"cannot be read ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise LeverError(f"is not valid TOML: {exc}") from None
    entries = raw.get("lever")
    if not isinstance(entries, list) or not entries:
        raise LeverError("names no levers; add [[lever]] tables (see templates/containment.toml)")
    levers = [_lever(entry, index, environ) for index, entry in enumerate(entries, 1)]
    names = [lever.name for lever in levers]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise LeverError(f"names {', '.join(twice)} more than once")
    return tuple(levers)


def _lever(entry: Any, index: int, environ: Mapping[str, str]) -> Lever:
    where = f"lever {index}"
    if not isinstance(entry, dict):
        raise LeverError(f"{where} is not a table")
    name = str(entry.get("name", ""))
    if not _NAME.match(name):
        raise LeverError(
            f"{where} needs a name of lowercase letters, digits and '-' (it is typed as "
            "`/incident contain <name>`)"
        )
    where = f"lever {name!r}"
    for key in ("title", "confirm"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise LeverError(f"{where} needs a {key} (text)")
    who = []
    for word in _strings(entry.get("who", []), f"{where} who"):
        role = parse_role(word)
        if role is None:
            raise LeverError(f"{where} lets {word!r} run it, which is not a role")
        who.append(role)
    fits = _strings(entry.get("fits", []), f"{where} fits")
    unknown = [f for f in fits if f not in FINDINGS]
    if unknown:
        raise LeverError(f"{where} fits {unknown[0]!r}; triage findings are {', '.join(FINDINGS)}")
    undo = entry.get("undo")
    return Lever(
        name=name,
        title=entry["title"].strip()[:75],
        confirm=entry["confirm"].strip()[:2000],
        request=_request(entry.get("request"), f"{where} request", environ),
        undo=_request(undo, f"{where} undo", environ) if undo is not None else None,
        who=tuple(who),
        fits=tuple(fits),
    )


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LeverError(f"{where} must be a list of words")
    return list(value)


def _request(raw: Any, where: str, environ: Mapping[str, str]) -> Request:
    if not isinstance(raw, dict):
        raise LeverError(f"{where} is missing: give method and url")
    method = str(raw.get("method", "POST")).upper()
    if method not in METHODS:
        raise LeverError(f"{where} method {method!r} is not one of {', '.join(METHODS)}")
    url = str(raw.get("url", ""))
    if not url.startswith(("http://", "https://")):
        raise LeverError(f"{where} url must be an http(s) URL")
    headers = raw.get("headers", {})
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise LeverError(f"{where} headers must be a table of text values")
    for text in (url, *headers.values()):
        for missing in _ENV.findall(text):
            if missing not in environ:
                raise LeverError(f"{where} uses ${{{missing}}}, which is not in the environment")
    body = raw.get("body")
    _check_fields(body, where)
    timeout = raw.get("timeout", 10)
    if not isinstance(timeout, int | float) or not 0 < timeout <= 60:
        raise LeverError(f"{where} timeout must be seconds between 1 and 60")
    return Request(
        method=method,
        url=_ENV.sub(lambda m: environ[m.group(1)], url),
        headers={k: _ENV.sub(lambda m: environ[m.group(1)], v) for k, v in headers.items()},
        body=body,
        timeout=float(timeout),
    )


def _check_fields(body: Any, where: str) -> None:
    """Every ``{field}`` a body quotes must be one the incident has."""
    if isinstance(body, str):
        for _, name, _, _ in string.Formatter().parse(body):
            if name is not None and name not in FIELDS:
                raise LeverError(
                    f"{where} body quotes {{{name}}}; it may quote {', '.join(FIELDS)}"
                )
    elif isinstance(body, dict):
        for value in body.values():
            _check_fields(value, where)
    elif isinstance(body, list):
        for value in body:
            _check_fields(value, where)


def findings(answers: Mapping[str, str], severity: str) -> tuple[str, ...]:
    """What triage found that a containment move answers, as the playbooks' tree reads it:
    a recent model change (roll back), inputs changed and the model did not (fall back, or
    human review), and a SEV1 (a safe default now)."""
    found = []
    if answers.get("model_changed") == "yes":
        found.append("model-change")
    if answers.get("input_changed") == "yes" and answers.get("model_changed") == "no":
        found.append("data-change")
    if severity == "sev1":
        found.append("sev1")
    return tuple(found)


def fill(body: Any, facts: Mapping[str, str]) -> Any:
    """The body with the incident's fields in place of ``{field}``."""
    if isinstance(body, str):
        return body.format_map({k: facts.get(k, "") for k in FIELDS})
    if isinstance(body, dict):
        return {k: fill(v, facts) for k, v in body.items()}
    if isinstance(body, list):
        return [fill(v, facts) for v in body]
    return body


def run(request: Request, facts: Mapping[str, str], transport: Any = None) -> LeverResult:
    """Send the request; any answer under 400 is success. Never raises for the network."""
    body = fill(request.body, facts)
    try:
        with httpx.Client(
            timeout=request.timeout, trust_env=False, follow_redirects=False, transport=transport
        ) as client:
            answer = client.request(
                request.method,
                request.url,
                headers=dict(request.headers),
                json=body if body is not None and request.method != "GET" else None,
            )
    except httpx.TimeoutException:
        return LeverResult(False, None, f"no answer within {request.timeout:g} s")
    except httpx.HTTPError as exc:
        return LeverResult(False, None, f"could not be reached ({type(exc).__name__})")
    text = " ".join(answer.text.split())[:EXCERPT]
    return LeverResult(answer.status_code < 400, answer.status_code, text)
