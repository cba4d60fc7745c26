"""Alembic environment: the URL comes from the caller's config, the schema from our models."""

from __future__ import annotations

from typing import Any

from alembic import context

import engine.models  # noqa: F401  registers every table
from engine.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        connectable = make_engine(config.get_main_option("sqlalchemy.url"))
        with connectable.connect() as connection:
            _run(connection)
    else:
        _run(connectable)


def _run(connection: Any) -> None:
    # Batch mode lets SQLite alter tables by copying them, so one migration works on both databases. The
    # copy drops the old table, which foreign keys from rows of other tables forbid: SQLite's own advice
    # is to switch them off around such a change (the pragma only takes effect outside a transaction).
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _foreign_keys(connection, "OFF")
    try:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if sqlite:
            _foreign_keys(connection, "ON")


def _foreign_keys(connection: Any, state: str) -> None:
    if connection.in_transaction():
        connection.commit()
    # On the driver's connection: SQLAlchemy would first emit the BEGIN of engine.db's SQLite recipe.
    connection.connection.driver_connection.execute(f"PRAGMA foreign_keys={state}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
