"""Background work that meets a briefly locked SQLite database is tried again soon, not at the next sweep.

SQLite has one writer at a time. A transaction that asks for the write lock up front (BEGIN IMMEDIATE,
engine.db.writing_session) waits up to busy_timeout for it; still, a burst of the web app and the demo
load writing at once can outlast that, or a read-then-write transaction can lose its snapshot and fail at
once with "database is locked". The rows are the source of truth and their claims make a second try
harmless, so the unit of work is simply run again after a short, growing delay (1, 2, 4, 8 s); only a
lock that outlasts all of them is left to the sweep (every few minutes).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy.exc import OperationalError

log = logging.getLogger(__name__)

T = TypeVar("T")

DELAYS = (1.0, 2.0, 4.0, 8.0)


# Through SQLAlchemy, or straight from the driver: engine.db emits BEGIN IMMEDIATE on the driver connection.
LOCK_ERRORS = (OperationalError, sqlite3.OperationalError)


def is_transient(exc: BaseException) -> bool:
    """SQLite's "database is locked" / "database is busy" (SQLITE_BUSY): another writer, not a fault."""
    if not isinstance(exc, LOCK_ERRORS):
        return False
    text = str(getattr(exc, "orig", None) or exc).lower()
    return "database is locked" in text or "database is busy" in text


def retry_when_locked(work: Callable[[], T], name: str, delays: Sequence[float] | None = None) -> T:
    """`work()`, run again after each delay (DELAYS) while it fails with a transient lock; any other error,
    or the lock after the last delay, goes to the caller."""
    for delay in DELAYS if delays is None else delays:
        try:
            return work()
        except LOCK_ERRORS as exc:
            if not is_transient(exc):
                raise
            log.warning("%s: the database is locked by another writer (%s); trying again in %.1f s",
                        name, getattr(exc, "orig", None) or exc, delay)
            time.sleep(delay)
    return work()
