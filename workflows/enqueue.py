"""Handing work to the background task worker from a web request (or the timer worker), after commit.

`wake(settings, name, **parameters)` returns at once: the `.delay()` call (a Prefect API request that
creates the task run) happens in one daemon thread per process, never in the request. If the API is
slow or down, the request does not notice; the work stays in its rows (outbox messages, the import,
pending conclusions) and the sweep flow (workflows/sweep.py) does it within minutes of Prefect's return.
Wakes for parameterless work ("deliver what is due") that are already waiting in the thread's queue
are dropped: one run delivers everything a burst of commits queued.

`wake_after_commit(sessions, settings)` installs the after-commit hook the web app and the timer
worker share: a transaction that queued outbox rows (engine.outbox.ENQUEUED_FLAG) wakes delivery, one
that requested a signed document (engine.conclusions.service.REQUESTED_FLAG) wakes signing.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from engine.config import Settings

log = logging.getLogger(__name__)

DELIVER_MESSAGES = "deliver-messages"
RUN_IMPORT = "run-import"
SIGN_DOCUMENTS = "sign-documents"

Wake = tuple[str, str, tuple[tuple[str, Any], ...]]  # (api url, task name, parameters)


# A hand-over that has not returned after this long is taken as stuck: the bench saw a `.delay()` call in a
# gunicorn worker not return for 30-60 s now and then, and every wake of that process waited behind it
# (mails, an import). Later wakes then go through a fresh thread; the stuck one carries on when it can.
# Wakes are "do what is due", so two threads handing over at once do nothing twice.
STUCK_SECONDS = 3.0
MAX_THREADS = 3


class _Enqueuer:
    """One thread per process that turns wakes into task runs, in order, coalescing duplicates; another
    one when that one is stuck in a hand-over (STUCK_SECONDS)."""

    def __init__(self, stuck_seconds: float = STUCK_SECONDS) -> None:
        self._queue: queue.Queue[Wake] = queue.Queue()
        self._waiting: set[Wake] = set()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._busy_since: dict[int, float] = {}  # thread id -> monotonic start of its current hand-over
        self.stuck_seconds = stuck_seconds
        self.enqueued = 0
        self.failed = 0

    def _ensure_thread(self) -> None:
        """With the lock held: a thread that is idle, or busy but not stuck, is there to take the next wake;
        otherwise one more is started (at most MAX_THREADS alive)."""
        self._threads = [t for t in self._threads if t.is_alive()]
        now = time.monotonic()
        stuck = {i for i, since in self._busy_since.items() if now - since > self.stuck_seconds}
        if any(t.ident not in stuck for t in self._threads) or len(self._threads) >= MAX_THREADS:
            return
        if self._threads:
            log.warning("a hand-over to the Prefect API has not returned for %.0f s; the next wakes go through a "
                        "new thread", now - min(self._busy_since[i] for i in stuck))
        thread = threading.Thread(target=self._run, name="carepath enqueue", daemon=True)
        thread.start()
        self._threads.append(thread)

    def submit(self, wake: Wake) -> None:
        with self._lock:
            if wake in self._waiting:
                return
            self._waiting.add(wake)
            self._ensure_thread()
        self._queue.put(wake)

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every submitted wake was handed over or given up (tests, benchmarks)."""
        done = threading.Event()
        self._queue.put(("", "", (("event", done),)))
        with self._lock:
            self._ensure_thread()
        return done.wait(timeout)

    def drain_if_started(self, timeout: float) -> None:
        """drain(), when this process ever woke anything (a process exiting: webui/gunicorn_hooks.py)."""
        if any(thread.is_alive() for thread in self._threads):
            self.drain(timeout)

    def _run(self) -> None:
        while True:
            wake = self._queue.get()
            api_url, name, parameters = wake
            if not name:  # a drain marker
                dict(parameters)["event"].set()
                continue
            me = threading.get_ident()
            with self._lock:
                self._waiting.discard(wake)
                self._busy_since[me] = time.monotonic()
            try:
                _delay(api_url, name, dict(parameters))
                self.enqueued += 1
            except Exception as exc:  # the work stays in its rows; the sweep picks it up
                self.failed += 1
                log.warning("could not enqueue %s through the Prefect API at %s (%s: %s); the sweep will "
                            "pick it up", name, api_url, exc.__class__.__name__, exc)
            finally:
                with self._lock:
                    self._busy_since.pop(me, None)


def _delay(api_url: str, name: str, parameters: dict[str, Any]) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from workflows.background import BY_NAME

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        BY_NAME[name].delay(**parameters)


ENQUEUER = _Enqueuer()
_HELD = threading.Event()


@contextmanager
def held() -> Iterator[None]:
    """Wakes inside are dropped, silently: `carepath run` loads its demo (which queues mails) before the
    Prefect server it is about to start answers, so each wake would only fail with a warning. The work
    stays in its rows; the caller wakes once Prefect is up, and the sweep would deliver it anyway."""
    _HELD.set()
    try:
        yield
    finally:
        _HELD.clear()


def wake(settings: Settings, name: str, **parameters: Any) -> bool:
    """Ask the task worker for `name` now; never raises, never waits. False: no Prefect API configured,
    or wakes are held (then only the caller's own fallback or the sweep does the work)."""
    if not settings.prefect_api_url or _HELD.is_set():
        return False
    ENQUEUER.submit((settings.prefect_api_url, name, tuple(sorted(parameters.items()))))
    return True


_WARMING: list[threading.Thread] = []


def warm_up(settings: Settings) -> None:
    """Import Prefect in a thread ahead of the first wake, so the first registration's mail does not wait
    for a second of imports."""
    if settings.prefect_api_url:
        thread = threading.Thread(target=lambda: __import__("workflows.background"), name="carepath warm-up",
                                  daemon=True)
        thread.start()
        _WARMING.append(thread)


def wait_for_warm_up(timeout: float = 60.0) -> None:
    """Before logging.config.dictConfig in a process that warmed up: dictConfig imports the classes it
    names while it holds logging's lock, and Prefect's modules take that lock while they are imported, so
    the two threads importing Prefect at once deadlocked `carepath run` at start now and then."""
    for thread in _WARMING:
        thread.join(timeout)


def wake_after_commit(sessions: sessionmaker[Session], settings: Settings) -> None:
    from engine.conclusions.service import REQUESTED_FLAG
    from engine.outbox import ENQUEUED_FLAG

    def after_commit(session: Session) -> None:
        if session.info.pop(ENQUEUED_FLAG, False):
            wake(settings, DELIVER_MESSAGES)
        if session.info.pop(REQUESTED_FLAG, False):
            wake(settings, SIGN_DOCUMENTS)

    event.listen(sessions, "after_commit", after_commit)
