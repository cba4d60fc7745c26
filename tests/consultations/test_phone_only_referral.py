"""Route 3 for a patient the referral table gives only a mobile phone, on SQLite and PostgreSQL: the row is
imported (an account without an email), the activation link goes by SMS through the real outbox (no
gateway: the local mailbox), the patient sets a password and gives an email, confirms it by the emailed
link, logs in, and the consultation_referral pathway goes on to the doctor's review. Imported again,
the row finds the same patient."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from engine.accounts import service as accounts
from engine.accounts.models import ACTIVE, PENDING_ACTIVATION, UNCONFIRMED, User
from engine.config import load_settings
from engine.consultations.models import Consultation
from engine.db import transaction
from engine.i18n import UserError
from engine.outbox import OutboxMessage, deliver_due
from engine.referrals import service as referrals
from integrations.courier import courier_for
from integrations.mailbox import Mailbox
from tests.consultations.conftest import pending
from tests.consultations.helpers import do, upload
from tests.referrals.conftest import csv_table

PASSWORD = "referred by phone secret"
# No email, a mobile phone in a common notation, the referring institution of the world's registry.
ROW = ("Орлова", "Нина", "Петровна", "03.04.1950", "Ж", "8 (912) 700-11-22", "", "", "",
       "G40.1", "Эпилепсия", "Polyclinic No. 1", "Петров П. П.", "неврология", "")  # fmt: skip


@pytest.fixture
def settings(tmp_path):
    return load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path / "instance"),
                          "CAREPATH_BASE_URL": "https://carepath.example"})  # fmt: skip


def _import(sessions, deployed, world) -> dict[str, int]:
    with transaction(sessions) as session:
        manager = session.get(User, world.manager)
        batch = referrals.create_preview(session, manager, "napravleniya.csv", csv_table([ROW]),
                                         base_url="https://carepath.example")  # fmt: skip
        assert batch.valid == 1, [r.errors for r in referrals.rows_of(session, batch.id)]
        referrals.queue_import(session, manager, batch.id)
        import_id = batch.id
    return referrals.run_import(sessions, import_id, connectors=deployed, sms=False, locale="en")


def _mail(settings, subject_start: str, to: str) -> str:
    box = Mailbox(settings.mailbox_path)
    found = [box.get_message(e.id) for e in box.list_messages() if e.subject.startswith(subject_start) and e.to == to]
    assert found, [(e.subject, e.to) for e in box.list_messages()]
    return found[0].text


def test_a_phone_only_patient_is_reached_by_sms_gives_an_email_and_the_referral_goes_on(
    sessions, deployed, world, clock, tmp_path, settings
):
    counts = _import(sessions, deployed, world)
    assert counts["created"] == 1 and counts["started"] == 1, counts
    with sessions() as session:
        patient = session.scalars(select(User).where(User.phone == "+79127001122")).one()
        assert patient.email is None and patient.status == PENDING_ACTIVATION and patient.notify_sms
        opened = session.scalars(select(Consultation).where(Consultation.patient_id == patient.id)).one()
        queued = session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == patient.id)).all()
    assert [(m.channel, m.recipient, m.kind) for m in queued] == [("sms", "+79127001122", "referral_activation")]

    # The real outbox delivers it; without a gateway the SMS lands in the local mailbox, for the admin.
    report = deliver_due(sessions, lambda: courier_for(settings))
    assert report.sent >= 1, report
    sms = _mail(settings, "SMS to +79127001122", "+79127001122")
    assert "Set a password and your email" in sms
    link = re.search(r"https://carepath\.example/account/activate/(\S+)", sms)
    assert link, sms
    token = link.group(1)

    # The email is asked for: without it, or with one another account has, nothing changes.
    with pytest.raises(UserError, match="Enter your email"), transaction(sessions) as session:
        accounts.activate(session, token, PASSWORD, ip="127.0.0.1", base_url="https://carepath.example")
    with pytest.raises(UserError, match="Enter a valid email"), transaction(sessions) as session:
        accounts.activate(session, token, PASSWORD, ip="127.0.0.1", email="nina at home",
                          base_url="https://carepath.example")  # fmt: skip
    with transaction(sessions) as session:
        session.add(User(email="taken@example.ru", last_name="Другая", first_name="Нина", status=ACTIVE))
    with pytest.raises(UserError, match="already exists"), transaction(sessions) as session:
        accounts.activate(session, token, PASSWORD, ip="127.0.0.1", email="Taken@example.ru",
                          base_url="https://carepath.example")  # fmt: skip
    with sessions() as session:
        assert session.get(User, patient.id).email is None and session.get(User, patient.id).password_hash is None
    with transaction(sessions) as session:
        user = accounts.activate(session, token, PASSWORD, ip="127.0.0.1", email=" Nina.Orlova@Example.ru ",
                                 base_url="https://carepath.example")  # fmt: skip
        assert user.email == "nina.orlova@example.ru" and user.status == UNCONFIRMED

    # The usual confirmation link, emailed through the same outbox, makes the account active.
    deliver_due(sessions, lambda: courier_for(settings))
    mail = _mail(settings, "Confirm", "nina.orlova@example.ru")
    confirm = re.search(r"https://carepath\.example/account/confirm/(\S+)", mail)
    assert confirm, mail
    with transaction(sessions) as session:
        assert accounts.confirm_email(session, confirm.group(1), ip="127.0.0.1").status == ACTIVE
    with transaction(sessions) as session:
        assert accounts.authenticate(session, "nina.orlova@example.ru", PASSWORD, ip="127.0.0.1").id == patient.id
        assert accounts.authenticate(session, "+79127001122", PASSWORD, ip="127.0.0.1") is None  # the email is the login

    # The pathway goes on: the patient uploads documents and the doctor gets the review.
    world.patient = patient.id  # `do` acts as world's patient
    upload(sessions, tmp_path, patient.id)
    do(sessions, deployed, world, "patient", opened.process_instance_id, "upload", {"uploaded": True})
    assert pending(sessions, opened.process_instance_id, "review")


def test_the_same_phone_only_row_imported_again_finds_the_patient(sessions, deployed, world, settings):
    _import(sessions, deployed, world)
    again = _import(sessions, deployed, world)

    assert again["created"] == 0, again
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(User).where(User.phone == "+79127001122")) == 1
        assert session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.kind == "referral_activation")) == 1  # fmt: skip
