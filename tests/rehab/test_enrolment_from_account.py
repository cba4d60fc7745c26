"""Issue 16: a logged-in patient enrols in an exercise-therapy (ЛФК) group from their account: the form is
offered and prefilled, lists the groups one can join, asks for no second account, and on acceptance the
patient gets a seat in the group's classes, whose reminders then follow (scenario through the engine)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from engine.accounts.models import User
from engine.db import transaction
from engine.outbox import OutboxMessage
from engine.rehab import courses
from engine.rehab.models import ClassSeat, EnrolmentApplication, RehabCourse
from engine.workflow.models import DueTimer
from tests.rehab.test_web import _course, _sessions, as_user
from tests.webui.conftest import app, cast, client, login, make_user, outbox, settings  # noqa: F401


def _group_series(app, instructor_id: int, course_id: int, start) -> str:  # noqa: F811
    """A weekly group series of three, planned in the instructor's own course (another patient's)."""
    with transaction(_sessions(app)) as session:
        created = courses.plan_classes(session, session.get(User, instructor_id), [course_id], courses.ClassPlan(
            "group", "Back school", start, 45, "weekly", 3), new_meeting_url=lambda: "https://m/room")
        return created[0].series_id


def test_a_logged_in_patient_enrols_in_a_listed_group_and_is_seated_with_reminders(app, client, cast, clock):  # noqa: F811
    course_id, instructor = _course(app, cast, clock)  # the doctor attached `instructor` to cast.patient
    start = clock.current + timedelta(days=2)
    series = _group_series(app, instructor.id, course_id, start)
    with transaction(_sessions(app)) as session:
        session.get(User, cast.patient.id).phone = "+79990001122"

    web = as_user(app, cast.patient.email)
    assert "Enrol in an exercise-therapy (LFK) group" in web.get("/rehab/").get_data(as_text=True)
    page = web.get("/rehab/enrol").get_data(as_text=True)
    assert cast.patient.email in page and 'name="email"' not in page, "prefilled from the account"
    assert 'value="+79990001122"' in page
    assert f'value="{series}"' in page and "Back school" in page and "3 classes" in page
    assert 'name="consent"' in page, "an account made by staff gave no consent yet: asked once here"
    done = web.post("/rehab/enrol", data={"group": series, "comment": "Mornings", "consent": "y"})
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and "Application sent" in text and "already exists" not in text
    again = web.post("/rehab/enrol", data={"group": series, "consent": "y"})
    assert again.status_code == 400 and "already waiting for review" in again.get_data(as_text=True)
    gone = web.post("/rehab/enrol", data={"group": "no-such-group", "consent": "y"})
    assert gone.status_code == 400 and "no longer open for enrolment" in gone.get_data(as_text=True)

    with transaction(_sessions(app)) as session:
        application = session.scalars(select(EnrolmentApplication)).one()
        assert application.from_account and application.user_id == cast.patient.id
        assert application.group_key == series and application.group_title == "Back school"
        users = session.scalar(select(func.count(User.id)).where(User.email == cast.patient.email))
        assert users == 1
    coach = as_user(app, instructor.email)
    listing = coach.get("/rehab/enrolments").get_data(as_text=True)
    assert "Back school" in listing and "has an account" in listing
    accepted = coach.post(f"/rehab/enrolments/{application.id}/accept", follow_redirects=True)
    assert "the enrolment in the group" in accepted.get_data(as_text=True)
    [mail] = outbox(app, "enrolment_accepted")
    assert mail.recipient == cast.patient.email and mail.context["group"] == "Back school" and mail.context["seated"]
    assert outbox(app, "rehab_registered") == []
    with transaction(_sessions(app)) as session:
        seats = session.scalars(select(ClassSeat).where(ClassSeat.patient_id == cast.patient.id)).all()
        assert len(seats) == 3
        course = session.get(RehabCourse, course_id)
        # The seats' reminders follow: the course's timer waits for 10 minutes before the first class.
        assert session.scalars(select(DueTimer.due_at)).all() == [start - timedelta(minutes=10)]
        assert course.status == "open"
    home = as_user(app, cast.patient.email).get("/rehab/").get_data(as_text=True)
    assert "Back school" in home
    with transaction(_sessions(app)) as session:
        assert session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "enrolment_received")) == 1


def test_a_visitor_whose_email_has_an_account_is_told_to_log_in_and_enrol_from_it(app, client, cast, clock):  # noqa: F811
    response = client.post("/rehab/enrol", data={"last_name": "Test", "first_name": "Tess", "email": cast.patient.email,
                                                 "consent": "y"})
    assert response.status_code == 400
    assert "Log in, then enrol from your account." in response.get_data(as_text=True)
    page = client.get("/rehab/enrol").get_data(as_text=True)
    assert "No group has classes planned right now" in page and "/account/login?next=" in page
    doctor = as_user(app, cast.doctor.email)
    assert 'name="email"' in doctor.get("/rehab/enrol").get_data(as_text=True), "only patients apply from an account"
