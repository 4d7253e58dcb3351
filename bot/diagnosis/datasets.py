"""Where drift data may come from, and reading it: an http(s) URL, or a file inside
``INCIDENTBOT_DATA_DIR``; CSV or Parquet, either of them gzipped.

Everything else is refused with the reason, and every bound holds on what is in
memory, not on what was sent:

- URLs go through the egress rule (``bot.net.egress``): no address inside the
  network unless allowed, redirects checked hop by hop, one deadline in all;
- the data is streamed into a spooled temporary file and unpacked on the way,
  so a gzip bomb stops at ``max_bytes`` unpacked without ever being held;
- a Parquet file's row count, column count and uncompressed size are checked
  from its metadata, and a CSV's rows and columns from a scan of its lines,
  before a table is built; the built table's memory is checked after.
"""

from __future__ import annotations

import csv
import hashlib
import re
import tempfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import httpx
import pandas as pd

from bot.diagnosis.limits import Limits
from bot.net import egress
from bot.text import sizes

CHUNK = 1024 * 1024
SPOOL = 16 * 1024 * 1024  # kept in memory below this, on disk above
CELL_BYTES = 8  # the least a cell takes in a DataFrame
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")

# Bytes read so far, and the total when known.
Progress = Callable[[int, int | None], None]


class SourceError(ValueError):
    """The data cannot be used; the message (plain text) says why, naming the source."""


@dataclass(frozen=True)
class Source:
    text: str  # as the person gave it
    url: str | None = None
    path: Path | None = None


def locate(text: str, data_dir: Path | None, limits: Limits | None = None) -> Source:
    """Check where ``text`` points; nothing is read yet."""
    limits = limits or Limits()
    text = text.strip()
    scheme = _SCHEME.match(text)
    if scheme and len(scheme.group(1)) > 1:  # not a Windows drive letter
        try:
            parts = urlsplit(text)
        except ValueError:
            raise SourceError(f"{text} is not a complete URL.") from None
        if parts.scheme not in ("http", "https"):
            raise SourceError(
                f"{text}: only http(s) URLs and files in the data folder are read, "
                f"not {parts.scheme}:// addresses."
            )
        try:
            host = parts.hostname
        except ValueError:
            host = None
        if not host:
            raise SourceError(f"{text} is not a complete URL.")
        return Source(text, url=text)
    if data_dir is None:
        raise SourceError(
            f"{text} is not an http(s) URL, and this bot reads no local files "
            "(INCIDENTBOT_DATA_DIR is not set)."
        )
    root = data_dir.resolve()
    candidate = Path(text)
    if candidate.is_absolute():
        if not inside(candidate, root):
            raise SourceError(f"{text} is outside the data folder; give a path inside it.")
    else:
        candidate = root / candidate
    resolved = candidate.resolve()  # follows symlinks and ..
    if not inside(resolved, root):
        raise SourceError(f"{text} leads outside the data folder; it is not read.")
    if not resolved.is_file():
        raise SourceError(f"{text}: there is no such file in the data folder.")
    size = resolved.stat().st_size
    if size > limits.max_bytes:
        raise SourceError(f"{text} is {_over(size, limits.max_bytes, 'BYTES')}.")
    return Source(text, path=resolved)


def on_this_machine(
    text: str, limits: Limits | None = None, data_dir: Path | None = None
) -> Source:
    """Where ``text`` points, for the command line: the person running it owns the files,
    so any local path they can read is read (the data-folder rule is for what arrives
    through Slack and alerts), relative to the current folder, else to the data folder
    (so a name given in Slack works here too); a URL as for the channel, under the egress
    rule."""
    limits = limits or Limits()
    text = text.strip()
    scheme = _SCHEME.match(text)
    if scheme and len(scheme.group(1)) > 1:
        return locate(text, None, limits)
    path = Path(text).expanduser()
    if not path.is_file() and not path.is_absolute() and data_dir is not None:
        path = data_dir / path
    if not path.is_file():
        raise SourceError(f"{text}: there is no such file.")
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise SourceError(f"{text} is {_over(size, limits.max_bytes, 'BYTES')}.")
    return Source(text, path=path.resolve())


def read_here(
    texts: Sequence[str], limits: Limits, data_dir: Path | None = None
) -> list[pd.DataFrame]:
    """The tables the command line names, read (``on_this_machine``), in order."""
    return [load(on_this_machine(text, limits, data_dir), limits) for text in texts]


