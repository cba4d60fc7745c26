"""Rehab and conversation pages: who may see and change what, and bad input that changes nothing."""

from __future__ import annotations

import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from engine.accounts.models import PENDING_ACTIVATION, User
from engine.db import transaction
from engine.messaging.models import ConversationMessage
from engine.rehab import courses
from engine.rehab.models import RehabClass, RehabCourse
from engine.workflow import deploy_model
from tests.rehab.conftest import model_files
from tests.webui.conftest import app, cast, client, login, make_user, outbox, settings  # noqa: F401

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def as_user(app, email: str):  # noqa: F811
    """A fresh browser session logged in as this person."""
    web = app.test_client()
    login(web, email)
    return web


def _sessions(app):  # noqa: F811
    return app.extensions["carepath"].sessions


def _course(app, cast, clock):  # noqa: F811
    instructor = make_user(app, "coach@test.org", "instructor")
    with transaction(_sessions(app)) as session:
        from engine.composition import build_connectors

        deploy_model(session, "rehab_course", model_files(), connectors=build_connectors(app.extensions["carepath"].settings))
    web = app.test_client()
    login(web, cast.doctor.email)
    response = web.post("/rehab/attach", data={"patient_email": cast.patient.email, "instructor_id": instructor.id,
                                               "title": "Knee"}, follow_redirects=True)
    assert b"The instructor is attached" in response.data
    with transaction(_sessions(app)) as session:
        course = session.scalars(select(RehabCourse)).one()
        return course.id, instructor


def test_only_the_courses_people_see_it_and_only_its_instructor_plans(app, client, cast, clock):  # noqa: F811
    course_id, instructor = _course(app, cast, clock)
    client = as_user(app, cast.other_patient.email)
    assert client.get(f"/rehab/courses/{course_id}").status_code == 404
    assert client.post(f"/rehab/courses/{course_id}/classes", data={}).status_code == 403
    client = as_user(app, cast.patient.email)
    assert client.get(f"/rehab/courses/{course_id}").status_code == 200
    assert b"Plan a class" not in client.get(f"/rehab/courses/{course_id}").data


def test_a_class_in_the_past_is_refused_with_a_message_and_nothing_is_planned(app, client, cast, clock):  # noqa: F811
    course_id, instructor = _course(app, cast, clock)
    client = as_user(app, instructor.email)
    response = client.post(f"/rehab/courses/{course_id}/classes", follow_redirects=True, data={
        "kind": "individual", "date": "2020-01-01", "time": "10:00", "duration": "30", "repeat": "none"})
    assert b"Choose a time in the future." in response.data
    response = client.post(f"/rehab/courses/{course_id}/classes", follow_redirects=True, data={
        "kind": "individual", "date": "not a date", "time": "", "duration": "30"})
    assert b"Enter the date and the time of the class." in response.data
    with transaction(_sessions(app)) as session:
        assert session.scalar(select(func.count(RehabClass.id))) == 0


def test_the_join_link_opens_only_in_the_window_and_only_for_the_classes_people(app, client, cast, clock):  # noqa: F811
    course_id, instructor = _course(app, cast, clock)
    with transaction(_sessions(app)) as session:
        [item] = courses.plan_classes(session, session.get(User, instructor.id), [course_id], courses.ClassPlan(
            "individual", "Balance", clock.current + timedelta(minutes=30), 30), new_meeting_url=lambda: "https://m/room")
    client = as_user(app, cast.patient.email)
    early = client.get(f"/rehab/classes/{item.id}/join")
    assert early.status_code == 400 and b"opens 10 minutes before its start" in early.data
    assert b"Join class" not in client.get("/rehab/").data
    clock.advance(minutes=21)
    assert b"Join class" in client.get("/rehab/").data
    assert client.get(f"/rehab/classes/{item.id}/join").headers["Location"] == "https://m/room"
    client = as_user(app, cast.other_patient.email)
    assert client.get(f"/rehab/classes/{item.id}/join").status_code == 404
    clock.advance(minutes=40)
    client = as_user(app, cast.patient.email)
    assert b"This session has ended." in client.get(f"/rehab/classes/{item.id}/join").data


def test_the_patient_page_says_when_nothing_is_assigned(app, client, cast, clock):  # noqa: F811
    client = as_user(app, cast.patient.email)
    assert b"Nothing is assigned yet." in client.get("/rehab/").data


def test_a_conversation_is_private_and_a_false_file_sends_nothing(app, client, cast, clock):  # noqa: F811
    client = as_user(app, cast.doctor.email)
    response = client.post("/conversations/enable", data={"patient_email": cast.patient.email}, follow_redirects=True)
    assert b"Correspondence is on" in response.data
    page = response.request.path
    client = as_user(app, cast.patient.email)
    refused = client.post(f"{page}/messages", follow_redirects=True, data={
        "body": "see attached", "files": (io.BytesIO(b"MZ not a pdf at all" * 5), "scan.pdf")},
        content_type="multipart/form-data")
    assert b"is not an accepted file type" in refused.data
    sent = client.post(f"{page}/messages", follow_redirects=True, data={
        "body": "My results", "files": (io.BytesIO(PDF), "results.pdf")}, content_type="multipart/form-data")
    assert b"Message sent." in sent.data and b"results.pdf" in sent.data
    [message] = outbox(app, "relay_message")
    assert message.recipient == cast.doctor.email and cast.patient.email not in str(message.context)
    assert message.context["relay_from"].endswith("@relay.carepath.local")
    client = as_user(app, cast.other_patient.email)
    assert client.get(page).status_code == 404
    with transaction(_sessions(app)) as session:
        assert session.scalar(select(func.count(ConversationMessage.id))) == 1


