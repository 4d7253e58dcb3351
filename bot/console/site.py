"""The console's templates and static files, on the shared web layer."""

from __future__ import annotations

from pathlib import Path

from bot.web.sites import Site

HERE = Path(__file__).parent
STATIC_AT = "/console-static"


def console_site() -> Site:
    return Site([HERE / "templates"], [HERE / "static"], static_at=STATIC_AT)
