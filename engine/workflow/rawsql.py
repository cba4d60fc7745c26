"""The engine step's hot statements, run on the DBAPI connection with SQL compiled once per dialect.

Why: a step runs about six small statements (load the row, its pending task, the revision UPDATE, the
index diffs, history and events). Through SQLAlchemy's Connection each costs 25-60 µs of Python around a
statement that SQLite runs in a few µs; on the driver's cursor that overhead goes. What stays the same:
the SQL is SQLAlchemy's own, compiled from the Core statements of steps.py / indexes.py for the dialect
at hand; parameters go through the same bind processors (UTC datetimes, JSON); the cursor belongs to the
step's connection, so it runs inside the step's transaction, which SQLAlchemy still begins and commits;
driver errors come out as SQLAlchemy's exception classes (OperationalError, IntegrityError...), as callers
expect. Cold paths (reading index rows on a cache miss, loading a spec) stay on SQLAlchemy.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement


class Compiled:
    __slots__ = ("sql", "names", "processors", "positional")

    def __init__(self, sql: str, names: Sequence[str], processors: dict[str, Callable[[Any], Any]], positional: bool):
        self.sql, self.names, self.processors, self.positional = sql, tuple(names), processors, positional

    def params(self, values: dict[str, Any]) -> Any:
        processors = self.processors
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
        self._lock = threading.Lock()

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
            found = Compiled(compiled.string, names, processors, positional)
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


def json_value(value: Any) -> Any:
    """A JSON column as read by the driver: text on SQLite, already parsed on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value
