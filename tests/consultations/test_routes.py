"""Each route walked to its end through the engine (TestClock + fire_due_timers), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from engine.consultations import service
from engine.consultations.models import (
    CANCELLED,
    DECLINED,
    HELD,
    MISSED,
    MORE_DOCUMENTS,
    SCHEDULED,
    UNDER_REVIEW,
)
from engine.db import transaction
from engine.documents.models import SUBMITTED, Document
from engine.i18n import Conflict, NotFound, UserError
from engine.registry.models import FREE, Slot, Ticket
from engine.workflow.models import ProcessInstance
from tests.consultations.conftest import pending
from tests.consultations.helpers import application, consultation, do, kinds, tick, upload


def _scheduled_application(sessions, deployed, world, tmp_path, slot_index=0):
    doc = upload(sessions, tmp_path, world.patient)
    opened = service.apply(sessions, world.patient, application(world, [doc]), connectors=deployed)
    do(sessions, deployed, world, "doctor", opened.process_instance_id, "review",
       {"decision": "schedule", "slot_id": str(world.slots["doctor"][slot_index])})
    return consultation(sessions, opened.id)


def _instance_status(sessions, instance_id):
    with sessions() as session:
        return session.get(ProcessInstance, instance_id).status


def test_route_1_goes_from_application_through_more_documents_to_a_signed_conclusion_request(sessions, deployed, world, clock, tmp_path):
    first = upload(sessions, tmp_path, world.patient, "discharge.pdf")
    opened = service.apply(sessions, world.patient, application(world, [first]), connectors=deployed)
    instance = opened.process_instance_id
    assert opened.status == UNDER_REVIEW and opened.doctor_user_id == world.doctor
    with sessions() as session:
        assert session.get(Document, first).status == SUBMITTED  # immutable from now on

    do(sessions, deployed, world, "doctor", instance, "review", {"decision": "more_documents", "message": "Please add the MRI."})
    assert consultation(sessions, opened.id).status == MORE_DOCUMENTS
    assert "more_documents_requested" in kinds(sessions, "patient@example.test")
    second = upload(sessions, tmp_path, world.patient, "mri.pdf")
    do(sessions, deployed, world, "patient", instance, "more_documents", {"uploaded": True})
    with sessions() as session:
        assert session.get(Document, second).reference == f"consultation:{opened.id}"
    sent_with = consultation(sessions, opened.id)
    with sessions() as session:  # closed at once: an open SQLite read would block the next step's write
        assert len(service.documents_of(session, sent_with)) == 2

    # A decision without a time comes back to the doctor with the problem, nothing booked.
    do(sessions, deployed, world, "doctor", instance, "review", {"decision": "schedule"})
    assert consultation(sessions, opened.id).status == UNDER_REVIEW
    slot_id = world.slots["doctor"][0]
    do(sessions, deployed, world, "doctor", instance, "review", {"decision": "schedule", "slot_id": str(slot_id)})
    booked = consultation(sessions, opened.id)
    assert booked.status == SCHEDULED and booked.room_url.startswith("https://meet.clinic.example/carepath-")
    assert "consultation_scheduled" in kinds(sessions, "patient@example.test")
    with sessions() as session:
        assert session.get(Slot, slot_id).status == "booked"
        assert session.get(Ticket, booked.ticket_id).status == "confirmed"

    do(sessions, deployed, world, "patient", instance, "consent", {"consent_accepted": True})
    assert consultation(sessions, opened.id).consent_at is not None
    with sessions() as session:  # before the window the link is refused
        with pytest.raises(UserError):
            service.join(session, world.patient, opened.id)
    clock.current = booked.starts_at - timedelta(hours=23)
    tick(sessions, deployed)
    clock.current = booked.starts_at - timedelta(minutes=9)
    tick(sessions, deployed)
    assert kinds(sessions, "patient@example.test").count("consultation_reminder") == 2
    with sessions() as session:
        assert service.join(session, world.patient, opened.id) == booked.room_url
        assert service.join(session, world.doctor, opened.id) == booked.room_url
    clock.current = booked.starts_at
    tick(sessions, deployed)
    do(sessions, deployed, world, "doctor", instance, "hold", {"outcome": "held"})
    assert consultation(sessions, opened.id).status == HELD
    do(sessions, deployed, world, "doctor", instance, "conclude", {
        "diagnosis_code": "G43.0", "diagnosis_text": "Мигрень без ауры", "findings": "Неврологический статус без очаговой симптоматики",
        "recommendations": "Дневник головной боли", "follow_up": "Через 3 месяца"})
    _assert_conclusion_requested(sessions, world, opened.id)
    do(sessions, deployed, world, "patient", instance, "rate", {"rating": 5, "comment": "Спасибо"})
    assert consultation(sessions, opened.id).rating == 5
    assert _instance_status(sessions, instance) == "completed"
    with sessions() as session:
        assert session.get(Ticket, booked.ticket_id).status == "visited"


def _assert_conclusion_requested(sessions, world, consultation_id):
    """The signed-documents area got the conclusion and the consent of this consultation to sign."""
    from engine.conclusions.models import Conclusion, ConsentDocument

    reference = f"consultation:{consultation_id}"
    doctor_id = consultation(sessions, consultation_id).doctor_user_id  # before the session below: one at a time on SQLite
    with sessions() as session:
        conclusion = session.scalars(select(Conclusion).where(Conclusion.reference == reference)).one()
        assert (conclusion.patient_id, conclusion.doctor_id) == (world.patient, doctor_id)
        assert conclusion.diagnosis_code.startswith("G4") and conclusion.findings
        assert session.scalars(select(ConsentDocument).where(ConsentDocument.reference == reference)).one()


def test_route_1_decline_tells_the_patient_the_reason(sessions, deployed, world, clock, tmp_path):
    doc = upload(sessions, tmp_path, world.patient)
    opened = service.apply(sessions, world.patient, application(world, [doc]), connectors=deployed)
    do(sessions, deployed, world, "doctor", opened.process_instance_id, "review", {"decision": "decline"})
    assert consultation(sessions, opened.id).status == UNDER_REVIEW  # a decline needs its reason
    do(sessions, deployed, world, "doctor", opened.process_instance_id, "review",
       {"decision": "decline", "message": "Нужна очная консультация"})
    declined = consultation(sessions, opened.id)
    assert declined.status == DECLINED and declined.decline_reason == "Нужна очная консультация"
    assert "consultation_declined" in kinds(sessions, "patient@example.test")
    assert _instance_status(sessions, opened.process_instance_id) == "completed"


def test_an_overdue_review_escalates_to_the_manager_who_names_another_doctor(sessions, deployed, world, clock, tmp_path):
    doc = upload(sessions, tmp_path, world.patient)
    opened = service.apply(sessions, world.patient, application(world, [doc]), connectors=deployed)
    instance = opened.process_instance_id
    clock.advance(days=2, hours=23)
    tick(sessions, deployed)
    assert pending(sessions, instance, "review")
    clock.advance(hours=2)
    tick(sessions, deployed)
    assert not pending(sessions, instance, "review") and pending(sessions, instance, "handle_overdue")
    assert consultation(sessions, opened.id).escalated_at is not None
    assert "review_overdue" in kinds(sessions, "manager@example.test")
    # A doctor of another center is refused: the manager is asked again, nothing changes.
    do(sessions, deployed, world, "manager", instance, "handle_overdue", {"doctor_email": "outsider_doctor@example.test"})
    assert pending(sessions, instance, "handle_overdue") and consultation(sessions, opened.id).doctor_user_id == world.doctor
    do(sessions, deployed, world, "manager", instance, "handle_overdue", {"doctor_email": "second_doctor@example.test"})
    review = pending(sessions, instance, "review")
    assert review and review[0].assignee_user_id == world.second_doctor
    do(sessions, deployed, world, "second_doctor", instance, "review",
       {"decision": "schedule", "slot_id": str(world.slots["second_doctor"][1])})
    assert consultation(sessions, opened.id).status == SCHEDULED


def test_the_patient_cancels_with_a_reason_and_the_time_is_free_again(sessions, deployed, world, clock, tmp_path):
    booked = _scheduled_application(sessions, deployed, world, tmp_path)
    with pytest.raises(UserError):
        service.cancel(sessions, world.patient, booked.id, "  ", connectors=deployed)
    with pytest.raises(NotFound):  # someone else's consultation: "no such consultation"
        service.cancel(sessions, world.other_patient, booked.id, "Другие планы", connectors=deployed)
    service.cancel(sessions, world.patient, booked.id, "Другие планы", connectors=deployed)
    cancelled = consultation(sessions, booked.id)
    assert cancelled.status == CANCELLED and cancelled.cancel_reason == "Другие планы"
    with sessions() as session:
        assert session.get(Slot, booked.slot_id).status == FREE
        assert session.get(Ticket, booked.ticket_id).status == "cancelled"
    assert "consultation_cancelled" in kinds(sessions, "doctor@example.test")
    # The pathways list says what happened: cancelled, not completed.
    assert _instance_status(sessions, booked.process_instance_id) == "cancelled"
    clock.current = booked.starts_at
    with sessions() as session, pytest.raises(Conflict):
        service.join(session, world.patient, booked.id)
    with pytest.raises(Conflict):
        service.cancel(sessions, world.patient, booked.id, "again", connectors=deployed)


def test_an_application_under_review_can_be_cancelled_too(sessions, deployed, world, clock, tmp_path):
    doc = upload(sessions, tmp_path, world.patient)
    opened = service.apply(sessions, world.patient, application(world, [doc]), connectors=deployed)
    service.cancel(sessions, world.patient, opened.id, "Уже не нужно", connectors=deployed)
    assert consultation(sessions, opened.id).status == CANCELLED
    assert not pending(sessions, opened.process_instance_id)
    assert _instance_status(sessions, opened.process_instance_id) == "cancelled"


def test_route_2_books_a_duty_doctor_and_a_no_show_is_marked_missed(sessions, deployed, world, clock, tmp_path):
    slot_id = world.slots["duty_doctor"][0]
    booked = service.book_duty(sessions, world.patient, slot_id, connectors=deployed)
    assert booked.status == SCHEDULED and booked.doctor_user_id == world.duty_doctor and booked.room_url
    with pytest.raises(Conflict):  # the same time again: taken
        service.book_duty(sessions, world.other_patient, slot_id, connectors=deployed)
    do(sessions, deployed, world, "patient", booked.process_instance_id, "consent", {"consent_accepted": True})
    clock.current = booked.starts_at
    tick(sessions, deployed)
    tick(sessions, deployed)
    do(sessions, deployed, world, "duty_doctor", booked.process_instance_id, "hold", {"outcome": "missed"})
    assert consultation(sessions, booked.id).status == MISSED
    assert "consultation_missed" in kinds(sessions, "patient@example.test")
    assert _instance_status(sessions, booked.process_instance_id) == "completed"


def test_route_2_without_consent_ends_missed_at_the_end_of_the_session(sessions, deployed, world, clock, tmp_path):
    booked = service.book_duty(sessions, world.patient, world.slots["duty_doctor"][1], connectors=deployed)
    clock.current = booked.ends_at + timedelta(minutes=1)
    for _ in range(4):
        tick(sessions, deployed)
    assert consultation(sessions, booked.id).status == MISSED
    assert _instance_status(sessions, booked.process_instance_id) == "completed"


def test_route_3_starts_from_a_referral_row_and_asks_until_documents_arrive(sessions, deployed, world, clock, tmp_path):
    from engine.workflow import Actor

    manager = Actor(world.manager, frozenset({"manager"}))
    instance = service.start_referral(sessions, manager, {
        "patient_id": world.patient, "referral_id": "R-7", "diagnosis_code": "G40.1", "diagnosis_text": "Эпилепсия",
        "target": "неврология", "manager_id": world.manager}, connectors=deployed)
    with sessions() as session:
        from engine.consultations.models import Consultation

        opened = session.scalars(select(Consultation).where(Consultation.process_instance_id == instance)).one()
    # Nobody is its doctor yet: the review waits in the queue of the center's neurologists.
    assert opened.route == "referral" and opened.doctor_user_id is None and opened.center_id == world.center_id
    do(sessions, deployed, world, "patient", instance, "upload", {"uploaded": True})
    assert pending(sessions, instance, "upload")  # nothing arrived: asked again
    upload(sessions, tmp_path, world.patient)
    do(sessions, deployed, world, "patient", instance, "upload", {"uploaded": True})
    assert pending(sessions, instance, "review")
    clock.advance(days=4, minutes=1)
    tick(sessions, deployed)
    escalated = pending(sessions, instance, "handle_overdue")
    assert escalated and escalated[0].assignee_user_id == world.manager
    do(sessions, deployed, world, "manager", instance, "handle_overdue", {})
    do(sessions, deployed, world, "doctor", instance, "review", {"decision": "schedule", "slot_id": str(world.slots["doctor"][2])})
    booked = consultation(sessions, opened.id)
    assert booked.status == SCHEDULED
    do(sessions, deployed, world, "patient", instance, "consent", {"consent_accepted": True})
    clock.current = booked.starts_at
    for _ in range(3):
        tick(sessions, deployed)
    do(sessions, deployed, world, "doctor", instance, "hold", {"outcome": "held"})
    do(sessions, deployed, world, "doctor", instance, "conclude", {
        "diagnosis_code": "G40.1", "diagnosis_text": "Эпилепсия", "findings": "Без ухудшения", "recommendations": "Продолжить терапию"})
    _assert_conclusion_requested(sessions, world, opened.id)
    clock.advance(days=8)
    tick(sessions, deployed)
    assert _instance_status(sessions, instance) == "completed"


def test_a_referral_missing_a_key_is_refused(sessions, deployed, world):
    from engine.workflow import Actor

    with pytest.raises(UserError):
        service.start_referral(sessions, Actor(world.manager, frozenset({"manager"})), {"patient_id": world.patient},
                               connectors=deployed)


def test_documents_sent_with_the_application_are_visible_to_the_reviewer_only(sessions, deployed, world, clock, tmp_path):
    from engine.documents import service as documents
    from engine.documents.storage import FileStore
    from engine.i18n import Forbidden

    doc = upload(sessions, tmp_path, world.patient)
    service.apply(sessions, world.patient, application(world, [doc]), connectors=deployed)
    store = FileStore(tmp_path / "files")
    with transaction(sessions) as session:
        assert documents.read(session, store, doc, user_id=world.doctor)[1].startswith(b"%PDF")
        with pytest.raises(Forbidden):
            documents.read(session, store, doc, user_id=world.second_doctor)
        with pytest.raises(UserError):
            documents.withdraw(session, doc, user_id=world.patient)


@pytest.mark.parametrize("changes, message", [
    ({"specialty_id": "eye"}, "does not consult in this specialty"),
    ({"document_ids": []}, "Attach at least one medical document"),
    ({"diagnosis_code": "headache"}, "is not an ICD-10 code"),
    ({"age": 200}, "Enter your age"),
    ({"age": 30}, "By the birth date in your profile"),  # born 1970-01-01, applying in 2026: 56
])
def test_a_bad_application_gets_a_clear_message_and_records_nothing(sessions, deployed, world, tmp_path, changes, message):
    from engine.consultations.models import Consultation

    doc = upload(sessions, tmp_path, world.patient)
    values = {"document_ids": [doc], **changes}
    if values.get("specialty_id") == "eye":
        values["specialty_id"] = world.eye_id
    with pytest.raises(UserError) as error:
        service.apply(sessions, world.patient, application(world, **values), connectors=deployed)
    assert message in error.value.message
    with sessions() as session:
        assert session.scalars(select(Consultation)).first() is None
        assert session.scalars(select(ProcessInstance)).first() is None
        assert session.get(Document, doc).status == "draft"


def test_the_doctors_review_of_a_referral_shows_the_icd10_title_beside_the_code(sessions, deployed, world, tmp_path):
    from engine.workflow import Actor, instance_data
    from tests.consultations.helpers import actor

    manager = Actor(world.manager, frozenset({"manager"}))
    instance = service.start_referral(sessions, manager, {
        "patient_id": world.patient, "referral_id": "R-8", "diagnosis_code": "G40.1", "diagnosis_text": "Эпилепсия",
        "target": "неврология", "manager_id": world.manager}, connectors=deployed)
    upload(sessions, tmp_path, world.patient)
    do(sessions, deployed, world, "patient", instance, "upload", {"uploaded": True})
    assert pending(sessions, instance, "review")

    with sessions() as session:
        summary = instance_data(session, actor(world, "doctor", sessions), instance)["application_summary"]
    # The referral's own words are left out when the ICD-10 title already says them: the diagnosis once.
    assert summary.endswith(": G40.1 (Локализованная (фокальная) (парциальная) симптоматическая эпилепсия и "
                            "эпилептические синдромы с простыми парциальными припадками)")


def test_route_2_the_loser_of_a_race_for_a_duty_time_is_told_and_keeps_nothing(sessions, deployed, world, clock):
    """Two patients submit the same duty time at once: both pass the page's check, one books it, the other
    gets "no longer available" and no consultation, no ticket, no pending task."""
    import threading

    from engine.consultations.models import Consultation
    from engine.registry.tickets import SLOT_TAKEN

    slot_id = world.slots["duty_doctor"][0]
    gate = threading.Barrier(2)
    outcomes: dict[int, object] = {}

    def book(patient: int) -> None:
        gate.wait()
        try:
            outcomes[patient] = service.book_duty(sessions, patient, slot_id, connectors=deployed)
        except Exception as error:  # the loser's answer, checked below
            outcomes[patient] = error

    threads = [threading.Thread(target=book, args=(p,)) for p in (world.patient, world.other_patient)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    won = [p for p, o in outcomes.items() if not isinstance(o, Exception)]
    lost = [p for p, o in outcomes.items() if isinstance(o, Exception)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    error = outcomes[lost[0]]
    assert isinstance(error, Conflict) and error.message == SLOT_TAKEN
    with sessions() as session:
        kept = list(session.scalars(select(Consultation).where(Consultation.patient_id == lost[0])))
        tickets = list(session.scalars(select(Ticket).where(Ticket.user_id == lost[0])))
        assert kept == [] and tickets == []
        assert session.get(Slot, slot_id).status != FREE
    # The race's inside, made certain: the pathway itself finds the time taken (after the page's check).
    from engine.workflow import Actor, start_instance

    late = start_instance(sessions, service.PATHWAYS[service.DUTY], Actor(lost[0], frozenset({"patient"})),
                          {"booking": {"route": "duty", "slot_id": slot_id, "ip": ""}}, patient_id=lost[0],
                          connectors=deployed)
    assert _instance_status(sessions, late) == "completed" and not pending(sessions, late)
    with sessions() as session:
        assert list(session.scalars(select(Consultation).where(Consultation.patient_id == lost[0]))) == []


def test_the_consultation_scheduled_mail_carries_an_ics(sessions, deployed, world, clock, smtp_server):
    from icalendar import Calendar

    from engine import outbox
    from tests.mail.test_outbox import smtp_courier

    booked = service.book_duty(sessions, world.patient, world.slots["duty_doctor"][2], connectors=deployed)
    assert "consultation_scheduled" in kinds(sessions, "patient@example.test")
    outbox.deliver_due(sessions, lambda: smtp_courier(smtp_server.url))
    [mail] = [r for r in smtp_server.received if r.recipients == ["patient@example.test"]
              and f"consultation-{booked.id}.ics" in r.message.as_string()]
    [ics] = [p for p in mail.message.iter_attachments() if p.get_content_type() == "text/calendar"]
    [event] = Calendar.from_ical(ics.get_content()).walk("VEVENT")
    assert event.decoded("dtstart") == booked.starts_at and event.decoded("dtend") == booked.ends_at
    assert str(event["summary"]) == mail.message["Subject"]
    assert str(event["location"]).endswith(f"/consultations/{booked.id}")


def _referral(sessions, deployed, world, target):
    from engine.workflow import Actor

    manager = Actor(world.manager, frozenset({"manager"}))
    return service.start_referral(sessions, manager, {
        "patient_id": world.patient, "referral_id": "R-9", "diagnosis_code": "H40", "diagnosis_text": "Глаукома",
        "target": target, "manager_id": world.manager}, connectors=deployed)


def _instructions(sessions, world, instance, name):
    from engine.workflow import Actor, get_task
    from forms import render_instructions

    [row] = pending(sessions, instance, name)
    with sessions() as session:
        view = get_task(session, Actor(world.manager, frozenset({"manager"})), instance, row.task_guid)
    return row, str(render_instructions(view.instructions, view.data))


@pytest.mark.parametrize(("target", "reason"), [
    ("Планета Марс", "matches no consultation center"),
    ("офтальмология", "no consultation center has a doctor of “офтальмология”"),
])
def test_route_3_without_a_reviewer_asks_the_manager_to_assign_one_with_the_true_reason(
        sessions, deployed, world, clock, tmp_path, target, reason):
    instance = _referral(sessions, deployed, world, target)
    upload(sessions, tmp_path, world.patient)
    do(sessions, deployed, world, "patient", instance, "upload", {"uploaded": True})
    assert not pending(sessions, instance, "review")
    row, text = _instructions(sessions, world, instance, "handle_overdue")
    assert row.title == "Assign a reviewer" and row.assignee_user_id == world.manager
    assert reason in text and "overdue" not in text
    assert "review_overdue" not in kinds(sessions)  # nothing is overdue: nobody was ever asked
    with sessions() as session:
        from engine.consultations.models import Consultation

        assert session.scalars(select(Consultation).where(
            Consultation.process_instance_id == instance)).one().escalated_at is None
    do(sessions, deployed, world, "manager", instance, "handle_overdue", {"doctor_email": "doctor@example.test"})
    assert pending(sessions, instance, "review")[0].assignee_user_id == world.doctor


def test_route_3_a_review_escalates_as_overdue_only_once_its_time_has_passed(sessions, deployed, world, clock, tmp_path):
    instance = _referral(sessions, deployed, world, "неврология")
    upload(sessions, tmp_path, world.patient)
    do(sessions, deployed, world, "patient", instance, "upload", {"uploaded": True})
    [review] = pending(sessions, instance, "review")
    assert review.assignee_user_id is None and review.candidate_group  # the center's neurologists' queue
    clock.advance(days=3, hours=23, minutes=59)
    tick(sessions, deployed)
    assert pending(sessions, instance, "review") and not pending(sessions, instance, "handle_overdue")
    assert "review_overdue" not in kinds(sessions)
    clock.advance(minutes=2)
    tick(sessions, deployed)
    _row, text = _instructions(sessions, world, instance, "handle_overdue")
    assert "is overdue: 4 days have passed" in text and "review_overdue" in kinds(sessions)


def test_an_online_consultation_is_reminded_as_one_not_as_a_clinic_visit(sessions, deployed, world, clock):
    """Its time is held by a registry ticket, but no ticket reminder (number, street address) goes out for
    it: the session pathway reminds a day and 10 minutes before, linking the consultation's page."""
    from engine import reminders
    from engine.outbox import OutboxMessage

    booked = service.book_duty(sessions, world.patient, world.slots["duty_doctor"][2], connectors=deployed)
    do(sessions, deployed, world, "patient", booked.process_instance_id, "consent", {"consent_accepted": True})
    for before in (timedelta(hours=23), timedelta(minutes=9)):
        clock.current = booked.starts_at - before
        tick(sessions, deployed)
        reminders.enqueue_due(sessions, only=["registry_tickets"])
    assert "ticket_reminder" not in kinds(sessions, "patient@example.test")
    with sessions() as session:
        sent = list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "consultation_reminder",
                                                                OutboxMessage.recipient == "patient@example.test")))
    assert sent and all(m.context["link"].endswith(f"/consultations/{booked.id}") for m in sent)
    assert all("address" not in m.context and "number" not in m.context or m.context["number"] == booked.id
               for m in sent)


