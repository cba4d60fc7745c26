"""Flask-Limiter's storage in the application's database (engine/rate_limits.py), for several web
processes and hosts on PostgreSQL: the flood guards (login, feedback, uploads, …) count each address
once across all of them instead of once per process. create_app chooses it for a PostgreSQL database;
a single host on SQLite keeps the in-memory storage (and no extra write per limited request).

The storage finds the database through the current app, so it always counts in the database the app
itself uses.
"""

from __future__ import annotations

import time
from typing import Any

from flask import current_app
from limits.storage import Storage
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from engine import rate_limits

SCHEME = "carepath-database"
URI = f"{SCHEME}://"
# Ended windows are deleted at most this often by each process (a delete of a small table).
FORGET_EVERY_SECONDS = 600.0


class DatabaseRateStore(Storage):
    STORAGE_SCHEME = [SCHEME]  # registers the scheme with limits.storage_from_string

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._forgot_at = 0.0

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    @staticmethod
    def _sessions() -> sessionmaker[Session]:
        return current_app.extensions["carepath"].sessions

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        sessions = self._sessions()
        if time.monotonic() - self._forgot_at > FORGET_EVERY_SECONDS:
            self._forgot_at = time.monotonic()
            rate_limits.forget_ended(sessions)
        return rate_limits.hit(sessions, key, expiry, amount)

    def get(self, key: str) -> int:
        return rate_limits.hits(self._sessions(), key)

    def get_expiry(self, key: str) -> float:
        end = rate_limits.window_end(self._sessions(), key)
        return end.timestamp() if end is not None else time.time()

    def check(self) -> bool:
        try:
            with self._sessions()() as session:
                session.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        return rate_limits.clear(self._sessions())

    def clear(self, key: str) -> None:
        rate_limits.clear(self._sessions(), key)
