"""A real Prometheus Alertmanager (Debian's ``prometheus-alertmanager``) for the tests.

It listens on 127.0.0.1 only, with clustering off, and its one receiver is a
webhook pointing at the running bot with the bot's bearer token, configured
exactly as the README tells operators to.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.support import free_port, missing_server, wait_until_ready

BINARIES = ("prometheus-alertmanager", "alertmanager")

CONFIG = """\
route:
  receiver: incidentbot
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 2s
  repeat_interval: {repeat}
receivers:
  - name: incidentbot
    webhook_configs:
      - url: {bot_url}/alerts/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {token}
"""


def find_binary() -> str | None:
    return next((path for name in BINARIES if (path := shutil.which(name))), None)


class Alertmanager:
    def __init__(self, bot_url: str, token: str, repeat: str = "3s") -> None:
        binary = find_binary()
        if binary is None:
            missing_server("Prometheus Alertmanager (Debian package prometheus-alertmanager)")
        assert binary is not None
        self.folder = Path(tempfile.mkdtemp(prefix="alertmanager-"))
        config = self.folder / "alertmanager.yml"
        config.write_text(CONFIG.format(bot_url=bot_url, token=token, repeat=repeat))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (self.folder / "log.txt").open("wb")
        self.proc = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.path={self.folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address=",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        wait_until_ready(self.proc, f"{self.url}/-/ready", "alertmanager", self.logs, 30)

    def fire(self, *alerts: dict[str, Any]) -> None:
        """Post alerts to Alertmanager's API, as Prometheus does on every evaluation."""
        response = httpx.post(f"{self.url}/api/v2/alerts", json=list(alerts), timeout=10)
        response.raise_for_status()

    def logs(self) -> str:
        return (self.folder / "log.txt").read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def alert(name: str, *, ended: bool = False, **labels: str) -> dict[str, Any]:
    """An alert as Prometheus sends it to Alertmanager (an end time in the past resolves it)."""
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "labels": {"alertname": name, **labels},
        "annotations": {"summary": f"{name} on {labels.get('model', 'a model')}"},
        "generatorURL": "http://prometheus.example.com/graph?g0.expr=up",
    }
    if ended:
        body["endsAt"] = now.isoformat()
    return body


def ended(sent: dict[str, Any]) -> dict[str, Any]:
    """The same alert (same labels), now over."""
    labels = {k: v for k, v in sent["labels"].items() if k != "alertname"}
    return alert(sent["labels"]["alertname"], ended=True, **labels)
