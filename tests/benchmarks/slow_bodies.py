"""Slow bodies against a running bot: how much memory 300 half-sent requests hold.

Each connection sends headers that pass every check made before the body
(``/slack/events``: a well-formed, recent signature), declares 1,040,000 bytes
and sends 1,000,000 of them, then waits. Prints the bot's resident memory before,
while the connections are open (the highest seen over two seconds), and what the
connections were answered.

    python -m tests.benchmarks.slow_bodies [--connections 300] [--checkout PATH]

``--checkout`` runs the bot from another checkout of this repository (an older
commit, to compare with), with this process's stand-in and database.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from bot.sandbox import SlackStandIn
from tests.support import free_port

DECLARED, SENT = 1_040_000, 1_000_000


def resident_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def open_slow(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (
        "POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Length: {DECLARED}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"X-Slack-Request-Timestamp: {int(time.time())}\r\nX-Slack-Signature: v0={'0' * 64}"
        "\r\n\r\n"
    )
    sock.sendall(head.encode())
    sock.setblocking(False)
    return sock


def feed(sockets: list[socket.socket], chunk: bytes) -> dict[socket.socket, int]:
    """Send each socket its SENT bytes, as far as the server takes them."""
    left = {sock: SENT for sock in sockets}
    until = time.monotonic() + 20
    while left and time.monotonic() < until:
        for sock in list(left):
            try:
                sent = sock.send(chunk[: min(len(chunk), left[sock])])
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:  # answered and closed
                del left[sock]
                continue
            left[sock] -= sent
            if left[sock] <= 0:
                del left[sock]
        time.sleep(0.001)
    return left


def status_of(sock: socket.socket) -> str:
    sock.setblocking(True)
    sock.settimeout(0.2)
    try:
        first = sock.recv(64)
    except (TimeoutError, OSError):
        return "no answer yet"
    return first.split(b" ", 2)[1].decode() if first.startswith(b"HTTP/1.1 ") else "closed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=300)
    parser.add_argument("--checkout", type=Path, default=None)
    args = parser.parse_args()
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="slow-bodies-"))
    database = f"sqlite:///{folder}/bot.db"
    with SlackStandIn() as slack:
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": slack.token,
            "SLACK_SIGNING_SECRET": slack.signing_secret,
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": database,
            "LOG_LEVEL": "WARNING",
        }
        if args.checkout:
            env["PYTHONPATH"] = str(args.checkout)
        # The schema of the code that runs (an older checkout has fewer migrations).
        subprocess.run(
            [sys.executable, "-m", "bot", "migrate"],
            env=env,
            cwd=args.checkout or folder,
            check=True,
            capture_output=True,
        )
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=args.checkout or folder,
            stderr=(folder / "bot.log").open("w"),
        )
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            time.sleep(1)
            before = resident_mib(bot.pid)
            sockets = [open_slow(port) for _ in range(args.connections)]
            unsent = feed(sockets, b"x" * 65536)
            peak, until = before, time.monotonic() + 2
            while time.monotonic() < until:
                peak = max(peak, resident_mib(bot.pid))
                time.sleep(0.05)
            answers = Counter(status_of(sock) for sock in sockets)
            print(
                f"connections: {args.connections}, declaring {DECLARED:,} bytes, "
                f"sending {SENT:,} (not all taken by the server: {len(unsent)})"
            )
            print(f"resident memory before: {before:.0f} MiB")
            print(f"resident memory with them open: {peak:.0f} MiB (+{peak - before:.0f} MiB)")
            print("answered so far: " + ", ".join(f"{k}: {v}" for k, v in answers.most_common()))
            for sock in sockets:
                sock.close()
        finally:
            bot.terminate()
            bot.wait(20)


if __name__ == "__main__":
    main()
