"""A load generator in a process of its own, so its timing is not disturbed by the
Slack stand-in sharing its interpreter lock.

Reads one JSON burst per stdin line: {"url": ..., "requests": [{"body", "headers"}]}
(a request may name its own "url": several replicas, each sent its share),
fires them all at once (one thread each, a barrier, one pooled client) and
writes one JSON line back: [[sent_at_epoch, seconds, status], ...] in order (status -1
and a fourth field naming the error for a request whose connection failed).
"""

from __future__ import annotations

import json
import sys
import threading
import time

import httpx


def fire(client: httpx.Client, url: str, requests: list[dict[str, object]]) -> list[list[float]]:
    results: list[list[float]] = [[0.0, 0.0, 0.0] for _ in requests]
    barrier = threading.Barrier(len(requests))

    def send(index: int, request: dict[str, object]) -> None:
        body = str(request["body"]).encode()
        headers = dict(request["headers"])  # type: ignore[call-overload]
        barrier.wait()
        sent, started = time.time(), time.perf_counter()
        try:
            response = client.post(str(request.get("url") or url), content=body, headers=headers)
        except httpx.TransportError as exc:  # told back, not lost in this thread
            failed = f"{type(exc).__name__}: {exc}"
            results[index] = [sent, time.perf_counter() - started, -1.0, failed]  # type: ignore[list-item]
            return
        results[index] = [sent, time.perf_counter() - started, float(response.status_code)]

    threads = [threading.Thread(target=send, args=pair) for pair in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def main() -> None:
    with httpx.Client(timeout=30, limits=httpx.Limits(max_connections=200)) as client:
        for line in sys.stdin:
            burst = json.loads(line)
            print(json.dumps(fire(client, burst["url"], burst["requests"])), flush=True)


if __name__ == "__main__":
    main()
