"""The engine step's hot statements, run on the DBAPI connection with SQL compiled once per dialect.

Why: a step runs about six small statements (load the row, its pending task, the revision UPDATE, the
index diffs, history and events). Through SQLAlchemy's Connection each costs 25-60 µs of Python around a
statement that SQLite runs in a few µs; on the driver's cursor that overhead goes. What stays the same:
the SQL is SQLAlchemy's own, compiled from the Core statements of steps.py / indexes.py for the dialect
at hand; parameters go through the same bind processors (UTC datetimes, JSON) and rows read by
`fetch_all` through the same result processors; the cursor belongs to the step's connection, so it runs
inside the step's transaction, which SQLAlchemy still begins and commits; driver errors come out as
SQLAlchemy's exception classes (OperationalError, IntegrityError...), as callers expect. Loading a spec
(once per version and process) stays on SQLAlchemy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement


class Compiled:
    __slots__ = ("sql", "names", "processors", "positional", "constants")

    def __init__(
        self, sql: str, names: Sequence[str], processors: dict[str, Callable[[Any], Any]], positional: bool,
        constants: dict[str, Any],
    ) -> None:  # fmt: skip
        self.sql, self.names, self.processors, self.positional = sql, tuple(names), processors, positional
        self.constants = constants  # parameters the statement itself gives a value, e.g. LIMIT 1

    def params(self, values: dict[str, Any]) -> Any:
        processors = self.processors
        if self.constants:
            values = {**self.constants, **values}
        if self.positional:
            return tuple(
                processors[n](values[n]) if n in processors else values[n] for n in self.names
            )
        return {n: (processors[n](values[n]) if n in processors else values[n]) for n in self.names}


class Statement:
    """A Core statement, compiled on first use per dialect (and, for an INSERT, per set of keys)."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[Any, Compiled] = {}
        self._result_processors: dict[str, list[Callable[[Any], Any] | None]] = {}
        self._lock = threading.Lock()

    def result_processors(self, conn: Connection) -> list[Callable[[Any], Any] | None]:
        """Per selected column, what SQLAlchemy applies to a value read (e.g. UTC datetimes), or None."""
        dialect = conn.dialect
        found = self._result_processors.get(dialect.name)
        if found is None:
            columns = self.statement.selected_columns  # type: ignore[attr-defined]
            found = [column.type._cached_result_processor(dialect, None) for column in columns]
            with self._lock:
                self._result_processors[dialect.name] = found
        return found

    def compiled(self, conn: Connection, keys: tuple[str, ...] | None) -> Compiled:
        dialect = conn.dialect
        key = (dialect.name, dialect.paramstyle, keys)
        found = self._compiled.get(key)
        if found is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=list(keys) if keys else None)
            processors = dict(compiled._bind_processors)  # type: ignore[attr-defined]
            if compiled.positiontup is not None:
                names, positional = compiled.positiontup, True
            else:
                names, positional = list(compiled.binds), False
            constants = {
                name: bind.effective_value for name, bind in compiled.binds.items() if name in names and not bind.required
            }
            found = Compiled(compiled.string, names, processors, positional, constants)
            with self._lock:
                self._compiled[key] = found
        return found


def cursor(conn: Connection) -> Any:
    """A DBAPI cursor of the connection's current transaction."""
    return conn.connection.driver_connection.cursor()  # type: ignore[union-attr]


def run(conn: Connection, cur: Any, statement: Statement, values: dict[str, Any] | list[dict[str, Any]], insert_keys: bool = False) -> Any:
    """Execute with one dict of values, or many (executemany); returns the cursor."""
    many = isinstance(values, list)
    first = values[0] if many else values
    compiled = statement.compiled(conn, tuple(first) if insert_keys else None)  # type: ignore[arg-type]
    try:
        if many:
            cur.executemany(compiled.sql, [compiled.params(v) for v in values])  # type: ignore[union-attr]
        else:
            cur.execute(compiled.sql, compiled.params(values))  # type: ignore[arg-type]
    except conn.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(
            compiled.sql, values, exc, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
        ) from exc
    return cur


def fetch_all(conn: Connection, cur: Any, statement: Statement, values: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Run a SELECT and return its rows with the values as SQLAlchemy would give them."""
    rows = run(conn, cur, statement, values).fetchall()
    processors = statement.result_processors(conn)
    if not any(processors):
        return [tuple(row) for row in rows]
    return [tuple(v if p is None else p(v) for p, v in zip(processors, row, strict=True)) for row in rows]

