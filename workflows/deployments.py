"""Which flows run on a schedule, under which names and how often; the serve process registers them.

Only truly periodic batch work is a scheduled flow, on a schedule of minutes: each run is API requests and
database queries that mostly find nothing to do (the serve process runs them in its own threads,
workflows/scheduled.py). Work that follows a person's action is a background task
(workflows/background.py) and BPMN timers and reminders have their own worker (workflows/timer_worker.py).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.types.entrypoint import EntrypointType

from workflows import monitoring, reminders, retention, sweep

if TYPE_CHECKING:
    from prefect import Flow
    from prefect.deployments.runner import RunnerDeployment

SWEEP_INTERVAL = timedelta(minutes=5)  # lost wakes and due retries are picked up within this
MONITORING_INTERVAL = timedelta(minutes=5)  # invitations go within 5 minutes of the evening time
DIGEST_INTERVAL = timedelta(minutes=30)
RETENTION_INTERVAL = timedelta(hours=1)

SWEEP_DEPLOYMENT = "sweep"
MONITORING_DEPLOYMENT = "monitoring"
DIGEST_DEPLOYMENT = "digest"
RETENTION_DEPLOYMENT = "retention"

# Runs that find the previous one still going are dropped, not queued behind it: the next one picks up
# whatever is left.
ONE_AT_A_TIME = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)

SCHEDULED = (
    # (flow, deployment name, interval, description)
    (sweep.sweep, SWEEP_DEPLOYMENT, SWEEP_INTERVAL,
     "Deliver due messages, sign pending documents and run waiting imports whose wake was lost."),
    (monitoring.monitoring_dispatch, MONITORING_DEPLOYMENT, MONITORING_INTERVAL,
     "Open the day's monitoring questionnaires and invite patients in their evening."),
    (reminders.doctor_digest, DIGEST_DEPLOYMENT, DIGEST_INTERVAL,
     "Once a day per doctor, from 08:00 local time: the overdue tasks."),
    (retention.prefect_retention, RETENTION_DEPLOYMENT, RETENTION_INTERVAL,
     "Delete background task runs and stored results older than Prefect's retention period."),
)  # fmt: skip


def deployments() -> list[RunnerDeployment]:
    """Every scheduled deployment the serve process serves."""
    return [deployment for deployment, _flow in served()]


def served() -> list[tuple[RunnerDeployment, Flow[Any, Any]]]:
    """Every scheduled deployment with the flow its runs execute (workflows/scheduled.py)."""
    # Module paths, not file paths: runs started by the serve process import `workflows.…` from the
    # project whatever the working directory is.
    common = {"entrypoint_type": EntrypointType.MODULE_PATH, "tags": ["carepath"], "concurrency_limit": ONE_AT_A_TIME}
    return [
        (flow_.to_deployment(name, interval=interval, description=description, **common), flow_)
        for flow_, name, interval, description in SCHEDULED
    ]


def runs_per_day() -> dict[str, int]:
    return {name: int(timedelta(days=1) / interval) for _flow, name, interval, _d in SCHEDULED}


def simulate_day(threads: int = 2, share: float = 1.0) -> tuple[int, int]:
    """Run a day's worth (or `share` of it) of the scheduled flows in this process, against the configured
    Prefect API (bench/latency.py measures what a day leaves in Prefect's database). A run the API refuses
    (a busy server answers 503) is counted and the day goes on. Returns (runs, failed)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    flows = {name: flow_ for flow_, name, _i, _d in SCHEDULED}

    def run(name: str) -> bool:
        try:
            result = flows[name]()
            if asyncio.iscoroutine(result):
                asyncio.run(result)
        except Exception:  # noqa: BLE001 - counted; the server's own state is what is measured
            return False
        return True

    names = [name for name, count in runs_per_day().items() for _ in range(round(count * share))]
    with ThreadPoolExecutor(threads) as pool:
        done = list(pool.map(run, names))
    return len(names), done.count(False)
