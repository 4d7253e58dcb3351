"""SQLite writers of one process take turns; a writer a sender waits on goes first."""

from __future__ import annotations

import threading
import time

from bot.store.db import _Turns


def test_a_writer_marked_first_goes_before_the_writers_waiting_already() -> None:
    turns = _Turns()
    order: list[str] = []
    assert turns.acquire(first=False, timeout=1)  # a background transaction holds it

    def write(name: str, first: bool) -> None:
        assert turns.acquire(first=first, timeout=5)
        order.append(name)
        turns.release()

    background = [threading.Thread(target=write, args=(f"work{i}", False)) for i in range(3)]
    for thread in background:
        thread.start()
    journal = threading.Thread(target=write, args=("journal", True))
    journal.start()
    deadline = time.monotonic() + 5
    while turns._first_waiting == 0 and time.monotonic() < deadline:  # it waits now
        time.sleep(0.001)
    turns.release()
    for thread in [*background, journal]:
        thread.join(5)
    assert order[0] == "journal" and sorted(order[1:]) == ["work0", "work1", "work2"]


def test_the_lock_is_re_entrant_for_its_holder() -> None:
    turns = _Turns()
    assert turns.acquire(first=False, timeout=1)
    assert turns.acquire(first=True, timeout=1)  # the same thread, inside its transaction
    turns.release()
    assert turns._owner == threading.get_ident() and turns._depth == 1  # still held once
    turns.release()
    assert turns._owner is None
