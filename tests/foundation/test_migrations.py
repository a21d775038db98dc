"""Migrations build the same schema on SQLite and PostgreSQL."""

from sqlalchemy import inspect

from core import db as core_db
from tests.conftest import PgDatabase, require_pg

EXPECTED = {"callers", "calls", "call_events", "users", "queue_entries", "callback_requests", "cases",
            "audit_log", "app_secrets", "alembic_version"}


def test_migrations_on_sqlite(tmp_path):
    engine = core_db.make_engine(f"sqlite:///{tmp_path}/m.db")
    core_db.migrate(engine)
    core_db.migrate(engine)  # a second start finds nothing to do
    assert EXPECTED <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_migrations_on_postgresql():
    require_pg()
    database = PgDatabase()
    try:
        engine = core_db.make_engine(database.url)
        assert EXPECTED <= set(inspect(engine).get_table_names())
        core_db.migrate(engine)
        engine.dispose()
    finally:
        database.drop()


DROP_HANDOFF = "ivr_0005_offer_handoff"


def _offer_columns(engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("ivr_offers")}


def _offers_round_trip(engine) -> None:
    """DROP_HANDOFF drops the unused hand-off counter; its downgrade brings it back (0 for existing
    offers) and upgrading again drops it, with the offers kept throughout."""
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    core_db.migrate(engine)
    assert "handoff_tries" not in _offer_columns(engine)
    from sqlalchemy.orm import Session

    from core.models import User
    from ivr.models import Offer

    with Session(engine) as session, session.begin():
        alice = User(name="alice")
        session.add(alice)
        session.flush()
        session.add(Offer(id=7, agent_id=alice.id, status="done"))
    cfg = core_db.alembic_config(engine.url.render_as_string(hide_password=False))
    before = ScriptDirectory.from_config(cfg).get_revision(DROP_HANDOFF).down_revision
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, before)  # this one migration back
    assert "handoff_tries" in _offer_columns(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT id, handoff_tries FROM ivr_offers")).all() == [(7, 0)]
    core_db.migrate(engine)
    assert "handoff_tries" not in _offer_columns(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT id, status FROM ivr_offers")).all() == [(7, "done")]


def test_offer_handoff_counter_dropped_and_restored_on_sqlite(tmp_path):
    engine = core_db.make_engine(f"sqlite:///{tmp_path}/m.db")
    try:
        _offers_round_trip(engine)
    finally:
        engine.dispose()


def test_offer_handoff_counter_dropped_and_restored_on_postgresql():
    require_pg()
    database = PgDatabase()
    try:
        engine = core_db.make_engine(database.url)
        _offers_round_trip(engine)
        engine.dispose()
    finally:
        database.drop()


def test_offer_table_matches_the_model(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    core_db.import_all_models()
    engine = core_db.make_engine(f"sqlite:///{tmp_path}/m.db")
    core_db.migrate(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), core_db.Base.metadata)
    engine.dispose()
    assert [d for d in diff if "ivr_offers" in repr(d)] == []
