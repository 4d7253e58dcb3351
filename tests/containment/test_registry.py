"""The registry client against a real ``mlflow server``: reading a model's history, moving its
alias, and every failure said plainly (unknown model, refused token, server down)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bot.containment.mlflow import NotFound, Registry, RegistryError
from tests.support import free_port

# One MLflow server serves these tests: on one worker when the suite runs in parallel.
pytestmark = pytest.mark.xdist_group("mlflow")


def test_history_reads_versions_alias_runs_and_metrics(mlflow_server: Any) -> None:
    model = mlflow_server.register(versions=4, serving=3)
    registry = Registry(mlflow_server.url, None, "champion")
    history = registry.history(model)
    assert history.serving == 3
    assert [v.number for v in history.versions] == [4, 3, 2, 1]
    serving = history.version(3)
    assert serving is not None
    assert serving.metrics == {"precision": pytest.approx(0.83), "recall": pytest.approx(0.7)}
    assert serving.run_url is not None and serving.run_url.startswith(mlflow_server.url)
    assert history.before(3) is not None and history.before(3).number == 2  # type: ignore[union-attr]
    assert registry.versions(model) == [4, 3, 2, 1]


def test_moving_the_alias_is_read_back(mlflow_server: Any) -> None:
    model = mlflow_server.register(versions=3)
    registry = Registry(mlflow_server.url, None, "champion")
    registry.move_alias(model, 2)
    assert mlflow_server.serving(model) == 2  # MLflow's own answer
    with pytest.raises(NotFound, match="has no version 99 of"):
        registry.move_alias(model, 99)  # no such version: refused, and said
    assert mlflow_server.serving(model) == 2


def test_an_unknown_model_or_alias_is_not_guessed(mlflow_server: Any) -> None:
    registry = Registry(mlflow_server.url, None, "champion")
    with pytest.raises(NotFound, match="has no model called nobody-knows"):
        registry.history("nobody-knows")
    model = mlflow_server.register(versions=1)
    assert Registry(mlflow_server.url, None, "production").serving(model) is None


@pytest.fixture
def refusing() -> Iterator[str]:
    """A registry in front of which a proxy refuses the token, as auth proxies do."""

    class Refuse(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_refused_token_and_a_server_that_is_down_are_said(refusing: str) -> None:
    with pytest.raises(RegistryError, match=r"refused the bot's token \(HTTP 401\)"):
        Registry(refusing, "wrong-token", "champion").history("fraud-scorer")
    down = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(RegistryError, match="could not be reached"):
        Registry(down, None, "champion", timeout=2).serving("fraud-scorer")
