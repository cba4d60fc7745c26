"""The `carepath` command: a Flask CLI group over create_app, with the platform's own commands."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup, routes_command, shell_command

from engine import roles
from engine.config import ConfigError, Settings
from webui import GUNICORN_TIMEOUT_SECONDS
from webui.hosts import add_commands as add_host_commands
from webui.supervisor import Supervisor
from workflows import enqueue


def _create_app() -> Any:
    from webui import create_app

    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def main() -> None:
    """CarePath: care pathways for telemedicine."""


main.add_command(shell_command)
main.add_command(routes_command)


PATHWAYS = Path(__file__).resolve().parents[1] / "workflows" / "bpmn"


def _settings() -> Settings:
    return current_app.extensions["carepath"].settings


@main.command("init-db")
@click.option("--pathways", is_flag=True, help="Also deploy workflows/bpmn where its files changed.")
def init_db(pathways: bool) -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    from engine.schema import upgrade

    upgrade(_settings().database_url)
    if pathways:
        _sync_pathways()
    click.echo("Database is up to date.")


@main.command("make-migration")
@click.argument("message")
def make_migration(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    from engine.schema import make_migration as write

    write(_settings().database_url, message)


@main.command("demo")
def demo() -> None:
    """Load the demo data (accounts of every role) and print the logins."""
    _load_demo()
    _print_logins()


def _load_demo() -> None:
    from engine.composition import build_connectors
    from engine.db import transaction
    from engine.demo import load_demo
    from engine.demo_history import load_demo_history
    from engine.rehab.demo import load_rehab_demo
    from integrations.files import file_store

    with transaction(current_app.extensions["carepath"].sessions) as session:
        load_demo(session, _settings().demo_password)
    _sync_pathways()
    # The rehab demo runs through its real pathway (so its class reminders work): after the sync.
    load_rehab_demo(current_app.extensions["carepath"].sessions, build_connectors(_settings()),
                    _settings().video_base_url)
    # Weeks of consultations walked through the same pathways, so the analyst's dashboard has figures.
    load_demo_history(current_app.extensions["carepath"].sessions, build_connectors(_settings()),
                              file_store(_settings()))


def _sync_pathways(folder: Path = PATHWAYS) -> None:
    """Deploy the platform's pathways (workflows/bpmn) as new versions where the files changed (engine
    contract); what was refused is printed in the terminal's language."""
    from flask_babel import gettext

    from engine.composition import build_connectors
    from engine.workflow import sync_folder
    from webui.tasks.deploy import DeployFailed, problem_messages
    from webui.terminal import terminal_language

    if not folder.is_dir():
        return
    result = sync_folder(current_app.extensions["carepath"].sessions, folder, connectors=build_connectors(_settings()))
    with terminal_language():
        for model_id, error in sorted(result.failed.items()):
            click.echo(gettext("Pathway %(model)s was not deployed:", model=model_id), err=True)
            for line in DeployFailed(problem_messages(model_id, error)).lines(gettext):
                click.echo(f"  {line}", err=True)


@main.command("deploy")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--model-id", default=None, help="Model id for a single model (default: the folder's name).")
def deploy(path: Path, model_id: str | None) -> None:
    """Deploy a model folder, a folder of model folders, or a .bpmn file; all or nothing."""
    from flask_babel import gettext

    from engine.composition import build_connectors
    from webui.tasks.deploy import DeployFailed, deploy_path
    from webui.terminal import terminal_language

    with terminal_language():  # problems and results in the terminal's language (LC_ALL, LANG)
        try:
            results = deploy_path(current_app.extensions["carepath"].sessions, path, build_connectors(_settings()),
                                  model_id=model_id)
        except DeployFailed as exc:
            for line in exc.lines(gettext):
                click.echo(line, err=True)
            click.echo(gettext("Nothing was deployed."), err=True)
            raise click.exceptions.Exit(1) from exc
        for item in results:
            if item.changed:
                click.echo(gettext("%(model)s: deployed as version %(number)s", model=item.model_id, number=item.number))
            else:
                click.echo(gettext("%(model)s: unchanged, still version %(number)s", model=item.model_id,
                                   number=item.number))


@main.command("import-referrals")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--manager", "manager_email", default=None,
              help="Email of the importing manager (default: the only manager account).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the CSV report here.")
