"""Where drift data may come from, and what is refused before or while it is read."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pandas as pd
import pytest

from bot.diagnosis import sources
from bot.diagnosis.sources import SourceError, fetch, locate, read_table


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    (data / "march").mkdir(parents=True)
    (data / "march" / "ref.csv").write_text("a,b\n1,x\n2,y\n")
    (tmp_path / "outside.csv").write_text("a\n1\n")
    (data / "escape.csv").symlink_to(tmp_path / "outside.csv")
    (data / "inner.csv").symlink_to(data / "march" / "ref.csv")  # a link that stays inside
    return data


def test_paths_must_stay_inside_the_data_folder(folder: Path, tmp_path: Path) -> None:
    assert locate("march/ref.csv", folder).path == folder / "march" / "ref.csv"
    assert locate(str(folder / "march" / "ref.csv"), folder).path is not None
    assert locate("inner.csv", folder).path == (folder / "march" / "ref.csv").resolve()
    for text, said in (
        ("../outside.csv", "leads outside the data folder"),
        ("march/../../outside.csv", "leads outside the data folder"),
        ("escape.csv", "leads outside the data folder"),
        (str(tmp_path / "outside.csv"), "is outside the data folder"),
        ("march", "there is no such file"),
        ("file:///etc/passwd", "not file:// addresses"),
        ("ftp://example.com/a.csv", "not ftp:// addresses"),
        ("https:///nohost.csv", "is not a complete URL"),
    ):
        with pytest.raises(SourceError, match=said):
            locate(text, folder)
    with pytest.raises(SourceError, match="INCIDENTBOT_DATA_DIR is not set"):
        locate("march/ref.csv", None)
    assert locate("https://data.example.com/a.csv", None).url == "https://data.example.com/a.csv"


def test_a_file_over_the_limit_is_refused_before_reading(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources, "MAX_BYTES", 5)
    with pytest.raises(SourceError, match="the limit is"):
        locate("march/ref.csv", folder)


class _Server(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, bytes, dict[str, str]]] = {}

    def log_message(self, *_: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(3)
        status, body, headers = self.routes.get(self.path, (404, b"missing", {}))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers and "Transfer-Encoding" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if headers.get("Transfer-Encoding") == "chunked":
            for start in range(0, len(body), 1000):
                part = body[start : start + 1000]
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(body)


@pytest.fixture
def web() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Server)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_urls_are_streamed_with_limits_and_clear_failures(
    web: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = b"a,b\n" + b"1,2\n" * 5000
    _Server.routes = {
        "/t.csv": (200, table, {}),
        "/t.csv.gz": (200, gzip.compress(table), {}),
        "/chunked.csv": (200, table, {"Transfer-Encoding": "chunked"}),
        "/slow": (200, table, {}),
    }
    seen: list[tuple[int, int | None]] = []
    with httpx.Client() as client:
        got = fetch(locate(f"{web}/t.csv", None), client, lambda n, t: seen.append((n, t)))
        assert got == table and seen[-1] == (len(table), len(table))
        unpacked = read_table(
            fetch(locate(f"{web}/t.csv.gz", None), client), locate(f"{web}/t.csv.gz", None)
        )
        assert list(unpacked.columns) == ["a", "b"] and len(unpacked) == 5000
        with pytest.raises(SourceError, match="answered HTTP 404"):
            fetch(locate(f"{web}/nothing.csv", None), client)
        monkeypatch.setattr(sources, "MAX_BYTES", 10_000)
        with pytest.raises(SourceError, match="the limit is"):  # said up front
            fetch(locate(f"{web}/t.csv", None), client)
        with pytest.raises(SourceError, match="over the 0 MB limit; stopped reading"):
            fetch(locate(f"{web}/chunked.csv", None), client)
        monkeypatch.setattr(sources, "TIMEOUT", httpx.Timeout(0.5))
        with pytest.raises(SourceError, match="did not answer in time"):
            fetch(locate(f"{web}/slow", None), client)
    with httpx.Client() as client, pytest.raises(SourceError, match="could not be reached"):
        fetch(locate("http://127.0.0.1:9/t.csv", None), client)


def test_what_is_not_a_table_is_refused(tmp_path: Path) -> None:
    where = sources.Source("x")
    for data, said in (
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "is not a CSV or Parquet table"),
        (b"PAR1 broken parquet", "is not a"),
        (b"\x1f\x8b not really gzip", "looks gzipped but does not unpack"),
        (b"", "is not a CSV or Parquet table"),
        (b"a,b\n", "has no rows of data"),
    ):
        with pytest.raises(SourceError, match=said):
            read_table(data, where)
    frame = pd.DataFrame({"a": [1.5, 2.5], "b": ["x", "y"]})
    frame.to_parquet(tmp_path / "t.parquet")
    parquet = read_table((tmp_path / "t.parquet").read_bytes(), where)
    assert parquet.equals(frame)
    packed = gzip.compress((tmp_path / "t.parquet").read_bytes())
    assert read_table(packed, where).equals(frame)


def test_a_gzip_bomb_stops_at_the_unpacked_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "MAX_UNPACKED_BYTES", 1000)
    bomb = gzip.compress(b"a\n" + b"1\n" * 100_000)
    with pytest.raises(SourceError, match="unpacks to over"):
        read_table(bomb, sources.Source("bomb.csv.gz"))
