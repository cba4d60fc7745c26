"""One database session per request, from the engine's session factory; closed at teardown."""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session, sessionmaker

from engine.db import SQLITE_BEGIN_OPTION


def session_factory() -> sessionmaker[Session]:
    return current_app.extensions["carepath"].sessions


def db() -> Session:
    if "db_session" not in g:
        factory = session_factory()
        if g.get("db_writes_at_once"):
            # The engine's connections then start with BEGIN IMMEDIATE on SQLite (PostgreSQL ignores it).
            bind = factory.kw["bind"].execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
            g.db_session = factory(bind=bind)
        else:
            g.db_session = factory()
    return g.db_session


# A request that reads, then writes in its one session (registration: is the email free? then the new
# account) cannot upgrade SQLite's deferred transaction while other writers commit: it fails at once with
# "database is locked" and busy_timeout does not help; under twenty people at once even the retry of
# webui/__init__.py lost three times in a row. Such a request takes the write lock at its first statement
# instead and waits its turn (busy_timeout). Only for requests that open no other writing session of their
# own in the same thread (an engine step would then wait on this request's lock).
def writes_at_once() -> None:
    if "db_session" in g:
        raise RuntimeError("writes_at_once() must come before the request's first database use")
    g.db_writes_at_once = True


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()  # anything not committed explicitly by the view is dropped
        session.close()
