"""Shared fixtures: a migrated database per test, the app, signed Twilio requests, the simulator.

Backends: SQLite by default; ``HOTLINE_TEST_BACKEND=postgresql`` runs the same tests on the
PostgreSQL server (``HOTLINE_TEST_PG_URL``, default the machine's 127.0.0.1:5432/test). With
``CI=true`` an unreachable PostgreSQL fails instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from twilio.request_validator import RequestValidator

from core import db as core_db

pytest_plugins = ["tests.browser"]  # the live / browser fixtures of the browser tests

PUBLIC_URL = "https://hotline.test"
PG_ADMIN_URL = os.environ.get("HOTLINE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKEND = os.environ.get("HOTLINE_TEST_BACKEND", "sqlite")
IN_CI = os.environ.get("CI", "").lower() == "true"


def pg_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL)
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def require_pg() -> None:
    if not pg_available():
        if IN_CI:
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL} (CI=true: this is a failure)")
        pytest.skip("PostgreSQL is not reachable")


class PgDatabase:
    """A throw-away database on the PostgreSQL server, migrated once, truncated per test."""

    def __init__(self) -> None:
        self.name = f"hotline_test_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        admin.dispose()
        self.url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{self.name}"
        self._engine: Any = None
        engine = core_db.make_engine(self.url)
        core_db.migrate(engine)
        with engine.connect() as connection:
            self.tables = [row[0] for row in connection.execute(text(
                "select tablename from pg_tables where schemaname='public' and tablename <> 'alembic_version'"))]
        engine.dispose()

    def truncate(self) -> None:
        """Empty every table and restart ids: DELETE in foreign-key order (50x faster than
        TRUNCATE on small tables) plus a sequence reset, in one transaction."""
        from core.db import Base, import_all_models

        import_all_models()
        if self._engine is None:
            self._engine = create_engine(self.url)
        ordered = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name in self.tables]
        others = [t for t in self.tables if t not in ordered]  # e.g. APScheduler's job store
        with self._engine.begin() as connection:
            for name in others + ordered:
                connection.execute(text(f'DELETE FROM "{name}"'))
            connection.execute(text(
                "SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S'"))

    def drop(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "hotline.db"
    engine = core_db.make_engine(f"sqlite:///{path}")
    core_db.migrate(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[PgDatabase]:
    require_pg()
    database = PgDatabase()
    yield database
    database.drop()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if BACKEND == "postgresql":
        database: PgDatabase = request.getfixturevalue("pg_database")
        database.truncate()
        return database.url
    template: Path = request.getfixturevalue("sqlite_template")
    target = tmp_path / "hotline.db"
    shutil.copy(template, target)
    return f"sqlite:///{target}"


def base_overrides(tmp_path: Path, database_url: str) -> dict[str, Any]:
    return {
        "server": {"public_url": PUBLIC_URL, "data_dir": str(tmp_path / "data"), "secret_key": "test-key"},
        "database": {"url": database_url},
        "telephony": {"mode": "simulator", "simulator_clock": "manual", "simulator_calls_per_second": 1000},
        "hours": {"open": "00:00-24:00"},
        "scheduler": {"enabled": False},
    }


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    """Override in a test module to change settings (deep-merged into the test defaults)."""
    return {}


@pytest.fixture
def make_app(tmp_path: Path, database_url: str) -> Callable[..., Any]:
    from app import create_app

    created = []

    def factory(overrides: dict[str, Any] | None = None) -> Any:
        from core.config import _deep_merge

        app = create_app(overrides=_deep_merge(base_overrides(tmp_path, database_url), overrides or {}),
                         environ={})
        app.config["TESTING"] = True
        created.append(app)
        return app

    yield factory
    for app in created:
        sim = app.extensions.get("simulator")
        if sim is not None:
            sim.stop()
        for stop in app.extensions.get("hotline_stoppers", []):
            stop()
        app.extensions["db_engine"].dispose()


@pytest.fixture
def app(make_app: Callable[..., Any], app_overrides: dict[str, Any]) -> Any:
    return make_app(app_overrides)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def runner(app: Any) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def db(app: Any) -> Iterator[Any]:
    """A session of the test's own (not a request's)."""
    session = app.extensions["db_sessionmaker"]()
    yield session
    session.close()


@pytest.fixture
def sim(app: Any) -> Any:
    return app.extensions["simulator"]


def sign(app: Any, url: str, form: dict[str, str]) -> str:
    return RequestValidator(app.config["TWILIO_AUTH_TOKEN"]).compute_signature(url, form)


def twilio_form(app: Any, **form: Any) -> dict[str, str]:
    """Twilio's standard voice parameters, overridable."""
    params = {
        "CallSid": "CA" + uuid.uuid4().hex,
        "AccountSid": app.config["TWILIO_ACCOUNT_SID"],
        "From": "+8613812345678",
        "To": app.config["HOTLINE"].telephony.caller_id,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }
    params.update({k: str(v) for k, v in form.items()})
    return params


@pytest.fixture
def twilio_post(app: Any, client: Any) -> Callable[..., Any]:
    """POST a form to an /ivr/ path signed exactly as Twilio signs it; returns once the
    webhook's deferred follow-up work is done too."""
    from core.ops import drain

    def post(path: str, **form: Any) -> Any:
        params = twilio_form(app, **form)
        signature = sign(app, PUBLIC_URL + path, params)
        response = client.post(path, data=params, headers={"X-Twilio-Signature": signature},
                               base_url=PUBLIC_URL)
        drain(app, 30)  # the webhook's work after the response (dispatch, placing calls) is done
        return response

    return post


@pytest.fixture
def make_user(app: Any) -> Callable[..., Any]:
    """make_user("alice", role="agent", ...) → (user, token); one line makes a realistic user."""
    from core.db import session_scope
    from core.users import create_user

    def factory(name: str, role: str = "agent", **kwargs: Any) -> tuple[Any, str]:
        with session_scope(app) as s:
            user, token, _ = create_user(s, name, role, kwargs.pop("password", "password123"), **kwargs)
            for key, value in kwargs.items():
                setattr(user, key, value)
        return user, token

    return factory
