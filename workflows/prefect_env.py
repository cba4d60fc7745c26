"""The environment for `prefect server start` and the serve process: local, quiet and offline.

The CLI starts both with `env={**os.environ, **prefect_environment(settings)}`. Everything Prefect keeps
(its SQLite database, profiles, logs) lives under the instance folder, never in the user's ~/.prefect.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from engine.config import Settings

DEFAULT_API_URL = "http://127.0.0.1:4200/api"

# Prefect's own database stays bounded (README, "Prefect's storage"): the vacuum service deletes flow
# runs (with their task runs and logs) older than RETENTION, and events older than EVENT_RETENTION;
# workflows/retention.py does the same for background task runs and stored results, which the vacuum
# does not reach. An operator's own PREFECT_* values win over these.
RETENTION = "259200"  # 3 days, in seconds
EVENT_RETENTION = "1d"
# A server with nobody using it should cost nearly nothing. Services CarePath does not use are off
# (automations' triggers, work-pool workers' foreman, paused runs' expiry, late-run marking), and the
# loops of the ones it needs (the scheduler, concurrency leases, cancellation clean-up) turn slowly.
TUNING = {
    "PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED": "events,flow_runs",
    "PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD": RETENTION,
    "PREFECT_SERVER_SERVICES_DB_VACUUM_LOOP_SECONDS": "3600",
    "PREFECT_SERVER_EVENTS_RETENTION_PERIOD": EVENT_RETENTION,
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_FOREMAN_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "60",
    # The scheduler's second loop looks for recently changed deployments every 5 s (a query each time);
    # CarePath's deployments change only when the serve process starts.
    "PREFECT_SERVER_SERVICES_SCHEDULER_RECENT_DEPLOYMENTS_LOOP_SECONDS": "60",
    "PREFECT_SERVER_SERVICES_REPOSSESSOR_LOOP_SECONDS": "60",
    "PREFECT_SERVER_SERVICES_CANCELLATION_CLEANUP_LOOP_SECONDS": "120",
    "PREFECT_SERVER_SERVICES_CLEANUP_RECONCILER_LOOP_SECONDS": "60",
    # Background task runs have no flow run, so Prefect cannot file their log lines in its database; they
    # go to the serve process's log file (instance/logs/flows.log) without a warning per line.
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
}


def prefect_home(settings: Settings) -> Path:
    return settings.instance_path / "prefect"


def prefect_environment(settings: Settings) -> dict[str, str]:
    home = prefect_home(settings)
    home.mkdir(parents=True, exist_ok=True)
    api_url = settings.prefect_api_url or DEFAULT_API_URL
    api = urlsplit(api_url)
    return {
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api_url,
        # Where `prefect server start` listens; taken from the API URL so the two cannot disagree.
        "PREFECT_SERVER_API_HOST": api.hostname or "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(api.port or 4200),
        # Prefect 3.8 reads PREFECT_SERVER_DATABASE_CONNECTION_URL (PREFECT_API_DATABASE_... is the old alias).
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        # Offline and quiet: no usage reporting, no promotions in the UI.
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
        # The first start migrates a fresh database, which takes longer than Prefect's default wait.
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        **{name: os.environ.get(name, value) for name, value in TUNING.items()},
    }
