"""A hand-over to the Prefect API that does not return (seen in the latency bench: a `.delay()` call in a
gunicorn worker hung 30-60 s) must not hold back the wakes after it: they go through a fresh thread."""

from __future__ import annotations

import threading
import time

from workflows import enqueue


def test_wakes_after_a_stuck_hand_over_go_through_a_fresh_thread(monkeypatch):
    release, handed = threading.Event(), []

    def delay(api_url, name, parameters):
        if name == "stuck":
            release.wait(30)  # the hung API call
        handed.append(name)

    monkeypatch.setattr(enqueue, "_delay", delay)
    enqueuer = enqueue._Enqueuer(stuck_seconds=0.2)
    enqueuer.submit(("http://api", "stuck", ()))
    time.sleep(0.4)  # the first thread is now stuck in its hand-over

    enqueuer.submit(("http://api", "deliver-messages", ()))
    deadline = time.monotonic() + 5
    while "deliver-messages" not in handed and time.monotonic() < deadline:
        time.sleep(0.01)

    assert handed == ["deliver-messages"]  # not behind the stuck one
    release.set()
    assert enqueuer.drain(5)
    time.sleep(0.1)
    assert sorted(handed) == ["deliver-messages", "stuck"]  # the stuck one finished too, once each


def test_a_busy_but_not_stuck_thread_gets_no_company(monkeypatch):
    gate = threading.Event()
    monkeypatch.setattr(enqueue, "_delay", lambda api_url, name, parameters: gate.wait(5))
    enqueuer = enqueue._Enqueuer(stuck_seconds=10)
    enqueuer.submit(("http://api", "a", ()))
    enqueuer.submit(("http://api", "b", ()))
    time.sleep(0.1)

    assert len([t for t in enqueuer._threads if t.is_alive()]) == 1
    gate.set()
    assert enqueuer.drain(5)
