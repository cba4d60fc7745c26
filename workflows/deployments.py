"""Which flows are served, under which names and how often. One place for the names the web app
triggers (`workflows.dispatch.trigger(OUTBOX_DELIVERY)`) and the serve process registers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.types.entrypoint import EntrypointType

from workflows import conclusions, imports, monitoring, notifications, reminders, timers

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

OUTBOX_INTERVAL = timedelta(seconds=10)
TIMER_INTERVAL = timedelta(seconds=30)
MONITORING_INTERVAL = timedelta(minutes=5)  # invitations go within 5 minutes of the evening time
IMPORT_SWEEP_INTERVAL = timedelta(seconds=60)
REMINDER_INTERVAL = timedelta(seconds=60)
DIGEST_INTERVAL = timedelta(minutes=30)
CONCLUSIONS_INTERVAL = timedelta(seconds=10)

OUTBOX_DEPLOYMENT = "outbox"
TIMER_DEPLOYMENT = "timers"
MONITORING_DEPLOYMENT = "monitoring"
IMPORT_DEPLOYMENT = "imports"
REMINDER_DEPLOYMENT = "reminders"
DIGEST_DEPLOYMENT = "digest"
CONCLUSIONS_DEPLOYMENT = "conclusions"
# "flow name/deployment name", as run_deployment wants it.
OUTBOX_DELIVERY = f"{notifications.FLOW_NAME}/{OUTBOX_DEPLOYMENT}"
TIMER_TICK = f"{timers.FLOW_NAME}/{TIMER_DEPLOYMENT}"
MONITORING_DISPATCH = f"{monitoring.FLOW_NAME}/{MONITORING_DEPLOYMENT}"
IMPORT_REFERRALS = f"{imports.FLOW_NAME}/{IMPORT_DEPLOYMENT}"
CONCLUSIONS_RUN = f"{conclusions.FLOW_NAME}/{CONCLUSIONS_DEPLOYMENT}"

# Periodic runs that find the previous one still going are dropped, not queued behind it: the next
# tick picks up whatever is left.
ONE_AT_A_TIME = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)


def deployments() -> list[RunnerDeployment]:
    """Every deployment the serve process serves: (flow, name, interval, description, one run at a time)."""
    # Module paths, not file paths: runs started by the serve process import `workflows.…` from the
    # project whatever the working directory is.
    common = {"entrypoint_type": EntrypointType.MODULE_PATH, "tags": ["carepath"]}
    table = [
        (notifications.deliver_outbox, OUTBOX_DEPLOYMENT, OUTBOX_INTERVAL,
         "Deliver due outbox messages (email, SMS) with retries.", True),
        (conclusions.produce_conclusions, CONCLUSIONS_DEPLOYMENT, CONCLUSIONS_INTERVAL,
         "Render, sign (PAdES) and file pending conclusions and consents; email conclusions.", True),
        # Triggered per upload with import_id; the schedule (no id) sweeps up imports whose trigger was
        # lost or whose runner died. No concurrency limit: each import has its own lease (engine.referrals).
        (imports.import_referrals, IMPORT_DEPLOYMENT, IMPORT_SWEEP_INTERVAL,
         "Import a referral table (route 3): patients, activation messages, pathways.", False),
        (reminders.send_reminders, REMINDER_DEPLOYMENT, REMINDER_INTERVAL,
         "Queue due reminders (appointments 24 h and 10 min before, consultation sessions).", True),
        (reminders.doctor_digest, DIGEST_DEPLOYMENT, DIGEST_INTERVAL,
         "Once a day per doctor, from 08:00 local time: the overdue tasks.", True),
        (monitoring.monitoring_dispatch, MONITORING_DEPLOYMENT, MONITORING_INTERVAL,
         "Open the day's monitoring questionnaires and invite patients in their evening.", True),
        (timers.timer_tick, TIMER_DEPLOYMENT, TIMER_INTERVAL, "Fire due BPMN timers.", True),
    ]
    return [
        flow_.to_deployment(
            name, interval=interval, description=description,
            **({"concurrency_limit": ONE_AT_A_TIME} if exclusive else {}), **common,
        )
        for flow_, name, interval, description, exclusive in table
    ]
