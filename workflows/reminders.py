"""The doctors' daily digest as a scheduled Prefect flow (engine/reminders.py has the source).

`doctor-digest` runs every half hour and queues, once per doctor per day from 08:00 in the doctor's time
zone, the count of their overdue tasks; the dedupe key keeps a second run, or two at once, from queueing
it twice. The other reminders (appointment tickets 24 hours and 10 minutes before, consultation
sessions) are due at a given minute, so the timer worker asks for them every minute
(workflows/timer_worker.py); the background task worker delivers both.
"""

from __future__ import annotations

from prefect import flow

from engine import reminders
from engine.config import load_settings
from workflows.resources import run_logger, session_factory

DIGEST_FLOW = "doctor-digest"
DIGEST_SOURCE = "doctor_digest"


@flow(name=DIGEST_FLOW)
def doctor_digest() -> dict[str, int]:
    settings = load_settings()
    report = reminders.enqueue_due(session_factory(settings.database_url), only=[DIGEST_SOURCE])
    if report.queued:
        run_logger(__name__).info("queued %d digests", report.queued)
        from workflows.background import deliver_messages

        deliver_messages.delay()  # in a flow run, so Prefect is there; the sweep would deliver them anyway
    if report.by_source.get(DIGEST_SOURCE, 0) < 0:
        run_logger(__name__).error("the digest source failed (see the log above)")
    return {"queued": report.queued, "already_queued": report.already}
