"""Outbox throughput: N queued confirmation emails delivered to a local aiosmtpd server.

    .venv/bin/python bench/notify.py [--messages 10000] [--batch 100] [--database-url postgresql://...]

Prints how long queueing took and delivered messages per second (render + SMTP + one transaction per
message for its attempt row). Each batch goes through one SMTP connection.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import Engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import outbox  # noqa: E402
from engine.db import create_all, make_engine, make_session_factory, transaction  # noqa: E402
from integrations.courier import Courier  # noqa: E402
from integrations.mail import SmtpTransport  # noqa: E402

MAIL_FROM = "CarePath <noreply@carepath.test>"


class Counter:
    def __init__(self) -> None:
        self.messages = 0
        self.peers: set[tuple[str, int]] = set()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        self.messages += 1
        self.peers.add(session.peer)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def database(url: str | None, folder: str) -> Iterator[Engine]:
    """A fresh SQLite file, or a schema of our own in the given PostgreSQL database, dropped after."""
    if not url or not url.startswith("postgresql"):
        engine = make_engine(url or f"sqlite:///{folder}/bench.sqlite3")
        yield engine
        engine.dispose()
        return
    schema = f"bench_notify_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=outbox.DEFAULT_BATCH)
    parser.add_argument(
        "--database-url", help="PostgreSQL (a temporary schema in it); default: a fresh SQLite file"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder, database(args.database_url, folder) as engine:
        create_all(engine)
        sessions = make_session_factory(engine)

        started = time.perf_counter()
        with transaction(sessions) as session:
            for n in range(args.messages):
                outbox.enqueue(
                    session,
                    kind="confirm_email",
                    to=f"patient{n}@example.org",
                    locale="en",
                    context={
                        "name": f"Patient {n}",
                        "link": f"https://carepath.test/confirm/{n}",
                        "expires_hours": 24,
                    },
                    dedupe_key=f"bench:{n}",
                )
        queued_in = time.perf_counter() - started

        counter = Counter()
        port = free_port()
        server = Controller(counter, hostname="127.0.0.1", port=port)
        server.start()
        try:
            url = f"smtp://127.0.0.1:{port}"
            started = time.perf_counter()
            sent = 0
            while report := outbox.deliver_due(
                sessions,
                lambda: Courier({outbox.EMAIL: SmtpTransport(url, MAIL_FROM)}, domain="carepath.test"),
                args.batch,
            ):
                if not report.total:
                    break
                sent += report.sent
                if report.retried or report.failed:
                    raise SystemExit(f"delivery failed: {report.errors[:3]}")
            delivered_in = time.perf_counter() - started
        finally:
            server.stop()

    assert counter.messages == sent == args.messages, (counter.messages, sent)
    print(f"database: {engine.dialect.name}; {args.messages} messages, batches of {args.batch}")
    print(f"queued in {queued_in:.2f} s ({args.messages / queued_in:,.0f} messages/s, one transaction)")
    print(f"delivered in {delivered_in:.2f} s over {len(counter.peers)} SMTP connections")
    print(f"{args.messages / delivered_in:,.0f} messages/s delivered")


if __name__ == "__main__":
    main()
