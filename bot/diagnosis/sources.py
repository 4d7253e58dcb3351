"""Where drift data may come from, and reading it: an http(s) URL, or a file inside
``INCIDENTBOT_DATA_DIR``; CSV or Parquet, either of them gzipped.

Everything else is refused with the reason, before anything is read: other URL
schemes (``file://``), paths outside the data folder (``..``, absolute paths,
symlinks that lead out), files over the size limit, and bytes that are not a
table.
"""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pandas as pd

MAX_BYTES = 200 * 1024 * 1024  # per table, as stored (compressed or not)
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024  # a gzip bomb stops here
TIMEOUT = httpx.Timeout(60.0, connect=10.0)
CHUNK = 1024 * 1024
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")

# Bytes read so far, and the total when known.
Progress = Callable[[int, int | None], None]


class SourceError(ValueError):
    """The data cannot be used; the message says why, naming the source."""


@dataclass(frozen=True)
class Source:
    text: str  # as the person gave it
    url: str | None = None
    path: Path | None = None


def locate(text: str, data_dir: Path | None) -> Source:
    """Check where ``text`` points; nothing is read yet."""
    text = text.strip()
    scheme = _SCHEME.match(text)
    if scheme and len(scheme.group(1)) > 1:  # not a Windows drive letter
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https"):
            raise SourceError(
                f"`{text}`: only http(s) URLs and files in the data folder are read, "
                f"not {parts.scheme}:// addresses."
            )
        if not parts.hostname:
            raise SourceError(f"`{text}` is not a complete URL.")
        return Source(text, url=text)
    if data_dir is None:
        raise SourceError(
            f"`{text}` is not an http(s) URL, and this bot reads no local files "
            "(INCIDENTBOT_DATA_DIR is not set)."
        )
    root = data_dir.resolve()
    candidate = Path(text)
    if candidate.is_absolute():
        if not _inside(candidate, root):
            raise SourceError(f"`{text}` is outside the data folder; give a path inside it.")
    else:
        candidate = root / candidate
    resolved = candidate.resolve()  # follows symlinks and ..
    if not _inside(resolved, root):
        raise SourceError(f"`{text}` leads outside the data folder; it is not read.")
    if not resolved.is_file():
        raise SourceError(f"`{text}`: there is no such file in the data folder.")
    size = resolved.stat().st_size
    if size > MAX_BYTES:
        raise SourceError(f"`{text}` is {_mb(size)}; the limit is {_mb(MAX_BYTES)}.")
    return Source(text, path=resolved)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except ValueError:
        return False
    return True


def fetch(source: Source, client: httpx.Client, progress: Progress | None = None) -> bytes:
    """The source's bytes, streamed with a size limit (and a timeout, for URLs)."""
    if source.path is not None:
        data = source.path.read_bytes()
        if progress:
            progress(len(data), len(data))
        return data
    assert source.url is not None
    try:
        with client.stream("GET", source.url, timeout=TIMEOUT, follow_redirects=True) as answer:
            if answer.status_code != 200:
                raise SourceError(
                    f"`{source.text}` answered HTTP {answer.status_code}; nothing was read."
                )
            total = _length(answer)
            if total is not None and total > MAX_BYTES:
                raise SourceError(
                    f"`{source.text}` is {_mb(total)}; the limit is {_mb(MAX_BYTES)}."
                )
            buffer = bytearray()
            for chunk in answer.iter_bytes(CHUNK):
                buffer.extend(chunk)
                if len(buffer) > MAX_BYTES:
                    raise SourceError(
                        f"`{source.text}` is over the {_mb(MAX_BYTES)} limit; stopped reading."
                    )
                if progress:
                    progress(len(buffer), total)
            return bytes(buffer)
    except httpx.TimeoutException:
        raise SourceError(f"`{source.text}` did not answer in time.") from None
    except httpx.HTTPError as exc:
        raise SourceError(f"`{source.text}` could not be reached ({type(exc).__name__}).") from None


def _length(answer: httpx.Response) -> int | None:
    try:
        return int(answer.headers["content-length"])
    except (KeyError, ValueError):
        return None


def read_table(data: bytes, source: Source) -> pd.DataFrame:
    """CSV or Parquet, gzipped or not, told apart by their bytes rather than by their names."""
    if data[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as unpacked:
                data = unpacked.read(MAX_UNPACKED_BYTES + 1)
        except (OSError, EOFError):
            raise SourceError(f"`{source.text}` looks gzipped but does not unpack.") from None
        if len(data) > MAX_UNPACKED_BYTES:
            raise SourceError(f"`{source.text}` unpacks to over {_mb(MAX_UNPACKED_BYTES)}.")
    try:
        if data[:4] == b"PAR1":
            table = pd.read_parquet(io.BytesIO(data))
        else:
            table = pd.read_csv(io.BytesIO(data), low_memory=False)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError):
        raise SourceError(f"`{source.text}` is not a CSV or Parquet table.") from None
    except Exception as exc:  # pyarrow's own errors for damaged files
        raise SourceError(
            f"`{source.text}` is not a readable table ({type(exc).__name__})."
        ) from None
    if table.shape[1] < 1 or table.empty:
        raise SourceError(f"`{source.text}` has no rows of data.")
    if table.shape[1] == 1 and _looks_like_prose(table):
        raise SourceError(f"`{source.text}` is not a table (one column of text).")
    return table


def _looks_like_prose(table: pd.DataFrame) -> bool:
    header = str(table.columns[0])
    return len(header) > 60 or (" " in header.strip() and len(header.split()) > 6)


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB"
