"""Jinja2 environments for the texts and documents in ``templates/``."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.resources import templates_dir


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
    so any template there overrides ours by name. HTML autoescapes everything."""
    loaders = [FileSystemLoader(str(custom))] if custom else []
    loaders.append(FileSystemLoader(str(templates_dir())))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(["html", "html.j2"], default=html),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["duration"] = spoken_duration
    env.filters["md"] = markdown_text
    return env


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "not yet"


def spoken_duration(delta: timedelta | None) -> str:
    from bot.incidents.key_times import spoken

    return spoken(delta)


def markdown_text(text: Any) -> str:
    """Free text for a Markdown document: one line, and no HTML a viewer would run."""
    flat = " ".join(str(text or "").split())
    return flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
