"""Reminders and the doctors' daily digest as Prefect flows (engine/reminders.py has the sources).

`send-reminders` runs every minute: every registered source (appointment tickets 24 hours and 10
minutes before, consultation sessions once their package registers) is asked for what is due, and each
reminder is queued in the outbox under its dedupe key, so a second run, or two at once, queue nothing
twice. `doctor-digest` runs every half hour and queues, once per doctor per day from 08:00 in the
doctor's time zone, the count of their overdue tasks. The outbox deployment delivers both.
"""

from __future__ import annotations

from prefect import flow

from engine import reminders
from engine.config import load_settings
from workflows.resources import run_logger, session_factory

REMINDERS_FLOW = "send-reminders"
DIGEST_FLOW = "doctor-digest"
DIGEST_SOURCE = "doctor_digest"


def _run(only: list[str] | None) -> dict[str, int]:
    settings = load_settings()
    report = reminders.enqueue_due(session_factory(settings.database_url), only=only)
    if report.queued:
        run_logger(__name__).info("queued %d reminders: %s", report.queued, report.by_source)
    failed = [name for name, n in report.by_source.items() if n < 0]
    if failed:
        run_logger(__name__).error("reminder sources failed: %s (see the log above)", ", ".join(failed))
    return {"queued": report.queued, "already_queued": report.already}


@flow(name=REMINDERS_FLOW)
def send_reminders() -> dict[str, int]:
    return _run([name for name in reminders.load_sources() if name != DIGEST_SOURCE])


@flow(name=DIGEST_FLOW)
def doctor_digest() -> dict[str, int]:
    return _run([DIGEST_SOURCE])
