"""What PagerDuty's Webhooks v3 send back: checked by signature before anything is read,
then read into the few changes the bot acts on.

A delivery is signed with each of the subscription's secrets (more than one while a
secret is rotated): ``X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the raw body>``,
comma separated. Any one match, compared in constant time, is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime

KINDS = {
    "incident.acknowledged": "acknowledged",
    "incident.reassigned": "reassigned",
    "incident.escalated": "escalated",
    "incident.resolved": "resolved",
}


class Unreadable(ValueError):
    """A signed delivery the bot cannot read; the message says why."""


@dataclass(frozen=True)
class Change:
    kind: str  # acknowledged, reassigned, escalated, resolved
    external_id: str  # PagerDuty's incident ID
    by: str | None  # who did it, as PagerDuty names them
    at: datetime | None
    assignees: tuple[str, ...]
    level: int | None


def signed(secrets: tuple[str, ...], body: bytes, header: str | None) -> bool:
    if not header or not secrets:
        return False
    offered = [part.strip()[3:] for part in header.split(",") if part.strip().startswith("v1=")]
    expected = [hmac.new(s.encode(), body, hashlib.sha256).hexdigest() for s in secrets]
    matched = False
    for signature in offered:
        for wanted in expected:  # every pair compared: no early exit to time
            matched |= hmac.compare_digest(signature.encode(), wanted.encode())
    return matched


def read(body: bytes) -> Change | None:
    """The change a delivery reports, or None for an event the bot does not act on."""
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Unreadable("the body is not JSON") from None
    event = parsed.get("event") if isinstance(parsed, dict) else None
    if not isinstance(event, dict):
        raise Unreadable("the body has no event object")
    kind = KINDS.get(str(event.get("event_type") or ""))
    data = event.get("data")
    if kind is None or not isinstance(data, dict) or data.get("type") != "incident":
        return None
    external_id = str(data.get("id") or "")
    if not external_id:
        raise Unreadable("the event names no incident")
    agent = event["agent"] if isinstance(event.get("agent"), dict) else {}
    assignees = tuple(
        str(a.get("summary"))
        for a in data.get("assignees") or []
        if isinstance(a, dict) and a.get("summary")
    )
    level = str(data.get("escalation_level", ""))
    return Change(
        kind,
        external_id,
        str(agent.get("summary")) if agent.get("summary") else None,
        _when(event.get("occurred_at")),
        assignees,
        int(level) if level.isdigit() else None,
    )


def _when(text: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
