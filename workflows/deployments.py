"""Which flows are served, under which names and how often. One place for the names the web app
triggers (`workflows.dispatch.trigger(OUTBOX_DELIVERY)`) and the serve process registers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.types.entrypoint import EntrypointType

from workflows import notifications, timers

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

OUTBOX_INTERVAL = timedelta(seconds=10)
TIMER_INTERVAL = timedelta(seconds=30)

OUTBOX_DEPLOYMENT = "outbox"
TIMER_DEPLOYMENT = "timers"
# "flow name/deployment name", as run_deployment wants it.
OUTBOX_DELIVERY = f"{notifications.FLOW_NAME}/{OUTBOX_DEPLOYMENT}"
TIMER_TICK = f"{timers.FLOW_NAME}/{TIMER_DEPLOYMENT}"

# Periodic runs that find the previous one still going are dropped, not queued behind it: the next
# tick picks up whatever is left.
ONE_AT_A_TIME = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)


def deployments() -> list[RunnerDeployment]:
    """The deployments to serve now; more (monitoring dispatch, imports, conclusions) are added here."""
    # Module paths, not file paths: runs started by the serve process import `workflows.…` from the
    # project whatever the working directory is.
    common = {"entrypoint_type": EntrypointType.MODULE_PATH, "tags": ["carepath"]}
    served = [
        notifications.deliver_outbox.to_deployment(
            OUTBOX_DEPLOYMENT,
            interval=OUTBOX_INTERVAL,
            description="Deliver due outbox messages (email, SMS) with retries.",
            concurrency_limit=ONE_AT_A_TIME,
            **common,
        )
    ]
    if timers.timer_tick_available():
        served.append(
            timers.timer_tick.to_deployment(
                TIMER_DEPLOYMENT,
                interval=TIMER_INTERVAL,
                description="Fire due BPMN timers.",
                concurrency_limit=ONE_AT_A_TIME,
                **common,
            )
        )
    return served
