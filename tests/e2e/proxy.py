"""A small round-robin HTTP proxy: what stands in front of the bot's replicas.

Every request goes to the next replica in turn. One that refuses the connection (it
died) is dropped from the turn and the request goes to the next, as a load balancer
with passive health checks does. One that dies holding a request is dropped too, and
that request is answered 502: not acknowledged, so Slack or the monitor would send it
again.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

_HOP = {"host", "content-length", "connection", "transfer-encoding", "keep-alive"}


class RoundRobin:
    def __init__(self, backends: list[str]) -> None:
        self._backends = list(backends)
        self._alive = list(backends)
        self._turn = itertools.count()
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=200))
        self.sent_to: dict[str, int] = dict.fromkeys(backends, 0)
        # Told of each answer before it is passed on (a test kills a replica right there).
        self.on_answer: Callable[[str, int, bytes], None] | None = None
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._forward("GET")

            def do_POST(self) -> None:
                self._forward("POST")

            def _forward(self, method: str) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                status, answer, kind = proxy.forward(method, self.path, headers, body)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> RoundRobin:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._client.close()

    def _next(self) -> str | None:
        with self._lock:
            if not self._alive:
                return None
            return self._alive[next(self._turn) % len(self._alive)]

    def _drop(self, backend: str) -> None:
        with self._lock:
            if backend in self._alive:
                self._alive.remove(backend)

    def forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes, str]:
        for _ in range(len(self._backends)):
            backend = self._next()
            if backend is None:
                break
            try:
                response = self._client.request(
                    method, backend + path, headers=headers, content=body
                )
            except httpx.ConnectError:  # it died before taking the request: the next one
                self._drop(backend)
                continue
            except httpx.TransportError:  # it died holding the request: not delivered
                self._drop(backend)
                break
            with self._lock:
                self.sent_to[backend] += 1
            if self.on_answer is not None:
                self.on_answer(backend, response.status_code, response.content)
            kind = response.headers.get("content-type", "application/octet-stream")
            return response.status_code, response.content, kind
        return 502, b'{"error": "no replica took the request"}', "application/json"
