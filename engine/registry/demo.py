"""Demo registry: the Khanty-Mansiysk institutions of the seed (names, addresses, phones, hours and the
doctors it names are facts from seed 004), with generated departments, doctors, schedules, districts and
approximate coordinates (the seed shows a map but gives none).

`load_registry_demo(session)` is idempotent: a second call only moves the slot horizon on. The caller
commits.
"""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.accounts.service import find_by_email
from engine.clock import now
from engine.registry import schedules
from engine.registry.models import (
    AddressPoint,
    Department,
    District,
    DistrictAddress,
    Doctor,
    DoctorPost,
    Institution,
    Locality,
    ScheduleTemplate,
    Specialty,
)

# R-INST-01: the localities of KhMAO-Yugra, as the seed lists them.
LOCALITIES = (
    "Ханты-Мансийск", "Алябьевский", "Белоярский", "Белый Яр", "Березово", "Высокий", "Игрим", "Излучинск",
    "Когалым", "Коммунистический", "Кышик", "Лангепас", "Лянтор", "Мегион", "Междуреченский", "Мулымья",
    "Нефтеюганск", "Нижневартовск", "Нижнесортымский", "Новоаганск", "Нягань", "Октябрьское", "Пионерский",
    "Пойковский", "Покачи", "Пыть-Ях", "Радужный", "Советский", "Сургут", "Урай", "Федоровский", "Югорск",
)
# R-INST-05: the specialties of the seed's list.
SPECIALTIES = (
    "Врач-акушер-гинеколог", "Врач общей практики (семейный врач)", "Врач функциональной диагностики",
    "Врач-дерматовенеролог", "Зубной врач", "Врач-инфекционист", "Врач-невролог", "Врач-оториноларинголог",
    "Врач-офтальмолог", "Врач-педиатр", "Врач-педиатр участковый", "Врач-стоматолог", "Врач-стоматолог-терапевт",
    "Врач-терапевт участковый", "Фельдшер", "Врач-хирург", "Врач-профпатолог",
)
HOURS = "Пн. - Пт. с 08:00 до 17:00"

# name, type, address, phones, hours, (lat, lon), departments: {name: [(doctor, specialty), ...]}
INSTITUTIONS: tuple[tuple[str, str, str, str, str, tuple[float, float], dict[str, list[tuple[str, str]]]], ...] = (
    ('АУ ХМАО-Югры "Центр профессиональной патологии"', "center",
     "628011, ХМАО-Югра, г. Ханты-Мансийск, ул. Рознина, 73", "8-346-739-00-10", HOURS, (61.0118, 69.0254),
     {"Консультативно-поликлиническое отделение": [("Ковалёва Ирина Павловна", "Врач-профпатолог"),
                                                  ("Мельников Олег Юрьевич", "Врач-невролог")]}),
    ('БУ ХМАО-Югры "Окружная клиническая больница"', "hospital",
     "628012, Тюменская обл., ХМАО-Югра, Ханты-Мансийск ул. Калинина, 40,г", "8-346-739-03-00", HOURS,
     (60.9953, 69.0391),
     {"Консультативно-диагностическая поликлиника": [("Исаев Сергей Владимирович", "Врач-хирург"),
                                                     ("Орлова Наталья Викторовна", "Врач-оториноларинголог"),
                                                     ("Зайцев Павел Андреевич", "Врач функциональной диагностики")]}),
    ('БУ ХМАО-Югры "Окружной клинический лечебно-реабилитационный центр"', "center",
     "628011, Тюменская обл., ХМАО-Югра, г. Ханты-Мансийск, ул. Калинина, дом 3а",
     "8-346-733-05-76, 8-346-733-01-48", HOURS, (61.0041, 69.0163),
     {"Лечебно-диагностическое отделение": [("Владимирова Анна Алексеевна", "Врач-офтальмолог"),
                                            ("Скрябина Мария Ильинична", "Врач общей практики (семейный врач)")],
      "Отделение лечебной физкультуры": [("Белова Екатерина Олеговна", "Врач-невролог")],
      "Детское амбулаторно-поликлиническое отделение": [("Фомина Ольга Николаевна", "Врач-педиатр")],
      "Лечебно-консультативное отделение": [("Смирнов Алексей Викторович", "Врач-невролог")]}),
    ('БУ ХМАО-Югры "Ханты-Мансийская клиническая стоматологическая поликлиника"', "dental",
     "628011, Тюменская обл., ХМАО-Югра, г. Ханты-Мансийск ул. Рознина, 75", "8-346-732-24-52", HOURS,
     (61.0123, 69.0262),
     {"Терапевтическое отделение": [("Ахмедова Култакин Байрам гызы", "Врач-стоматолог-терапевт"),
                                    ("Громов Илья Сергеевич", "Зубной врач")]}),
    ('БУ ХМАО-Югры "Ханты-Мансийская районная больница"', "hospital",
     "628001, Тюменская обл., г. Ханты-Мансийск, ул. Барабинская 12", "8-346-736-42-25", HOURS,
     (60.9876, 69.0612),
     {"Консультативно-диагностическое отделение": [("Мусеев Фархат Фаритович", "Врач-хирург"),
                                                   ("Лаптева Светлана Игоревна", "Врач-акушер-гинеколог")],
      "Ханты-Мансийская районная поликлиника": [("Григорьева Татьяна Дмитриевна", "Врач-терапевт участковый"),
                                                ("Николаева Дарья Петровна", "Врач-педиатр участковый")]}),
    ('БУ ХМАО-Югры "Ханты-Мансийский клинический кожно-венерологический диспансер"', "dispensary",
     "628012, Тюменская обл., ХМАО-Югра, г. Ханты-Мансийск, ул. Гагарина,72", "8-346-733-30-83", HOURS,
     (61.0002, 69.0087),
     {"Поликлиническое отделение": [("Соловьёв Виктор Петрович", "Врач-дерматовенеролог"),
                                    ("Кириллова Анна Романовна", "Врач-инфекционист")]}),
)
# Reception patterns, by position of the doctor: weekdays, start, end, minutes per slot.
PATTERNS = (
    ((0, 1, 2, 4), time(9, 0), time(11, 30), 15),  # the seed's «09:00 11:30», Thursday off
    ((0, 2, 4), time(11, 16), time(16, 4), 32),  # the seed's «11:16 15:48», 32-minute tickets
    ((1, 3), time(13, 0), time(17, 0), 20),
    ((0, 1, 2, 3, 4), time(8, 0), time(12, 0), 20),
)
# Approximate points of streets (street, houses, lat, lon) for "nearest to an address".
STREETS = (
    ("ленина", 1, 60, 61.0060, 69.0210), ("ленина", 61, 140, 61.0000, 69.0300),
    ("калинина", 1, 30, 61.0040, 69.0170), ("калинина", 31, 80, 60.9960, 69.0380),
    ("рознина", 1, 150, 61.0120, 69.0250), ("гагарина", 1, 200, 61.0000, 69.0090),
    ("барабинская", 1, 60, 60.9880, 69.0600), ("мира", 1, 120, 61.0070, 69.0180),
    ("чехова", 1, 90, 60.9930, 69.0450), ("дзержинского", 1, 40, 61.0090, 69.0150),
)
# District of the seed (R-DIST-05): «Участок №91, Терапевтический», Григорьева Т. Д., Ленина.
DISTRICTS = (
    ("91", "Терапевтический", "Григорьева Татьяна Дмитриевна", "Ленина", (("ленина", 1, 140, "all"),)),
    ("12", "Педиатрический", "Николаева Дарья Петровна", "Чехова, Барабинская",
     (("чехова", 1, 90, "all"), ("барабинская", 1, 60, "all"))),
)
DISTRICT_INSTITUTION = 'БУ ХМАО-Югры "Ханты-Мансийская районная больница"'
DEMO_DOCTOR_NAME = "Смирнов Алексей Викторович"  # the demo doctor account doctor@example.org


