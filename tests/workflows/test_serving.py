"""What the serve process registers, the environment it runs in, and triggering runs from the web app."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from datetime import timedelta

from engine.config import load_settings
from tests.mail.conftest import free_port
from workflows import background, deployments, enqueue
from workflows.prefect_env import console_logging_environment, prefect_environment, web_log_path


def test_only_periodic_batch_work_is_scheduled_and_every_few_minutes_at_most():
    served = {d.name: d for d in deployments.deployments()}

    assert set(served) == {"sweep", "monitoring", "digest", "retention"}
    for deployment in served.values():
        [schedule] = deployment.schedules
        assert schedule.schedule.interval >= timedelta(minutes=5)
    assert served["sweep"].entrypoint == "workflows.sweep.sweep"


def test_the_task_worker_serves_delivery_imports_and_signing():
    assert set(background.BY_NAME) == {enqueue.DELIVER_MESSAGES, enqueue.RUN_IMPORT, enqueue.SIGN_DOCUMENTS}


def test_a_day_of_scheduled_runs_is_a_few_hundred_not_thousands():
    # The old schedules (outbox and conclusions every 10 s, timers every 30 s, ...) made ~22,000 a day.
    assert sum(deployments.runs_per_day().values()) == 288 + 288 + 48 + 24


def test_prefect_reads_the_project_environment_as_intended(tmp_path):
    settings = load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path)})
    environment = prefect_environment(settings)
    probe = (
        "import json; from prefect.settings import get_current_settings as g; s = g(); "
        "print(json.dumps({'home': str(s.home), 'api': s.api.url, 'db': s.server.database.connection_url.get_secret_value(), "
        "'analytics': s.server.analytics_enabled, 'startup': s.server.ephemeral.startup_timeout_seconds, "
        "'port': s.server.api.port}))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}

    out = subprocess.run(
        [sys.executable, "-c", probe],
        env={**clean, **environment},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )

    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["home"] == str(tmp_path / "prefect")
    assert seen["api"] == "http://127.0.0.1:4200/api"
    assert seen["db"] == f"sqlite+aiosqlite:///{tmp_path / 'prefect' / 'prefect.db'}"
    assert seen["analytics"] is False
    assert seen["startup"] == 120
    assert seen["port"] == 4200
    assert environment["DO_NOT_TRACK"] == "1"


def test_prefect_keeps_its_database_bounded_and_its_idle_services_quiet(tmp_path):
    environment = prefect_environment(load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path)}))
    probe = (
        "import json; from prefect.settings import get_current_settings as g; s = g().server; "
        "print(json.dumps({'vacuum': sorted(s.services.db_vacuum.enabled_vacuum_types), "
        "'runs': s.services.db_vacuum.retention_period.total_seconds(), 'events': s.events.retention_period.total_seconds(), "
        "'triggers': s.services.triggers.enabled, 'late': s.services.late_runs.enabled}))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}

    out = subprocess.run([sys.executable, "-c", probe], env={**clean, **environment}, capture_output=True,
                         text=True, check=True, timeout=120)

    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen == {"vacuum": ["events", "flow_runs", "orphans"], "runs": 3 * 86400.0, "events": 86400.0,
                    "triggers": False, "late": False}


def test_a_wake_with_the_api_down_returns_at_once_and_only_logs(caplog, tmp_path):
    down = f"http://127.0.0.1:{free_port()}/api"
    caplog.set_level(logging.WARNING, logger="workflows.enqueue")
    settings = load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path), "CAREPATH_PREFECT_API_URL": down})

    started = time.monotonic()
    assert enqueue.wake(settings, enqueue.DELIVER_MESSAGES)
    returned_after = time.monotonic() - started
    assert enqueue.ENQUEUER.drain(120)

    assert returned_after < 0.5
    assert "could not enqueue deliver-messages" in caplog.text
    assert down in caplog.text


def test_wakes_waiting_in_the_queue_are_coalesced(tmp_path):
    down = f"http://127.0.0.1:{free_port()}/api"
    settings = load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path), "CAREPATH_PREFECT_API_URL": down})
    before = enqueue.ENQUEUER.enqueued + enqueue.ENQUEUER.failed

    for _ in range(50):
        enqueue.wake(settings, enqueue.DELIVER_MESSAGES)
    assert enqueue.ENQUEUER.drain(300)

    assert enqueue.ENQUEUER.enqueued + enqueue.ENQUEUER.failed - before < 50


def test_a_console_process_shows_prefects_warnings_and_files_its_info_lines(tmp_path):
    # `carepath run` and its gunicorn: the line per created task run goes to instance/logs/web.log only.
    settings = load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path)})
    environment = console_logging_environment(settings)
    probe = (
        "from prefect import task; from prefect.logging.loggers import get_logger; log = get_logger('tasks'); "
        "log.info(\"Created task run 'deliver-messages'. View it in the UI at ...\"); log.warning('the API is away')"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}

    out = subprocess.run([sys.executable, "-c", probe], env={**clean, **environment}, capture_output=True,
                         text=True, check=True, timeout=120)

    assert "Created task run" not in out.stderr + out.stdout
    assert "the API is away" in out.stderr
    filed = web_log_path(settings).read_text(encoding="utf-8")
    assert "INFO prefect.tasks - Created task run 'deliver-messages'" in filed
    assert "WARNING prefect.tasks - the API is away" in filed
