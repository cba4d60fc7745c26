"""The environment for `prefect server start` and the serve process: local, quiet and offline.

The CLI starts both with `env={**os.environ, **prefect_environment(settings)}`. Everything Prefect keeps
(its SQLite database, profiles, logs) lives under the instance folder, never in the user's ~/.prefect.
"""

from __future__ import annotations

import json
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


# The processes whose output is the operator's console (`carepath run` itself and the web app's gunicorn)
# log through Prefect every time they hand work to the background worker: "Created task run
# 'deliver-messages'. View it in the UI at …" at INFO, one line per action that sends mail. Prefect's
# console handler there shows warnings and errors only; every Prefect line from INFO up goes to
# instance/logs/web.log (README, "Logs"). The background worker and the Prefect server write to their own
# log files already and keep Prefect's default logging.
_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s - %(message)s"


def web_log_path(settings: Settings) -> Path:
    return settings.instance_path / "logs" / "web.log"


def console_logging_environment(settings: Settings) -> dict[str, str]:
    """PREFECT_LOGGING_SETTINGS_PATH for a process whose output is the console (see above); writes the
    logging configuration it names (Prefect reads JSON as the YAML it is)."""
    path = prefect_home(settings) / "logging-console.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    # "$" starts a Prefect setting's template in this file; a path holding one is written doubled.
    path.write_text(json.dumps(console_logging(settings), indent=2).replace("$", "$$"), encoding="utf-8")
    return {"PREFECT_LOGGING_SETTINGS_PATH": str(path)}


def use_console_logging(settings: Settings) -> None:
    """The same for this process, whose Prefect logging may be set up already (the CLI's app imports it)."""
    import logging.config

    from workflows.enqueue import wait_for_warm_up

    wait_for_warm_up()  # no other thread importing Prefect while dictConfig holds logging's lock
    logging.config.dictConfig(console_logging(settings))


def console_logging(settings: Settings) -> dict[str, object]:
    log_file = web_log_path(settings)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    formatter = {
        "()": "prefect.logging.formatters.PrefectFormatter", "format": _FORMAT, "datefmt": "%Y-%m-%d %H:%M:%S",
        "task_run_fmt": "%(asctime)s %(process)d %(levelname)s task run %(task_run_name)r - %(message)s",
        "flow_run_fmt": "%(asctime)s %(process)d %(levelname)s flow run %(flow_run_name)r - %(message)s",
    }  # fmt: skip
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"standard": formatter},
        "handlers": {
            "console": {"level": "WARNING", "class": "prefect.logging.handlers.PrefectConsoleHandler",
                        "formatter": "standard", "stream": "ext://sys.stderr"},
            "file": {"level": "INFO", "class": "logging.FileHandler", "formatter": "standard",
                     "filename": str(log_file), "encoding": "utf-8", "delay": True},
            "api": {"level": 0, "class": "prefect.logging.handlers.APILogHandler"},
        },
        "loggers": {
            # Its own handlers, not the root's: a process with handlers of its own on the root logger
            # makes Prefect leave the root alone.
            "prefect": {"level": "INFO", "handlers": ["console", "file"], "propagate": False},
            "prefect.flow_runs": {"level": "NOTSET", "handlers": ["api"]},
            "prefect.task_runs": {"level": "NOTSET", "handlers": ["api"]},
        },
    }  # fmt: skip
