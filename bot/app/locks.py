"""One lock per incident, for the work that must not interleave with itself.

A lock exists only while someone holds it or waits for it: the table holds as many
entries as incidents being worked on now, not every incident the process has seen.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_guard = threading.Lock()
# Re-entrant: performing an effect under an incident's lock may redraw under it again.
_locks: dict[int, tuple[threading.RLock, int]] = {}  # lock, holders and waiters


@contextmanager
def incident_lock(incident_id: int) -> Iterator[None]:
    with _guard:
        lock, users = _locks.get(incident_id) or (threading.RLock(), 0)
        _locks[incident_id] = (lock, users + 1)
    try:
        with lock:
            yield
    finally:
        with _guard:
            lock, users = _locks[incident_id]
            if users == 1:
                del _locks[incident_id]
            else:
                _locks[incident_id] = (lock, users - 1)


def in_use() -> int:
    """How many incidents have a lock now (held or waited for)."""
    with _guard:
        return len(_locks)
