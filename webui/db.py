"""One database session per request, from the engine's session factory; closed at teardown."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import current_app, g, has_request_context, request
from sqlalchemy.orm import Session, sessionmaker

from engine.db import writing_session


def session_factory() -> sessionmaker[Session]:
    return current_app.extensions["carepath"].sessions


def db() -> Session:
    if "db_session" not in g:
        factory = session_factory()
        g.db_session = writing_session(factory) if _writes_at_once() else factory()
    return g.db_session


# A request that reads, then writes in its one session (registration: is the email free? then the new
# account) cannot upgrade SQLite's deferred transaction while other writers commit: it fails at once with
# "database is locked" and busy_timeout does not help; under twenty people at once even the retry of
# webui/__init__.py lost three times in a row. Views marked @writes_at_once take the write lock at their
# first statement instead (BEGIN IMMEDIATE) and wait their turn under busy_timeout, for POST (PUT, PATCH,
# DELETE) requests only: their GET pages read without a lock as before. Whatever touches the database first
# (the login manager loading the user, a before-request hook) opens the session, so the mark is looked up
# on the request's view rather than set by it. For views whose writes go through this session only: an
# engine step or anything else opening its own writing session in the same thread would wait on this
# request's lock; and slow work (a password hash) belongs before the first statement.
WRITES_AT_ONCE = "carepath_writes_at_once"
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
View = TypeVar("View", bound=Callable[..., object])


def writes_at_once(view: View) -> View:
    setattr(view, WRITES_AT_ONCE, True)
    return view


def _writes_at_once() -> bool:
    if not has_request_context() or request.method in READING_METHODS or request.endpoint is None:
        return False
    return bool(getattr(current_app.view_functions.get(request.endpoint), WRITES_AT_ONCE, False))


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()  # anything not committed explicitly by the view is dropped
        session.close()
