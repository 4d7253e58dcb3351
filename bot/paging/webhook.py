"""What PagerDuty's Webhooks v3 send back: checked by signature before anything is read,
then read into the few changes the bot acts on.

A delivery is signed with each of the subscription's secrets (more than one while a
secret is rotated): ``X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the raw body>``,
comma separated. Any one match, compared in constant time, is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.net import bounded_json

_SIGNATURE = re.compile(r"v[0-9]{1,3}=[0-9a-fA-F]{64}")

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


def well_formed(header: str | None) -> bool:
    """Whether ``X-PagerDuty-Signature`` is a comma-separated list of ``v<n>=<64 hex>``
    (checked before the body is read: anything else is refused without reading it)."""
    parts = [part.strip() for part in str(header or "").split(",")]
    return len(parts) <= 10 and all(_SIGNATURE.fullmatch(part) for part in parts)


def signed(secrets: tuple[str, ...], body: bytes, header: str | None) -> bool:
    if not header or not secrets or not well_formed(header):
        return False
    offered = [part.strip()[3:].lower() for part in header.split(",") if part.strip()[:3] == "v1="]
    expected = [hmac.new(s.encode(), body, hashlib.sha256).hexdigest() for s in secrets]
    matched = False
    for signature in offered:
        for wanted in expected:  # every pair compared: no early exit to time
            matched |= hmac.compare_digest(signature.encode(), wanted.encode())
    return matched


def identity(body: bytes) -> tuple[str | None, str | None]:
    """What the signed body says it is: its event's ID (the same event delivered again,
    whatever its ``X-Webhook-Id``) and the PagerDuty incident it is about; None for what
    it does not say."""
    try:
        parsed = bounded_json.loads(body)
    except bounded_json.Unbounded:
        return None, None
    event = parsed.get("event") if isinstance(parsed, dict) else None
    if not isinstance(event, dict):
        return None, None
    data = event.get("data")
    event_id = event.get("id")
    subject = data.get("id") if isinstance(data, dict) else None
    return (
        str(event_id)[:100] if isinstance(event_id, str) and event_id else None,
        str(subject)[:100] if isinstance(subject, str) and subject else None,
    )


def read(body: bytes) -> Change | None:
    """The change a delivery reports, or None for an event the bot does not act on."""
    try:
        parsed = bounded_json.loads(body)
    except bounded_json.Unbounded as problem:
        raise Unreadable(str(problem)) from None
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
        int(level) if level.isascii() and level.isdigit() and len(level) <= 3 else None,
    )


def _when(text: object) -> datetime | None:
    """The moment a change happened, in UTC; None for what is not a time the bot can
    keep (no zone, or a year outside 2000-2100)."""
    try:
        moment = datetime.fromisoformat(str(text)[:40].replace("Z", "+00:00"))
        if moment.tzinfo is None or not 2000 <= moment.year <= 2100:
            return None
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
