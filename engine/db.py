"""Database plumbing: one declarative Base for every model, engines for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial

from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

# The largest id an Integer column holds on PostgreSQL (SQLite's limit is 2**63 - 1; a bigger number there
# raised OverflowError). Ids arriving from outside (URLs, API bodies) are checked against it.
ID_MAX = 2**31 - 1

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value if value.tzinfo else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# How long a SQLite statement waits for another connection's write lock before "database is locked".
# Background work (signing, delivery, imports) waits this long; the web app waits less (webui/__init__.py)
# so that a request is answered before gunicorn's --timeout kills its worker.
BUSY_TIMEOUT_SECONDS = 30.0


def make_engine(url: str, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS, **kwargs: object) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": busy_timeout, "check_same_thread": False})
    engine = create_engine(url, **kwargs)  # type: ignore[arg-type]
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", partial(_sqlite_pragmas, busy_ms=int(busy_timeout * 1000)))
        # pysqlite's own transaction handling defers BEGIN; emit it ourselves so that
        # "BEGIN IMMEDIATE" style locking and revision checks behave as on PostgreSQL. A plain (deferred)
        # BEGIN, not IMMEDIATE: the web layer nests sessions in one thread. Sent on the driver connection:
        # through SQLAlchemy's execute it cost several times what SQLite takes (every engine step pays it).
        event.listen(engine, "begin", _sqlite_begin)
    return engine


# A connection that reads and then writes in one transaction may ask for the write lock up front with
# `conn.execution_options(sqlite_begin="IMMEDIATE")` (engine steps do): in WAL mode a deferred transaction
# whose snapshot went stale cannot write and fails at once, while an immediate one waits its turn.
SQLITE_BEGIN_OPTION = "sqlite_begin"


# `sqlite_begin="NONE"`: emit no BEGIN at all, each statement reads in its own implicit transaction (an
# engine step's reads before pathway code runs: nothing to end afterwards, and two statements fewer).
def _sqlite_begin(conn: Connection) -> None:
    option = conn.get_execution_options().get(SQLITE_BEGIN_OPTION)
    if option == "NONE":
        return
    mode = "IMMEDIATE" if option == "IMMEDIATE" else ""
    conn.connection.driver_connection.execute(f"BEGIN {mode}")  # type: ignore[union-attr]


def _sqlite_pragmas(dbapi_connection: object, _record: object, *, busy_ms: int) -> None:
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms:d}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def writing_session(factory: sessionmaker[Session]) -> Session:
    """A session whose transactions take SQLite's write lock at their first statement (BEGIN IMMEDIATE;
    PostgreSQL ignores it): for work that reads, then writes, beside other writers."""
    return factory(bind=factory.kw["bind"].execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"}))


@contextmanager
def transaction(factory: sessionmaker[Session], *, immediate: bool = False) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception. `immediate`: see writing_session."""
    session = writing_session(factory) if immediate else factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def create_all(bind: Engine) -> None:
    """Create every table (tests); real databases go through Alembic migrations."""
    import engine.models  # noqa: F401  registers every model on Base.metadata

    Base.metadata.create_all(bind)
