"""The background worker outlives its Prefect server, for real (`python -m workflows.serve` and
`prefect server start` as `carepath run` starts them, each on its own port and database):
- a server that accepts connections but does not answer (as a server busy with a locked SQLite does)
  makes the worker's websocket time out in its opening handshake, again and again: the worker keeps
  trying, and once a real server answers it delivers what was queued meanwhile, each message once;
- a server killed under the supervisor of `carepath run` is started again by it, the worker (never
  restarted) reconnects, and the mail queued while the server was gone is delivered once."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
import time
import urllib.request

import pytest

from engine import outbox
from engine.config import load_settings
from engine.db import transaction
from integrations.mailbox import Mailbox
from tests.mail.conftest import free_port
from tests.workflows.conftest import ROOT, platform_environment, start_serve, stop, wait_until
from webui.supervisor import Supervisor
from workflows import enqueue
from workflows.resources import session_factory

# A fresh Prefect database is migrated at the first start; on two shared cores that can take minutes.
SERVER_START = 300


def queue(sessions, *recipients: str) -> None:
    with transaction(sessions) as session:
        for to in recipients:
            outbox.enqueue(session, kind="confirm_email", to=to, locale="en",
                           context={"name": "Anna", "link": "https://carepath.test/confirm/1", "expires_hours": 24})


def delivered(instance) -> list[str]:
    return sorted(entry.to for entry in Mailbox(instance.mailbox_path).list_messages())


def server_command(env: dict[str, str]) -> list[str]:
    return [sys.executable, "-m", "prefect", "server", "start", "--host", env["PREFECT_SERVER_API_HOST"],
            "--port", env["PREFECT_SERVER_API_PORT"]]


def healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(api_url + "/health", timeout=2):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def silent_server(port: int):
    """Accepts connections on the port and never says a word."""
    listener = socket.create_server(("127.0.0.1", port), backlog=64)
    held: list[socket.socket] = []
    closing = threading.Event()

    def accept() -> None:
        while not closing.is_set():
            with contextlib.suppress(OSError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield
    finally:
        closing.set()
        listener.close()
        for connection in held:
            connection.close()


@pytest.fixture
def api(instance, monkeypatch):
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    monkeypatch.setenv("CAREPATH_PREFECT_API_URL", url)
    return port, url


def log_of(instance) -> str:
    return (instance.instance_path / "serve.log").read_text(errors="replace")


def test_the_worker_outlasts_handshake_timeouts_and_delivers_what_was_queued_meanwhile(instance, api):
    port, url = api
    settings = load_settings()
    quiet = session_factory(settings.database_url)  # commits without a wake, as with the API unreachable
    server = None
    with silent_server(port):
        worker = start_serve(instance, url)
        try:
            wait_until(lambda: log_of(instance).count("TimeoutError") >= 2, timeout=120, step=0.5)
            assert worker.poll() is None
            queue(quiet, "meanwhile0@example.org", "meanwhile1@example.org")
        except BaseException:
            stop(worker)
            raise
    try:
        env = platform_environment(instance, url)
        server = Supervisor(lambda _line: None)
        server.start("the Prefect server", server_command(env), env, instance.instance_path / "server.log")
        wait_until(lambda: healthy(url), timeout=SERVER_START, step=0.5)

        # Connected again: what was queued meanwhile is picked up, without a wake.
        wait_until(lambda: len(delivered(instance)) >= 2, timeout=120)
        assert "connected to the Prefect server again" in log_of(instance)

        # And the worker takes wakes again.
        enqueue.wake_after_commit(quiet, settings)
        queue(quiet, "after@example.org")
        wait_until(lambda: len(delivered(instance)) >= 3, timeout=120)
        wait_until(lambda: "Received task run" in log_of(instance), timeout=30)
        assert worker.poll() is None
    finally:
        stop(worker)
        if server:
            server.stop()
    assert delivered(instance) == ["after@example.org", "meanwhile0@example.org", "meanwhile1@example.org"]


def test_a_killed_prefect_server_is_started_again_and_the_worker_delivers_what_was_queued_meanwhile(instance, api):
    port, url = api
    settings = load_settings()
    sessions = session_factory(settings.database_url)
    enqueue.wake_after_commit(sessions, settings)
    env = platform_environment(instance, url)
    lines: list[str] = []
    supervisor = Supervisor(lines.append)
    try:
        server = supervisor.start("the Prefect server", server_command(env), env, instance.instance_path / "server.log")
        wait_until(lambda: healthy(url), timeout=SERVER_START, step=0.5)
        worker = supervisor.start("the background worker", [sys.executable, "-m", "workflows.serve", "--no-scheduled"],
                                  {**env, "PYTHONPATH": str(ROOT)}, instance.instance_path / "serve.log")
        wait_until(lambda: "Subscribing to runs of task" in log_of(instance), timeout=180)
        queue(sessions, "before@example.org")
        wait_until(lambda: delivered(instance) == ["before@example.org"], timeout=120)
        worker_pid, killed = worker.process.pid, server.process.pid

        os.kill(killed, signal.SIGKILL)
        server.process.wait(30)
        queue(sessions, "while-down@example.org")  # its wake fails: nobody listens on the port
        assert enqueue.ENQUEUER.drain(120)

        deadline = time.monotonic() + SERVER_START
        supervisor.watch(interval=0.2, until=lambda: (server.process.pid != killed and healthy(url))
                         or time.monotonic() > deadline)
        assert healthy(url)
        assert any("the Prefect server stopped (signal SIGKILL); starting it again" in line for line in lines)
        wait_until(lambda: len(delivered(instance)) >= 2, timeout=120)

        queue(sessions, "after@example.org")
        wait_until(lambda: len(delivered(instance)) >= 3, timeout=120)
        assert worker.process.pid == worker_pid and worker.running  # the worker itself never stopped
    finally:
        supervisor.stop()
    assert delivered(instance) == ["after@example.org", "before@example.org", "while-down@example.org"]