def test_a_self_enrolment_accepted_by_an_instructor_creates_the_account_and_sends_the_registered_mail(
        app, client, cast, clock):  # noqa: F811
    form = {"last_name": "Sidorova", "first_name": "Nina", "email": "nina@test.org", "birth_date": "1960-05-01"}
    refused = client.post("/rehab/enrol", data=form)
    assert refused.status_code == 400 and b"consent" in refused.data
    assert b"Application sent" in client.post("/rehab/enrol", data={**form, "consent": "y"}).data
    assert len(outbox(app, "enrolment_received")) == 1
    client = as_user(app, cast.patient.email)
    assert client.get("/rehab/enrolments").status_code == 403
    coach = make_user(app, "coach2@test.org", "instructor")
    client = as_user(app, coach.email)
    page = client.get("/rehab/enrolments")
    assert b"Sidorova" in page.data
    with transaction(_sessions(app)) as session:
        from engine.rehab.models import EnrolmentApplication

        application_id = session.scalars(select(EnrolmentApplication.id)).one()
    done = client.post(f"/rehab/enrolments/{application_id}/accept", follow_redirects=True)
    assert b"the account is created" in done.data
    [mail] = outbox(app, "rehab_registered")
    assert mail.recipient == "nina@test.org" and "/account/" in mail.context["link"]
    assert outbox(app, "activate_account") == []
    with transaction(_sessions(app)) as session:
        nina = session.scalars(select(User).where(User.email == "nina@test.org")).one()
        assert nina.status == PENDING_ACTIVATION and nina.role_names == {"patient"}
    again = client.post(f"/rehab/enrolments/{application_id}/accept", follow_redirects=True)
    assert b"already been reviewed" in again.data


def test_moving_a_class_on_the_course_page_moves_its_reminder_and_bad_times_change_nothing(app, client, cast, clock):  # noqa: F811
    from engine.workflow.models import DueTimer

    course_id, instructor = _course(app, cast, clock)
    with transaction(_sessions(app)) as session:
        session.get(User, instructor.id).timezone = "Europe/Moscow"
    web = as_user(app, instructor.email)
    start = (clock.current + timedelta(days=2)).astimezone(ZoneInfo("Europe/Moscow"))
    response = web.post(f"/rehab/courses/{course_id}/classes", follow_redirects=True, data={
        "kind": "individual", "date": start.date().isoformat(), "time": "10:00", "duration": "30", "repeat": "none"})
    assert b"Classes planned: 1." in response.data
    with transaction(_sessions(app)) as session:
        item = session.scalars(select(RehabClass)).one()
        class_id, planned = item.id, item.starts_at
        assert session.scalars(select(DueTimer.due_at)).all() == [planned - timedelta(minutes=10)]
    back = f"/rehab/courses/{course_id}"
    response = web.post(f"/rehab/classes/{class_id}/move", follow_redirects=True,
                        data={"date": "2020-01-01", "time": "10:00", "back": back})
    assert b"Choose a time in the future." in response.data
    response = web.post(f"/rehab/classes/{class_id}/move", follow_redirects=True,
                        data={"date": start.date().isoformat(), "time": "12:30", "back": back})
    assert b"The class is moved." in response.data
    with transaction(_sessions(app)) as session:
        moved = session.get(RehabClass, class_id).starts_at
        assert moved - planned == timedelta(hours=2, minutes=30)
        assert session.scalars(select(DueTimer.due_at)).all() == [moved - timedelta(minutes=10)]
    assert as_user(app, cast.other_patient.email).post(f"/rehab/classes/{class_id}/move", data={}).status_code == 403


@pytest.mark.parametrize(("language", "zone_words"), [("ru", "Екатеринбург, UTC+5"), ("en", "Yekaterinburg, UTC+5")])
def test_a_class_is_shown_on_its_instructors_clock_with_the_zone_in_words(app, client, cast, clock,  # noqa: F811
                                                                          language, zone_words):
    from engine.rehab.models import ClassSeat

    course_id, instructor = _course(app, cast, clock)
    with transaction(_sessions(app)) as session:
        session.get(User, instructor.id).timezone = "Asia/Yekaterinburg"
        session.get(User, cast.patient.id).locale = language  # the patient reads in Moscow time
    day = (clock.current + timedelta(days=2)).astimezone(ZoneInfo("Asia/Yekaterinburg")).date()
    planned = as_user(app, instructor.email).post(f"/rehab/courses/{course_id}/classes", follow_redirects=True, data={
        "kind": "individual", "date": day.isoformat(), "time": "10:00", "duration": "30", "repeat": "none"})
    assert b"Classes planned: 1." in planned.data and b"10:00 (Yekaterinburg" not in planned.data  # their own zone
    page = as_user(app, cast.patient.email).get(f"/rehab/courses/{course_id}").get_data(as_text=True)
    assert f"10:00 ({zone_words})" in page and "Asia/" not in page
    # The instructor's own form names their zone in words too: "Start time (Yekaterinburg, UTC+5)".
    assert b"(Yekaterinburg, UTC+5) <input type=\"time\"" in planned.data and b"Asia/" not in planned.data
    with transaction(_sessions(app)) as session:
        seat = session.scalars(select(ClassSeat)).one()
        assert courses.send_reminder(session, seat.id, base_url="http://carepath.test")
    [reminder] = outbox(app, "class_reminder")
    assert reminder.context["when"] == f"{day:%d.%m.%Y} 10:00 ({zone_words})"
