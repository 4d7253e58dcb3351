"""``incidentbot ai-log INC-N``: what the AI investigator sent to the model for an
incident: each task (who asked, what, the model, tokens, tool calls, how it ended) and
every request as it was sent, so that an operator can see exactly what left the bot."""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bot.config import ConfigError, Settings

if TYPE_CHECKING:
    from bot.store.db import Database


def add_parser(commands: Any, database_for: Callable[[Settings], Database]) -> None:
    """``database_for``: the command line's reading of DATABASE_URL (``cli._database``)."""
    ai_log = commands.add_parser(
        "ai-log",
        help="what the AI investigator sent to the model for an incident",
        description="Print an incident's AI tasks and every request each sent to the "
        "language model, as it was sent (the API token is a header and never stored).",
    )
    ai_log.add_argument("incident", metavar="INC-N", help="the incident, e.g. INC-12 or 12")
    ai_log.add_argument("--json", action="store_true", help="one JSON document, for scripts")
    ai_log.set_defaults(run=functools.partial(run, database_for=database_for))


def run(
    args: argparse.Namespace, settings: Settings, *, database_for: Callable[[Settings], Database]
) -> int:
    from bot.documents.postmortem import PostmortemError, find
    from bot.store.models import AiRequest, AiTask

    database = database_for(settings)
    try:
        with database.begin() as session:
            try:
                incident = find(session, args.incident)
            except PostmortemError as problem:
                raise ConfigError(str(problem)) from None
            tasks = list(
                session.scalars(
                    select(AiTask).where(AiTask.incident_id == incident.id).order_by(AiTask.id)
                )
            )
            shown: list[dict[str, Any]] = []
            for row in tasks:
                requests = session.scalars(
                    select(AiRequest).where(AiRequest.task_id == row.id).order_by(AiRequest.seq)
                )
                shown.append(
                    {
                        "task": row.id,
                        "kind": row.kind,
                        "asked_by": row.asked_by,
                        "question": row.question,
                        "model": row.model,
                        "status": row.status,
                        "started": row.started_at.isoformat(),
                        "finished": row.finished_at.isoformat() if row.finished_at else None,
                        "prompt_tokens": row.prompt_tokens,
                        "completion_tokens": row.completion_tokens,
                        "tool_calls": row.tool_calls,
                        "error": row.error,
                        "requests": [
                            {
                                "seq": r.seq,
                                "sent": r.sent_at.isoformat(),
                                "status": r.status,
                                "usage": r.usage,
                                "body": r.body,
                            }
                            for r in requests
                        ],
                    }
                )
            reference = incident.reference
    finally:
        database.dispose()
    if args.json:
        print(json.dumps({"incident": reference, "tasks": shown}, indent=2, ensure_ascii=False))
        return 0
    if not shown:
        print(f"{reference}: nothing was sent to a language model.")
        return 0
    out = sys.stdout
    for task in shown:
        out.write(
            f"{reference} task {task['task']}: {task['kind']} asked by {task['asked_by'] or '-'} "
            f"with {task['model']}, {task['status']}, {task['prompt_tokens']:,} tokens sent, "
            f"{task['completion_tokens']:,} received, {len(task['tool_calls'])} tool calls\n"
        )
        if task["error"]:
            out.write(f"  error: {task['error']}\n")
        for request in task["requests"]:
            out.write(f"  request {request['seq']} at {request['sent']} -> {request['status']}\n")
            for message in request["body"].get("messages", []):
                content = message.get("content") or ""
                if message.get("tool_calls"):
                    names = ", ".join(
                        str(c.get("function", {}).get("name")) for c in message["tool_calls"]
                    )
                    content = f"{content} [calls: {names}]".strip()
                for i, line in enumerate(str(content).splitlines() or [""]):
                    prefix = f"    {message.get('role', '?')}: " if i == 0 else "      "
                    out.write(prefix + line + "\n")
            tools = [t["function"]["name"] for t in request["body"].get("tools", [])]
            if tools:
                out.write(f"    tools offered: {', '.join(tools)}\n")
    return 0
