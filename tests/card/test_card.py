"""The patient card: the patient and their care team see everything, anyone else gets 404; filters by kind
and period; each entry links to its page; staff views are in the journal."""

from __future__ import annotations

from sqlalchemy import select

from engine.audit import AuditEntry
from engine.db import transaction
from tests.webui.conftest import login


def card_page(client, patient_id: int, **args):
    return client.get(f"/card/patients/{patient_id}", query_string=args)


def journal(app, action: str) -> list[AuditEntry]:
    with transaction(app.extensions["carepath"].sessions) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_the_patient_sees_every_kind_of_entry_on_their_own_card(client, app, card):
    login(client, card.cast.patient.email)

    page = client.get("/card/", follow_redirects=True)

    assert page.status_code == 200
    text = page.text
    assert "My patient card" in text
    assert "I10" in text and "Essential (primary) hypertension" in text  # ICD-10 code with the catalogue's title
    assert "ecg.pdf" in text and "T-0001" in text and "Cardio rehabilitation" in text
    assert "Blood pressure" in text and "<strong>135/85</strong>" in text  # the latest value, not the first
    assert "Blood pressure above 140" in text  # the open alert
    assert f'href="/consultations/{card.consultation_id}"' in text
    assert f'href="/history/document/{card.conclusion_document_id}.pdf"' in text
    assert f'href="/card/patients/{card.cast.patient.id}/documents/{card.document_id}"' in text
    assert f'href="/rehab/courses/{card.course_id}"' in text
    assert journal(app, "patient_card_viewed") == []  # the patient's own look is not a staff view


def test_the_doctor_of_the_patient_sees_the_card_and_the_view_is_journalled(client, app, card):
    login(client, card.cast.doctor.email)

    page = card_page(client, card.cast.patient.id)
    download = client.get(f"/card/patients/{card.cast.patient.id}/documents/{card.document_id}")

    assert page.status_code == 200 and "Patient card of" in page.text and "ecg.pdf" in page.text
    assert f'href="/monitoring/plans/{card.plan_id}"' in page.text  # the doctor's own plan opens for editing
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    [entry] = journal(app, "patient_card_viewed")
    assert (entry.actor_id, entry.subject_id, entry.object_id) == (card.cast.doctor.id, card.cast.patient.id,
                                                                   str(card.cast.patient.id))
    assert [e.object_id for e in journal(app, "document_viewed")] == [str(card.document_id)]


def test_the_instructor_of_a_course_is_on_the_care_team_but_opens_only_documents_given_to_them(client, card):
    login(client, card.instructor.email)

    page = card_page(client, card.cast.patient.id)
    download = client.get(f"/card/patients/{card.cast.patient.id}/documents/{card.document_id}")

    assert page.status_code == 200 and "ecg.pdf" in page.text
    assert f"/documents/{card.document_id}" not in page.text  # listed, not linked
    assert download.status_code == 403


def test_a_foreign_doctor_a_manager_and_another_patient_get_404_and_nothing_is_journalled(client, app, card):
    for person in (card.foreign_doctor, card.manager, card.cast.other_patient):
        login(client, person.email)
        assert card_page(client, card.cast.patient.id).status_code == 404, person.email
        assert client.get(f"/card/patients/{card.cast.patient.id}/documents/{card.document_id}").status_code == 404
        client.post("/account/logout")
    assert journal(app, "patient_card_viewed") == []
    login(client, card.foreign_doctor.email)
    assert card_page(client, 999999).status_code == 404  # no such person: the same answer


def test_the_card_filters_by_kind_and_period(client, card):
    login(client, card.cast.patient.email)
    patient_id = card.cast.patient.id

    diagnoses = card_page(client, patient_id, kind="diagnosis").text
    march_first_week = card_page(client, patient_id, since="2026-03-01", until="2026-03-07").text
    later = card_page(client, patient_id, since="2026-03-08").text

    assert 'data-kind="diagnosis"' in diagnoses and 'data-kind="rehab"' not in diagnoses
    assert "ecg.pdf" not in diagnoses
    assert "Cardio rehabilitation" not in march_first_week and 'data-kind="consultation"' in march_first_week
    assert "Cardio rehabilitation" in later and "T-0001" not in later


def test_bad_filters_say_so_and_show_everything(client, card):
    login(client, card.cast.patient.email)

    page = card_page(client, card.cast.patient.id, kind="secrets", since="2026-13-45")
    backwards = card_page(client, card.cast.patient.id, since="2026-03-09", until="2026-03-01")

    assert "There is no such kind of entry" in page.text and "Enter dates as YYYY-MM-DD" in page.text
    assert "Cardio rehabilitation" in page.text and "T-0001" in page.text
    assert "The period starts after it ends" in backwards.text and "T-0001" in backwards.text


def test_the_birth_date_reads_as_one_russian_date_with_a_single_full_stop(client, app, card):
    from datetime import date

    from engine.accounts.models import User

    with transaction(app.extensions["carepath"].sessions) as session:
        patient = session.get(User, card.cast.patient.id)
        patient.birth_date, patient.locale = date(1968, 4, 12), "ru"
    login(client, card.cast.patient.email)

    text = client.get("/card/", follow_redirects=True, headers={"Accept-Language": "ru"}).text.replace("\xa0", " ").replace("\u202f", " ")

    assert "12 апреля 1968 г." in text  # a long date: the month in words, as an older reader reads it
    assert "г.." not in text
