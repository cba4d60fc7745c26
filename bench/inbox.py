"""Inbox latency on a large pending_task table.

Bulk-inserts 100,000 instances and 300,000 pending tasks (patients' own tasks, doctors' personal tasks,
institution queues; due dates spread around now, some undated), then times `inbox()` for one doctor (a
personal list plus the queue of their institution) and one patient, the way a web request runs it: a
session from the factory, `views.inbox`, close. Prints p50/p95/p99 in ms. On PostgreSQL the tables go
into a schema of their own, dropped at the end. Run:
    .venv/bin/python bench/inbox.py [--instances 100000] [--tasks 300000] [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [str(HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

from sqlalchemy import insert, text  # noqa: E402

from engine.clock import now  # noqa: E402
from engine.db import create_all, make_engine, make_session_factory  # noqa: E402
from engine.workflow import Actor, inbox  # noqa: E402
from engine.workflow.models import (  # noqa: E402
    NO_DUE_DATE,
    PendingTask,
    ProcessInstance,
    ProcessModel,
    ProcessModelVersion,
)

DOCTORS, INSTITUTIONS, PATIENTS = 500, 50, 50_000
BATCH = 10_000


def fill(engine, instances: int, tasks: int) -> None:
    rnd = random.Random(7)
    moment = now()
    with engine.begin() as conn:
        conn.execute(insert(ProcessModel), [{"id": "bench", "title": "Bench", "description": "", "created_at": moment}])
        conn.execute(
            insert(ProcessModelVersion),
            [{"process_model_id": "bench", "number": 1, "files": {}, "sha256": "0" * 64, "primary_process_id": "bench",
              "process_sources": {}, "serialized_spec": "{}", "deployed_at": moment}],
        )  # fmt: skip
        for start in range(0, instances, BATCH):
            conn.execute(
                insert(ProcessInstance),
                [{"id": i + 1, "version_id": 1, "process_model_id": "bench", "status": "waiting", "state": "{}",
                  "patient_id": i % PATIENTS + 1, "created_at": moment, "updated_at": moment, "revision": 1}
                 for i in range(start, min(start + BATCH, instances))],
            )  # fmt: skip
        for start in range(0, tasks, BATCH):
            rows = []
            for n in range(start, min(start + BATCH, tasks)):
                instance = n % instances + 1
                kind = rnd.random()
                due = None if rnd.random() < 0.3 else moment + timedelta(hours=rnd.uniform(-240, 240))
                if kind < 0.5:
                    role, assignee, group = "patient", (instance - 1) % PATIENTS + 1, None
                elif kind < 0.8:
                    role, assignee, group = "doctor", rnd.randint(1, DOCTORS), None
                else:
                    role, assignee, group = "doctor", None, f"institution:{rnd.randint(1, INSTITUTIONS)}:doctor"
                rows.append(
                    {"instance_id": instance, "process_model_id": "bench", "task_guid": f"{n:036d}",
                     "task_name": "t", "title": "Task", "lane": role, "role": role, "assignee_user_id": assignee,
                     "candidate_group": group, "patient_id": (instance - 1) % PATIENTS + 1, "due_at": due,
                     "sort_at": due or NO_DUE_DATE, "created_at": moment}
                )  # fmt: skip
            conn.execute(insert(PendingTask), rows)
        conn.execute(text("ANALYZE"))  # both databases plan better with statistics of the fresh table


def timings(sessions, actor: Actor, rounds: int) -> list[float]:
    result = []
    for _ in range(10):  # warm the pool, SQLAlchemy's statement cache and psycopg's prepared statements
        with sessions() as session:
            inbox(session, actor)
    for _ in range(rounds):
        started = time.perf_counter()
        with sessions() as session:  # a request's session: checkout, the query, rollback and close
            items = inbox(session, actor)
        result.append((time.perf_counter() - started) * 1000)
    assert items, "the chosen actor should have tasks"
    return result


def report(name: str, values: list[float]) -> None:
    q = statistics.quantiles(values, n=100)
    print(f"{name:<40} p50 {q[49]:6.2f} ms   p95 {q[94]:6.2f} ms   p99 {q[98]:6.2f} ms")


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--instances", type=int, default=100_000)
    options.add_argument("--tasks", type=int, default=300_000)
    options.add_argument("--rounds", type=int, default=300)
    options.add_argument("--database-url", default=None, help="an empty PostgreSQL database (default: SQLite)")
    args = options.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'inbox.sqlite3'}"
        schema = f"inbox_bench_{uuid.uuid4().hex[:8]}" if url.startswith("postgresql") else None
        admin = make_engine(url) if schema else None
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"}) if schema else make_engine(url)
        try:
            create_all(engine)
            started = time.perf_counter()
            fill(engine, args.instances, args.tasks)
            print(f"{engine.dialect.name}: inserted {args.instances:,} instances and {args.tasks:,} pending tasks "
                  f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
            sessions = make_session_factory(engine)
            doctor = Actor(7, frozenset({"doctor"}), frozenset({"institution:3:doctor"}))
            patient = Actor(42, frozenset({"patient"}))
            report("doctor (own + institution queue)", timings(sessions, doctor, args.rounds))
            report("patient (own tasks)", timings(sessions, patient, args.rounds))
        finally:
            engine.dispose()
            if admin is not None:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()


if __name__ == "__main__":
    main()
