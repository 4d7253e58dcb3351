"""Answering only requests addressed to this machine by a loopback name.

A page on another site can make a browser send requests to ``127.0.0.1`` by giving
its own host name a loopback address (DNS rebinding); the browser then treats our
answers as that site's. The requests still carry the name they were addressed to, in
``Host``. A server that listens on loopback only (the sandbox) refuses every request,
``GET`` included, whose ``Host`` is not a loopback name or address: 421, and nothing
is read or changed.
"""

from __future__ import annotations

import ipaddress
import json

from starlette.types import ASGIApp, Receive, Scope, Send

NAMES = frozenset({"localhost"})


def loopback(host: str) -> bool:
    """Whether ``host`` (a ``Host`` header: a name or address, maybe a port) is loopback."""
    text = host.strip().lower()
    if text.startswith("["):  # [::1]:3000
        name, closed, rest = text[1:].partition("]")
        if not closed or (rest and not rest.startswith(":")):
            return False
        port = rest[1:]
    else:
        name, _, port = text.partition(":")
    if port and not (port.isascii() and port.isdigit()):
        return False
    if name in NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def only_loopback(app: ASGIApp) -> ASGIApp:
    """``app``, answering 421 to any request or socket addressed to another name."""

    async def checked(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            headers = dict(scope.get("headers") or [])
            host = headers.get(b"host", b"").decode("latin-1")
            if not loopback(host):
                await _refuse(scope, send, host)
                return
        await app(scope, receive, send)

    return checked


async def _refuse(scope: Scope, send: Send, host: str) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    body = json.dumps(
        {"error": f"This server answers on 127.0.0.1 and localhost only, not {host[:80]!r}."}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 421,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
