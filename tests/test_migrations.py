"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

import engine.models  # noqa: F401
from engine.db import Base, make_engine
from engine.schema import upgrade
from tests.conftest import POSTGRES_URL, _postgres_answers


def differences(url: str, **engine_kwargs: object) -> list[object]:
    bind = make_engine(url, **engine_kwargs)
    with bind.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    bind.dispose()
    return diff


def test_migrations_build_the_models_schema_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    upgrade(url)
    upgrade(url)  # running it again on an up-to-date database changes nothing
    assert differences(url) == []


def test_migrations_build_the_models_schema_on_postgresql():
    reason = _postgres_answers()
    if reason:
        pytest.skip(reason)
    schema = f"carepath_mig_{uuid.uuid4().hex[:8]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = POSTGRES_URL + ("&" if "?" in POSTGRES_URL else "?") + f"options=-csearch_path%3D{schema}"
    try:
        upgrade(url)
        assert differences(url) == []
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
