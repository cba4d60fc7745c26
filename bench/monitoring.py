"""Monitoring at scale: the evening dispatch for N patients, delivered to a local aiosmtpd, run twice;
and the doctor's list of monitored patients with alerts.

    .venv/bin/python bench/monitoring.py [--patients 10000] [--list-patients 2000] [--database-url postgresql://...]

Prints: how long the dispatch took to open every patient's day and queue the invitations (in bulk; a
day's `monitoring_cycle` instance starts when the patient opens it, timed here for a sample), how long
delivery took, that a second run sent nothing, and the p50/p95 of the doctor's list query.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [str(HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

import forms  # noqa: E402, F401 - installs the check deploy runs on every form (engine.workflow.validation)
from bench.notify import Counter, database, free_port  # noqa: E402
from engine import clock, outbox  # noqa: E402
from engine.accounts.models import ACTIVE, User, UserRole  # noqa: E402
from engine.composition import build_connectors  # noqa: E402
from engine.db import create_all, make_session_factory, transaction  # noqa: E402
from engine.monitoring import alerts, answering, dispatch  # noqa: E402
from engine.monitoring.models import Alert, MonitoringPlan, PlanItem, Questionnaire  # noqa: E402
from engine.workflow import deploy_model  # noqa: E402
from integrations.courier import Courier  # noqa: E402
from integrations.mail import SmtpTransport  # noqa: E402

MODEL = HERE.parent / "workflows" / "bpmn" / "monitoring_cycle"
DAY = date(2026, 3, 2)
EVENING = datetime(2026, 3, 2, 16, 5, tzinfo=UTC)  # 19:05 in Moscow


def populate(sessions, patients: int, doctor_email: str, start_at: int) -> tuple[int, list[int]]:
    """A doctor and `patients` patients with one plan each (BP every morning, a question): bulk inserts."""
    with transaction(sessions) as session:
        doctor = User(email=doctor_email, last_name="Doctor", first_name="Bench", status=ACTIVE, locale="en")
        doctor.roles = [UserRole(role="doctor")]
        session.add(doctor)
        session.flush()
        first = start_at
        session.execute(insert(User), [
            {"email": f"patient{n}@bench.test", "last_name": f"Patient{n:05d}", "first_name": "Bench", "patronymic": "",
             "status": ACTIVE, "locale": "en", "timezone": "Europe/Moscow", "phone": "", "notify_email": True,
             "notify_sms": False, "oms_policy": "", "snils": "", "two_factor": False, "created_at": EVENING}
            for n in range(first, first + patients)])  # fmt: skip
        ids = list(session.scalars(select(User.id).where(User.email.like("patient%@bench.test"))
                                   .order_by(User.id)))[-patients:]
        session.execute(insert(UserRole), [{"user_id": i, "role": "patient"} for i in ids])
        session.execute(insert(MonitoringPlan), [
            {"doctor_id": doctor.id, "patient_id": i, "title": "Hypertension", "start_date": DAY,
             "invite_time": "19:00", "status": "active", "created_at": EVENING} for i in ids])  # fmt: skip
        plan_ids = list(session.scalars(select(MonitoringPlan.id).where(MonitoringPlan.doctor_id == doctor.id)))
        session.execute(insert(PlanItem), [
            {"plan_id": p, "position": 0, "kind": "measurement", "code": "bp", "title": "Blood pressure",
             "unit": "mmHg", "time_of_day": "morning", "period": "daily", "every_n": 1, "weekdays": "",
             "valid_min": 50, "valid_max": 260, "alert_high": 140, "alert_high2": 90, "dose": "",
             "answer_type": "options", "options": []} for p in plan_ids])  # fmt: skip
        return doctor.id, ids


def deliver(sessions, url: str) -> int:
    sent = 0
    while report := outbox.deliver_due(sessions, lambda: Courier({outbox.EMAIL: SmtpTransport(url, "CarePath <noreply@bench.test>")},
                                                               domain="bench.test"), 200):
        if not report.total:
            break
        sent += report.sent
        if report.retried or report.failed:
            raise SystemExit(f"delivery failed: {report.errors[:3]}")
    return sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--list-patients", type=int, default=2_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    clock.use(lambda: EVENING)
    connectors = build_connectors(None)
    with tempfile.TemporaryDirectory() as folder, database(args.database_url, folder) as engine:
        create_all(engine)
        sessions = make_session_factory(engine)
        with transaction(sessions) as session:
            files = {str(p.relative_to(MODEL)): p.read_text() for p in MODEL.rglob("*") if p.is_file()}
            deploy_model(session, "monitoring_cycle", files, connectors=connectors)
        populate(sessions, args.patients, "dispatch-doctor@bench.test", 0)

        counter = Counter()
        port = free_port()
        server = Controller(counter, hostname="127.0.0.1", port=port)
        server.start()
        try:
            started = time.perf_counter()
            first = dispatch.dispatch_evening(sessions, base_url="https://carepath.test", connectors=connectors)
            dispatched_in = time.perf_counter() - started
            sent = deliver(sessions, f"smtp://127.0.0.1:{port}")
            total = time.perf_counter() - started
            again = dispatch.dispatch_evening(sessions, base_url="https://carepath.test", connectors=connectors)
            sent_again = deliver(sessions, f"smtp://127.0.0.1:{port}")
        finally:
            server.stop()
        with sessions() as session:
            opened = session.scalar(select(Questionnaire.id).order_by(Questionnaire.id.desc()).limit(1))
        assert first.started == first.invited == sent == counter.messages == args.patients, (
            first.started, first.invited, sent, counter.messages)
        assert again.started == again.invited == 0 and sent_again == 0

        # The cost moved out of the dispatch: a day's instance starts when its patient opens it.
        with sessions() as session:
            sample = list(session.scalars(select(Questionnaire.patient_id).order_by(Questionnaire.id).limit(50)))
        opening = []
        for patient_id in sample:
            t0 = time.perf_counter()
            answering.open_from_cabinet(sessions, patient_id, "Europe/Moscow", DAY, base_url="https://carepath.test",
                                        connectors=connectors)
            opening.append((time.perf_counter() - t0) * 1000)

        print(f"database: {engine.dialect.name}; {args.patients} monitored patients")
        print(f"evening dispatch: {first.started} days opened and invitations queued in {dispatched_in:.1f} s "
              f"({args.patients / dispatched_in:,.0f}/s)")
        print(f"delivered {sent} invitations to aiosmtpd; dispatch + delivery {total:.1f} s (target <= 60 s)")
        print(f"second run: {again.started} days opened, {again.invited} queued, {sent_again} sent "
              f"(last questionnaire id {opened})")
        print(f"a patient opening the invited day starts its monitoring_cycle instance: "
              f"p50 {statistics.median(opening):.1f} ms over {len(opening)} patients")

        doctor_id, ids = populate(sessions, args.list_patients, "list-doctor@bench.test", args.patients)
        with transaction(sessions) as session:
            q_ids = list(session.scalars(select(Questionnaire.id).limit(1)))
            session.execute(insert(Alert), [
                {"doctor_id": doctor_id, "patient_id": pid, "questionnaire_id": q_ids[0], "day": DAY, "level": "warning",
                 "reason": "A value beyond your thresholds", "values": [], "status": "open", "created_at": EVENING}
                for pid in ids[:: 7]])  # fmt: skip
        for label, limit in (("first page (100)", 100), (f"all {args.list_patients}", None)):
            timings = []
            with sessions() as session:
                for _ in range(200):
                    t0 = time.perf_counter()
                    rows = alerts.monitored_patients(session, doctor_id, limit=limit)
                    timings.append((time.perf_counter() - t0) * 1000)
            timings.sort()
            p95 = timings[int(len(timings) * 0.95) - 1]
            print(f"doctor's list, {label}: {len(rows)} rows, open alerts first ({rows[0].open_alerts}); "
                  f"p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms (target <= 50 ms)")
    clock.reset()


if __name__ == "__main__":
    main()
