"""Jinja2 environments for the texts and documents in ``templates/``."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

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
