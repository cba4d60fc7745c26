"""The evening monitoring dispatch as a Prefect flow, served every few minutes.

Each run marks missed the days whose deadline passed without the patient ever opening them, then opens
the day and queues the one invitation of the day for every patient whose local evening invitation time
has come today and who has something due (engine.monitoring.dispatch, in bulk: no pathway instance per
patient here; a day's `monitoring_cycle` starts when the patient opens it). The background
task worker delivers the invitations. Runs are idempotent, so a run that finds the previous one still going, or a
run repeated after a failure, sends nothing twice. A day that was opened but not answered is marked
missed by its own instance's deadline timer (the timer worker).
"""

from __future__ import annotations

from prefect import flow, task

from engine.composition import build_connectors
from engine.config import Settings, load_settings
from engine.monitoring.dispatch import DispatchReport, dispatch_evening
from workflows.resources import run_logger, session_factory

FLOW_NAME = "monitoring-dispatch"


def dispatch_now(settings: Settings) -> DispatchReport:
    """One dispatch in this process, with the app's connectors (tests, the CLI, the bench)."""
    return dispatch_evening(session_factory(settings.database_url), base_url=settings.base_url,
                            connectors=build_connectors(settings))


@task(retries=2, retry_delay_seconds=[10, 60], cache_policy=None)
def dispatch_task() -> dict[str, int]:
    report = dispatch_now(load_settings())
    if report.errors:
        run_logger(__name__).warning("monitoring dispatch: %d chunks not opened:\n%s", len(report.errors),
                                     "\n".join(report.errors[:20]))
    return {"due": report.due, "started": report.started, "invited": report.invited, "missed": report.missed,
            "errors": len(report.errors)}


@flow(name=FLOW_NAME, log_prints=True)
def monitoring_dispatch() -> dict[str, int]:
    result = dispatch_task()
    if result["started"]:
        run_logger(__name__).info("monitoring: %d evening questionnaires opened, %d invitations queued",
                                  result["started"], result["invited"])
    if result["invited"]:
        from workflows.background import deliver_messages

        deliver_messages.delay()  # the invitations go now; the sweep would send them within minutes anyway
    return result
