"""A real MLflow tracking server for the registry tests, and a few calls to set it up.

``mlflow server`` with a SQLite backend store in a temporary folder, on 127.0.0.1;
one per test session (it takes seconds to start). Each test registers models under
names of its own, so tests do not see each other's versions.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.support import free_port, wait_until_ready


class MlflowServer:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="incidentbot-mlflow-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (self.folder / "server.log").open("ab")
        binary = shutil.which("mlflow")
        assert binary is not None
        self.proc = subprocess.Popen(
            [
                binary,
                "server",
                "--backend-store-uri",
                f"sqlite:///{self.folder / 'mlflow.db'}",
                "--default-artifact-root",
                str(self.folder / "artifacts"),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                "1",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            # MLflow 3 also starts a job runner with eight huey consumers (each a Python
            # importing MLflow) for its GenAI jobs; the registry's REST API needs none of
            # them, and they cost the suite tens of seconds of CPU at start-up.
            env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        wait_until_ready(self.proc, f"{self.url}/health", "mlflow server", self.logs, 90)

    def logs(self) -> str:
        return (self.folder / "server.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- MLflow's own REST API, as a team's training pipeline would call it ----------
    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        answer = httpx.request(method, f"{self.url}/api/2.0/mlflow/{path}", timeout=10, **kwargs)
        answer.raise_for_status()
        return dict(answer.json())

    def register(
        self, versions: int = 3, *, alias: str = "champion", serving: int | None = None
    ) -> str:
        """A new registered model with ``versions`` versions, each from a run with metrics;
        ``alias`` points at ``serving`` (the newest by default). Returns its name."""
        name = f"fraud-scorer-{uuid.uuid4().hex[:8]}"
        self.call("POST", "registered-models/create", json={"name": name})
        for number in range(1, versions + 1):
            run = self.call(
                "POST",
                "runs/create",
                json={"experiment_id": "0", "start_time": int(time.time() * 1000)},
            )["run"]["info"]["run_id"]
            for key, value in (("precision", 0.8 + number / 100), ("recall", 0.7)):
                self.call(
                    "POST",
                    "runs/log-metric",
                    json={
                        "run_id": run,
                        "key": key,
                        "value": value,
                        "timestamp": int(time.time() * 1000),
                    },
                )
            self.call(
                "POST",
                "model-versions/create",
                json={"name": name, "source": f"runs:/{run}/model", "run_id": run},
            )
        self.point(name, serving or versions, alias)
        return name

    def point(self, name: str, version: int, alias: str = "champion") -> None:
        self.call(
            "POST",
            "registered-models/alias",
            json={"name": name, "alias": alias, "version": str(version)},
        )

    def serving(self, name: str, alias: str = "champion") -> int:
        found = self.call("GET", "registered-models/alias", params={"name": name, "alias": alias})
        return int(found["model_version"]["version"])
