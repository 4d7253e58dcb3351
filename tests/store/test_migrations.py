"""The migrations build the schema the models describe, on SQLite and PostgreSQL."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from bot.store.db import make_engine
from bot.store.migrate import alembic_config, is_current, upgrade
from bot.store.models import Base
from bot.store.search import SKIPPED


def _not_search(name: str | None, _type: str, _parents: object) -> bool:
    return name not in SKIPPED


def test_upgrade_on_a_fresh_database_matches_the_models(database_url: str) -> None:
    assert not is_current(database_url)
    upgrade(database_url)
    assert is_current(database_url)
    engine = make_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": _not_search})
        diff = compare_metadata(context, Base.metadata)
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert diff == []
    assert {"incidents", "role_assignments", "timeline_events"} <= tables


def test_downgrade_and_upgrade_again(database_url: str) -> None:
    upgrade(database_url)
    command.downgrade(alembic_config(database_url), "base")
    engine = make_engine(database_url)
    with engine.connect() as conn:
        assert "incidents" not in inspect(conn).get_table_names()
    engine.dispose()
    upgrade(database_url)
    assert is_current(database_url)


def test_incidents_recorded_before_0013_get_what_their_timelines_say(database_url: str) -> None:
    """Migration 0013 fills in the review's columns from each incident's timeline."""
    from sqlalchemy import text

    command.upgrade(alembic_config(database_url), "0012")
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO incidents (id, title, severity, status, declared_at, private, "
                "drill_paused_seconds) VALUES (1, 'Old one', 'sev2', 'resolved', "
                "'2026-07-06 09:10:00', false, 0)"
            )
        )
        for n, (kind, actor, at, data) in enumerate(
            [
                ("alert_fired", None, "09:00", "{}"),
                ("note", "U1", "09:05", "{}"),  # before the declaration: not an acknowledgement
                ("role_assigned", "U1", "09:20", "{}"),
                ("triage_proposed", None, "09:30", '{"cause": "model"}'),
                ("triage_answered", "U1", "09:40", '{"question": "trend", "answer": "worse"}'),
                ("status_update", "U1", "09:45", '{"update_kind": "first_notice"}'),
                ("triage_proposed", None, "09:50", '{"cause": "data"}'),
                ("containment_run", "U1", "09:55", '{"ok": false}'),
                ("triage_answered", "U1", "10:00", '{"question": "trend", "answer": "better"}'),
                ("status_update", "U1", "10:30", '{"update_kind": "update"}'),
            ],
            start=1,
        ):
            conn.execute(
                text(
                    "INSERT INTO timeline_events (id, incident_id, kind, occurred_at, actor, "
                    "text, data) VALUES (:id, 1, :kind, :at, :actor, '', :data)"
                ),
                {"id": n, "kind": kind, "at": f"2026-07-06 {at}:00", "actor": actor, "data": data},
            )
    engine.dispose()
    upgrade(database_url)
    engine = make_engine(database_url)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT first_alert_at, acknowledged_at, mitigated_at, first_notice_at, "
                "updates_sent, updates_late, triage_cause, postmortem_published_at "
                "FROM incidents WHERE id = 1"
            )
        ).one()
    engine.dispose()
    minutes = [str(v)[11:16] if v is not None else None for v in row[:4]]
    assert minutes == ["09:00", "09:20", "10:00", "09:45"]
    assert tuple(row[4:]) == (2, None, "data", None)


def test_events_recorded_before_0014_lose_their_slack_markup(database_url: str) -> None:
    """Migration 0014 turns stored mentions into @IDs and strips pinned messages' markup."""
    from sqlalchemy import text

    command.upgrade(alembic_config(database_url), "0013")
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO incidents (id, title, severity, status, declared_at, private, "
                "drill_paused_seconds, updates_sent) VALUES (1, 'Old one', 'sev2', 'open', "
                "'2026-07-06 09:10:00', false, 0, 0)"
            )
        )
        for n, (kind, said) in enumerate(
            [
                ("role_assigned", "<@U0BOB0002> is Incident Commander"),
                ("role_handed_over", "<@U0CARA003> took over as ML Lead from <@U0BOB0002|bob>"),
                ("pinned_message", ":white_check_mark: *INC-1 resolved: model_v2 rolled back*"),
                ("pinned_message", ":tada:"),
                ("note", "Checked at 12:30:45, *not* a Slack emphasis here"),
            ],
            start=1,
        ):
            conn.execute(
                text(
                    "INSERT INTO timeline_events (id, incident_id, kind, occurred_at, text, data) "
                    "VALUES (:id, 1, :kind, '2026-07-06 09:20:00', :said, '{}')"
                ),
                {"id": n, "kind": kind, "said": said},
            )
    engine.dispose()
    upgrade(database_url)
    engine = make_engine(database_url)
    with engine.connect() as conn:
        texts = list(conn.scalars(text("SELECT text FROM timeline_events ORDER BY id")))
    engine.dispose()
    assert texts == [
        "@U0BOB0002 is Incident Commander",
        "@U0CARA003 took over as ML Lead from @U0BOB0002",
        "INC-1 resolved: model_v2 rolled back",
        "(no text)",
        "Checked at 12:30:45, *not* a Slack emphasis here",  # a note is words a person typed
    ]
