"""Outbox delivery as a Prefect flow: served every few seconds and triggered by the web app after it
commits outbox rows (workflows.dispatch.trigger), so a confirmation email goes within a second or two.
"""

from __future__ import annotations

from prefect import flow, task

from engine.config import Settings, load_settings
from engine.outbox import DEFAULT_BATCH, DeliveryReport, deliver_due
from integrations.courier import courier_for
from workflows.resources import run_logger, session_factory

FLOW_NAME = "deliver-outbox"
# A run stops after this many full batches and leaves the rest to the next run, so one run never holds
# the serve process for long after a mass mailing.
MAX_BATCHES = 50


def deliver_batch_now(settings: Settings, limit: int = DEFAULT_BATCH) -> DeliveryReport:
    """One batch, in this process, with the transports the settings choose."""
    return deliver_due(session_factory(settings.database_url), lambda: courier_for(settings), limit)


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


# Retries cover the database being briefly unavailable; failed sends are not task failures, they are
# recorded per message and retried by the outbox's own backoff.
@task(retries=2, retry_delay_seconds=[5, 30], cache_policy=None)
def deliver_batch(limit: int = DEFAULT_BATCH) -> DeliveryReport:
    report = deliver_batch_now(load_settings(), limit)
    if report.errors:
        run_logger(__name__).warning(
            "%d not delivered this time:\n%s", len(report.errors), "\n".join(report.errors[:20])
        )
    return report


@flow(name=FLOW_NAME, log_prints=True)
def deliver_outbox(limit: int = DEFAULT_BATCH, max_batches: int = MAX_BATCHES) -> dict[str, int]:
    total = DeliveryReport()
    for _ in range(max_batches):
        report = deliver_batch(limit)
        total += report
        if report.total < limit:
            break
    if total.total:
        run_logger(__name__).info(
            "outbox: %d sent, %d to retry, %d failed", total.sent, total.retried, total.failed
        )
    return {"sent": total.sent, "retried": total.retried, "failed": total.failed}
