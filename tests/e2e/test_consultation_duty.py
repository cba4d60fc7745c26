"""Route 2 in two browsers: the patient books the duty doctor, accepts the consent, joins in the window;
the doctor holds the session, attaches a file and writes the conclusion; the patient downloads the
signed conclusion. Bad input on the way: a wrong file type, a join before the window, a foreign id,
a cancelled consultation's join link. The pathways are deployed as `make run` does; the app's clock is
a TestClock moved by the test (the server runs in this process)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.consultations.models import Consultation
from tests.e2e import consultation_fixtures as shared
from tests.e2e.consultation_fixtures import login as _login
from tests.e2e.consultation_fixtures import open_task as _task
from tests.e2e.consultation_fixtures import produce as _produce
from tests.e2e.consultation_fixtures import tick as _tick

pytestmark = pytest.mark.e2e
consult_server = shared.consult_server  # the shared fixture, used by name


def test_a_patient_books_the_duty_doctor_and_downloads_the_signed_conclusion(consult_server, new_context, tmp_path):
    server, test_clock = consult_server
    url = server.url
    patient = _login(new_context(), url, "patient@example.org")
    patient.goto(f"{url}/consultations/duty")
    server.screenshot(patient, "consultation_duty_booking")
    patient.locator("input[name=slot_id]").first.check()
    patient.get_by_role("button", name="Book").first.click()
    patient.wait_for_url("**/consultations/*")
    consultation_id = int(patient.url.rstrip("/").rsplit("/", 1)[-1])
    assert "Scheduled" in patient.content()

    # Bad input: a file that is not what it claims; a join before the window.
    bad = tmp_path / "scan.pdf"
    bad.write_bytes(b"MZ\x90\x00 this is not a PDF")
    patient.set_input_files("input[name=file]", str(bad))
    patient.locator("#send-file").click()
    assert "is not an accepted file type" in patient.content()
    patient.goto(f"{url}/consultations/{consultation_id}/join")
    assert "opens 10 minutes before its start" in patient.content()

    _task(patient, url, "Accept the informed voluntary consent")
    server.screenshot(patient, "consultation_consent_task")
    patient.check("input[name=consent_accepted]")
    patient.locator("form button[type=submit]").last.click()

    with server.app.extensions["carepath"].sessions() as session:
        consultation = session.get(Consultation, consultation_id)
        starts = consultation.starts_at
        assert consultation.consent_at is not None
    test_clock.current = starts - timedelta(minutes=5)
    _tick(server)
    patient.goto(f"{url}/consultations/{consultation_id}")
    server.screenshot(patient, "consultation_patient_in_window")
    join = patient.locator(f"#join-{consultation_id}")
    assert join.get_attribute("href").endswith(f"/consultations/{consultation_id}/join")

    doctor = _login(new_context(), url, "doctor@example.org")
    doctor.goto(f"{url}/consultations/{consultation_id}")
    pdf = tmp_path / "recommendations.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    doctor.set_input_files("input[name=file]", str(pdf))
    doctor.locator("#send-file").click()
    server.screenshot(doctor, "consultation_doctor_page")
    assert "recommendations.pdf" in doctor.content()

    test_clock.current = starts + timedelta(minutes=1)
    _tick(server)
    _tick(server)
    _task(doctor, url, "Hold the consultation")
    doctor.select_option("select[name=outcome]", "held")
    doctor.locator("form button[type=submit]").last.click()
    _task(doctor, url, "Write the conclusion")
    doctor.fill("input[name=diagnosis_code]", "I10")
    doctor.fill("input[name=diagnosis_text]", "Эссенциальная гипертензия")
    doctor.fill("textarea[name=findings]", "АД 150/95, жалобы на головную боль")
    doctor.fill("textarea[name=recommendations]", "Дневник давления, снижение соли")
    server.screenshot(doctor, "consultation_conclusion_form")
    doctor.locator("form button[type=submit]").last.click()

    _produce(server)
    patient.goto(f"{url}/history/")
    server.screenshot(patient, "consultation_history")
    link = patient.locator("a[href$='.pdf']").first
    with patient.expect_download() as download:
        link.click()
    body = Path(download.value.path()).read_bytes()
    assert body.startswith(b"%PDF") and b"/ByteRange" in body  # a signed PDF

    # A foreign id: another person's consultation is "no such consultation".
    other = _login(new_context(), url, "manager@example.org")
    response = other.goto(f"{url}/consultations/{consultation_id}")
    assert response.status == 404


def test_a_cancelled_consultations_join_link_explains_itself(consult_server, new_context):
    server, test_clock = consult_server
    url = server.url
    patient = _login(new_context(), url, "patient@example.org")
    patient.goto(f"{url}/consultations/duty")
    patient.locator("input[name=slot_id]").nth(1).check()
    patient.get_by_role("button", name="Book").first.click()
    patient.wait_for_url("**/consultations/*")
    consultation_id = int(patient.url.rstrip("/").rsplit("/", 1)[-1])
    assert "Chat with the doctor" in patient.content()  # offered while the consultation stands
    # The countdown names its days, with the language's plural ("1 day", "2 days"), never a bare "1 ·".
    countdown = patient.locator("p.countdown")
    for days, words in ((2, "Starts in 2 days 0"), (1, "Starts in 1 day 0")):
        countdown.evaluate("(el, d) => { el.dataset.starts = String(Math.floor(Date.now() / 1000) + d * 86400 + 3600); }",
                           days)
        patient.wait_for_function("(w) => document.querySelector('p.countdown').textContent.includes(w)", arg=words)
        assert re.fullmatch(r"Starts in \d+ days? 0[01]:\d\d:\d\d", countdown.inner_text()), countdown.inner_text()
    patient.fill("textarea[name=reason]", "Не смогу в это время")
    patient.get_by_role("button", name="Cancel the consultation").click()
    assert "Cancelled" in patient.content()
    assert "Chat with the doctor" not in patient.content()  # nobody would answer any more
    server.screenshot(patient, "consultation_cancelled")
    token = patient.locator("input[name=csrf_token]").first.get_attribute("value")
    patient.request.post(f"{url}/conversations/duty/{consultation_id}", form={"csrf_token": token, "body": "Алло?"})
    from engine.messaging.models import Conversation
    from engine.workflow.models import ProcessInstance

    with server.app.extensions["carepath"].sessions() as session:
        assert session.scalars(select(Conversation)).all() == []  # a message sent anyway opens no chat
        instance_id = session.get(Consultation, consultation_id).process_instance_id
        assert session.get(ProcessInstance, instance_id).status == "cancelled"  # as the pathways list says
    with server.app.extensions["carepath"].sessions() as session:
        starts = session.scalars(select(Consultation.starts_at).where(Consultation.id == consultation_id)).one()
    test_clock.current = starts
    patient.goto(f"{url}/consultations/{consultation_id}/join")
    assert "was cancelled; its link no longer works" in patient.content()


def test_two_patients_submit_the_same_duty_time_at_once_and_the_loser_keeps_nothing(consult_server, new_context):
    from datetime import date

    from engine.accounts.models import ACTIVE, User, UserRole
    from engine.accounts.service import hash_password
    from engine.clock import now
    from tests.e2e.conftest import DEMO_PASSWORD, in_transaction

    server, _clock = consult_server
    url, sessions = server.url, server.app.extensions["carepath"].sessions

    def second_patient(session):
        user = User(email="second.patient@example.org", last_name="Второва", first_name="Вера", patronymic="",
                    birth_date=date(1980, 5, 5), status=ACTIVE, email_confirmed_at=now(), created_at=now(),
                    locale="ru", password_hash=hash_password(DEMO_PASSWORD))
        user.roles = [UserRole(role="patient")]
        session.add(user)

    in_transaction(sessions, second_patient)
    pages = [_login(new_context(), url, email) for email in ("patient@example.org", "second.patient@example.org")]
    for page in pages:
        page.goto(f"{url}/consultations/duty")
    slot_id = pages[0].locator("input[name=slot_id]").last.get_attribute("value")
    for page in pages:
        page.locator(f"input[name=slot_id][value='{slot_id}']").check()
    before = {c.id for c in _consultations(server)}
    # Both forms go off together (no waiting for the first answer), as two people pressing "Book" in one second.
    for page in pages:
        page.evaluate("(id) => document.querySelector(`input[name=slot_id][value='${id}']`).form.requestSubmit()", slot_id)
    for page in pages:
        page.wait_for_load_state("load")
        page.wait_for_function("() => document.querySelector('.flash') !== null"
                               " || location.pathname !== '/consultations/duty'")
    winners = [p for p in pages if "/consultations/duty" not in p.url]
    losers = [p for p in pages if "/consultations/duty" in p.url]
    assert len(winners) == 1 and len(losers) == 1, [p.url for p in pages]
    server.screenshot(losers[0], "consultation_duty_lost_race")
    assert "The selected time is no longer available." in losers[0].content()
    assert "You are booked" not in losers[0].content()
    # The list under the refusal is fresh: the time just taken is no longer offered.
    assert losers[0].locator(f"input[name=slot_id][value='{slot_id}']").count() == 0
    assert "You are booked with the duty doctor." in winners[0].content()
    new = [c for c in _consultations(server) if c.id not in before]
    assert len(new) == 1 and new[0].slot_id == int(slot_id)  # the loser has no consultation at all
    if losers[0] is pages[1]:  # the second patient had nothing before: their list stays empty
        losers[0].goto(f"{url}/consultations/")
        assert losers[0].locator("a[href^='/consultations/'][href$='/join']").count() == 0


def _consultations(server):
    with server.app.extensions["carepath"].sessions() as session:
        return list(session.scalars(select(Consultation)))


def test_times_follow_one_rule_the_institutions_zone_named_when_it_differs_and_never_utc(consult_server, new_context):
    """The demo duty doctors work in Khanty-Mansiysk (Asia/Yekaterinburg, UTC+5); the patient's profile says
    Moscow (UTC+3). An appointment shows the clinic's time with its zone named; once the patient lives in
    the same zone, the zone is not repeated; "UTC" and zone ids never reach the patient."""
    from zoneinfo import ZoneInfo

    server, test_clock = consult_server
    url = server.url
    patient = _login(new_context(), url, "patient@example.org")
    patient.goto(f"{url}/cabinet/profile")
    options = patient.locator("select[name='profile-timezone'] option").all_inner_texts()
    assert "Moscow (UTC+3)" in options and "Yekaterinburg (UTC+5)" in options
    assert not [o for o in options if "/" in o or o == "UTC"], options  # no "Europe/Moscow", no bare UTC
    assert patient.locator("select[name='profile-timezone'] option:checked").inner_text() == "Moscow (UTC+3)"

    patient.goto(f"{url}/consultations/duty")
    choice = patient.locator("label.choice").nth(1)
    assert "(Yekaterinburg, UTC+5)" in choice.inner_text()
    choice.locator("input").check()
    choice.locator("xpath=ancestor::form").get_by_role("button", name="Book").click()
    patient.wait_for_url("**/consultations/*")
    consultation_id = int(patient.url.rstrip("/").rsplit("/", 1)[-1])
    with server.app.extensions["carepath"].sessions() as session:
        starts = session.get(Consultation, consultation_id).starts_at
    clinic = starts.astimezone(ZoneInfo("Asia/Yekaterinburg"))
    shown = patient.locator("main time").first.inner_text()
    assert _clock(clinic) in shown and "Yekaterinburg, UTC+5" in shown, shown
    server.screenshot(patient, "time_display_patient_in_moscow")

    patient.goto(f"{url}/consultations/{consultation_id}/join")  # before the window
    early = patient.content()
    assert "Come back at" in early and "UTC" not in patient.locator(".flash, main").first.inner_text()
    moscow = (starts - timedelta(minutes=10)).astimezone(ZoneInfo("Europe/Moscow"))
    assert _clock(moscow) in early  # the reader's own clock

    patient.goto(f"{url}/cabinet/profile")
    patient.select_option("select[name='profile-timezone']", "Asia/Yekaterinburg")
    patient.locator("[name='profile-submit']").click()
    expect_saved = patient.locator(".flash.success")
    assert expect_saved.count() >= 1, patient.content()[:2000]
    patient.goto(f"{url}/consultations/{consultation_id}")
    shown = patient.locator("main time").first.inner_text()
    assert _clock(clinic) in shown and "UTC" not in shown and "Yekaterinburg" not in shown, shown
    server.screenshot(patient, "time_display_patient_in_the_clinics_zone")


def _clock(moment) -> str:
    """How the English pages write a time of day: 3:00 PM."""
    return f"{moment.hour % 12 or 12}:{moment:%M}\u202f{'PM' if moment.hour >= 12 else 'AM'}"
