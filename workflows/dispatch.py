"""Starting flow runs from the web app, and running delivery in-process for tests and development.

`trigger` is for code inside a web request, after its transaction committed: it asks the Prefect API
for a run in a background thread and returns at once. If the API is down or not configured it only
logs; the served schedule picks the work up anyway, a few seconds later.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from typing import Any

from engine.config import Settings
from engine.outbox import DeliveryReport
from workflows.deployments import OUTBOX_DELIVERY

log = logging.getLogger(__name__)


def trigger(
    deployment_name: str, *, api_url: str | None = None, parameters: Mapping[str, Any] | None = None
) -> threading.Thread | None:
    """Ask for a run of `flow/deployment` now; never raises, never waits. Returns the thread (tests join it)."""
    url = api_url or os.environ.get("PREFECT_API_URL")
    if not url:
        # Without an API URL, Prefect would start a temporary server inside this process: never in a request.
        log.debug("no Prefect API configured; %s runs on its schedule", deployment_name)
        return None
    thread = threading.Thread(
        target=_create_run,
        args=(deployment_name, url, dict(parameters or {})),
        name=f"trigger {deployment_name}",
        daemon=True,
    )
    thread.start()
    return thread


def _create_run(deployment_name: str, api_url: str, parameters: dict[str, Any]) -> None:
    try:
        from prefect.deployments import run_deployment
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            run_deployment(deployment_name, parameters=parameters, timeout=0, as_subflow=False)
    except Exception as exc:  # the web request must not notice; the schedule will run it
        log.warning(
            "could not start %s through the Prefect API at %s (%s: %s); it runs on its schedule",
            deployment_name,
            api_url,
            exc.__class__.__name__,
            exc,
        )


def trigger_outbox_delivery(settings: Settings) -> threading.Thread | None:
    """What the web app calls after committing outbox rows."""
    return trigger(OUTBOX_DELIVERY, api_url=settings.prefect_api_url)


def deliver_now(settings: Settings) -> DeliveryReport:
    """Deliver everything due, here and now, without Prefect (tests, `carepath` dev commands)."""
    from workflows.notifications import deliver_all_now

    return deliver_all_now(settings)
