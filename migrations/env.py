"""Alembic environment: Hotline's metadata, every part's models, one connection.

Run by start-up (``core.db.migrate``), or by hand:
``HOTLINE_DATABASE_URL=... alembic upgrade heads``.
"""

from alembic import context
from sqlalchemy import engine_from_config, pool

import app  # noqa: F401 - importing the parts registers their model modules (core.db.register_models)
from core.db import Base, import_all_models

import_all_models()
config = context.config
target_metadata = Base.metadata


def _configure_and_run(connection):
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    if not config.get_main_option("sqlalchemy.url"):
        from core.config import load_settings
        from core.paths import database_url

        config.set_main_option("sqlalchemy.url", database_url(load_settings()).replace("%", "%%"))
    engine = engine_from_config(config.get_section(config.config_ini_section, {}),
                                prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        _configure_and_run(connection)
        connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
