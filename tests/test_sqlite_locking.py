"""SQLite transactions: deferred by default (the web layer nests sessions in one thread), immediate when a
connection asks for it (engine steps read, then write)."""

from __future__ import annotations

import sqlite3

import pytest

from engine.db import SQLITE_BEGIN_OPTION, make_engine


def other_writer_can_start(path) -> bool:
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


@pytest.mark.parametrize(("options", "holds_write_lock"), [({}, False), ({SQLITE_BEGIN_OPTION: "IMMEDIATE"}, True)])
def test_a_connection_takes_the_write_lock_at_begin_only_when_asked(tmp_path, options, holds_write_lock):
    path = tmp_path / "lock.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        conn.commit()
        conn.execution_options(**options)
        conn.begin()
        conn.exec_driver_sql("SELECT count(*) FROM t").scalar()
        assert other_writer_can_start(path) is not holds_write_lock
        conn.rollback()
    engine.dispose()