def inside(path: Path, root: Path) -> bool:
    """Whether ``path``, its links followed, lies within ``root``."""
    try:
        path.resolve().relative_to(root)
    except ValueError:
        return False
    return True


class _Sink:
    """Takes the bytes as they come, unpacks gzip on the way, and stops at the limit; a
    SHA-256 of the bytes as read (before unpacking) is kept on the way too."""

    def __init__(self, source: Source, limits: Limits) -> None:
        self.source, self.limits = source, limits
        self.sha256 = hashlib.sha256()
        # Closed by whoever reads it (or by fetch, on a refusal).
        self.file: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL)  # noqa: SIM115
        self.size = 0  # unpacked bytes written
        self._head = b""
        self._unpack: zlib._Decompress | None = None
        self._decided = False

    def write(self, chunk: bytes) -> None:
        self.sha256.update(chunk)
        if not self._decided:
            self._head += chunk
            if len(self._head) < 2:
                return
            chunk, self._head, self._decided = self._head, b"", True
            if chunk[:2] == b"\x1f\x8b":
                self._unpack = zlib.decompressobj(wbits=31)
        if self._unpack is None:
            self._keep(chunk)
            return
        while chunk:
            try:
                # Bounded output per step: a bomb never unpacks more than CHUNK at once.
                self._keep(self._unpack.decompress(chunk, CHUNK))
            except zlib.error:
                raise SourceError(
                    f"{self.source.text} looks gzipped but does not unpack."
                ) from None
            chunk = self._unpack.unconsumed_tail
            if not chunk and self._unpack.eof and self._unpack.unused_data:
                chunk = self._unpack.unused_data  # the next member of a multi-member gzip
                self._unpack = zlib.decompressobj(wbits=31)

    def _keep(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limits.max_bytes:
            raise SourceError(
                f"{self.source.text} is over {sizes.size(self.limits.max_bytes)} unpacked; "
                f"stopped reading ({_setting('BYTES')} sets the limit)."
            )
        self.file.write(data)

    def finish(self) -> IO[bytes]:
        if not self._decided:
            self._keep(self._head)
        elif self._unpack is not None and not self._unpack.eof:
            raise SourceError(f"{self.source.text} looks gzipped but is cut short.")
        self.file.seek(0)
        return self.file


# Told the SHA-256 (hex) of the bytes a data set was read from, once they are all read.
Digest = Callable[[str], None]


def fetch(
    source: Source,
    limits: Limits,
    progress: Progress | None = None,
    digest: Digest | None = None,
) -> IO[bytes]:
    """The source's bytes, unpacked, as a file to read from (closed by the caller).
    ``digest`` is told the SHA-256 of the bytes as they were read, hashed on the way."""
    sink = _Sink(source, limits)
    try:
        if source.path is not None:
            total = source.path.stat().st_size
            with source.path.open("rb") as local:
                done = 0
                while chunk := local.read(CHUNK):
                    sink.write(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, total)
        else:
            assert source.url is not None
            _download(source, source.url, sink, limits, progress)
        read = sink.finish()
        if digest is not None:
            digest(sink.sha256.hexdigest())
        return read
    except BaseException:
        sink.file.close()
        raise


def _download(
    source: Source, url: str, sink: _Sink, limits: Limits, progress: Progress | None
) -> None:
    text = source.text
    try:
        with egress.get(url, limits.egress, limits.fetch_seconds) as answer:
            if answer.status_code != 200:
                raise SourceError(f"{text} answered HTTP {answer.status_code}; nothing was read.")
            total = _length(answer)
            if total is not None and total > limits.max_bytes:
                raise SourceError(f"{text} is {_over(total, limits.max_bytes, 'BYTES')}.")
            done = 0
            for chunk in answer.iter_raw(CHUNK):
                done += len(chunk)
                if done > limits.max_bytes:
                    raise SourceError(
                        f"{text} is over {sizes.size(limits.max_bytes)}; stopped reading "
                        f"({_setting('BYTES')} sets the limit)."
                    )
                sink.write(chunk)
                if progress:
                    progress(done, total)
    except egress.EgressRefused as refused:
        raise SourceError(f"{text} is not fetched: {refused}") from None
    except (egress.FetchDeadline, httpx.TimeoutException):
        raise SourceError(
            f"{text} did not arrive within {limits.fetch_seconds:g} s; stopped "
            "(INCIDENTBOT_FETCH_TIMEOUT sets the deadline)."
        ) from None
    except httpx.HTTPError as exc:
        raise SourceError(f"{text} could not be reached ({type(exc).__name__}).") from None


def _length(answer: httpx.Response) -> int | None:
    if answer.headers.get("content-encoding", "identity") != "identity":
        return None  # the length is of the encoded bytes
    try:
        return int(answer.headers["content-length"])
    except (KeyError, ValueError):
        return None


def read_table(data: IO[bytes], source: Source, limits: Limits | None = None) -> pd.DataFrame:
    """CSV or Parquet, told apart by their bytes; refused before it is built when its
    shape would not fit in ``limits.max_memory``, and after when it does not."""
    limits = limits or Limits()
    head = data.read(4)
    data.seek(0)
    try:
        if head == b"PAR1":
            _check_parquet(data, source, limits)
            table = pd.read_parquet(data)
        else:
            _check_csv(data, source, limits)
            table = pd.read_csv(data, low_memory=False)
    except SourceError:
        raise
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError):
        raise SourceError(f"{source.text} is not a CSV or Parquet table.") from None
    except Exception as exc:  # pyarrow's own errors for damaged files
        raise SourceError(
            f"{source.text} is not a readable table ({type(exc).__name__})."
        ) from None
    if table.shape[1] < 1 or table.empty:
        raise SourceError(f"{source.text} has no rows of data.")
    if table.shape[1] == 1 and _looks_like_prose(table):
        raise SourceError(f"{source.text} is not a table (one column of text).")
    memory = int(table.memory_usage(deep=True).sum())
    if memory > limits.max_memory:
        raise SourceError(
            f"{source.text} takes "
            f"{_over(memory, limits.max_memory, 'MEMORY', ' in memory as a table')}."
        )
    return table


