"""The per-incident locks: held while used, gone after, so a long-running process does
not keep one for every incident it ever worked on."""

from __future__ import annotations

import threading

from bot.app import locks


def test_a_lock_is_forgotten_once_nobody_holds_or_waits_for_it() -> None:
    for incident_id in range(1, 501):
        with locks.incident_lock(incident_id):
            assert locks.in_use() >= 1
    assert locks.in_use() == 0


def test_the_lock_is_re_entrant_and_kept_while_a_holder_is_inside() -> None:
    with locks.incident_lock(7):
        with locks.incident_lock(7):  # a redraw under the lock of the work performing it
            assert locks.in_use() == 1
        assert locks.in_use() == 1
    assert locks.in_use() == 0


def test_a_waiter_gets_the_same_lock_and_the_entry_goes_after_both() -> None:
    inside = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def first() -> None:
        with locks.incident_lock(3):
            inside.set()
            release.wait(5)
            order.append("first")

    def second() -> None:
        inside.wait(5)
        with locks.incident_lock(3):
            order.append("second")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    inside.wait(5)
    release.set()
    for thread in threads:
        thread.join(5)
    assert order == ["first", "second"]
    assert locks.in_use() == 0
