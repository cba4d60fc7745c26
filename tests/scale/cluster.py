"""CarePath started as it runs on several machines, on loopback: hosts with instance folders of their own
that share only the app's PostgreSQL database (a schema of the test database here), the Prefect server
(its own SQLite under its host's folder here; PostgreSQL in production, README) and the file store
(CAREPATH_FILE_STORE=database). Used by tests/scale and bench/scale.py.

Each host is started with the `carepath` command it would run on its machine (`carepath prefect-server`,
`carepath worker`, `carepath web`); mail goes to an SMTP server in this process that records every
message, so a message sent twice or never is seen.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[2]
CARPATH = [sys.executable, "-m", "webui.cli"]
ADMIN_URL = os.environ.get("CAREPATH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MailSink:
    """An SMTP server that keeps every message it accepted: (outbox id from the Message-ID, recipient)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[tuple[str, str, str]] = []  # (message id, to, subject)
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        mime = message_from_bytes(envelope.content)
        with self.lock:
            self.messages.append((str(mime["Message-ID"] or ""), str(mime["To"] or ""), str(mime["Subject"] or "")))
        return "250 OK"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.controller.port}"

    def outbox_ids(self) -> Counter[int]:
        """How many times each outbox row arrived (the courier's Message-ID is <outbox.ID.STAMP@domain>)."""
        with self.lock:
            ids = [m[0].strip("<>").split(".")[1] for m in self.messages if m[0].startswith("<outbox.")]
        return Counter(int(i) for i in ids)


@dataclass
class Host:
    name: str
    argv: list[str]
    env: dict[str, str]
    folder: Path
    process: subprocess.Popen[bytes] | None = None
    port: int | None = None

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        log = open(self.folder / f"{self.name}.log", "ab")  # noqa: SIM115 - the child owns it
        self.process = subprocess.Popen(self.argv, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def kill(self) -> None:
        """As a machine losing power would: no clean-up at all."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def log_text(self) -> str:
        return (self.folder / f"{self.name}.log").read_text(errors="replace")


@dataclass
class Cluster:
    folder: Path
    web_count: int = 2
    worker_count: int = 2
    # gunicorn sync workers per web host: 4 in all on the 2 cores, as README's "N ≈ 2 × cores" for the
    # machine. A request is CPU work (templates, argon2) with short database waits, so more workers would
    # only share the same cores thinner. Under the arrivals' burst the requests wait in the listen backlog
    # (2048), which is slow but no error: gunicorn's 30 s timeout counts a request's own work, not its
    # wait. One request at a time per worker needs one database connection, so SQLAlchemy's default pool
    # (5) is ample, and the whole cluster stays far below PostgreSQL's 100 connections.
    web_workers: int = 2
    # A worker killed while it holds timers or messages delays them by this much (engine/leases.py); short
    # here so the test does not wait out the production default.
    claim_lease_seconds: int = 10
    # A schema of its own in the test database (CREATE DATABASE would wait for a checkpoint each time).
    schema: str = field(default_factory=lambda: f"carepath_scale_{uuid.uuid4().hex[:10]}")
    hosts: list[Host] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.mail = MailSink()
        self.prefect_port = free_port()
        self.database_url = f"{ADMIN_URL}{'&' if '?' in ADMIN_URL else '?'}options=-csearch_path%3D{self.schema}"
        self.secret = self.folder / "secret_key"
        self.passphrase = self.folder / "keys_passphrase"

    # ------------------------------------------------------------------ set-up

    def environment(self, host: str, **extra: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("CAREPATH_", "PREFECT_"))}
        return {
            **base,
            "PYTHONPATH": str(ROOT),
            "CAREPATH_INSTANCE_PATH": str(self.folder / host),
            "CAREPATH_DATABASE_URL": self.database_url,
            "CAREPATH_FILE_STORE": "database",
            # Secrets come from files, as each machine would mount them (the same values on every host).
            "CAREPATH_KEYS_PASSPHRASE_FILE": str(self.passphrase),
            "CAREPATH_SECRET_KEY_FILE": str(self.secret),
            "CAREPATH_PREFECT_API_URL": f"http://127.0.0.1:{self.prefect_port}/api",
            "CAREPATH_SMTP_URL": self.mail.url,
            "CAREPATH_DEFAULT_LOCALE": "en",
            # Every simulated person comes from 127.0.0.1: the per-address login limit would stop them.
            "CAREPATH_LOGIN_RATE_LIMIT": "100000 per minute",
            "CAREPATH_BASE_URL": "http://127.0.0.1:5000",
            "CAREPATH_CLAIM_LEASE_SECONDS": str(self.claim_lease_seconds),
            **extra,
        }

    def create_databases(self) -> None:
        from engine.db import make_engine

        admin = make_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        admin.dispose()
        self.secret.write_text(uuid.uuid4().hex)
        self.passphrase.write_text(uuid.uuid4().hex)

    def drop_databases(self) -> None:
        from engine.db import make_engine

        admin = make_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
        admin.dispose()

    def carepath(self, *args: str) -> None:
        """A one-off `carepath` command from a set-up host (schema, pathways, demo data)."""
        folder = self.folder / "setup"
        folder.mkdir(parents=True, exist_ok=True)
        result = subprocess.run([*CARPATH, *args], env=self.environment("setup"), cwd=ROOT,
                                capture_output=True, timeout=600)
        if result.returncode:
            raise RuntimeError(f"carepath {' '.join(args)} failed:\n{result.stdout.decode()}{result.stderr.decode()}")

    def sessions(self) -> Any:
        from engine.db import make_engine, make_session_factory

        return make_session_factory(make_engine(self.database_url))

    # ------------------------------------------------------------------ hosts

    def start(self) -> None:
        self.mail.controller.start()
        self.create_databases()
        self.carepath("init-db")
        self.carepath("demo")  # the demo institutions, doctors and slots the simulated people book
        prefect = Host("prefect", [*CARPATH, "prefect-server"], self.environment("prefect"), self.folder / "prefect")
        self.hosts.append(prefect)
        prefect.start()
        self._wait(f"http://127.0.0.1:{self.prefect_port}/api/health", prefect, timeout=240)
        for n in range(1, self.worker_count + 1):
            worker = Host(f"worker{n}", [*CARPATH, "worker"], self.environment(f"worker{n}"), self.folder / f"worker{n}")
            self.hosts.append(worker)
            worker.start()
        for n in range(1, self.web_count + 1):
            port = free_port()
            web = Host(f"web{n}", [*CARPATH, "web", "--workers", str(self.web_workers), "--bind", f"127.0.0.1:{port}"],
                       self.environment(f"web{n}"), self.folder / f"web{n}", port=port)
            self.hosts.append(web)
            web.start()
        for web in self.webs:
            self._wait(f"{self.url(web)}/account/login", web, timeout=120)

    @property
    def webs(self) -> list[Host]:
        return [h for h in self.hosts if h.name.startswith("web")]

    @property
    def workers(self) -> list[Host]:
        return [h for h in self.hosts if h.name.startswith("worker")]

    @staticmethod
    def url(web: Host) -> str:
        return f"http://127.0.0.1:{web.port}"

    def stop(self) -> None:
        for host in reversed(self.hosts):
            host.stop()
        with contextlib.suppress(Exception):
            self.mail.controller.stop()
        self.drop_databases()

    @staticmethod
    def _wait(url: str, host: Host, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert host.process is not None
            if host.process.poll() is not None:
                raise RuntimeError(f"{host.name} exited:\n{host.log_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=5):
                    return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"{url} did not answer within {timeout:.0f} s:\n{host.log_text()[-3000:]}")
