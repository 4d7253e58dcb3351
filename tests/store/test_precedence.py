"""Background work gives way to the requests someone waits on (bot.store.precedence)."""

from __future__ import annotations

import threading

from bot.store import precedence


def _waiting_on_answers() -> int:
    return len(precedence._changed._waiters)  # type: ignore[attr-defined]


def test_background_work_waits_until_the_answers_in_flight_are_given(monkeypatch):
    monkeypatch.setattr(precedence, "LONGEST", 60.0)  # it is the answer that ends the wait
    order: list[str] = []

    def background() -> None:
        precedence.defer()
        precedence.give_way()
        order.append("background step")

    worker = threading.Thread(target=background)
    with precedence.answering():
        worker.start()
        while _waiting_on_answers() == 0 and worker.is_alive():
            threading.Event().wait(0.001)
        order.append("answered")
    worker.join(10)
    assert order == ["answered", "background step"]


def test_a_stream_of_answers_slows_background_work_without_stopping_it(monkeypatch):
    monkeypatch.setattr(precedence, "LONGEST", 0.0)
    done = threading.Event()

    def background() -> None:
        precedence.defer()
        precedence.give_way()
        done.set()

    with precedence.answering():  # never over while the step runs
        worker = threading.Thread(target=background)
        worker.start()
        worker.join(10)
        assert done.is_set()


def test_threads_that_answer_requests_never_wait():
    with precedence.answering(), precedence.answering():
        precedence.give_way()  # not marked: returns at once, or this test would hang
    assert precedence._in_flight == 0


def test_a_transaction_opened_inside_another_never_waits(monkeypatch):
    """It may hold the write lock the requests' journal needs to acknowledge them."""
    monkeypatch.setattr(precedence, "LONGEST", 60.0)  # a wait would hang the test
    monkeypatch.setattr(precedence._mine, "defers", True, raising=False)
    entered = []
    # The outer one starts with nothing in flight; the inner one with an answer in flight.
    with precedence.transaction(), precedence.answering(), precedence.transaction():
        entered.append("inner")
    assert entered == ["inner"]
