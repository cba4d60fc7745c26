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
from workflows import deployments, dispatch, timers
from workflows.prefect_env import prefect_environment


def test_outbox_delivery_is_served_every_ten_seconds():
    served = {d.name: d for d in deployments.deployments()}

    outbox = served[deployments.OUTBOX_DEPLOYMENT]
    assert outbox.flow_name == "deliver-outbox"
    assert outbox.entrypoint == "workflows.notifications.deliver_outbox"
    [schedule] = outbox.schedules
    assert schedule.schedule.interval == timedelta(seconds=10)


def test_the_timer_tick_is_served():
    served = {d.name for d in deployments.deployments()}

    assert deployments.TIMER_DEPLOYMENT in served


def test_the_timer_tick_fires_nothing_on_an_empty_instance(instance):
    assert timers.timer_tick.fn() == 0


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


def test_trigger_without_a_prefect_api_does_nothing(monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)

    assert dispatch.trigger(deployments.OUTBOX_DELIVERY) is None


def test_trigger_with_the_api_down_returns_at_once_and_only_logs(caplog):
    down = f"http://127.0.0.1:{free_port()}/api"
    caplog.set_level(logging.WARNING, logger="workflows.dispatch")

    started = time.monotonic()
    thread = dispatch.trigger(deployments.OUTBOX_DELIVERY, api_url=down)
    returned_after = time.monotonic() - started
    assert thread is not None
    thread.join(timeout=60)

    assert returned_after < 0.5
    assert not thread.is_alive()
    assert "could not start deliver-outbox/outbox" in caplog.text
    assert down in caplog.text


def test_trigger_creates_a_run_of_a_registered_deployment(prefect_harness):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.settings import PREFECT_API_URL

    [outbox] = [d for d in deployments.deployments() if d.name == deployments.OUTBOX_DEPLOYMENT]
    deployment_id = outbox.apply()

    thread = dispatch.trigger(deployments.OUTBOX_DELIVERY, api_url=PREFECT_API_URL.value())
    assert thread is not None
    thread.join(timeout=60)

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            sort=FlowRunSort.EXPECTED_START_TIME_DESC,
            limit=10,
        )
    assert any(run.state and run.state.is_scheduled() for run in runs)
