"""The `carepath` commands that start one part of the platform each, for running on several machines.

`carepath run` starts everything on one machine. On several machines each host starts only its part
(README, "Running on several machines"):

    carepath prefect-server    the Prefect API server (one, reachable from every host)
    carepath web               gunicorn serving the web app (any number of hosts)
    carepath worker            background tasks, BPMN timers, scheduled flows (any number of hosts)
    carepath relay             the inbound SMTP relay of doctor–patient correspondence

Each command replaces itself with its process (`exec`), so a service manager's signals reach gunicorn,
the worker or the relay directly, and their exit status is the command's. None of them migrates the
database: `carepath init-db --pathways` does that once per release, from one host, so two hosts
starting together never race on the schema or on deploying the pathways.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import click
from flask import current_app

from engine.config import Settings


def _settings() -> Settings:
    return current_app.extensions["carepath"].settings


def child_environment(settings: Settings) -> dict[str, str]:
    """The environment every part runs with: the instance folder and the Prefect server to talk to."""
    from workflows.prefect_env import prefect_environment

    env = {**os.environ, "CAREPATH_INSTANCE_PATH": str(settings.instance_path)}
    # An operator's own PREFECT_* values (another server, PostgreSQL for it) win over the defaults.
    env.update({name: value for name, value in prefect_environment(settings).items() if name not in os.environ})
    return env


def web_argv(gunicorn_arguments: Callable[[int, str], list[str]], workers: int, bind: str) -> list[str]:
    return [sys.executable, "-m", "gunicorn", *gunicorn_arguments(workers, bind), "webui.wsgi:app"]


def worker_argv(*, scheduled: bool = True, timers: bool = True) -> list[str]:
    argv = [sys.executable, "-m", "workflows.serve"]
    if not scheduled:
        argv.append("--no-scheduled")
    if not timers:
        argv.append("--no-timers")
    return argv


def relay_argv() -> list[str]:
    return [sys.executable, "-m", "integrations.relay"]


def prefect_server_argv(env: dict[str, str]) -> list[str]:
    return [sys.executable, "-m", "prefect", "server", "start",
            "--host", env["PREFECT_SERVER_API_HOST"], "--port", env["PREFECT_SERVER_API_PORT"]]


def _exec(argv: list[str], env: dict[str, str]) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(argv[0], argv, env)  # noqa: S606 - our own interpreter with fixed arguments


def add_commands(main: click.Group, gunicorn_arguments: Callable[[int, str], list[str]]) -> None:
    """Adds the per-host commands to the `carepath` group (webui/cli.py keeps `run`)."""

    @main.command("web")
    @click.option("--workers", default=5, show_default=True, help="Web worker processes (one request at a time each).")
    @click.option("--bind", default=None, help="Address to listen on (default: CAREPATH_HOST:CAREPATH_PORT).")
    def web(workers: int, bind: str | None) -> None:
        """Serve the web app with gunicorn (one web host); the database must be up to date (init-db)."""
        settings = _settings()
        _exec(web_argv(gunicorn_arguments, workers, bind or f"{settings.host}:{settings.port}"),
              child_environment(settings))

    @main.command("worker")
    @click.option("--no-scheduled", is_flag=True, help="Do not serve the scheduled flows on this host.")
    @click.option("--no-timers", is_flag=True, help="Do not fire BPMN timers and reminders on this host.")
    def worker(no_scheduled: bool, no_timers: bool) -> None:
        """Run background tasks, BPMN timers and scheduled flows (one worker host; several may run)."""
        _exec(worker_argv(scheduled=not no_scheduled, timers=not no_timers), child_environment(_settings()))

    @main.command("relay")
    def relay() -> None:
        """Run the inbound SMTP relay of doctor–patient correspondence on CAREPATH_HOST:CAREPATH_RELAY_PORT."""
        _exec(relay_argv(), child_environment(_settings()))

    @main.command("prefect-server")
    def prefect_server() -> None:
        """Run the Prefect API server that CAREPATH_PREFECT_API_URL names (PREFECT_SERVER_DATABASE_CONNECTION_URL
        chooses its database; SQLite under the instance folder by default)."""
        env = child_environment(_settings())
        _exec(prefect_server_argv(env), env)