def import_referrals(file: Path, manager_email: str | None, report_path: Path | None) -> None:
    """Import a referral table (CSV or XLSX): the same checks and import as the manager's page."""
    from sqlalchemy import select

    from engine.accounts.models import User, UserRole
    from engine.accounts.service import find_by_email
    from engine.db import transaction
    from engine.i18n import UserError
    from engine.referrals import service
    from engine.referrals.report import report_csv
    from workflows.imports import run_import_now

    settings, sessions = _settings(), current_app.extensions["carepath"].sessions
    try:
        with transaction(sessions) as session:
            if manager_email:
                manager = find_by_email(session, manager_email)
            else:
                found = session.scalars(select(User).join(UserRole).where(UserRole.role == roles.MANAGER).limit(2)).all()
                manager = found[0] if len(found) == 1 else None
            if manager is None or not manager.has_role(roles.MANAGER, roles.ADMIN):
                raise click.ClickException("name the importing manager with --manager EMAIL")
            batch = service.create_preview(session, manager, file.name, file.read_bytes(), base_url=settings.base_url)
            import_id, total, valid = batch.id, batch.total, batch.valid
            bad = [(r.line, sorted(r.errors)) for r in service.rows_of(session, batch.id, statuses=["invalid"])]
            if valid:
                service.queue_import(session, manager, batch.id)
    except UserError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{file.name}: {total} rows, {valid} without errors (import {import_id}).")
    for line, fields in bad[:50]:
        click.echo(f"  row {line}: errors in {', '.join(fields)}", err=True)
    if valid:
        counts = run_import_now(settings, import_id)
        click.echo("created {created}, updated {updated}, found {matched}, started {started}, "
                   "skipped {skipped}, with errors {invalid}".format(**counts))
    if report_path:
        with sessions() as session:
            report_path.write_text(report_csv(session, import_id), encoding="utf-8")
        click.echo(f"Report: {report_path}")


def _print_logins() -> None:
    from engine.demo import demo_email

    settings = _settings()
    click.echo(f"\nDemo logins (password: {settings.demo_password}):")
    for role in roles.ROLES:
        click.echo(f"  {role:<11} {demo_email(role)}")


# gunicorn's settings, and why. Sync workers: the request runs in the worker's only thread, so a request
# stuck past --timeout stops the heartbeat and the arbiter kills and logs the worker ("WORKER TIMEOUT")
# and starts a fresh one; with threaded workers the main thread keeps beating while a request thread
# spins, and nothing ever ends it. Pathway code stops at its own limit (seconds) long before that;
# the timeout (GUNICORN_TIMEOUT_SECONDS, in webui/__init__.py: a request waits less than that for SQLite's
# write lock) is the last resort for anything else. max-requests (with jitter, so workers do not all
# restart at once) recycles workers before any slow leak adds up.
GUNICORN_MAX_REQUESTS = 1000