def _check_parquet(data: IO[bytes], source: Source, limits: Limits) -> None:
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    try:
        meta = pq.ParquetFile(data).metadata
    except Exception:
        raise SourceError(f"{source.text} is not a readable Parquet file.") from None
    finally:
        data.seek(0)
    unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    _check_shape(source, limits, meta.num_rows, meta.num_columns, unpacked)


def _check_csv(data: IO[bytes], source: Source, limits: Limits) -> None:
    first = data.readline(CHUNK)
    try:
        columns = len(next(csv.reader([first.decode("utf-8", "replace")]), []))
    except csv.Error:
        columns = 1
    rows = 0
    while chunk := data.read(CHUNK):
        rows += chunk.count(b"\n")
    data.seek(0)
    _check_shape(source, limits, rows, columns, 0)


def _check_shape(source: Source, limits: Limits, rows: int, columns: int, unpacked: int) -> None:
    if columns > limits.max_columns:
        raise SourceError(
            f"{source.text} has {columns:,} columns; the limit is {limits.max_columns:,} "
            f"({_setting('COLUMNS')})."
        )
    needed = max(rows * columns * CELL_BYTES, unpacked)
    if needed > limits.max_memory:
        raise SourceError(
            f"{source.text} has {rows:,} rows × {columns:,} columns, at least "
            f"{_over(needed, limits.max_memory, 'MEMORY', ' as a table')}. Nothing was "
            "loaded: compare a sample, or raise the limit."
        )


def _looks_like_prose(table: pd.DataFrame) -> bool:
    header = str(table.columns[0])
    return len(header) > 60 or (" " in header.strip() and len(header.split()) > 6)


def _setting(what: str) -> str:
    return f"INCIDENTBOT_DRIFT_MAX_{what}"


def _over(size: int, limit: int, what: str, how: str = "") -> str:
    """``300 MiB{how}; the limit is 256 MiB (INCIDENTBOT_DRIFT_MAX_...)``."""
    shown, allowed = sizes.against(size, limit)
    return f"{shown}{how}; the limit is {allowed} ({_setting(what)})"


def load(
    source: Source,
    limits: Limits,
    progress: Progress | None = None,
    digest: Digest | None = None,
) -> pd.DataFrame:
    """Fetch and read one data set within ``limits``; SourceError says why not.
    ``digest``: told the SHA-256 of the bytes read (``fetch``)."""
    with fetch(source, limits, progress, digest) as data:
        return read_table(data, source, limits)
