"""Helpers for the hardening tests: database outages (SQLite and PostgreSQL), signed posts."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text

from tests.conftest import BACKEND, PG_ADMIN_URL


class Outage:
    """Make the app's database unavailable, then bring it back (same data).

    SQLite: the database file is moved away (after a WAL checkpoint) and the pool emptied, so
    new connections find an empty file ("no such table"). PostgreSQL: the database stops
    accepting connections (``ALLOW_CONNECTIONS false``) and the app's pool is emptied.
    """

    def __init__(self, app: Any):
        self.app = app
        self.engine = app.extensions["db_engine"]
        self.url = self.engine.url

    @property
    def sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    def _files(self) -> list[Path]:
        path = Path(self.url.database)
        return [path, Path(f"{path}-wal"), Path(f"{path}-shm")]

    def start(self) -> None:
        if self.sqlite:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            self.engine.dispose()
            for f in self._files():
                if f.exists():
                    os.replace(f, f"{f}.away")
        else:
            name = self.url.database
            admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            admin.dispose()
            # The app's pooled connections go; new ones are refused. (Other sessions — the test
            # fixtures' own engine — are left alone: terminating them would break the next test.)
            self.engine.dispose()

    def stop(self) -> None:
        self.engine.dispose()
        if self.sqlite:
            for f in self._files():
                f.unlink(missing_ok=True)
                away = Path(f"{f}.away")
                if away.exists():
                    os.replace(away, f)
        else:
            admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'ALTER DATABASE "{self.url.database}" ALLOW_CONNECTIONS true'))
            admin.dispose()
        self.engine.dispose()


@pytest.fixture
def outage(app: Any):
    o = Outage(app)
    started = []

    def start() -> Outage:
        o.start()
        started.append(True)
        return o

    o.begin = start  # type: ignore[attr-defined]
    yield o
    if started:
        try:
            o.stop()
        except Exception:  # noqa: BLE001 - already stopped by the test
            pass


class SqliteLock:
    """Another connection holding SQLite's write lock (BEGIN EXCLUSIVE)."""

    def __init__(self, app: Any):
        self.path = app.extensions["db_engine"].url.database
        self.connection: sqlite3.Connection | None = None

    def __enter__(self) -> SqliteLock:
        self.connection = sqlite3.connect(self.path, isolation_level=None, timeout=5)
        self.connection.execute("BEGIN EXCLUSIVE")
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self.connection is not None
        self.connection.execute("ROLLBACK")
        self.connection.close()


class PgTableLock:
    """Another session holding ACCESS EXCLUSIVE locks on the given tables."""

    def __init__(self, app: Any, tables: list[str]):
        self.engine = create_engine(app.extensions["db_engine"].url)
        self.tables = tables

    def __enter__(self) -> PgTableLock:
        self.connection = self.engine.connect()
        self.transaction = self.connection.begin()
        for table in self.tables:
            self.connection.execute(text(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE'))
        return self

    def __exit__(self, *exc: Any) -> None:
        self.transaction.rollback()
        self.connection.close()
        self.engine.dispose()


def db_lock(app: Any) -> Any:
    """A lock that makes the caller's path wait on the database (either backend)."""
    if BACKEND == "postgresql":
        return PgTableLock(app, ["calls", "callers", "call_events"])
    return SqliteLock(app)


def table_lock(app: Any, tables: list[str]) -> Any:
    """Another session holding the given tables (PostgreSQL) or SQLite's write lock."""
    if BACKEND == "postgresql":
        return PgTableLock(app, tables)
    return SqliteLock(app)


class LockAfterCommit:
    """Take ``lock`` just after the first commit made while serving ``path`` — the caller's
    place is stored, and the work that follows the commit (dispatch) meets a locked table."""

    def __init__(self, app: Any, path: str, lock: Any):
        self.sessions = app.extensions["db_sessionmaker"]
        self.path = path
        self.lock = lock
        self.taken = False

    def _after_commit(self, _session: Any) -> None:
        from flask import has_request_context, request

        if not self.taken and has_request_context() and request.path == self.path:
            self.taken = True
            self.lock.__enter__()

    def __enter__(self) -> LockAfterCommit:
        event.listen(self.sessions, "after_commit", self._after_commit)
        return self

    def __exit__(self, *exc: Any) -> None:
        event.remove(self.sessions, "after_commit", self._after_commit)
        if self.taken:
            self.lock.__exit__(*exc)


def kill_connection(connection: Any) -> None:
    """Kill the database connection under ``connection`` as a server restart or a proxy would."""
    dbapi = connection.connection.dbapi_connection
    if BACKEND == "postgresql":
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dbapi.info.backend_pid})
        admin.dispose()
    else:
        dbapi.close()


class ConnectionStorm:
    """Kill the app's connection under a share (``rate``) of the statements ``/ivr/`` webhooks
    run — their own transactions and the work after their commits — at places a seeded
    random choice fixes, so each run of a test meets the same storm."""

    def __init__(self, app: Any, rate: float, seed: int):
        import random

        self.engine = app.extensions["db_engine"]
        self.rate = rate
        self.random = random.Random(seed)
        self.statements = 0
        self.killed = 0

    def _before(self, connection: Any, *_args: Any) -> None:
        from flask import has_request_context, request

        if not has_request_context() or not request.path.startswith("/ivr/"):
            return
        self.statements += 1
        if self.random.random() < self.rate:
            self.killed += 1
            kill_connection(connection)

    def __enter__(self) -> ConnectionStorm:
        event.listen(self.engine, "before_cursor_execute", self._before)
        return self

    def __exit__(self, *exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)


class KillConnectionOnce:
    """Kill the app's database connection under the first statement that contains ``marker``
    while serving ``path`` (PostgreSQL: ``pg_terminate_backend``; SQLite: the DBAPI connection
    is closed) — a connection lost in the middle of a webhook's transaction."""

    def __init__(self, app: Any, path: str, marker: str):
        self.engine = app.extensions["db_engine"]
        self.path = path
        self.marker = marker.lower()
        self.killed = 0

    def _before(self, connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        from flask import has_request_context, request

        if self.killed or not has_request_context() or request.path != self.path:
            return
        if self.marker not in statement.lower():
            return
        self.killed += 1
        kill_connection(connection)

    def __enter__(self) -> KillConnectionOnce:
        event.listen(self.engine, "before_cursor_execute", self._before)
        return self

    def __exit__(self, *exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
