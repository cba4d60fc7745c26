"""The heartbeat that keeps a live worker's claims: it renews while the work runs and stops with it, and
a renewal that fails (the database away for a moment) does not stop the next ones."""

from __future__ import annotations

import threading
from datetime import timedelta

from engine.leases import Heartbeat


def test_a_heartbeat_renews_while_the_work_runs_and_not_after():
    renewed = threading.Event()
    calls: list[int] = []

    def renew() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("the database went away for a moment")
        renewed.set()

    with Heartbeat(timedelta(seconds=0.03), renew):
        assert renewed.wait(30)  # the second beat came although the first failed
    after = len(calls)
    threading.Event().wait(0.1)

    assert after >= 2 and len(calls) == after
