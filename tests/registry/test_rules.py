"""Bad input gets a clear message; schedule changes list and notify the people they hit; districts."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from engine.db import transaction
from engine.i18n import UserError
from engine.registry import districts, schedules, search
from engine.registry.demo import load_registry_demo
from engine.registry.identity import Identity, clean_identity
from engine.registry.models import (
    BLOCKED,
    T_CANCELLED,
    Institution,
    ScheduleException,
    ScheduleTemplate,
    Slot,
    Ticket,
)
from tests.registry.conftest import book_anonymously, person, sent, slots_of


@pytest.mark.parametrize(("changes", "message"), [
    ({"doc_number": "1234"}, "OMS policy number has 16 digits"),
    ({"doc_type": "snils", "doc_number": "112-233-445 96"}, "check digits do not match"),
    ({"doc_type": "snils", "doc_number": "11223"}, "SNILS must have 11 digits"),
    ({"doc_type": "passport", "doc_number": "45 10 12"}, "4 digits of the series and 6 digits"),
    ({"doc_type": "dms", "doc_number": "<script>"}, "DMS policy number"),
    ({"doc_type": "none", "last_name": "", "first_name": "Anna"}, "surname and first name"),
    ({"birth_date": None}, "date of birth"),
    ({"birth_date": date(2090, 1, 1)}, "real date of birth"),
    ({"phone": ""}, "mobile phone"),
    ({"phone": "12"}, "phone number with its code"),
    ({"consent": False}, "consent"),
    ({"email": ""}, "confirmation code is sent there"),
    ({"doc_type": "driver"}, "Choose an identity document"),
])
def test_malformed_identities_are_refused_with_a_clear_message(changes, message):
    with pytest.raises(UserError, match=message):
        clean_identity(person(**changes), email_required=True)


def test_each_document_asks_only_for_what_the_seed_asks():
    snils = clean_identity(Identity("snils", "11223344595", phone="89123456789", consent=True), email_required=False)
    assert (snils.doc_number, snils.birth_date, snils.phone) == ("112-233-445 95", None, "+79123456789")
    passport = clean_identity(Identity("passport", "4510 № 123456", phone="+79123456789", consent=True), email_required=False)
    assert passport.doc_number == "4510 123456"
    nobody = clean_identity(Identity("none", "", "Иванова", "Анна", "", date(1980, 1, 2), "+79123456789", "", True),
                            email_required=False)
    assert nobody.key == "none:иванова|анна||1980-01-02"


def test_the_search_refuses_inverted_and_past_intervals(sessions, clinic, clock):
    with sessions() as session:
        inst = session.get(Institution, clinic.institution_id)
        today = date(2026, 3, 2)
        with pytest.raises(UserError, match="cannot be before its start"):
            search.search_slots(session, inst, search.Filters(date_from=today + timedelta(days=3), date_to=today))
        with pytest.raises(UserError, match="cannot start in the past"):
            search.search_slots(session, inst, search.Filters(date_from=today - timedelta(days=3)))


def test_the_five_filters_narrow_the_schedule(sessions, clinic, clock, connectors):
    taken = slots_of(sessions, clinic.therapist_post)[0]
    book_anonymously(sessions, connectors, taken.id)
    with sessions() as session:
        inst = session.get(Institution, clinic.institution_id)
        everything = search.search_slots(session, inst, search.Filters())
        assert {row[1] for row in everything} == {clinic.therapist_post, clinic.surgeon_post}
        by_name = search.search_slots(session, inst, search.Filters(doctor="григорьЕВА"))
        assert {row[1] for row in by_name} == {clinic.therapist_post}
        assert search.search_slots(session, inst, search.Filters(department="нет такого")) == []
        assert search.search_slots(session, inst, search.Filters(department="поликлин")) == everything
        free = search.search_slots(session, inst, search.Filters(doctor="Григорьева", only_free=True))
        assert taken.id not in {row[0] for row in free} and taken.id in {row[0] for row in by_name}
        one_day = search.search_slots(session, inst, search.Filters(date_from=date(2026, 3, 3), date_to=date(2026, 3, 3)))
        assert len(one_day) == 2 * 9
        assert search.nearest_free(session, doctor_id=clinic.therapist_id) == slots_of(sessions, clinic.therapist_post)[1].starts_at
        grid, monday = search.schedule(session, inst, search.Filters(doctor="Мусеев"))
        assert monday == date(2026, 3, 2) and [p.post.id for p in grid] == [clinic.surgeon_post]
        days = [(d.day.isoformat(), d.first, d.last) for d in grid[0].week]
        assert days[1] == ("2026-03-03", "09:00", "11:40") and days[5] == ("2026-03-07", None, None)


def test_a_doctors_leave_lists_and_notifies_the_booked_patients_and_drops_free_slots(sessions, clinic, clock, connectors):
    slots = slots_of(sessions, clinic.therapist_post)
    day = slots[0].starts_at.date()
    booked = book_anonymously(sessions, connectors, slots[0].id)
    with transaction(sessions) as session:
        inst = session.get(Institution, clinic.institution_id)
        session.add(ScheduleException(institution_id=inst.id, doctor_id=clinic.therapist_id, date_from=day,
                                      date_to=day, kind="leave"))
        session.flush()
        preview = schedules.impact(session, inst)
        assert [t.id for t in preview.tickets] == [booked.ticket_id]
        session.rollback()
    assert sent(sessions, "schedule_changed") == []  # a preview changes nothing
    with transaction(sessions) as session:
        inst = session.get(Institution, clinic.institution_id)
        session.add(ScheduleException(institution_id=inst.id, doctor_id=clinic.therapist_id, date_from=day,
                                      date_to=day, kind="leave"))
        result = schedules.apply_change(session, inst, actor_id=1, base_url="http://portal.test")
        assert [t.id for t in result.tickets] == [booked.ticket_id]
    with sessions() as session:
        ticket = session.get(Ticket, booked.ticket_id)
        assert ticket.status == T_CANCELLED and ticket.end_reason == "schedule_changed"
        assert session.get(Slot, slots[0].id).status == BLOCKED
        left = session.scalars(select(Slot.id).where(Slot.post_id == clinic.therapist_post)).all()
        assert slots[1].id not in left  # free slots of the day are gone
    [message] = sent(sessions, "schedule_changed")
    assert message.recipient == "anna@example.net"


def test_a_template_must_end_after_it_starts():
    with pytest.raises(UserError, match="must end after it starts"):
        schedules.check_template(schedules.TemplateData(1, 0, time(12), time(9), 20, date(2026, 1, 1)))


def test_changing_a_template_moves_slots_and_keeps_tickets(sessions, clinic, clock, connectors):
    with transaction(sessions) as session:
        inst = session.get(Institution, clinic.institution_id)
        template = session.scalars(select(ScheduleTemplate).where(
            ScheduleTemplate.post_id == clinic.surgeon_post, ScheduleTemplate.weekday == 1)).one()
        template.start, template.end = time(14), time(15)
        result = schedules.apply_change(session, inst, actor_id=1)
        assert result.tickets == []
    tuesday = [s for s in slots_of(sessions, clinic.surgeon_post) if s.starts_at.weekday() == 1]
    assert {s.starts_at.hour for s in tuesday} == {9}  # 14:00 local is 09:00 UTC


def test_the_district_of_an_address_and_the_seeds_no_match_message(sessions, clock):
    with transaction(sessions) as session:
        load_registry_demo(session, weeks=1)
    with sessions() as session:
        clinic = session.scalars(select(Institution).where(Institution.name.like("%районная больница%"))).one()
        found = districts.find_district(session, clinic.id, "ул. Ленина", "40г")
        assert (found.number, found.kind, found.doctor.full_name) == ("91", "Терапевтический", "Григорьева Татьяна Дмитриевна")
        assert districts.find_district(session, clinic.id, "Мира", "3") is None
        with pytest.raises(UserError, match="house number"):
            districts.find_district(session, clinic.id, "Ленина", "дом")
        point = districts.locate(session, clinic.locality_id, "Рознина", "70")
        ranked = districts.nearest_first(search.institutions(session, clinic.locality_id), point)
        assert "Рознина" in ranked[0].institution.address


def test_the_demo_loads_once_and_then_only_extends_the_horizon(sessions, clock):
    with transaction(sessions) as session:
        first = load_registry_demo(session, weeks=2)
    with sessions() as session:
        count = session.scalar(select(func.count(Slot.id)))
    with transaction(sessions) as session:
        again = load_registry_demo(session, weeks=2)
    assert first["created"] == 1 and count > 500
    assert again["created"] == 0
    with sessions() as session:
        assert session.scalar(select(func.count(Slot.id))) == count
    with sessions() as session:
        assert session.scalar(select(Institution).where(Institution.name.like("%лечебно-реабилитационный%"))).phones \
            == "8-346-733-05-76, 8-346-733-01-48"
