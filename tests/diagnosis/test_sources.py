"""Where drift data may come from, and what is refused before or while it is read."""

from __future__ import annotations

import gzip
import io
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bot.diagnosis.datasets import Source, SourceError, fetch, load, locate, read_table
from bot.diagnosis.limits import Limits
from bot.net.egress import EgressRule

LOCAL = EgressRule.parse("127.0.0.1")  # the test server plays an allowed data host


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
        ("http://[::1/a.csv", "is not a complete URL"),
    ):
        with pytest.raises(SourceError, match=said):
            locate(text, folder)
    with pytest.raises(SourceError, match="INCIDENTBOT_DATA_DIR is not set"):
        locate("march/ref.csv", None)
    assert locate("https://data.example.com/a.csv", None).url == "https://data.example.com/a.csv"


def test_a_file_over_the_limit_is_refused_before_reading(folder: Path) -> None:
    # It said "is 0 MB; the limit is 0 MB": a size and a limit apart must read apart.
    said = r"ref.csv is [1-9][\d,]* bytes; the limit is 5 bytes \(INCIDENTBOT_DRIFT_MAX_BYTES\)"
    with pytest.raises(SourceError, match=said):
        locate("march/ref.csv", folder, Limits(max_bytes=5))


class _Server(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, bytes, dict[str, str]]] = {}

    def log_message(self, *_: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/trickle":  # a byte at a time: each read is quick, the whole is not
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(1000):
                try:
                    self.wfile.write(b"1")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.05)
            return
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


def test_urls_are_streamed_with_limits_and_clear_failures(web: str) -> None:
    table = b"a,b\n" + b"1,2\n" * 5000
    _Server.routes = {
        "/t.csv": (200, table, {}),
        "/t.csv.gz": (200, gzip.compress(table), {}),
        "/chunked.csv": (200, table, {"Transfer-Encoding": "chunked"}),
    }
    allowed = Limits(egress=LOCAL)
    seen: list[tuple[int, int | None]] = []
    with fetch(locate(f"{web}/t.csv", None), allowed, lambda n, t: seen.append((n, t))) as got:
        assert got.read() == table and seen[-1] == (len(table), len(table))
    unpacked = load(locate(f"{web}/t.csv.gz", None), allowed)
    assert list(unpacked.columns) == ["a", "b"] and len(unpacked) == 5000
    with pytest.raises(SourceError, match="answered HTTP 404"):
        load(locate(f"{web}/nothing.csv", None), allowed)
    small = Limits(max_bytes=10_000, egress=LOCAL)
    with pytest.raises(SourceError, match="the limit is"):  # said up front
        load(locate(f"{web}/t.csv", None), small)
    with pytest.raises(SourceError, match=r"over 9\.8 KiB; stopped reading"):
        load(locate(f"{web}/chunked.csv", None), small)
    with pytest.raises(SourceError, match="could not be reached"):
        load(locate("http://127.0.0.1:9/t.csv", None), allowed)


def test_one_deadline_holds_however_slowly_the_bytes_come(web: str) -> None:
    """A server that sends a byte every 50 ms passes every per-read timeout; the whole
    fetch still stops at its deadline."""
    with pytest.raises(SourceError, match=r"did not arrive within 0\.5 s"):
        load(locate(f"{web}/trickle", None), Limits(fetch_seconds=0.5, egress=LOCAL))


def test_loopback_is_refused_unless_allowed(web: str) -> None:
    with pytest.raises(SourceError, match=r"127\.0\.0\.1 is a loopback address") as refused:
        load(locate(f"{web}/t.csv", None), Limits())
    assert "INCIDENTBOT_FETCH_ALLOW=127.0.0.1/32" in str(refused.value)


def _file(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


def test_what_is_not_a_table_is_refused(tmp_path: Path) -> None:
    where = Source("x")
    for data, said in (
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "is not a CSV or Parquet table"),
        (b"PAR1 broken parquet", "is not a"),
        (b"", "is not a CSV or Parquet table"),
        (b"a,b\n", "has no rows of data"),
    ):
        with pytest.raises(SourceError, match=said):
            read_table(_file(data), where)
    frame = pd.DataFrame({"a": [1.5, 2.5], "b": ["x", "y"]})
    frame.to_parquet(tmp_path / "t.parquet")
    assert read_table(_file((tmp_path / "t.parquet").read_bytes()), where).equals(frame)
    (tmp_path / "t.parquet.gz").write_bytes(gzip.compress((tmp_path / "t.parquet").read_bytes()))
    (tmp_path / "broken.gz").write_bytes(b"\x1f\x8b not really gzip")
    assert load(locate("t.parquet.gz", tmp_path), Limits()).equals(frame)
    with pytest.raises(SourceError, match="looks gzipped but does not unpack"):
        load(locate("broken.gz", tmp_path), Limits())


def test_a_gzip_bomb_stops_at_the_unpacked_limit_without_being_held(tmp_path: Path) -> None:
    (tmp_path / "bomb.csv.gz").write_bytes(gzip.compress(b"a\n" + b"1\n" * 1_000_000))
    with pytest.raises(SourceError, match="over 1 MiB unpacked; stopped reading"):
        load(locate("bomb.csv.gz", tmp_path), Limits(max_bytes=1024 * 1024))
    # Multi-member gzip (concatenated files) unpacks whole.
    (tmp_path / "two.csv.gz").write_bytes(gzip.compress(b"a\n1\n") + gzip.compress(b"2\n"))
    assert load(locate("two.csv.gz", tmp_path), Limits())["a"].tolist() == [1, 2]


def test_a_parquet_bomb_is_refused_from_its_metadata(tmp_path: Path) -> None:
    """Few bytes, many rows: the row count is read from the footer, nothing is built."""
    schema = pa.schema([(name, pa.int64()) for name in "abcd"])
    block = pa.table({name: pa.array([7] * 1_000_000, pa.int64()) for name in "abcd"})
    with pq.ParquetWriter(tmp_path / "bomb.parquet", schema, compression="zstd") as writer:
        for _ in range(20):
            writer.write_table(block)
    assert (tmp_path / "bomb.parquet").stat().st_size < 1024 * 1024
    with pytest.raises(SourceError, match="20,000,000 rows × 4 columns"):
        load(locate("bomb.parquet", tmp_path), Limits(max_memory=100 * 1024 * 1024))


def test_rows_columns_and_memory_are_checked(tmp_path: Path) -> None:
    header = ",".join(f"c{i}" for i in range(30))
    (tmp_path / "wide.csv").write_text(header + "\n" + "1," * 29 + "1\n")
    with pytest.raises(SourceError, match="30 columns; the limit is 20"):
        load(locate("wide.csv", tmp_path), Limits(max_columns=20))
    (tmp_path / "long.csv").write_text("a,b\n" + "1,2\n" * 100_000)
    with pytest.raises(SourceError, match="100,000 rows × 2 columns"):
        load(locate("long.csv", tmp_path), Limits(max_memory=1024 * 1024))
    # Strings take more memory than their cells' minimum: caught once the table is built.
    (tmp_path / "words.csv").write_text("w\n" + "x\n" * 30_000)
    with pytest.raises(
        SourceError, match=r"takes \d\.\d MiB in memory as a table; the limit is 1 MiB \("
    ):
        load(locate("words.csv", tmp_path), Limits(max_memory=1024 * 1024))
