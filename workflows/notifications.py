"""Outbox delivery in this process: what the `deliver-messages` background task (workflows/background.py)
and the sweep flow (workflows/sweep.py) run, and `carepath` development commands call directly."""

from __future__ import annotations

from datetime import timedelta

from engine.config import Settings
from engine.outbox import DEFAULT_BATCH, DeliveryReport, deliver_due
from integrations.courier import courier_for
from workflows.resources import session_factory

# A run stops after this many full batches and leaves the rest to the next run, so one run never holds
# a worker thread for long after a mass mailing.
MAX_BATCHES = 50


def deliver_batch_now(settings: Settings, limit: int = DEFAULT_BATCH) -> DeliveryReport:
    """One batch, in this process, with the transports the settings choose."""
    return deliver_due(session_factory(settings.database_url), lambda: courier_for(settings), limit,
                       lease=timedelta(seconds=settings.claim_lease_seconds))


def deliver_all_now(
    settings: Settings, limit: int = DEFAULT_BATCH, max_batches: int = MAX_BATCHES
) -> DeliveryReport:
    total = DeliveryReport()
    for _ in range(max_batches):
        report = deliver_batch_now(settings, limit)
        total += report
        if report.total < limit:
            break
    return total
