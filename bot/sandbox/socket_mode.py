"""Slack's end of Socket Mode, on 127.0.0.1.

``apps.connections.open`` (called with the app-level token) answers a
``ws://127.0.0.1:PORT/link`` URL; the app connects, is greeted with ``hello``, and
then receives what Slack would have POSTed as envelopes (``slash_commands``,
``interactive``, ``events_api``), each of which it must acknowledge with its
``envelope_id`` (and, for commands and some clicks, a response payload). ``drop``
cuts the connection without a word, as a network failure would; the app is
expected to open a new one.
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

from websockets.sync.server import Server, ServerConnection, serve


class SocketStandIn:
    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._live: list[ServerConnection] = []
        self.connections = 0  # opened so far
        self._acks: dict[str, dict[str, Any]] = {}
        self._server: Server = serve(self._handle, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link/?ticket={uuid.uuid4().hex}&app_id=A0STANDIN"

    def close(self) -> None:
        self._server.shutdown()

    def _handle(self, connection: ServerConnection) -> None:
        with self._lock:
            self._live.append(connection)
            self.connections += 1
            self._lock.notify_all()
        try:
            connection.send(
                json.dumps(
                    {
                        "type": "hello",
                        "num_connections": len(self._live),
                        "connection_info": {"app_id": "A0STANDIN"},
                        "debug_info": {"host": "standin", "approximate_connection_time": 3600},
                    }
                )
            )
            for raw in connection:
                ack = json.loads(raw)
                with self._lock:
                    self._acks[str(ack.get("envelope_id"))] = ack.get("payload") or {}
                    self._lock.notify_all()
        except Exception:
            pass  # dropped or closed: the app reconnects
        finally:
            with self._lock:
                if connection in self._live:
                    self._live.remove(connection)
                self._lock.notify_all()

    def wait_connected(self, total: int, timeout: float = 30) -> None:
        """Until ``total`` connections have been opened, and one is live."""
        with self._lock:
            if not self._lock.wait_for(
                lambda: self.connections >= total and bool(self._live), timeout
            ):
                raise AssertionError(f"the app did not connect (connection {total})")

    def deliver(self, kind: str, payload: dict[str, Any], timeout: float = 10) -> dict[str, Any]:
        """Send one envelope over the live connection; returns the app's acknowledgement."""
        envelope_id = uuid.uuid4().hex
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope.update(retry_attempt=0, retry_reason="")
        with self._lock:
            if not self._lock.wait_for(lambda: bool(self._live), timeout):
                raise AssertionError("no live Socket Mode connection")
            connection = self._live[-1]
        connection.send(json.dumps(envelope))
        with self._lock:
            if not self._lock.wait_for(lambda: envelope_id in self._acks, timeout):
                raise AssertionError(f"the app did not acknowledge the {kind} envelope")
            return self._acks.pop(envelope_id)

    def drop(self) -> None:
        """Cut every live connection without a closing handshake."""
        with self._lock:
            live = list(self._live)
        for connection in live:
            connection.socket.close()
        with self._lock:
            self._lock.wait_for(lambda: not self._live, 10)
