"""Engine, sessions and migrations.

Web requests get one session per app context (``session()``), rolled back and closed at
teardown; background jobs open their own with ``session_scope(app)`` and never reuse a
request's session (microblog's lesson).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from flask import Flask, current_app, g, has_app_context
from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool

from core import clock, events
from core.events_pg import Listener

REPO_ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Model modules: core's own, and each part's, registered by the part (``register_models``) when
# it is imported. Alembic and the tests import them all (``import_all_models``).
MODEL_MODULES = ["core.models", "core.alerts", "core.ops.models", "core.web.models"]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow(app: Flask | None = None) -> datetime:
    """Now in UTC, naive (the database stores UTC without a zone, on SQLite and PostgreSQL).

    Follows ``app``'s or the current app's clock: the simulator's virtual time when one drives the app
    (core.clock); the wall clock outside any app.
    """
    return clock.utcnow(app)


def register_models(*modules: str) -> None:
    """A part's model modules (dotted names), for Alembic and the tests; call it from the
    part's package so that importing the part registers them."""
    for name in modules:
        if name not in MODEL_MODULES:
            MODEL_MODULES.append(name)


def import_all_models() -> None:
    """Import every registered model module, so ``Base.metadata`` holds every table."""
    for name in MODEL_MODULES:
        importlib.import_module(name)


def make_engine(url: str) -> Engine:
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
    else:
        # No pre-ping: on PostgreSQL each ping is a transaction of its own (one per checkout,
        # doubling what every webhook costs the server). A connection found dead when used
        # invalidates the whole pool (SQLAlchemy's disconnect handling), and the caller's path
        # runs a webhook once more on a new connection (``ivr.views.safe``).
        kwargs["pool_size"] = 10
        kwargs["pool_recycle"] = 3600
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.close()
    return engine


def init_app(app: Flask, url: str) -> None:
    engine = make_engine(url)
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = maker = sessionmaker(bind=engine, expire_on_commit=False)
    events.install(app, maker, engine, Listener)  # what sessions publish is announced after their commit
    app.teardown_appcontext(_close_session)


def engine_of(app: Flask | None = None) -> Engine:
    return (app or current_app).extensions["db_engine"]


def session() -> Session:
    """The session of the current app context (one per request or job context)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessionmaker"]()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.rollback()
        db_session.close()


@contextmanager
def session_scope(app: Flask) -> Iterator[Session]:
    """A session of its own for a background job: committed on success, rolled back on error.

    The block runs in ``app``'s context (pushed when another app's or none is current), so what
    it reads and writes follows that app's clock (``utcnow``, column defaults) and settings."""
    with app_context_of(app):
        db_session: Session = app.extensions["db_sessionmaker"]()
        try:
            yield db_session
            db_session.commit()
        except BaseException:
            db_session.rollback()
            raise
        finally:
            db_session.close()


def app_context_of(app: Flask) -> AbstractContextManager[Any]:
    """``app``'s context, pushed unless it is the current one already (then nothing changes)."""
    if has_app_context() and current_app._get_current_object() is app:  # type: ignore[attr-defined]
        return nullcontext()
    return app.app_context()


def in_app_context(fn: Callable[..., T]) -> Callable[..., T]:
    """For work that takes the app first (``fn(app, …)``: a job, a tick, dispatch): run it in that
    app's context, so it reads that app's clock and settings wherever it is called from."""
    @functools.wraps(fn)
    def run(app: Flask, *args: Any, **kwargs: Any) -> T:
        with app_context_of(app):
            return fn(app, *args, **kwargs)
    return run


def alembic_config(url: str) -> Any:
    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine: Engine) -> None:
    """Apply every migration branch (``upgrade heads``) on this engine."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")
