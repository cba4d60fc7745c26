"""Registry slot search at scale: 50 institutions x 20 doctors x 8 weeks (about 1 million slots).

Prints p50/p95 of the five-filter schedule search and of "nearest available time", and the booking
throughput (hold + ticket + confirm, the service functions the pathway's connectors call).
Targets (issue #4): search p95 <= 30 ms, nearest available time p95 <= 10 ms.

    .venv/bin/python -m bench.slots                      # PostgreSQL at CAREPATH_BENCH_DATABASE_URL
    .venv/bin/python -m bench.slots --url sqlite:////tmp/slots.sqlite3 --institutions 5
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

# Run as a script, bench/ comes first on sys.path and bench/engine.py would hide the `engine` package.
HERE = Path(__file__).resolve().parent
sys.path[:] = [str(HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

from sqlalchemy import select, text  # noqa: E402

from engine.db import create_all, make_engine, make_session_factory, transaction  # noqa: E402
from engine.registry import search, tickets  # noqa: E402
from engine.registry.models import (  # noqa: E402
    Department,
    Doctor,
    DoctorPost,
    Institution,
    Locality,
    ScheduleTemplate,
    Specialty,
)
from engine.registry.schedules import generate_slots  # noqa: E402

DEFAULT_URL = os.environ.get("CAREPATH_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
SURNAMES = ("Иванов", "Петров", "Сидоров", "Кузнецов", "Смирнов", "Попов", "Соколов", "Лебедев", "Козлов", "Новиков")
DEPARTMENTS = ("Терапевтическое отделение", "Хирургическое отделение", "Детская поликлиника", "Консультативное отделение")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def build(sessions, institutions: int, doctors: int, weeks: int) -> None:
    with transaction(sessions) as session:
        town = Locality(name=f"Bench {uuid.uuid4().hex[:6]}")
        session.add(town)
        specialties = [Specialty(name=f"Специальность {uuid.uuid4().hex[:6]} {n}") for n in range(10)]
        session.add_all(specialties)
        session.flush()
        for i in range(institutions):
            inst = Institution(locality_id=town.id, name=f"Поликлиника №{i + 1}", address=f"ул. Ленина, {i + 1}")
            session.add(inst)
            session.flush()
            depts = [Department(institution_id=inst.id, name=name) for name in DEPARTMENTS]
            session.add_all(depts)
            session.flush()
            for d in range(doctors):
                doctor = Doctor(institution_id=inst.id, last_name=f"{SURNAMES[d % 10]}{d}", first_name="Иван",
                                patronymic="Петрович")
                session.add(doctor)
                session.flush()
                post = DoctorPost(doctor_id=doctor.id, department_id=depts[d % 4].id,
                                  specialty_id=specialties[d % 10].id)
                session.add(post)
                session.flush()
                # Mon-Fri 08:00-16:20, 20-minute tickets: 25 a day, 1,000 per doctor over 8 weeks -> ~1M
                for weekday in range(5):
                    session.add(ScheduleTemplate(post_id=post.id, weekday=weekday, start=dtime(8),
                                                 end=dtime(16, 20), slot_minutes=20, valid_from=date(2020, 1, 1)))
        session.flush()
    with sessions() as session:
        ids = session.scalars(select(Institution.id).where(Institution.locality_id == town.id)).all()
    for n, inst_id in enumerate(ids, 1):
        with transaction(sessions) as session:
            generate_slots(session, session.get(Institution, inst_id), weeks)
        if n % 10 == 0:
            print(f"  slots generated for {n}/{len(ids)} institutions", flush=True)


def timed(fn, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--institutions", type=int, default=50)
    parser.add_argument("--doctors", type=int, default=20)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    admin = make_engine(args.url)
    schema = None
    if admin.dialect.name == "postgresql":
        schema = f"bench_slots_{uuid.uuid4().hex[:8]}"
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(args.url, connect_args={"options": f"-csearch_path={schema}"})
    else:
        engine = admin
    try:
        create_all(engine)
        sessions = make_session_factory(engine)
        started = time.perf_counter()
        build(sessions, args.institutions, args.doctors, args.weeks)
        with engine.begin() as conn:
            count = conn.execute(text("select count(*) from registry_slot")).scalar_one()
            if engine.dialect.name == "postgresql":
                conn.execute(text("ANALYZE"))
        print(f"{count} slots built in {time.perf_counter() - started:.0f} s ({engine.dialect.name})")
        run(sessions, args.runs)
    finally:
        engine.dispose()
        if schema:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run(sessions, runs: int) -> None:
    rng = random.Random(4)
    with sessions() as session:
        insts = list(session.scalars(select(Institution)))
        doctors = session.execute(select(Doctor.id, Doctor.last_name)).all()
        specialties = session.scalars(select(Specialty.id)).all()
    today = datetime.now(UTC).date() + timedelta(days=1)

    def five_filters() -> None:
        inst = rng.choice(insts)
        start = today + timedelta(days=rng.randrange(0, 40))
        filters = search.Filters(department=rng.choice(("терапевт", "хирург", "детская", "")),
                                 specialty_id=rng.choice(specialties), date_from=start,
                                 date_to=start + timedelta(days=rng.randrange(0, 7)),
                                 doctor=rng.choice(("иван", "петров", "")), only_free=rng.random() < 0.7)
        with sessions() as session:
            search.search_slots(session, session.merge(inst, load=False), filters)

    def nearest() -> None:
        doctor_id = rng.choice(doctors)[0]
        with sessions() as session:
            search.nearest_free(session, doctor_id=doctor_id)

    for name, fn in (("search (five filters)", five_filters), ("nearest available time", nearest)):
        timed(fn, 20)  # warm-up
        samples = timed(fn, runs)
        print(f"{name:26} p50 {statistics.median(samples):6.2f} ms   p95 {percentile(samples, 95):6.2f} ms")

    with sessions() as session:
        free = session.execute(text("select id from registry_slot where status='free' order by random() limit 500")).scalars().all()
        users = session.execute(text("select id from user_account limit 1")).scalars().all()
    if not users:
        with transaction(sessions) as session:
            session.execute(text("insert into user_account (email, last_name, first_name, patronymic, phone, status, "
                                 "locale, timezone, notify_email, notify_sms, oms_policy, snils, two_factor, created_at) "
                                 "values ('bench@example.org', 'Bench', 'Bench', '', '', 'active', 'ru', 'UTC', "
                                 "true, false, '', '', false, :now)"), {"now": datetime.now(UTC)})
        with sessions() as session:
            users = session.execute(text("select id from user_account limit 1")).scalars().all()
    started = time.perf_counter()
    booked = 0
    for n, slot_id in enumerate(free):
        with transaction(sessions) as session:
            # A different person each time, so the one-ticket-at-a-time rule does not refuse them.
            person = {"identity_key": f"bench:{n}", "doc_type": "none", "last_name": "Bench", "first_name": str(n)}
            held = tickets.hold(session, slot_id=slot_id, user_id=users[0], person=person,
                                hold_until=datetime.now(UTC) + timedelta(hours=1))
            if held["held"]:
                tickets.confirm(session, session.get(tickets.Ticket, held["ticket_id"]))
                booked += 1
    elapsed = time.perf_counter() - started
    print(f"booking (hold + confirm)   {len(free) / elapsed:6.0f} attempts per second, one connection "
          f"({booked} booked; the rest overlapped the bench account's earlier tickets and were refused)")


if __name__ == "__main__":
    main()
