"""Names people had in Slack, remembered and refreshed."""

from __future__ import annotations

from bot.incidents import known_names
from bot.store.db import Database


def test_a_name_is_kept_refreshed_and_looked_up(db: Database) -> None:
    with db.begin() as session:
        known_names.remember(session, {"U1": "cara", "U2": "bob", "": "nobody"})
    with db.begin() as session:
        known_names.remember(session, {"U1": "cara.m", "U2": "bob"})  # one changed her name
    with db.begin() as session:
        assert known_names.lookup(session, ["U1", "U2", "U3"]) == {"U1": "cara.m", "U2": "bob"}
        assert known_names.lookup(session, []) == {}
