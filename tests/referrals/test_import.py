"""The import run on SQLite and PostgreSQL: patients, activation messages, pathways; reimport creates
nothing; a failure midway loses nothing and a rerun finishes the rest without doing anything twice."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from engine.accounts.models import PENDING_ACTIVATION, User
from engine.clock import now
from engine.db import transaction
from engine.i18n import Conflict, NotFound
from engine.outbox import OutboxMessage
from engine.referrals import models as m
from engine.referrals import service
from engine.referrals.models import ReferralImport, ReferralRow
from engine.referrals.report import report_csv
from engine.workflow import inbox
from engine.workflow.access import Actor
from engine.workflow.models import PendingTask, ProcessInstance

from .conftest import BAD_ROWS, ROWS, SNILS, count, csv_table, import_file, make_staff, preview


def patient(sessions, email: str) -> User:
    with sessions() as session:
        user = session.scalar(select(User).where(User.email == email))
        assert user is not None
        return user


def test_the_good_rows_become_patients_with_an_activation_message_and_a_started_referral(sessions, stub, connectors, manager):
    import_id, counts = import_file(sessions, connectors, manager, csv_table(ROWS + BAD_ROWS))

    assert counts | {} == {"rows": 5, "invalid": 2, "created": 3, "updated": 0, "matched": 0, "started": 3,
                           "skipped": 0, "pending": 0}  # fmt: skip
    anna = patient(sessions, "anna@example.ru")
    assert anna.status == PENDING_ACTIVATION and anna.created_by == manager.id and anna.has_role("patient")
    assert (anna.snils, anna.phone, anna.last_name) == (SNILS[0], "+79123456789", "Иванова")
    with sessions() as session:
        mail = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "referral_activation")).all()
        assert sorted(msg.recipient for msg in mail) == ["anna@example.ru", "oleg@example.ru", "vera@example.ru"]
        assert all(msg.context["link"].startswith("http://carepath.test/account/activate/") for msg in mail)
        row = session.scalar(select(ReferralRow).where(ReferralRow.import_id == import_id, ReferralRow.line == 2))
        instance = session.get(ProcessInstance, row.instance_id)
        assert instance.process_model_id == "consultation_referral" and instance.patient_id == anna.id
        assert instance.started_by == manager.id
        [task] = inbox(session, Actor(anna.id, frozenset({"patient"})))
        assert task.title == "Upload documents" and task.instance_id == row.instance_id
        batch = session.get(ReferralImport, import_id)
        assert (batch.status, batch.done, batch.valid) == (m.DONE, 3, 3)


def test_the_pathway_gets_the_agreed_start_data(sessions, stub, connectors, manager):
    import_id, _ = import_file(sessions, connectors, manager, csv_table(ROWS[:1]))

    with sessions() as session:
        row = session.scalar(select(ReferralRow).where(ReferralRow.import_id == import_id))
        data = service.referral_data(row, manager.id)
    assert data == {"patient_id": row.patient_id, "referral_id": row.id, "diagnosis_code": "C50.9",
                    "diagnosis_text": "Рак молочной железы", "target": "Онкология", "manager_id": manager.id,
                    "referring_institution": "Областная больница", "attending_doctor": "Петров П. П.", "comment": ""}  # fmt: skip


def test_importing_the_same_file_again_creates_nothing(sessions, stub, connectors, manager):
    content = csv_table(ROWS)
    import_file(sessions, connectors, manager, content)
    before = (count(sessions, User), count(sessions, OutboxMessage), count(sessions, ProcessInstance))

    second, counts = import_file(sessions, connectors, manager, content)

    assert (count(sessions, User), count(sessions, OutboxMessage), count(sessions, ProcessInstance)) == before
    assert (counts["created"], counts["started"], counts["matched"], counts["skipped"]) == (0, 0, 3, 3)
    with sessions() as session:
        report = report_csv(session, second)
    assert "Already referred with this diagnosis (import 1, row 2)." in report


def test_a_known_patient_is_matched_by_snils_then_policy_then_email_and_birth_date(sessions, stub, connectors, manager):
    with transaction(sessions) as session:
        from engine.accounts.models import UserRole

        for email, fields in (("old-anna@example.ru", {"snils": SNILS[0]}),
                              ("old-vera@example.ru", {"oms_policy": "1234567890123456"}),
                              ("oleg@example.ru", {})):  # fmt: skip
            user = User(email=email, last_name="X", first_name="Y", status="active", locale="en", **fields)
            if email == "oleg@example.ru":
                from datetime import date

                user.birth_date = date(1955, 7, 1)
            user.roles = [UserRole(role="patient")]
            session.add(user)

    _, counts = import_file(sessions, connectors, manager, csv_table(ROWS))

    assert (counts["created"], counts["updated"], counts["started"]) == (0, 3, 3)
    anna = patient(sessions, "old-anna@example.ru")
    assert anna.phone == "+79123456789" and anna.last_name == "X"  # blanks filled, names never overwritten
    assert patient(sessions, "old-vera@example.ru").birth_date.isoformat() == "1970-02-02"
    assert patient(sessions, "oleg@example.ru").snils == SNILS[1]
    assert count(sessions, OutboxMessage) == 0  # existing accounts get no activation link


def test_an_email_of_another_person_or_a_staff_account_skips_the_row_with_the_reason(sessions, stub, connectors, manager):
    make_staff(sessions, "anna@example.ru", "doctor")  # same email, no SNILS: a different person
    make_staff(sessions, "staff-oleg@example.ru", "doctor")
    with transaction(sessions) as session:
        session.scalar(select(User).where(User.email == "staff-oleg@example.ru")).snils = SNILS[1]

    import_id, counts = import_file(sessions, connectors, manager, csv_table(ROWS))

    assert (counts["created"], counts["skipped"], counts["started"]) == (1, 2, 1)
    with sessions() as session:
        messages = {r.line: r.message[0] for r in service.rows_of(session, import_id, statuses=[m.SKIPPED])}
    assert messages == {2: "The email belongs to another account (its SNILS, policy or date of birth differ).",
                        3: "This person has a staff account, not a patient account."}  # fmt: skip


def test_an_sms_with_the_login_and_link_is_queued_when_a_gateway_is_configured(sessions, stub, connectors, manager):
    import_file(sessions, connectors, manager, csv_table(ROWS[:1]), sms=True)

    with sessions() as session:
        [sms] = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms")).all()
    assert sms.recipient == "+79123456789" and sms.kind == "referral_activation"
    assert sms.context["login"] == "anna@example.ru" and "/account/activate/" in sms.context["link"]


def test_a_row_with_only_a_mobile_phone_gets_an_account_without_email_and_the_link_by_sms_alone(sessions, stub, connectors, manager):
    phone_only = ROWS[0][:6] + ("",) + ROWS[0][7:]
    _, counts = import_file(sessions, connectors, manager, csv_table([phone_only]), sms=False)  # no gateway

    assert (counts["created"], counts["started"]) == (1, 1)
    with sessions() as session:
        user = session.scalars(select(User).where(User.phone == "+79123456789")).one()
        [sms] = session.scalars(select(OutboxMessage)).all()
    assert user.email is None and user.status == PENDING_ACTIVATION and user.notify_sms
    assert (sms.channel, sms.recipient, sms.user_id) == ("sms", "+79123456789", user.id)
    assert sms.context["login"] == "" and "/account/activate/" in sms.context["link"]


def test_a_patient_first_imported_by_phone_is_found_again_by_phone_name_and_birth_date(sessions, stub, connectors, manager):
    from engine.accounts.models import UserRole

    with transaction(sessions) as session:
        user = User(email="anna.later@example.ru", last_name="Иванова", first_name="Анна", phone="+79123456789",
                    birth_date=date(1961, 3, 12), status="active", locale="en")  # fmt: skip
        user.roles = [UserRole(role="patient")]
        session.add(user)
    no_ids = ROWS[0][:7] + ("", "") + ROWS[0][9:]  # no SNILS, no policy; an email the account does not have

    _, counts = import_file(sessions, connectors, manager, csv_table([no_ids]))

    assert (counts["created"], counts["started"]) == (0, 1), counts
    assert count(sessions, User, User.phone == "+79123456789") == 1
    assert count(sessions, OutboxMessage) == 0


def test_a_failure_midway_loses_nothing_and_a_rerun_finishes_the_rest_once(sessions, stub, connectors, manager, monkeypatch):
    import_id = preview(sessions, manager, csv_table(ROWS))
    with transaction(sessions) as session:
        service.queue_import(session, session.get(User, manager.id), import_id)
    real_start, calls = service.start_instances, []

    def flaky_start(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise ConnectionError("the database went away")
        return real_start(*args, **kwargs)

    monkeypatch.setattr(service, "start_instances", flaky_start)  # one call per chunk
    with pytest.raises(ConnectionError):
        service.run_import(sessions, import_id, connectors=connectors, sms=False, chunk=2)
    with sessions() as session:
        batch = session.get(ReferralImport, import_id)
        assert batch.status == m.FAILED and "database went away" in batch.error
    # chunk 1 (2 rows) started and recorded; chunk 2 (1 row) prepared, its start failed as a whole
    assert count(sessions, ProcessInstance) == 2 and count(sessions, User) == 4

    counts = service.run_import(sessions, import_id, connectors=connectors, sms=False, chunk=2)

    assert (counts["created"], counts["started"], counts["pending"]) == (3, 3, 0)
    assert count(sessions, ProcessInstance) == 3 and count(sessions, OutboxMessage) == 3
    assert count(sessions, PendingTask) == 3


def test_an_instance_started_just_before_a_crash_is_adopted_not_started_twice(sessions, stub, connectors, manager, monkeypatch, clock):
    import_id = preview(sessions, manager, csv_table(ROWS[:1]))
    with transaction(sessions) as session:
        service.queue_import(session, session.get(User, manager.id), import_id)
    real_start = service.start_instances

    def start_then_die(*args, **kwargs):
        real_start(*args, **kwargs)
        raise SystemError("killed before the row was updated")

    monkeypatch.setattr(service, "start_instances", start_then_die)
    with pytest.raises(SystemError):
        service.run_import(sessions, import_id, connectors=connectors, sms=False)
    monkeypatch.setattr(service, "start_instances", real_start)
    clock.advance(seconds=5)

    counts = service.run_import(sessions, import_id, connectors=connectors, sms=False)

    assert counts["started"] == 1 and count(sessions, ProcessInstance) == 1
    with sessions() as session:
        row = session.scalar(select(ReferralRow).where(ReferralRow.import_id == import_id))
        assert row.instance_id == session.scalar(select(ProcessInstance.id))


def test_a_running_import_is_not_run_twice_at_once_and_a_finished_one_returns_its_counts(sessions, stub, connectors, manager):
    import_id, counts = import_file(sessions, connectors, manager, csv_table(ROWS[:1]))

    assert service.run_import(sessions, import_id, connectors=connectors, sms=False) == counts
    other = preview(sessions, manager, csv_table(ROWS[1:2]))
    with transaction(sessions) as session:
        service.queue_import(session, session.get(User, manager.id), other)
        session.get(ReferralImport, other).status = m.RUNNING
        session.get(ReferralImport, other).lease_until = now() + timedelta(minutes=5)
    with pytest.raises(Conflict):
        service.run_import(sessions, other, connectors=connectors, sms=False)


def test_another_manager_cannot_see_or_start_an_import(sessions, stub, manager):
    import_id = preview(sessions, manager, csv_table(ROWS))
    other = make_staff(sessions, "other-manager@test.org", "manager")

    with transaction(sessions) as session, pytest.raises(NotFound):
        service.queue_import(session, session.get(User, other.id), import_id)
    with sessions() as session:
        assert session.get(ReferralImport, import_id).status == m.PREVIEW


def test_the_report_escapes_formulas_from_the_uploaded_table(sessions, stub, connectors, manager):
    import_id, _ = import_file(sessions, connectors, manager, csv_table(ROWS[:1] + BAD_ROWS[:1]))

    with sessions() as session:
        report = report_csv(session, import_id)

    assert "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\"" in report
    assert ",=" not in report and "\n=" not in report
    assert "Surname: a name may contain only letters, spaces, hyphens and apostrophes; " in report


def test_a_surname_that_looks_like_a_formula_is_imported_as_typed_and_escaped_in_the_report(sessions, stub, connectors, manager):
    row = ("=Смирнова", "Ольга", "", "01.01.1980", "Ж", "", "olga@example.ru", "", "", "I10", "",
           "Областная больница", "", "Кардиология", '=HYPERLINK("http://evil.example","click")')  # fmt: skip
    import_id, counts = import_file(sessions, connectors, manager, csv_table([row]))

    assert counts["started"] == 1
    olga = patient(sessions, "olga@example.ru")
    assert olga.last_name == "=Смирнова"
    with sessions() as session:
        report = report_csv(session, import_id)
        [referral] = service.rows_of(session, import_id)
        assert service.referral_data(referral, manager.id)["comment"] == '=HYPERLINK("http://evil.example","click")'
    assert ",'=Смирнова," in report and ",=Смирнова" not in report
