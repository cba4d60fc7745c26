"""The timer worker: one long-lived thread in the serve process that fires BPMN timers within about a
second of their due time and queues reminders on the minute, without a flow run per tick.

It sleeps until the earliest of: the next due timer (engine.workflow.timer_claims.next_due_at), the next
minute (reminders), MAX_SLEEP. Something written meanwhile may be due sooner; it wakes early for that:
- PostgreSQL: a LISTEN connection; the due_timer table's trigger NOTIFYs at every commit that wrote
  timers (engine.workflow.models.DUE_TIMER_NOTIFY_DDL), so the wake costs nothing while nothing happens.
- SQLite has no cross-process notification; the worker looks at the one indexed query every
  POLL_SECONDS while it sleeps (tens of microseconds a look; see the README's figures). Timers written
  in this process (reminders' pathways, a fired timer's next timer) wake it at once through `wake()`.
Firing claims the due rows first (timer_claims.claim_due), so any number of workers on any number of
machines fire each timer once. The claim is a short lease (settings.claim_lease_seconds) renewed while
the batch fires, so a worker that dies holding timers delays them by one lease at most.

Reminders (engine/reminders.py: tickets 24 h and 10 min before, consultation sessions) are asked for
what is due at each minute, so a "10 minutes before" reminder goes at that minute; each is queued under
its dedupe key, so two workers, or a rerun, queue nothing twice. The doctors' digest is a scheduled
flow instead (workflows/reminders.py).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from engine.clock import now as clock_now
from engine.config import Settings
from engine.leases import Heartbeat
from engine.reminders import EnqueueReport
from engine.workflow.timer_claims import BATCH, claim_due, next_due_at, release, renew

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
MAX_SLEEP = 60.0
# Started a hair after the minute, so a reminder due at hh:mm:00 is due when asked.
REMINDER_OFFSET = timedelta(milliseconds=200)


class TimerWorker:
    def __init__(self, settings: Settings, *, reminders: bool = True, poll_seconds: float = POLL_SECONDS) -> None:
        from engine.composition import build_connectors
        from workflows.enqueue import wake_after_commit
        from workflows.resources import session_factory

        self.settings = settings
        self.sessions = session_factory(settings.database_url)
        self.connectors = build_connectors(settings)
        self.reminders = reminders
        self.poll_seconds = poll_seconds
        self.lease = timedelta(seconds=settings.claim_lease_seconds)
        self.fired = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._postgres = settings.database_url.startswith("postgresql")
        self._listening = False  # a LISTEN connection is up (PostgreSQL)
        self._next_reminders: datetime | None = None
        wake_after_commit(self.sessions, settings)

    # --- the loop ------------------------------------------------------------------------------------

    def run(self) -> None:
        """Fire and sleep until stopped (the serve process runs this in a daemon thread)."""
        if self._postgres:
            threading.Thread(target=self._listen, name="timer worker listen", daemon=True).start()
        while not self._stop.is_set():
            try:
                self.fire_due()
                self.queue_reminders()
                self._sleep()
            except Exception:  # the database was away, a pathway broke: log, breathe, go on
                log.exception("timer worker round failed")
                self._stop.wait(5)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="timer worker", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    def fire_due(self) -> int:
        """Claim and fire every due timer, batch after batch; returns how many instances were stepped."""

        total = 0
        while not self._stop.is_set():
            instance_ids, until = claim_due(self.sessions, lease=self.lease)
            if not instance_ids:
                break
            fired, lost = self._fire_claimed(instance_ids, until)
            total += fired
            if len(instance_ids) < BATCH or (fired == 0 and lost):
                break
        self.fired += total
        return total

    def _fire_claimed(self, instance_ids: list[int], until: datetime) -> tuple[int, list[int]]:
        """Step the claimed instances while a heartbeat keeps the claim; then give back at once the rows
        still claimed (timers that did not fire here)."""
        from engine.workflow.events import fire_instances

        held = [until]

        def keep() -> None:
            held[0] = renew(self.sessions, instance_ids, held[0], self.lease)

        with Heartbeat(self.lease, keep, "timer claims"):
            result = fire_instances(self.sessions, instance_ids, self.connectors)
        release(self.sessions, instance_ids, held[0])
        return result

    def queue_reminders(self) -> EnqueueReport | None:
        """Once a minute: queue the reminders that are due (None: not yet time to ask)."""
        if not self.reminders:
            return None
        moment = clock_now()
        if self._next_reminders is not None and moment < self._next_reminders:
            return None
        self._next_reminders = moment.replace(second=0, microsecond=0) + timedelta(minutes=1) + REMINDER_OFFSET
        from engine import reminders
        from workflows.reminders import DIGEST_SOURCE

        report = reminders.enqueue_due(self.sessions, now=moment,
                                       only=[n for n in reminders.load_sources() if n != DIGEST_SOURCE])
        if report.queued:
            log.info("queued %d reminders: %s", report.queued, report.by_source)
        return report

    # --- sleeping ------------------------------------------------------------------------------------

    def _deadline(self) -> float:
        """Seconds from now until the next thing to do (never negative, at most MAX_SLEEP)."""
        moment = clock_now()
        candidates = [moment + timedelta(seconds=MAX_SLEEP)]
        due = next_due_at(self.sessions, moment)
        if due is not None:
            candidates.append(due)
        if self.reminders and self._next_reminders is not None:
            candidates.append(self._next_reminders)
        return max(0.0, (min(candidates) - moment).total_seconds())

    def _sleep(self) -> None:
        wait = self._deadline()
        if wait <= 0:
            # Something is due but could not be claimed (held by another worker, an instance that stopped
            # waiting meanwhile): do not spin on it.
            self._stop.wait(min(self.poll_seconds, 1.0))
            return
        end = time.monotonic() + wait
        while not self._stop.is_set():
            left = end - time.monotonic()
            if left <= 0:
                return
            if self._listening:
                # The listener sets _wake on NOTIFY; then the deadline is worked out afresh.
                if self._wake.wait(min(left, MAX_SLEEP)):
                    self._wake.clear()
                return
            if self._wake.wait(min(left, self.poll_seconds)):
                self._wake.clear()
                return
            due = next_due_at(self.sessions)
            if due is not None and due <= clock_now() + timedelta(seconds=left):
                # An earlier timer appeared (written by the web app): sleep towards it instead.
                end = time.monotonic() + max(0.0, (due - clock_now()).total_seconds())

    def _listen(self) -> None:
        """PostgreSQL: wake the loop whenever a transaction wrote due timers; reconnect if the link drops."""
        import psycopg

        from engine.workflow.models import DUE_TIMER_CHANNEL

        url = self.settings.database_url.replace("postgresql+psycopg://", "postgresql://")
        while not self._stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as connection:
                    connection.execute(f"LISTEN {DUE_TIMER_CHANNEL}")
                    self._listening = True
                    self._wake.set()  # anything written while we were not listening
                    while not self._stop.is_set():
                        for _notice in connection.notifies(timeout=MAX_SLEEP, stop_after=1):
                            self._wake.set()
            except Exception as exc:
                self._listening = False
                log.warning("timer worker lost its PostgreSQL LISTEN connection (%s); polling until it is back", exc)
                self._stop.wait(5)
