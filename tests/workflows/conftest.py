"""One Prefect test harness (a temporary API server with its own SQLite) for the whole session."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    # The first start migrates a fresh database; on two shared cores that can take a minute.
    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """An instance folder with the outbox tables, as the environment of a flow run sees it."""
    from engine.config import load_settings
    from engine.db import create_all, make_engine

    monkeypatch.setenv("CAREPATH_INSTANCE_PATH", str(tmp_path))
    for name in ("CAREPATH_DATABASE_URL", "CAREPATH_SMTP_URL", "CAREPATH_SMS_GATEWAY_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    engine = make_engine(settings.database_url)
    create_all(engine)
    engine.dispose()
    return settings


@pytest.fixture
def task_worker(prefect_harness, instance, monkeypatch):
    """Prefect's real task worker serving CarePath's background tasks against the harness, in a thread of
    this process (as the serve process runs it); the instance's settings point the web side's wakes at
    the same API. Yields the API URL."""
    import asyncio
    import threading

    from prefect.events.worker import EventsWorker
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.task_worker import TaskWorker

    from workflows.background import BACKGROUND_TASKS

    # Prefect's events worker is one per process and keeps the API it first met: after an earlier test's
    # server (stopped since), it would drop this worker's task-run events and the harness would never
    # record the runs as finished (the retention test then found nothing to delete).
    EventsWorker.drain_all(timeout=5)
    url = PREFECT_API_URL.value()
    monkeypatch.setenv("CAREPATH_PREFECT_API_URL", url)
    ready, held = threading.Event(), {}

    def run() -> None:
        # The harness's settings live in the test thread's context; this thread is told them again.
        with temporary_settings(updates={PREFECT_API_URL: url}):
            loop = asyncio.new_event_loop()
            held["loop"] = loop

            async def main() -> None:
                held["task"] = asyncio.current_task()
                ready.set()
                await TaskWorker(*BACKGROUND_TASKS, limit=4).astart()

            try:
                loop.run_until_complete(main())
            except BaseException:  # cancelled at the end of the test  # noqa: S110
                pass
            finally:
                loop.close()

    thread = threading.Thread(target=run, name="test task worker", daemon=True)
    thread.start()
    assert ready.wait(60)
    yield url
    held["loop"].call_soon_threadsafe(held["task"].cancel)
    thread.join(30)


def wait_until(predicate, timeout: float = 60.0, step: float = 0.05):
    """Poll until `predicate()` is truthy (returns it) or fail after `timeout` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"not within {timeout:.0f} s")


def platform_environment(instance, api_url: str, smtp_url: str | None = None) -> dict[str, str]:
    """The environment `carepath run` gives its children, for this instance and Prefect API; none of the
    test process's own PREFECT_ or CAREPATH_ settings."""
    from engine.config import load_settings
    from workflows.prefect_env import prefect_environment

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CAREPATH_"))}
    env.update({"CAREPATH_INSTANCE_PATH": str(instance.instance_path), "CAREPATH_PREFECT_API_URL": api_url,
                "PYTHONPATH": str(ROOT)})
    if smtp_url:
        env["CAREPATH_SMTP_URL"] = smtp_url
    env.update(prefect_environment(load_settings({k: v for k, v in env.items() if k.startswith("CAREPATH_")})))
    return env


def start_serve(instance, api_url: str, smtp_url: str | None = None, *, scheduled: bool = False) -> subprocess.Popen[bytes]:
    env = platform_environment(instance, api_url, smtp_url)
    log = open(instance.instance_path / "serve.log", "ab")  # noqa: SIM115 - the child owns it
    argv = [sys.executable, "-m", "workflows.serve", *([] if scheduled else ["--no-scheduled"])]
    process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    wait_until(lambda: b"Subscribing to runs of task" in (instance.instance_path / "serve.log").read_bytes()
               or process.poll() is not None, timeout=180)
    assert process.poll() is None, (instance.instance_path / "serve.log").read_text()
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
