"""Running delivery in-process, for tests and development (the platform wakes the background task
worker instead: workflows/enqueue.py)."""

from __future__ import annotations

from engine.config import Settings
from engine.outbox import DeliveryReport


def deliver_now(settings: Settings) -> DeliveryReport:
    """Deliver everything due, here and now, without Prefect (tests, `carepath` dev commands)."""
    from workflows.notifications import deliver_all_now

    return deliver_all_now(settings)
