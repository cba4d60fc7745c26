"""Referral import throughput: N generated rows end to end.

    .venv/bin/python bench/imports.py [--rows 10000] [--database-url postgresql://...]

A Windows-1251, semicolon-separated table of N rows (every one a new patient with a valid SNILS) goes
through what the manager's "import" does: parsing and validation (the preview), then the import run:
patients created, activation messages queued in the outbox, and `consultation_referral` started per
row (the test stand-in model from tests/data/referral_stub, one user task). Prints seconds per phase
and rows/s overall. Target: 10,000 rows in at most 30 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import engine.models  # noqa: E402,F401
import forms  # noqa: E402, F401 - installs the check deploy runs on every form (engine.workflow.validation)
from engine.accounts.service import find_by_email  # noqa: E402
from engine.composition import build_connectors  # noqa: E402
from engine.db import create_all, make_engine, make_session_factory, transaction  # noqa: E402
from engine.demo import ensure_demo_accounts  # noqa: E402
from engine.outbox import OutboxMessage  # noqa: E402
from engine.referrals import service  # noqa: E402
from engine.referrals.parse import TEMPLATE_HEADERS  # noqa: E402
from engine.workflow import sync_folder  # noqa: E402
from engine.workflow.models import ProcessInstance  # noqa: E402


def snils(n: int) -> str:
    body = f"{n + 2_000_000:09d}"
    total = sum(int(d) * (9 - i) for i, d in enumerate(body)) % 101
    return f"{body[:3]}-{body[3:6]}-{body[6:9]} {0 if total == 100 else total:02d}"


def table(rows: int) -> bytes:
    lines = [";".join(TEMPLATE_HEADERS["ru"])]
    for n in range(rows):
        lines.append(";".join((
            "Иванова", "Анна", "Сергеевна", f"{1 + n % 28:02d}.{1 + n % 12:02d}.19{40 + n % 50}", "Ж",
            f"8 912 {n:07d}", f"patient{n}@example.ru", snils(n), "", "C50.9", "Рак молочной железы",
            "Областная больница", "Петров П. П.", "Онкология", "",
        )))  # fmt: skip
    return ("\r\n".join(lines) + "\r\n").encode("cp1251")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    schema = None
    if args.database_url and args.database_url.startswith("postgresql"):
        schema = f"bench_imports_{uuid.uuid4().hex[:8]}"
        admin = make_engine(args.database_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(args.database_url, connect_args={"options": f"-csearch_path={schema}"})
    else:
        engine = make_engine(args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
    create_all(engine)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        ensure_demo_accounts(session, "bench password 42")
    connectors = build_connectors()
    sync_folder(factory, ROOT / "tests" / "data" / "referral_stub", connectors=connectors)
    content = table(args.rows)

    started = time.perf_counter()
    with transaction(factory) as session:
        manager = find_by_email(session, "manager@example.org")
        assert manager is not None
        batch = service.create_preview(session, manager, "bench.csv", content, base_url="http://127.0.0.1:5000")
        service.queue_import(session, manager, batch.id)
        import_id, valid = batch.id, batch.valid
    previewed = time.perf_counter()
    counts = service.run_import(factory, import_id, connectors=connectors, sms=False)
    finished = time.perf_counter()

    with factory() as session:
        messages = session.scalar(select(func.count()).select_from(OutboxMessage))
        instances = session.scalar(select(func.count()).select_from(ProcessInstance))
    assert valid == args.rows and counts["created"] == args.rows and counts["started"] == args.rows, counts
    assert messages == args.rows and instances == args.rows, (messages, instances)
    total = finished - started
    print(f"database:            {engine.dialect.name}")
    print(f"rows:                {args.rows}")
    print(f"parse + validate:    {previewed - started:6.1f} s")
    print(f"import run:          {finished - previewed:6.1f} s  (patients, activation mail queued, pathways)")
    print(f"total:               {total:6.1f} s  -> {args.rows / total:,.0f} rows/s (target: 10,000 rows <= 30 s)")
    engine.dispose()
    if schema:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