# The access log goes to standard output ("-") for `carepath web` under a service manager, and to a file
# (instance/logs/access.log) for `carepath run`, whose console is the operator's.
def gunicorn_arguments(workers: int, bind: str, timeout: int = GUNICORN_TIMEOUT_SECONDS,
                       access_log: str = "-") -> list[str]:  # fmt: skip
    return [
        "--worker-class", "sync", "--workers", str(workers), "--timeout", str(timeout),
        "--graceful-timeout", "10", "--max-requests", str(GUNICORN_MAX_REQUESTS),
        "--max-requests-jitter", str(GUNICORN_MAX_REQUESTS // 10), "--bind", bind, "--access-logfile", access_log,
        "--config", "python:webui.gunicorn_hooks",
    ]  # fmt: skip


@main.command("run")
@click.option("--workers", default=5, show_default=True, help="Web worker processes (one request at a time each).")
@click.option("--no-prefect", is_flag=True, help="Do not start the Prefect server and the background worker.")
def run(workers: int, no_prefect: bool) -> None:
    """Start the whole platform: database, demo data, Prefect server, flows and the web app."""
    from engine.schema import upgrade
    from workflows.prefect_env import console_logging_environment, use_console_logging

    settings = _settings()
    # `kill` or a service manager stops us with SIGTERM: stop the children as Ctrl-C would.
    signal.signal(signal.SIGTERM, _interrupt)
    # A quiet console: Prefect's info lines of this process and of gunicorn's workers (one per task run
    # they create) go to instance/logs/web.log, the access log to instance/logs/access.log (README, "Logs").
    quiet = {} if "PREFECT_LOGGING_SETTINGS_PATH" in os.environ else console_logging_environment(settings)
    if quiet:
        use_console_logging(settings)
    upgrade(settings.database_url)
    with enqueue.held():  # the demo's mails wait in the outbox until Prefect, started below, answers
        _load_demo()
    supervisor = Supervisor(lambda line: click.echo(line, err=True))
    logs = settings.instance_path / "logs"
    # The background worker and the Prefect server write to log files of their own: Prefect's default there.
    env = {**os.environ, "CAREPATH_INSTANCE_PATH": str(settings.instance_path)}
    try:
        if not no_prefect:
            from workflows.prefect_env import prefect_environment

            env.update(prefect_environment(settings))
            host, port = env["PREFECT_SERVER_API_HOST"], env["PREFECT_SERVER_API_PORT"]
            click.echo(f"Starting the Prefect server on {host}:{port} …")
            server = supervisor.start(
                "the Prefect server", [sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port", port],
                env, logs / "prefect-server.log",
            )  # fmt: skip
            _wait_for(env["PREFECT_API_URL"].rstrip("/") + "/health", server.process, timeout=180)
            click.echo("Starting the background worker (task worker, timers, scheduled flows) …")
            supervisor.start("the background worker", [sys.executable, "-m", "workflows.serve"], env, logs / "flows.log")
            enqueue.wake(settings, enqueue.DELIVER_MESSAGES)  # what the demo queued while wakes were held
        click.echo(f"Starting the correspondence relay (SMTP) on {settings.host}:{settings.relay_port} …")
        supervisor.start("the correspondence relay", [sys.executable, "-m", "integrations.relay"], env, logs / "relay.log")
        web = supervisor.start("the web app (gunicorn)", [
            sys.executable, "-m", "gunicorn",
            *gunicorn_arguments(workers, f"{settings.host}:{settings.port}", access_log=str(logs / "access.log")),
            "webui.wsgi:app",
        ], {**env, **quiet})  # fmt: skip
        # Its workers import the whole app: on a busy 2-core machine that has taken over a minute.
        _wait_for(f"http://{settings.host}:{settings.port}/account/login", web.process, timeout=180)
        click.echo(f"\nCarePath is running at {settings.base_url}/")
        if not settings.smtp_url:
            click.echo(f"Mail goes to the local mailbox: {settings.base_url}/admin/mailbox (log in as admin)")
        _print_logins()
        click.echo("\nPress Ctrl-C to stop.")
        # A process that stops is started again (webui/supervisor.py), the others go on.
        supervisor.watch()
    except KeyboardInterrupt:
        click.echo("\nStopping …")
    finally:
        supervisor.stop()


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _wait_for(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise click.ClickException(f"{' '.join(map(str, process.args))} exited; see the instance logs")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise click.ClickException(f"{url} did not answer within {timeout:.0f} s")


# One command per part of the platform, for several machines (webui/hosts.py).
add_host_commands(main, gunicorn_arguments)

if __name__ == "__main__":
    main()
