"""The transactions of one engine step, on a plain connection; an ORM session only when a connector asks.

A step reads (the instance row, the pending task) outside any write transaction (on SQLite with no BEGIN
at all, see engine.db; elsewhere in a read transaction that `end_read` ends before pathway code runs),
and writes in one write transaction at the end (`write`): on SQLite that is the only time it holds the
write lock, so a script that runs for seconds blocks nobody's login, booking or task. The
`UPDATE ... WHERE revision = ?` in that write decides a race (see steps.py).

An engine step needs a handful of Core statements, and an ORM Session around them costs about as much
as the statements themselves. So the step runs on a Connection from the factory's engine, and only a
connector (which gets a Session, e.g. to enqueue mail) makes the factory open one; that Session is
handed the step's transaction ("control_fully"), so it commits it, and listeners on the factory
(after_commit, ...) fire as they would with a plain `transaction(factory)`. A factory without an
Engine as its bind gets the plain session-per-step path (one transaction around everything; only
tests that bind a factory to a connection use it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from engine.db import SQLITE_BEGIN_OPTION, transaction
from engine.workflow import spiffarena_helpers


class StepTransaction:
    def __init__(self, conn: Connection, factory: sessionmaker[Session] | None = None, session: Session | None = None):
        self.conn = conn
        self._factory = factory
        self._session = session
        self._cursor: Any = None
        self._writing = False
        self._standalone = session is not None

    def cursor(self) -> Any:
        """A DBAPI cursor in this step's transaction, for the hot statements (see rawsql.py)."""
        if self._cursor is None:
            self._cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        return self._cursor

    def session(self) -> Session:
        """The ORM session of this step's transaction, opened on first use."""
        if self._session is None:
            assert self._factory is not None
            session = self._factory(bind=self.conn, join_transaction_mode="control_fully")
            session.connection()  # join the step's transaction now, so that the commit below is the session's
            self._session = session
        return self._session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A short session of its own for a lookup while pathway code runs (SpiffArena's helpers look
        people up): the step's connection holds no transaction then, and must not start one."""
        if self._standalone:
            assert self._session is not None
            yield self._session
            return
        assert self._factory is not None
        with self._factory() as session:
            yield session

    def end_read(self) -> None:
        """End the read transaction, if one is open: pathway code is about to run."""
        if self._writing:
            raise RuntimeError("pathway code may not run inside the step's write transaction")
        if self._standalone:
            return
        if self.conn.in_transaction():
            self.conn.rollback()
        else:  # reads on the driver's cursor (rawsql.py) begin at the driver only (PostgreSQL)
            self.conn.connection.driver_connection.rollback()  # type: ignore[union-attr]

    @contextmanager
    def write(self) -> Iterator[None]:
        """The step's write transaction (BEGIN IMMEDIATE on SQLite): commit on success, roll back on error."""
        if self._standalone:
            yield  # a session-per-step factory: everything already runs in its one transaction
            return
        self.end_read()
        self.conn.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        self.conn.begin()
        self._writing = True
        try:
            yield
            self._commit()
        except BaseException:
            self._rollback()
            raise
        finally:
            self._writing = False
            self.conn.execution_options(**{SQLITE_BEGIN_OPTION: "NONE"})
            if self._session is not None:
                self._session.close()
                self._session = None

    def _commit(self) -> None:
        if self._session is not None:
            self._session.commit()  # commits the connection's transaction, then runs after_commit hooks
        else:
            self.conn.commit()

    def _rollback(self) -> None:
        if self._session is not None:
            self._session.rollback()
        else:
            self.conn.rollback()


@contextmanager
def step_connection(factory: sessionmaker[Session]) -> Iterator[StepTransaction]:
    """A connection for a step's reads and its write (`write()`); nothing is left open afterwards."""
    bind = getattr(factory, "kw", {}).get("bind")
    if not isinstance(bind, Engine):
        with transaction(factory) as session:
            standalone = StepTransaction(session.connection(), session=session)
            reader = spiffarena_helpers.READER.set(standalone.read_session)
            try:
                yield standalone
            finally:
                spiffarena_helpers.READER.reset(reader)
        return
    with bind.connect() as conn:
        # Reads before the write run without BEGIN on SQLite (see engine.db): the revision check at the
        # write decides whether what was read still holds.
        conn.execution_options(**{SQLITE_BEGIN_OPTION: "NONE"})
        step = StepTransaction(conn, factory)
        reader = spiffarena_helpers.READER.set(step.read_session)
        try:
            yield step
        finally:
            spiffarena_helpers.READER.reset(reader)
            if conn.in_transaction():
                conn.rollback()
