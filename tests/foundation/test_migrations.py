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
