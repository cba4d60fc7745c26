"""Background work beside another writer holding SQLite's write lock (the first start: the demo load and the
web app writing while the serve process picks up the waiting work): the work is done once, as soon as the
lock is released, not at the next sweep."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

import pytest
from sqlalchemy.engine import make_url

from engine.conclusions.models import RENDERED, Conclusion
from integrations.mailbox import Mailbox
from tests.conclusions.test_flow import request_one
from workflows import resources, sweep, transient
from workflows.resources import session_factory

HOLD_SECONDS = 3.0


class WriteLockHolder(threading.Thread):
    """Another connection in a write transaction for `seconds`, which it then commits: a transaction that
    read before that commit and writes after it cannot write on its stale snapshot ("database is locked" at
    once, whatever the busy timeout), the failure of the first start."""

    def __init__(self, database_url: str, seconds: float) -> None:
        super().__init__(daemon=True)
        self.path, self.seconds = make_url(database_url).database, seconds
        self.holding, self.released = threading.Event(), threading.Event()

    def run(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None)
        try:
            connection.execute("CREATE TABLE IF NOT EXISTS lock_holder (x INTEGER)")
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO lock_holder VALUES (1)")
            self.holding.set()
            time.sleep(self.seconds)
            connection.execute("COMMIT")
        finally:
            self.released.set()
            connection.close()


def pick_up_beside(settings, holder: WriteLockHolder) -> dict[str, object]:
    holder.start()
    assert holder.holding.wait(10)
    try:
        return sweep.pick_up(settings)
    finally:
        holder.join()


def assert_signed_and_mailed_once(settings, conclusion_id: int) -> None:
    with session_factory(settings.database_url)() as session:
        assert session.get(Conclusion, conclusion_id).status == RENDERED
    [entry] = Mailbox(settings.mailbox_path).list_messages()
    assert entry.subject == f"Заключение врача № {conclusion_id} готово"


@pytest.mark.xfail(strict=True, reason="signing and the outbox claim are back on deferred transactions: with "
                   "BEGIN IMMEDIATE there, tests/registry/test_runaway_neighbour.py failed after tests/conclusions "
                   "in the same process (cause not yet found); a lock is now met and retried (the test below)")
def test_the_pick_up_waits_for_a_write_lock_held_for_seconds_and_does_the_work_once(instance, caplog):
    conclusion_id = request_one(instance)

    with caplog.at_level(logging.WARNING, logger=transient.__name__):
        result = pick_up_beside(instance, WriteLockHolder(instance.database_url, HOLD_SECONDS))

    # Its writes asked for the write lock up front and waited for it (busy_timeout): nothing failed.
    assert not [r.getMessage() for r in caplog.records]
    assert result["documents"] == 1
    assert result["outbox"]["sent"] == 1
    assert_signed_and_mailed_once(instance, conclusion_id)
    assert sweep.pick_up(instance) == {"documents": 0, "imports": {}, "outbox": {"sent": 0, "retried": 0, "failed": 0}}


def test_a_lock_longer_than_the_busy_timeout_is_tried_again_soon_not_left_to_the_sweep(instance, monkeypatch, caplog):
    # The lock outlasts the wait of every statement: each unit fails with "database is locked" and is
    # run again after a short delay, until the lock is released.
    monkeypatch.setattr(resources, "busy_timeout", 0.2)
    monkeypatch.setattr(transient, "DELAYS", (0.5, 1.0, 2.0, 4.0, 8.0))
    conclusion_id = request_one(instance)
    holder = WriteLockHolder(instance.database_url, HOLD_SECONDS)

    with caplog.at_level(logging.WARNING, logger=transient.__name__):
        result = pick_up_beside(instance, holder)

    assert any("database is locked" in r.getMessage() for r in caplog.records)
    assert result["documents"] == 1
    assert result["outbox"]["sent"] == 1
    assert_signed_and_mailed_once(instance, conclusion_id)
