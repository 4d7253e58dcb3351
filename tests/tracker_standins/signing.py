"""Webhooks as the trackers send them: HMAC-SHA256 of the raw body, ``sha256=<hex>``."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import Any

import httpx


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(
    url: str, body: dict[str, Any], header: str, secret: str | None, **headers: str
) -> httpx.Response:
    raw = json.dumps(body).encode()
    sent = {"Content-Type": "application/json", **headers}
    if secret is not None:
        sent[header] = signature(secret, raw)
    return httpx.post(url, content=raw, headers=sent, timeout=10)


def delivery_id() -> str:
    return str(uuid.uuid4())
