"""The per-host commands of `carepath` (webui/hosts.py): what each host runs and with which environment."""

from __future__ import annotations

import sys

from engine.config import load_settings
from webui import hosts
from webui.cli import gunicorn_arguments, main


def test_every_part_of_the_platform_has_its_command():
    assert {"run", "web", "worker", "relay", "prefect-server", "init-db"} <= set(main.commands)


def test_each_host_runs_its_own_process(tmp_path):
    web = hosts.web_argv(gunicorn_arguments, 3, "0.0.0.0:8000")
    assert web[:3] == [sys.executable, "-m", "gunicorn"] and web[-1] == "webui.wsgi:app"
    assert web[web.index("--workers") + 1] == "3" and web[web.index("--bind") + 1] == "0.0.0.0:8000"
    assert hosts.worker_argv() == [sys.executable, "-m", "workflows.serve"]
    assert hosts.worker_argv(scheduled=False, timers=False)[-2:] == ["--no-scheduled", "--no-timers"]
    assert hosts.relay_argv() == [sys.executable, "-m", "integrations.relay"]


def test_an_operators_prefect_settings_win(tmp_path, monkeypatch):
    settings = load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path), "CAREPATH_SECRET_KEY": "x",
                              "CAREPATH_PREFECT_API_URL": "http://prefect.internal:4200/api"})
    monkeypatch.delenv("PREFECT_SERVER_DATABASE_CONNECTION_URL", raising=False)
    monkeypatch.delenv("PREFECT_SERVER_API_HOST", raising=False)
    env = hosts.child_environment(settings)
    assert env["PREFECT_API_URL"] == "http://prefect.internal:4200/api"
    assert env["CAREPATH_INSTANCE_PATH"] == str(tmp_path)
    assert env["PREFECT_SERVER_DATABASE_CONNECTION_URL"].startswith("sqlite+aiosqlite:///")
    monkeypatch.setenv("PREFECT_SERVER_DATABASE_CONNECTION_URL", "postgresql+asyncpg://db/prefect")
    monkeypatch.setenv("PREFECT_SERVER_API_HOST", "0.0.0.0")
    env = hosts.child_environment(settings)
    assert env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] == "postgresql+asyncpg://db/prefect"
    assert hosts.prefect_server_argv(env)[-4:] == ["--host", "0.0.0.0", "--port", "4200"]
