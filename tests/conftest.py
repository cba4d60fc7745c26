"""Shared fixtures: a real database per test (SQLite file, and PostgreSQL where it answers), a test clock."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

# Deploy checks that every form renders with the check the forms package installs when imported; every
# process that deploys imports it (engine.workflow.validation.install_form_check), and so do the tests,
# whichever of them runs first.
import forms  # noqa: F401, E402
from engine import clock as clock_module
from engine.db import Base, create_all, make_engine, make_session_factory
from engine.workflow import serialization, stepping

# Every engine step of every test also asks SpiffWorkflow's own tree iterator which tasks are ready, and
# fails on any difference in set or order (see engine/workflow/stepping.py).
stepping.CHECK_AGAINST_ITERATOR = True
# ... and every state written or read is also built by SpiffWorkflow's own task converter: the same, or fail.
serialization.CHECK_AGAINST_STOCK = True

POSTGRES_URL = os.environ.get("CAREPATH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_answers() -> str | None:
    """None when PostgreSQL is usable, else the reason to skip."""
    try:
        probe = make_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with probe.connect() as conn:
            conn.execute(text("select 1"))
        probe.dispose()
        return None
    except Exception as exc:  # any failure to connect means: skip, with the reason
        return f"PostgreSQL at {POSTGRES_URL} does not answer: {exc.__class__.__name__}"


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    reason = _postgres_answers()
    if reason:
        pytest.skip(reason)
    # A schema of our own per test session, so parallel runs and leftovers never collide.
    schema = f"carepath_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"}, pool_size=20)
    create_all(engine)
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _empty_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        if names:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgres"])
def db_engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    """The same test on a fresh SQLite file and on PostgreSQL (skipped with the reason if it is down)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'test.sqlite3'}")
        create_all(engine)
        yield engine
        engine.dispose()
    else:
        engine = request.getfixturevalue("postgres_engine")
        _empty_tables(engine)
        yield engine


@pytest.fixture
def sqlite_engine(tmp_path) -> Iterator[Engine]:
    """SQLite only, for tests whose subject is not the database."""
    engine = make_engine(f"sqlite:///{tmp_path / 'test.sqlite3'}")
    create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(db_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(db_engine)


@pytest.fixture
def clock() -> Iterator[clock_module.TestClock]:
    test_clock = clock_module.TestClock()
    clock_module.use(test_clock)
    yield test_clock
    clock_module.reset()
