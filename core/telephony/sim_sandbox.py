"""A throw-away copy of the app for ``flask simulate call``, so a simulation leaves no trace.

The copy is a fresh, migrated SQLite database in a temporary directory (copied from a
template kept in the data directory, ``simulate-template-<migrations>.db``) holding the app's
users (all signed off, no call history) and its stored secrets, served by a second app with
the same settings and the same script library, on a manual simulator clock. Nothing the
simulated caller does (calls, cases, call-backs, the caller's remembered language, agents'
presence) reaches the app's own database or a running console, and every run starts from
the same state, whatever ran before.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Engine, insert, select

from core import db
from core.models import AppSecret, Presence, User
from core.paths import data_dir


def _user_rows(source: Engine) -> list[dict[str, Any]]:
    """The app's users as they would be at the start of a quiet day: signed off, no calls."""
    table = User.__table__
    with source.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(select(table))]
    for row in rows:
        row.update(presence=Presence.OFFLINE, last_call_ended_at=None, calls_handled=0)
    return rows


def _secret_rows(source: Engine) -> list[dict[str, Any]]:
    with source.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(select(AppSecret.__table__))]


def migrations_key() -> str:
    """Changes whenever a migration file does: names the migrated template below."""
    digest = hashlib.sha256()
    for path in sorted((db.REPO_ROOT / "migrations" / "versions").glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def migrated_template(directory: Path) -> Path:
    """An empty, migrated SQLite database in the app's data directory, made once per set of
    migrations (migrating takes seconds; copying the file takes milliseconds)."""
    template = directory / f"simulate-template-{migrations_key()}.db"
    if not template.exists():
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=directory) as scratch:
            fresh = Path(scratch) / "template.db"
            engine = db.make_engine(f"sqlite:///{fresh}")
            try:
                db.migrate(engine)
            finally:
                engine.dispose()
            os.replace(fresh, template)  # atomic: a concurrent run sees all of it or none
    return template


def _seed(target: Path, source: Engine, templates: Path) -> None:
    """Copy the migrated template to ``target`` and the app's users and secrets into it."""
    shutil.copyfile(migrated_template(templates), target)
    engine = db.make_engine(f"sqlite:///{target}")
    try:
        users, secrets = _user_rows(source), _secret_rows(source)
        with engine.begin() as connection:
            if users:
                connection.execute(insert(User.__table__), users)
            if secrets:
                connection.execute(insert(AppSecret.__table__), secrets)
    finally:
        engine.dispose()


@contextmanager
def _quiet_migrations() -> Iterator[None]:
    """A fresh copy's migrations are not news: keep them out of the simulation's output."""
    migrations_log = logging.getLogger("alembic")
    level = migrations_log.level
    migrations_log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        migrations_log.setLevel(level)


def sandbox_overrides(app: Flask, directory: Path) -> dict[str, Any]:
    """The app's own settings, pointed at ``directory`` and a manual simulator clock."""
    settings = app.config["HOTLINE"].model_dump(mode="json")
    settings["database"]["url"] = f"sqlite:///{directory / 'hotline.db'}"
    settings["server"]["data_dir"] = str(directory / "data")
    settings["telephony"]["mode"] = "simulator"
    settings["telephony"]["simulator_clock"] = "manual"
    settings["scheduler"]["enabled"] = False
    return settings


@contextmanager
def throwaway_app(app: Flask) -> Iterator[Flask]:
    """A copy of ``app`` on a temporary database; removed, with everything in it, on exit.
    The copy is built by the factory that built ``app`` (``app.extensions["app_factory"]``)."""
    create_app = app.extensions["app_factory"]
    with tempfile.TemporaryDirectory(prefix="hotline-simulate-") as name:
        directory = Path(name)
        overrides = sandbox_overrides(app, directory)
        with _quiet_migrations():
            _seed(directory / "hotline.db", db.engine_of(app), data_dir(app.config["HOTLINE"]))
        with _quiet_migrations():
            copy = create_app(overrides=overrides, environ={})  # with a clock of its own
        copy.config["TESTING"] = app.config.get("TESTING", False)
        try:
            yield copy
        finally:
            _close(copy)


def _close(copy: Flask) -> None:
    sim = copy.extensions.get("simulator")
    if sim is not None:
        sim.stop()
    for stop in copy.extensions.get("hotline_stoppers", []):
        stop()
    db.engine_of(copy).dispose()