def test_the_age_comes_from_the_profiles_birth_date_and_a_birthday_eve_is_not_refused(sessions, deployed, world, tmp_path,
                                                                                    clock):
    from engine.accounts.models import User
    from engine.consultations.service import check_application

    doc = upload(sessions, tmp_path, world.patient)
    with sessions() as session:
        data = check_application(session, world.patient, application(world, document_ids=[doc]))
        assert data["application"]["age"] == 56  # left empty: derived from 1970-01-01 on 2026-03-02
        assert check_application(session, world.patient, application(world, document_ids=[doc], age=56))
        # Born 1970-03-03: 55 today on the server, 56 tomorrow (already today where the patient lives).
        session.get(User, world.patient).birth_date = date(1970, 3, 3)
        assert check_application(session, world.patient, application(world, document_ids=[doc], age=56))
        with pytest.raises(UserError, match="your age is 55"):
            check_application(session, world.patient, application(world, document_ids=[doc], age=57))
        # Without a birth date in the profile, the age is the patient's to give.
        session.get(User, world.patient).birth_date = None
        assert check_application(session, world.patient, application(world, document_ids=[doc], age=30))
        with pytest.raises(UserError, match="Enter your age"):
            check_application(session, world.patient, application(world, document_ids=[doc]))
        session.rollback()
