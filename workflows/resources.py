"""What flows share: one database engine per URL for the life of the serving process, and logging."""

from __future__ import annotations

import logging
from functools import cache

from prefect import get_run_logger
from prefect.exceptions import MissingContextError
from sqlalchemy.orm import Session, sessionmaker

from engine.db import BUSY_TIMEOUT_SECONDS, make_engine, make_session_factory

# How long background work waits for another connection's write lock (engine.db; tests shorten it).
busy_timeout = BUSY_TIMEOUT_SECONDS


@cache
def session_factory(database_url: str) -> sessionmaker[Session]:
    # Flow runs in the serve process come every few seconds; a pool kept between them saves a
    # connect (and SQLite's pragmas) per run.
    return make_session_factory(make_engine(database_url, pool_pre_ping=True, busy_timeout=busy_timeout))


def run_logger(fallback: str) -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    """The flow or task run's logger (shown in the Prefect UI), or a plain one when called via `.fn()`."""
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger(fallback)
