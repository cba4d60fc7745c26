"""The registry's pages through the Flask test client: booking without an account, the code, printing,
the cabinet section, access checks and bad input."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.audit import AuditEntry
from engine.db import transaction
from engine.registry.demo import load_registry_demo
from engine.registry.models import FREE, Institution, Slot, Ticket
from engine.workflow import sync_folder
from tests.pdf_properties import pdf_properties
from tests.registry.conftest import BPMN
from tests.webui.conftest import app, cast, client, login, make_user, outbox, settings  # noqa: F401

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def demo(app):  # noqa: F811
    sessions = app.extensions["carepath"].sessions
    from webui.tasks.core import connectors

    with app.app_context():
        registry = connectors()
    result = sync_folder(sessions, BPMN, connectors=registry)
    assert not result.failed
    with transaction(sessions) as session:
        load_registry_demo(session, weeks=2)
    return sessions


def free_slots(sessions, doctor_last_name: str = "Григорьева") -> list[Slot]:
    from engine.registry.models import Doctor

    with sessions() as session:
        doctor = session.scalars(select(Doctor).where(Doctor.last_name == doctor_last_name)).one()
        return list(session.scalars(select(Slot).where(Slot.doctor_id == doctor.id, Slot.status == FREE)
                                    .order_by(Slot.starts_at)))


IDENTITY = {"doc_type": "oms", "doc_number": "1234567890123456", "birth_date": "1970-05-17",
            "phone": "+7 912 345-67-89", "email": "anna@example.net", "consent": "y"}


def test_the_public_pages_show_the_seeds_institutions(client, demo):  # noqa: F811
    page = client.get("/registry/institutions").get_data(as_text=True)
    assert "Institutions found: 6" in page and "ул. Барабинская 12" in page
    near = client.get("/registry/institutions?street=Рознина&house=70").get_data(as_text=True)
    assert near.index("Центр профессиональной патологии") < near.index("районная больница")
    with demo() as session:
        inst = session.scalars(select(Institution).where(Institution.name.like("%реабилитационный%"))).one()
    page = client.get(f"/registry/institutions/{inst.id}?doctor=Владимирова").get_data(as_text=True)
    assert "8-346-733-05-76, 8-346-733-01-48" in page and "Владимирова Анна Алексеевна" in page
    assert "Nearest available time" in page and "Скрябина" not in page
    bad = client.get(f"/registry/institutions/{inst.id}?from=2026-03-20&to=2026-03-10")
    assert bad.status_code == 400 and "cannot be before its start" in bad.get_data(as_text=True)


def test_a_person_without_an_account_books_confirms_and_prints(client, demo, app):  # noqa: F811
    slot = free_slots(demo)[0]
    form = client.get(f"/registry/book/{slot.id}").get_data(as_text=True)
    assert "Give your data to book" in form
    # Without an SMS gateway the code goes by email: the address is marked required and asked for.
    assert re.search(r'<label for="email">[^<]*<span class="req"', form)
    no_email = client.post(f"/registry/book/{slot.id}", data={**IDENTITY, "email": ""}).get_data(as_text=True)
    assert "Enter your email address: the confirmation code is sent there." in no_email
    bad = client.post(f"/registry/book/{slot.id}", data={**IDENTITY, "doc_number": "12345"})
    assert bad.status_code == 400 and "An OMS policy number has 16 digits." in bad.get_data(as_text=True)
    response = client.post(f"/registry/book/{slot.id}", data=IDENTITY)
    assert response.status_code == 302
    ticket_path = response.headers["Location"]
    page = client.get(ticket_path).get_data(as_text=True)
    assert "You have reserved a ticket for" in page and "will be annulled" in page
    [message] = outbox(app, "ticket_code")
    code = message.context["code"]
    wrong = client.post(ticket_path, data={"code": "000000" if code != "000000" else "111111"}, follow_redirects=True)
    assert "The code is wrong. Attempts left: 4." in wrong.get_data(as_text=True)
    done = client.post(ticket_path, data={"code": code}, follow_redirects=True).get_data(as_text=True)
    assert "Your appointment is confirmed" in done and "Print the ticket" in done
    pdf = client.get(ticket_path + "/ticket.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    properties = pdf_properties(pdf.data)  # the institution issued it, not "anonymous"
    with demo() as session:
        institution = session.get(Institution, slot.institution_id).name
    assert properties["Author"] == institution and properties["Subject"] == f"Appointment ticket: {institution}"
    ics = client.get(ticket_path + "/ticket.ics")
    assert ics.mimetype == "text/calendar" and b"BEGIN:VEVENT" in ics.data
    # A guessed token opens nothing; the same slot cannot be booked again.
    assert client.get("/registry/ticket/not-a-real-token").status_code == 404
    again = client.post(f"/registry/book/{slot.id}", data={**IDENTITY, "doc_number": "9999888877776666"},
                        follow_redirects=True).get_data(as_text=True)
    assert "The selected time is no longer available." in again and "Available appointment times" in again


def test_a_patient_books_from_the_cabinet_cancels_and_cannot_reach_anothers_ticket(client, demo, app, cast):  # noqa: F811
    slot = free_slots(demo)[2]
    login(client, cast.patient.email)
    confirm = client.get(f"/registry/book/{slot.id}").get_data(as_text=True)
    assert "Book on" in confirm and "Give your data" not in confirm
    done = client.post(f"/registry/book/{slot.id}", follow_redirects=True).get_data(as_text=True)
    assert "We are expecting you on" in done and "Active tickets" in done
    assert outbox(app, "ticket_code") == []
    with demo() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.user_id == cast.patient.id)).one()
    assert client.get(f"/registry/my/tickets/{ticket.id}/ticket.pdf").mimetype == "application/pdf"
    page = client.get(f"/registry/my/tickets/{ticket.id}/cancel").get_data(as_text=True)
    assert "Cancel the visit?" in page
    client.post("/account/logout")
    login(client, cast.other_patient.email)
    assert client.get(f"/registry/my/tickets/{ticket.id}/cancel").status_code == 404
    assert client.post(f"/registry/my/tickets/{ticket.id}/cancel").status_code == 404
    assert client.get(f"/registry/my/tickets/{ticket.id}/ticket.pdf").status_code == 404
    client.post("/account/logout")
    login(client, cast.patient.email)
    cancelled = client.post(f"/registry/my/tickets/{ticket.id}/cancel", follow_redirects=True).get_data(as_text=True)
    assert "The visit is cancelled" in cancelled and "Appointment cancelled" in cancelled
    assert [m.recipient for m in outbox(app, "ticket_cancelled")] == [cast.patient.email]
    # A cancelled ticket of a future date is listed as cancelled, not among the past visits.
    mine = client.get("/registry/my").get_data(as_text=True)
    cancelled_part = mine.split('id="cancelled-title"')[1].split("</section>")[0]
    past_part = mine.split('id="past-title"')[1].split("</section>")[0]
    assert f"Ticket No. {ticket.number}" in cancelled_part and "Appointment cancelled" in cancelled_part
    assert f"Ticket No. {ticket.number}" not in past_part


def test_the_district_lookup_finds_the_seeds_district_or_says_no_match(client, demo):  # noqa: F811
    with demo() as session:
        clinic = session.scalars(select(Institution).where(Institution.name.like("%районная больница%"))).one()
    found = client.get(f"/registry/district?institution={clinic.id}&street=Ленина&house=5").get_data(as_text=True)
    assert "District No. 91" in found and "Григорьева Татьяна Дмитриевна" in found
    none = client.get(f"/registry/district?institution={clinic.id}&street=Мира&house=5").get_data(as_text=True)
    assert "No matches. Refine the search or contact the clinic." in none


def test_a_manager_sees_the_patients_a_leave_would_hit_before_it_is_applied(client, demo, app):  # noqa: F811
    make_user(app, "manager@test.org", "manager")
    slot = free_slots(demo)[0]
    client.post(f"/registry/book/{slot.id}", data=IDENTITY)
    with demo() as session:
        doctor_id = session.get(Slot, slot.id).doctor_id
        inst_id = session.get(Slot, slot.id).institution_id
    login(client, "manager@test.org")
    day = slot.starts_at.date().isoformat()
    data = {"exception-doctor": str(doctor_id), "exception-date_from": day, "exception-date_to": day,
            "exception-kind": "leave", "exception-note": ""}
    preview = client.post(f"/registry/manage/institutions/{inst_id}/exceptions", data=data)
    assert preview.status_code == 409
    text = preview.get_data(as_text=True)
    assert "The change affects booked patients" in text and "anna@example.net" in text
    assert outbox(app, "schedule_changed") == []
    done = client.post(f"/registry/manage/institutions/{inst_id}/exceptions", data={**data, "confirmed": "1"},
                       follow_redirects=True)
    assert "1 patients were notified" in done.get_data(as_text=True)
    assert [m.recipient for m in outbox(app, "schedule_changed")] == ["anna@example.net"]


def test_a_patient_may_not_open_the_managers_pages(client, demo, cast):  # noqa: F811
    login(client, cast.patient.email)
    assert client.get("/registry/manage/").status_code == 403
    assert re.search(r"Appointments", client.get("/registry/my").get_data(as_text=True))


def _link_doctor(demo, user_id: int, last_name: str = "Григорьева") -> int:
    from engine.registry.models import Doctor

    with transaction(demo) as session:
        doctor = session.scalars(select(Doctor).where(Doctor.last_name == last_name)).one()
        doctor.user_id = user_id
        return doctor.id


def _past_cabinet_ticket(client, demo, cast, clock) -> tuple[Ticket, Slot]:  # noqa: F811
    slot = free_slots(demo)[0]
    login(client, cast.patient.email)
    client.post(f"/registry/book/{slot.id}")
    client.post("/account/logout")
    with demo() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.user_id == cast.patient.id)).one()
    clock.current = slot.starts_at + timedelta(minutes=5)
    return ticket, slot


def test_the_tickets_doctor_marks_a_past_visit_on_the_reception_day_and_others_may_not(client, demo, app, cast, clock):  # noqa: F811
    ticket, slot = _past_cabinet_ticket(client, demo, cast, clock)
    _link_doctor(demo, cast.doctor.id)
    other_doctor = make_user(app, "surgeon@test.org", "doctor")
    _link_doctor(demo, other_doctor.id, "Скрябина")
    day = slot.starts_at.date().isoformat()
    login(client, cast.patient.email)
    assert client.get("/registry/visits/").status_code == 403
    assert client.post(f"/registry/visits/tickets/{ticket.id}/mark", data={"outcome": "visited"}).status_code == 403
    client.post("/account/logout")
    login(client, "surgeon@test.org")
    assert ticket.number not in client.get(f"/registry/visits/?day={day}").get_data(as_text=True)
    assert client.post(f"/registry/visits/tickets/{ticket.id}/mark", data={"outcome": "visited"}).status_code == 404
    client.post("/account/logout")
    login(client, cast.doctor.email)
    page = client.get(f"/registry/visits/?day={day}").get_data(as_text=True)
    assert "Reception day" in page and ticket.number in page and "Not marked" in page
    bad = client.post(f"/registry/visits/tickets/{ticket.id}/mark", data={"outcome": "gone", "day": day},
                      follow_redirects=True).get_data(as_text=True)
    assert "Choose whether the patient came or missed the visit." in bad
    done = client.post(f"/registry/visits/tickets/{ticket.id}/mark", data={"outcome": "missed", "day": day},
                       follow_redirects=True).get_data(as_text=True)
    assert f"Ticket No. {ticket.number} is marked as missed." in done
    with demo() as session:
        assert session.get(Ticket, ticket.id).status == "missed"
        assert session.scalars(select(AuditEntry.actor_id).where(AuditEntry.action == "ticket_missed")).all() == [
            cast.doctor.id]


def test_a_past_visit_is_rated_only_once_the_clinic_marked_it_visited(client, demo, app, cast, clock):  # noqa: F811
    ticket, slot = _past_cabinet_ticket(client, demo, cast, clock)
    make_user(app, "manager@test.org", "manager")
    login(client, cast.patient.email)
    waiting = client.get("/registry/my").get_data(as_text=True)
    assert "The clinic has not yet marked this visit as attended" in waiting and "Rate the visit" not in waiting
    refused = client.post(f"/registry/my/tickets/{ticket.id}/rate", data={"rating": "5"}, follow_redirects=True)
    assert "The clinic has not yet marked this visit as attended" in refused.get_data(as_text=True)
    client.post("/account/logout")
    login(client, "manager@test.org")
    with demo() as session:
        inst_id = session.get(Slot, slot.id).institution_id
    client.post(f"/registry/visits/tickets/{ticket.id}/mark", data={"outcome": "missed"})
    client.post("/account/logout")
    login(client, cast.patient.email)
    missed = client.post(f"/registry/my/tickets/{ticket.id}/rate", data={"rating": "5"}, follow_redirects=True)
    assert "This visit is marked as missed, so it cannot be rated." in missed.get_data(as_text=True)
    client.post("/account/logout")
    login(client, "manager@test.org")
    page = client.get(f"/registry/visits/?institution={inst_id}&day={slot.starts_at.date().isoformat()}")
    assert ticket.number in page.get_data(as_text=True)
    client.post(f"/registry/visits/tickets/{ticket.id}/mark", data={"outcome": "visited"})
    client.post("/account/logout")
    login(client, cast.patient.email)
    bad = client.post(f"/registry/my/tickets/{ticket.id}/rate", data={"rating": "9"}, follow_redirects=True)
    assert "Not a valid choice" in bad.get_data(as_text=True) or "1 to 5" in bad.get_data(as_text=True)
    rated = client.post(f"/registry/my/tickets/{ticket.id}/rate", data={"rating": "5", "review": "Спасибо"},
                        follow_redirects=True).get_data(as_text=True)
    assert "Thank you for rating the visit." in rated and "★★★★★" in rated and "Visit rated" in rated
    assert "Visit marked as attended" in rated  # the cabinet's journal


def test_a_schedule_change_under_a_consultation_cancels_the_consultation_once(client, demo, app, cast):  # noqa: F811
    from engine.consultations import service
    from engine.consultations.models import CANCELLED, Consultation, DutyDoctor

    make_user(app, "manager@test.org", "manager")
    doctor_id = _link_doctor(demo, cast.doctor.id)
    with transaction(demo) as session:
        session.add(DutyDoctor(doctor_id=doctor_id, topics="Общие вопросы"))
    slot = free_slots(demo)[3]
    with app.app_context():
        from webui.tasks.core import connectors

        registry = connectors()
    booked = service.book_duty(demo, cast.patient.id, slot.id, connectors=registry)
    login(client, "manager@test.org")
    day = slot.starts_at.date().isoformat()
    data = {"exception-doctor": str(doctor_id), "exception-date_from": day, "exception-date_to": day,
            "exception-kind": "leave", "exception-note": ""}
    preview = client.post(f"/registry/manage/institutions/{slot.institution_id}/exceptions", data=data)
    assert preview.status_code == 409 and f"online consultation No. {booked.id}" in preview.get_data(as_text=True)
    done = client.post(f"/registry/manage/institutions/{slot.institution_id}/exceptions",
                       data={**data, "confirmed": "1"}, follow_redirects=True).get_data(as_text=True)
    assert "1 patients were notified" in done and "could not be cancelled" not in done
    with demo() as session:
        consultation = session.get(Consultation, booked.id)
        assert consultation.status == CANCELLED and "changed the doctor's schedule" in consultation.cancel_reason
        assert session.get(Ticket, booked.ticket_id).end_reason == "schedule_changed"
    assert [m.recipient for m in outbox(app, "consultation_cancelled")] == [cast.doctor.email, cast.patient.email]
    assert outbox(app, "schedule_changed") == []


def test_an_online_consultation_is_listed_as_one_not_among_the_clinic_tickets(client, demo, app, cast):  # noqa: F811
    from engine.consultations import service
    from engine.consultations.models import DutyDoctor

    doctor_id = _link_doctor(demo, cast.doctor.id)
    with transaction(demo) as session:
        session.add(DutyDoctor(doctor_id=doctor_id, topics="Общие вопросы"))
    slot = free_slots(demo)[4]
    with app.app_context():
        from webui.tasks.core import connectors

        registry = connectors()
    booked = service.book_duty(demo, cast.patient.id, slot.id, connectors=registry)
    login(client, cast.patient.email)
    page = client.get("/registry/my").get_data(as_text=True)
    active = page.split('id="active-title"')[1].split("</section>")[0]
    online = page.split('id="online-title"')[1].split("</section>")[0]
    assert "No active tickets" in active and "Ticket No." not in active
    assert f"Online consultation No. {booked.id}" in online and f'href="/consultations/{booked.id}"' in online
    assert "Print" not in online


@pytest.mark.parametrize(("language", "zone_words"), [("ru", "Екатеринбург, UTC+5"), ("en", "Yekaterinburg, UTC+5")])
def test_the_hold_ends_on_the_clinics_clock_with_the_zone_in_words(client, demo, app, language, zone_words):  # noqa: F811
    from zoneinfo import ZoneInfo

    slot = free_slots(demo)[0]
    headers = {"Accept-Language": language}
    ticket_path = client.post(f"/registry/book/{slot.id}", data=IDENTITY, headers=headers).headers["Location"]
    with demo() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.slot_id == slot.id)).one()
        zone = session.get(Institution, ticket.institution_id).timezone
        ends = f"{ticket.hold_expires_at.astimezone(ZoneInfo(zone)):%H:%M} ({zone_words})"
    assert zone == "Asia/Yekaterinburg"  # the reader without an account reads in Moscow time
    page = client.get(ticket_path, headers=headers).get_data(as_text=True)
    assert ends in page and "Europe/" not in page
    [message] = outbox(app, "ticket_code")
    assert message.context["valid_until"] == ends


@pytest.mark.parametrize(("language", "zone_words"), [("ru", "Екатеринбург, UTC+5"), ("en", "Yekaterinburg, UTC+5")])
def test_the_times_list_names_the_clinics_zone_for_a_reader_on_another_clock(client, demo, language, zone_words):  # noqa: F811
    post_id = free_slots(demo)[0].post_id
    page = client.get(f"/registry/posts/{post_id}/times", headers={"Accept-Language": language}).get_data(as_text=True)
    note = page.split('class="zone-note"')[1].split("</p>")[0]
    assert zone_words in note  # the reader without an account reads in Moscow time
    assert f"({zone_words})" in page.split('class="button time"')[1].split(">")[0]


def test_the_times_list_names_no_zone_for_a_reader_on_the_clinics_clock(client, demo, app):  # noqa: F811
    make_user(app, "yekaterinburg@test.org", "patient", timezone="Asia/Yekaterinburg")
    login(client, "yekaterinburg@test.org")
    page = client.get(f"/registry/posts/{free_slots(demo)[0].post_id}/times").get_data(as_text=True)
    assert "Available appointment times" in page and 'class="button time"' in page
    assert "zone-note" not in page and "UTC+5" not in page
