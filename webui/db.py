"""One database session per request, from the engine's session factory; closed at teardown."""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session, sessionmaker


def session_factory() -> sessionmaker[Session]:
    return current_app.extensions["carepath"].sessions


def db() -> Session:
    if "db_session" not in g:
        g.db_session = session_factory()()
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()  # anything not committed explicitly by the view is dropped
        session.close()
