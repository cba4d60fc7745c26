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


def test_console_logging_waits_for_the_warm_up_import(monkeypatch, tmp_path):
    """dictConfig imports the classes it names under logging's lock while Prefect's modules take that lock
    as they are imported: `carepath run` deadlocked at start when the warm-up thread was still importing
    Prefect. The logging set-up now waits for it."""
    from engine.config import load_settings
    from workflows import prefect_env

    settings = load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path)})
    importing = threading.Event()

    def slow_import():
        importing.set()
        time.sleep(0.5)

    warm = threading.Thread(target=slow_import, daemon=True)
    monkeypatch.setattr(enqueue, "_WARMING", [warm])
    monkeypatch.setattr(prefect_env, "console_logging", lambda s: {"version": 1, "incremental": True})
    warm.start()
    importing.wait(5)

    prefect_env.use_console_logging(settings)

    assert not warm.is_alive()  # the set-up began only after the import had finished