def _get_or_add(session: Session, model: type, **where: object) -> object:
    row = session.scalars(select(model).filter_by(**where)).first()
    if row is None:
        row = model(**where)
        session.add(row)
        session.flush()
    return row


def load_registry_demo(session: Session, weeks: int = schedules.DEFAULT_WEEKS) -> dict[str, int]:
    """Create the demo registry once; every call generates slots up to `weeks` ahead."""
    home = session.scalars(select(Locality).where(Locality.name == LOCALITIES[0])).first()
    created = home is None or session.scalars(select(Institution).where(Institution.locality_id == home.id)).first() is None
    if created:
        _create(session)
    home = session.scalars(select(Locality).where(Locality.name == LOCALITIES[0])).one()
    slots = 0
    for institution in session.scalars(select(Institution).where(Institution.locality_id == home.id)):
        slots += schedules.generate_slots(session, institution, weeks)
    session.flush()
    return {"created": int(created), "slots": slots}


def _create(session: Session) -> None:
    for name in LOCALITIES:
        _get_or_add(session, Locality, name=name)
    home = session.scalars(select(Locality).where(Locality.name == LOCALITIES[0])).one()
    specialties = {name: _get_or_add(session, Specialty, name=name) for name in SPECIALTIES}
    demo_doctor = find_by_email(session, "doctor@example.org")
    doctors_by_name: dict[str, Doctor] = {}
    position = 0
    today = now().date()
    for name, kind, address, phones, hours, (lat, lon), departments in INSTITUTIONS:
        institution = Institution(locality_id=home.id, name=name, kind=kind, address=address, phones=phones,
                                  hours=hours, latitude=lat, longitude=lon, website="https://er.dzhmao.ru/")
        session.add(institution)
        session.flush()
        for dept_name, staff in departments.items():
            department = Department(institution_id=institution.id, name=dept_name)
            session.add(department)
            session.flush()
            for full_name, specialty in staff:
                last, first, *rest = full_name.split(" ")
                doctor = Doctor(institution_id=institution.id, last_name=last, first_name=first,
                                patronymic=" ".join(rest))
                if full_name == DEMO_DOCTOR_NAME and demo_doctor is not None:
                    doctor.user_id = demo_doctor.id
                session.add(doctor)
                session.flush()
                doctors_by_name[full_name] = doctor
                post = DoctorPost(doctor_id=doctor.id, department_id=department.id,
                                  specialty_id=specialties[specialty].id)  # type: ignore[attr-defined]
                session.add(post)
                session.flush()
                weekdays, start, end, minutes = PATTERNS[position % len(PATTERNS)]
                position += 1
                for weekday in weekdays:
                    session.add(ScheduleTemplate(post_id=post.id, weekday=weekday, start=start, end=end,
                                                 slot_minutes=minutes, valid_from=today - timedelta(days=7)))
    session.flush()
    for street, low, high, lat, lon in STREETS:
        session.add(AddressPoint(locality_id=home.id, street=street, house_from=low, house_to=high,
                                 latitude=lat, longitude=lon))
    clinic = session.scalars(select(Institution).where(Institution.name == DISTRICT_INSTITUTION)).one()
    for number, kind, doctor_name, address, ranges in DISTRICTS:
        district = District(institution_id=clinic.id, number=number, kind=kind,
                            doctor_id=doctors_by_name[doctor_name].id, address=address)
        session.add(district)
        session.flush()
        for street, low, high, parity in ranges:
            session.add(DistrictAddress(district_id=district.id, street=street, house_from=low, house_to=high,
                                        parity=parity))
    session.flush()
