"""Jinja2 environments for the texts and documents in ``templates/``."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    select_autoescape,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bot.store.resources import templates_dir
from bot.text import rendering


@lru_cache(maxsize=1)
def text_environment() -> Environment:
    """For Slack mrkdwn and Markdown: no HTML autoescaping; callers escape Slack text."""
    return Environment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def render_text(name: str, **data: Any) -> str:
    return text_environment().get_template(name).render(**data).strip()


@lru_cache(maxsize=8)
def document_environment(custom: Path | None = None, *, html: bool = False) -> Environment:
    """For documents (the post-mortem). A team's folder, when given, is searched first,
    so any template there overrides ours by name. HTML autoescapes everything.

    Templates render in Jinja's immutable sandbox: a template can read the data it is
    given and nothing else (no attributes such as ``__class__``, no methods that
    change the data), so a team's template cannot run code in the bot."""
    loaders = [FileSystemLoader(str(custom))] if custom else []
    loaders.append(FileSystemLoader(str(templates_dir())))
    env = ImmutableSandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(["html", "html.j2"], default=html),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["duration"] = spoken_duration
    env.filters["md"] = markdown_text
    env.filters["url"] = markdown_url
    env.filters["count"] = rendering.count  # {{ n | count("incident") }}: "1 incident"
    env.filters["times"] = rendering.times
    return env


class BrokenTemplate(Exception):
    """A document template is missing or fails; the message names the file and line."""


def render_document(
    custom: Path | None, name: str, data: dict[str, Any], *, html: bool, what: str
) -> str:
    """A whole document from template ``name`` (a team's own first), or BrokenTemplate:
    never half a document."""
    env = document_environment(custom, html=html)
    try:
        return env.get_template(name).render(**data)
    except TemplateNotFound as missing:
        raise BrokenTemplate(f"The {what} template {missing.name} was not found.") from None
    except TemplateSyntaxError as broken:
        raise BrokenTemplate(
            f"The {what} template {broken.filename or name} is broken at line {broken.lineno}: "
            f"{(broken.message or 'syntax error').rstrip('.')}. Fix it, or remove it to use "
            "the built-in one."
        ) from None
    except TemplateError as failed:
        raise BrokenTemplate(
            f"The {what} template {_origin(env, name)} failed: {failed}. The data it may use "
            f"is listed in docs/capabilities/postmortem-templates.md."
        ) from None


def _origin(env: Environment, name: str) -> str:
    try:
        assert env.loader is not None
        return str(env.loader.get_source(env, name)[1] or name)
    except TemplateError:
        return name


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "not yet"


def spoken_duration(delta: timedelta | None) -> str:
    from bot.incidents.key_times import spoken

    return spoken(delta)


def markdown_text(text: Any) -> str:
    """Free text for a Markdown document, as :func:`bot.text.rendering.for_markdown`."""
    return rendering.for_markdown(text)


def markdown_url(link: Any) -> str:
    """A link target for ``[text](…)``: only http(s), and nothing that ends the link."""
    return rendering.markdown_url(link)
